/* meridian-tilesim under concurrent load: latency is applied per connection,
 * not serially; the in-flight count is honest; --max-concurrent and --rate
 * answer 429 with a correct Retry-After (seconds or HTTP date). Assertions are
 * on the server's own log and counters, never on wall-clock speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "support/test_server.h"

#define MAX_LINES 1024

typedef struct log_line {
    double start, end;
    unsigned long conn;
    int status;
} log_line;

/* Reads the tile lines of a tilesim --log file. */
static int read_log(const char *path, log_line *out, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[1024];
    int n = 0;
    while (n < max && fgets(buf, sizeof buf, f)) {
        log_line l;
        if (sscanf(buf, "start_ms=%lf end_ms=%lf conn=%lu status=%d", &l.start, &l.end, &l.conn, &l.status) == 4 &&
            strstr(buf, ".png"))
            out[n++] = l;
    }
    fclose(f);
    return n;
}

/* The largest number of [start, end] intervals that overlap at one instant,
 * counting only lines with the given status (0 = all). */
static int max_overlap(const log_line *l, int n, int status)
{
    int best = 0;
    for (int i = 0; i < n; i++) {
        if (status && l[i].status != status)
            continue;
        int k = 0;
        for (int j = 0; j < n; j++)
            if ((!status || l[j].status == status) && l[j].start <= l[i].start && l[j].end > l[i].start)
                k++;
        best = k > best ? k : best;
    }
    return best;
}

static int g_stats_polls; /* each /stats request is one more connection */

static long stats_wait(const mer_test_server *s, const char *key, long want, char *json, size_t len)
{
    long v = -1;
    for (int i = 0; i < 500; i++) {
        g_stats_polls++;
        if (mer_test_server_get_stats(s, json, len) && (v = mer_test_json_int(json, key)) == want)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return v;
}

static char **make_urls(const mer_test_server *s, int n, int z)
{
    char **urls = calloc((size_t)n, sizeof *urls);
    for (int i = 0; i < n; i++) {
        urls[i] = malloc(128);
        snprintf(urls[i], 128, "%s/%d/%d/%d.png", s->base_url, z, i % (1 << z), i / (1 << z));
    }
    return urls;
}

static void free_all(char **urls, mer_test_response *r, int n)
{
    for (int i = 0; i < n; i++) {
        free(urls[i]);
        mer_test_response_free(&r[i]);
    }
    free(urls);
}

static void temp_log(char *path, size_t len)
{
    snprintf(path, len, "/tmp/mer_tilesim_log_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* 100 requests at once with a 1 s latency are served side by side: the
 * server held at least half of them at the same time, each waited its second,
 * and it never counted more in flight than the client had sent. (With 100 ms,
 * a ThreadSanitizer build on a loaded machine took longer than that to open
 * its 100 connections, and the first answers left before half had arrived.) */
static void test_latency_is_concurrent(void **state)
{
    char log[64];
    temp_log(log, sizeof log);
    mer_test_server s;
    const char *args[] = {"--latency", "1000", "--log", log, NULL};
    assert_true(mer_test_server_start(&s, args));
    enum { N = 100 };
    char **urls = make_urls(&s, N, 4);
    mer_test_response *r = calloc(N, sizeof *r);
    assert_true(mer_test_fetch_many((const char *const *)urls, N, N, 20000, 0, false, r));
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].curl_code, CURLE_OK);
        assert_int_equal(r[i].status, 200);
    }
    char json[4096];
    assert_int_equal(stats_wait(&s, "in_flight", 0, json, sizeof json), 0);
    long max_in_flight = mer_test_json_int(json, "max_in_flight");
    assert_true(max_in_flight >= 50);
    assert_true(max_in_flight <= N);
    assert_int_equal(mer_test_json_int(json, "requests"), N);
    assert_int_equal(mer_test_server_stop(&s), 0);

    log_line *lines = calloc(MAX_LINES, sizeof *lines);
    int n = read_log(log, lines, MAX_LINES);
    assert_int_equal(n, N);
    for (int i = 0; i < n; i++)
        assert_true(lines[i].end - lines[i].start >= 999.0);
    assert_true(max_overlap(lines, n, 0) >= 50);
    free(lines);
    unlink(log);
    free_all(urls, r, N);
    free(r);
}

/* With 8 connections the server never sees more than 8 requests at once, and
 * keep-alive means it sees about 8 connections, not 64. */
static void test_in_flight_bounded_by_client(void **state)
{
    mer_test_server s;
    const char *args[] = {"--latency", "20", NULL};
    assert_true(mer_test_server_start(&s, args));
    enum { N = 64 };
    char **urls = make_urls(&s, N, 3);
    mer_test_response *r = calloc(N, sizeof *r);
    assert_true(mer_test_fetch_many((const char *const *)urls, N, 8, 20000, 0, false, r));
    for (int i = 0; i < N; i++)
        assert_int_equal(r[i].status, 200);
    char json[4096];
    g_stats_polls = 0;
    assert_int_equal(stats_wait(&s, "in_flight", 0, json, sizeof json), 0);
    long m = mer_test_json_int(json, "max_in_flight");
    assert_true(m >= 2 && m <= 8);
    /* 8 connections kept alive for 64 tiles, plus one per /stats poll */
    long conns = mer_test_json_int(json, "connections");
    assert_true(conns >= 8 && conns <= 8 + g_stats_polls);
    assert_int_equal(mer_test_server_stop(&s), 0);
    free_all(urls, r, N);
    free(r);
}

/* --max-concurrent 3 with slow responses: 10 requests at once, at most 3 are
 * served at any time, the others get 429 with Retry-After: 1. */
static void test_max_concurrent_429(void **state)
{
    char log[64];
    temp_log(log, sizeof log);
    mer_test_server s;
    const char *args[] = {"--max-concurrent", "3", "--latency", "1000", "--log", log, NULL};
    assert_true(mer_test_server_start(&s, args));
    enum { N = 10 };
    char **urls = make_urls(&s, N, 2);
    mer_test_response *r = calloc(N, sizeof *r);
    assert_true(mer_test_fetch_many((const char *const *)urls, N, N, 20000, 0, false, r));
    int n200 = 0, n429 = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].curl_code, CURLE_OK);
        n200 += r[i].status == 200;
        if (r[i].status == 429) {
            n429++;
            assert_string_equal(r[i].retry_after, "1");
        }
    }
    assert_int_equal(n200 + n429, N);
    assert_true(n200 >= 3);
    assert_true(n429 >= 1);
    assert_int_equal(mer_test_server_stop(&s), 0);
    log_line *lines = calloc(MAX_LINES, sizeof *lines);
    int n = read_log(log, lines, MAX_LINES);
    assert_int_equal(n, N);
    int overlap = max_overlap(lines, n, 200);
    assert_true(overlap >= 1 && overlap <= 3);
    free(lines);
    unlink(log);
    free_all(urls, r, N);
    free(r);
}

static void fetch_one(const mer_test_server *s, const char *path, mer_test_response *r)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", s->base_url, path);
    assert_true(mer_test_fetch(url, NULL, 10000, r));
    assert_int_equal(r->curl_code, CURLE_OK);
}

/* --jitter adds a random 0..J ms per request: durations spread out. */
static void test_jitter_spreads_delays(void **state)
{
    char log[64];
    temp_log(log, sizeof log);
    mer_test_server s;
    const char *args[] = {"--latency", "50", "--jitter", "600", "--seed", "3", "--log", log, NULL};
    assert_true(mer_test_server_start(&s, args));
    enum { N = 20 };
    char **urls = make_urls(&s, N, 1);
    mer_test_response *r = calloc(N, sizeof *r);
    assert_true(mer_test_fetch_many((const char *const *)urls, N, N, 20000, 0, false, r));
    assert_int_equal(mer_test_server_stop(&s), 0);
    log_line *lines = calloc(MAX_LINES, sizeof *lines);
    int n = read_log(log, lines, MAX_LINES);
    assert_int_equal(n, N);
    double lo = 1e9, hi = 0;
    for (int i = 0; i < n; i++) {
        double d = lines[i].end - lines[i].start;
        assert_true(d >= 49.0);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* 20 uniform draws from 0..600 ms: the spread is far above 200 ms (and the
     * draws are fixed by the seed, so this does not flake) */
    assert_true(hi - lo >= 200.0);
    free(lines);
    unlink(log);
    free_all(urls, r, N);
    free(r);
}

/* --rate 0.5 --burst 2: two quick requests pass, the third gets 429 with
 * Retry-After: 2 (one token takes 2 s), and after waiting that long the next
 * request passes. The wait is what is under test, not a synchronisation. */
static void test_rate_429_retry_after_seconds(void **state)
{
    mer_test_server s;
    const char *args[] = {"--rate", "0.5", "--burst", "2", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_test_response r;
    fetch_one(&s, "/1/0/0.png", &r);
    assert_int_equal(r.status, 200);
    mer_test_response_free(&r);
    fetch_one(&s, "/1/1/0.png", &r);
    assert_int_equal(r.status, 200);
    mer_test_response_free(&r);
    fetch_one(&s, "/1/0/1.png", &r);
    assert_int_equal(r.status, 429);
    assert_string_equal(r.retry_after, "2");
    mer_test_response_free(&r);
    struct timespec ts = {2, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    fetch_one(&s, "/1/0/1.png", &r);
    assert_int_equal(r.status, 200);
    mer_test_response_free(&r);
    char json[4096];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "429"), 1);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_rate_429_retry_after_date(void **state)
{
    mer_test_server s;
    const char *args[] = {"--rate", "0.2", "--burst", "1", "--retry-after-date", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_test_response r;
    fetch_one(&s, "/1/0/0.png", &r);
    assert_int_equal(r.status, 200);
    mer_test_response_free(&r);
    fetch_one(&s, "/1/1/0.png", &r);
    assert_int_equal(r.status, 429);
    time_t now = time(NULL);
    time_t when = curl_getdate(r.retry_after, NULL);
    assert_true(when > 0);
    /* one token takes 5 s; allow for the second boundary and a slow machine */
    assert_true(when >= now + 3 && when <= now + 6);
    mer_test_response_free(&r);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latency_is_concurrent),
        cmocka_unit_test(test_in_flight_bounded_by_client),
        cmocka_unit_test(test_max_concurrent_429),
        cmocka_unit_test(test_jitter_spreads_delays),
        cmocka_unit_test(test_rate_429_retry_after_seconds),
        cmocka_unit_test(test_rate_429_retry_after_date),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
