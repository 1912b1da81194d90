/* Adaptive limits against meridian-tilesim's limiters, with the defaults an
 * unknown server gets (start at 6 connections, no rate limit, ceiling 16):
 * a token bucket that refuses at once without Retry-After, one with
 * Retry-After plus a concurrency limit, load shedding with 503. Every tile
 * arrives (pixels checked) and refusals stay a small share of the requests:
 * counts, never times. Load shedding's Retry-After delays only the refused
 * request, a 429's pauses the host. Then convergence: when the server's rate changes live
 * through /control, the discovered rate follows, up and down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_loader_util.h"

/* A loader with the limits of an unknown server (as core/source.c gives a
 * URL template) but starting at `start` connections, and no disk cache. */
static mer_loader *host_loader(const mer_test_server *s, const char *ext, int start)
{
    mer_source src;
    memset(&src, 0, sizeof src);
    src.kind = MER_SOURCE_URL;
    snprintf(src.id, sizeof src.id, "custom");
    snprintf(src.url, sizeof src.url, "%s/{z}/{x}/{y}.%s", s->base_url, ext);
    src.max_zoom = 19;
    src.tile_px = 256;
    src.max_concurrent = 16;
    src.start_concurrent = start;
    mer_loader_config c;
    mer_loader_config_defaults(&c, &src);
    assert_true(c.adaptive); /* on by default */
    c.decode_workers = 1;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    return l;
}

/* A loader with the limits of an unknown server: 6 connections to start. */
static mer_loader *unknown_host_loader(const mer_test_server *s, const char *ext)
{
    return host_loader(s, ext, 6);
}

/* Starts tilesim without limits, has it render the test grid once (so its
 * CPU, slow under sanitizers, does not limit the rate instead of its
 * limiter), then sets the limiter live with fresh counters. */
static void start_warm_log(mer_test_server *s, const char *latency, const char *limits, int cols, int rows,
                           const char *log)
{
    const char *args[] = {"--latency", latency, log ? "--log" : NULL, log, NULL};
    assert_true(mer_test_server_start(s, args));
    static char buf[400][96];
    static const char *urls[400];
    int n = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++, n++) {
            snprintf(buf[n], sizeof buf[n], "%s/12/%d/%d.png", s->base_url, 1000 + c, 1500 + r);
            urls[n] = buf[n];
        }
    static mer_test_response resp[400];
    assert_true(mer_test_fetch_many(urls, n, 8, 60000, 0, false, resp));
    for (int i = 0; i < n; i++) {
        assert_int_equal(resp[i].status, 200);
        mer_test_response_free(&resp[i]);
    }
    char q[256];
    snprintf(q, sizeof q, "%s&reset-stats=1", limits);
    assert_true(mer_test_server_control(s, q, NULL, 0));
}

static void start_warm(mer_test_server *s, const char *latency, const char *limits, int cols, int rows)
{
    start_warm_log(s, latency, limits, cols, rows, NULL);
}

/* Loads a cols x rows grid; asserts every tile arrived with its own pixels. */
static void load_all(mer_loader *l, int cols, int rows, mer_loader_stats *st)
{
    static mer_want_tile w[400];
    size_t n = tl_grid(w, 12, 1000, 1500, cols, rows);
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 240), n);
    for (size_t i = 0; i < col.n; i++) {
        if (col.got[i].status != MER_TILE_OK || !col.got[i].pixels_match)
            fprintf(stderr, "tile %d/%d/%d: status %d, %s\n", col.got[i].id.z, col.got[i].id.x,
                    col.got[i].id.y, (int)col.got[i].status, col.got[i].reason);
        assert_int_equal(col.got[i].status, MER_TILE_OK);
        assert_true(col.got[i].pixels_match);
    }
    tl_final_stats(l, &col, st);
    assert_int_equal(st->tiles_failed, 0);
    printf("# %llu requests, %llu refused (%llu lowered a limit); cap %d, rate %.1f/s\n",
           (unsigned long long)st->requests, (unsigned long long)st->throttled,
           (unsigned long long)st->limit_decreases, st->cap, st->rate);
}

/* A token bucket of 20/s and burst 5 that answers a bare 429 at once (the
 * common reverse-proxy limiter): the rate is found from what the server
 * accepted between refusals, not by halving on each one. */
static void test_bucket_without_retry_after(void **state)
{
    (void)state;
    mer_test_server s;
    start_warm(&s, "50", "rate=20&burst=5&no-retry-after=1", 10, 8);
    mer_loader *l = unknown_host_loader(&s, "png");
    mer_loader_stats st;
    load_all(l, 10, 8, &st);
    assert_true(st.throttled >= 1);              /* the limit really was met */
    assert_true(st.throttled * 10 <= st.requests); /* and mostly respected: at most 10 % */
    assert_true(st.rate > 0 && st.rate <= 25);   /* a rate was found near the server's */
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* 20/s burst 20 and at most 8 in flight, refusals with Retry-After: 1. */
static void test_bucket_with_retry_after(void **state)
{
    (void)state;
    mer_test_server s;
    start_warm(&s, "50", "rate=20&burst=20&max-concurrent=8", 10, 8);
    mer_loader *l = unknown_host_loader(&s, "png");
    mer_loader_stats st;
    load_all(l, 10, 8, &st);
    assert_true(st.throttled * 10 <= st.requests);
    assert_true(st.paused_total_ms > 0 || st.throttled == 0); /* Retry-After paused the host */
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* Load shedding past 3 in flight (503 + Retry-After): the refusals track the
 * number in flight, so the cap comes down to 3 and the rate is left alone. */
static void test_overload_lowers_cap(void **state)
{
    (void)state;
    mer_test_server s;
    start_warm(&s, "100", "overload=3", 6, 5);
    mer_loader *l = unknown_host_loader(&s, "png");
    mer_loader_stats st;
    load_all(l, 6, 5, &st);
    assert_true(st.status_5xx >= 1);
    assert_true(st.cap <= 3);
    assert_true(st.throttled * 5 <= st.requests);
    char json[2048];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_true(mer_test_json_int(json, "max_in_flight") <= 16);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* A tile request in a tilesim --log file. */
typedef struct sim_line {
    double start, end;
    int status;
    char path[64];
} sim_line;

/* Reads the tile lines of a tilesim --log file (after the first `skip`). */
static int read_sim_log(const char *path, int skip, sim_line *out, int max)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[1024];
    int n = 0, seen = 0;
    while (n < max && fgets(buf, sizeof buf, f)) {
        sim_line l;
        const char *p = strstr(buf, " path=");
        if (sscanf(buf, "start_ms=%lf end_ms=%lf conn=%*u status=%d", &l.start, &l.end, &l.status) != 3 || !p ||
            !strstr(buf, ".png"))
            continue;
        if (seen++ < skip)
            continue;
        snprintf(l.path, sizeof l.path, "%s", p + 6);
        l.path[strcspn(l.path, "\n")] = '\0';
        out[n++] = l;
    }
    fclose(f);
    return n;
}

/* Load shedding (503 + Retry-After: 1 past 2 in flight) against a loader
 * that starts at 2 connections: the slow start's first wave of 3 is the
 * first time more than 2 are in flight, so whatever a loaded machine does to
 * the timing, no success can have proven more than 2 and the refusal tracks
 * the number in flight. It lowers the cap, and its Retry-After delays only
 * the refused request: the host is never paused (no ready tile ever waited
 * on a pause), and the server saw each refused tile asked again no sooner
 * than a second later. */
static void test_shedding_delays_only_the_refused(void **state)
{
    (void)state;
    char log[] = "/tmp/mer_limits_log_XXXXXX";
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    close(fd);
    mer_test_server s;
    start_warm_log(&s, "400", "overload=2", 5, 4, log);
    static sim_line lines[400];
    int warm = read_sim_log(log, 0, lines, 400); /* the untimed warm-up */
    mer_loader *l = host_loader(&s, "png", 2);
    mer_loader_stats st;
    load_all(l, 5, 4, &st);
    printf("# %llu answered 503, %llu delayed only themselves, paused %.0f ms\n",
           (unsigned long long)st.status_5xx, (unsigned long long)st.shed_delayed, st.paused_total_ms);
    assert_true(st.status_5xx >= 1);
    assert_true(st.shed_delayed >= 1);
    assert_true(st.paused_total_ms == 0); /* nothing ever waited on a host pause */
    assert_true(st.cap <= 2);
    assert_true(st.throttled * 5 <= st.requests);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
    int n = read_sim_log(log, warm, lines, 400);
    int refused = 0;
    for (int i = 0; i < n; i++) {
        if (lines[i].status != 503)
            continue;
        refused++;
        /* the same tile's next request: not before its Retry-After */
        int next = -1;
        for (int j = 0; j < n; j++)
            if (j != i && lines[j].start >= lines[i].start && !strcmp(lines[j].path, lines[i].path) &&
                (next < 0 || lines[j].start < lines[next].start))
                next = j;
        assert_true(next >= 0);
        assert_true(lines[next].start >= lines[i].end + 1000.0);
    }
    assert_int_equal(refused, (int)st.status_5xx);
    unlink(log);
}

/* The same server refusing with 429 + Retry-After: 1 past 2 in flight: a
 * 429 says "too many requests" to this client, so its Retry-After pauses
 * every request to the host, whatever the refusals track. */
static void test_rate_refusal_pauses_the_host(void **state)
{
    (void)state;
    mer_test_server s;
    start_warm(&s, "400", "max-concurrent=2", 5, 4);
    mer_loader *l = host_loader(&s, "png", 2);
    mer_loader_stats st;
    load_all(l, 5, 4, &st);
    assert_true(st.status_429 >= 1);
    assert_true(st.paused_total_ms > 0); /* queued tiles waited on the pause */
    assert_int_equal(st.shed_delayed, 0);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* Polls the stats until pred holds or a generous deadline passes (it only
 * guards against hanging: nothing here depends on how fast it converges). */
typedef bool (*stats_pred)(const mer_loader_stats *st, double arg);

static bool wait_stats(mer_loader *l, collector *col, stats_pred pred, double arg, mer_loader_stats *st)
{
    double end = tl_now_ms() + 90000;
    while (tl_now_ms() < end) {
        tl_collect(l, col, SIZE_MAX, 0.05);
        mer_loader_get_stats(l, st);
        if (pred(st, arg))
            return true;
    }
    return false;
}

static bool rate_between(const mer_loader_stats *st, double lo)
{
    return st->limit_decreases > 0 && st->rate >= lo && st->rate <= lo * 1.6;
}

static bool rate_above(const mer_loader_stats *st, double lo)
{
    return st->rate > lo;
}

static bool rate_below(const mer_loader_stats *st, double hi)
{
    return st->rate > 0 && st->rate < hi;
}

/* Convergence: tilesim answers 404s (cheap: no rendering) from a bare-429
 * bucket. The discovered rate settles near 10/s; the server moves to 40/s
 * and the rate follows up; it moves to 4/s and the rate follows down. */
static void test_rate_follows_live_changes(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--rate", "10", "--burst", "3", "--no-retry-after", "--max-zoom", "0", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_loader *l = unknown_host_loader(&s, "png");
    /* far more tiles than any phase needs: the loader always has work */
    static mer_want_tile w[60 * 60];
    size_t n = tl_grid(w, 12, 0, 0, 60, 60);
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    mer_loader_stats st;
    assert_true(wait_stats(l, &col, rate_between, 6.0, &st));
    printf("# server 10/s: discovered %.1f/s\n", st.rate);
    assert_true(st.rate < 11);

    assert_true(mer_test_server_control(&s, "rate=40&burst=3", NULL, 0));
    assert_true(wait_stats(l, &col, rate_above, 25.0, &st));
    printf("# server 40/s: discovered %.1f/s\n", st.rate);

    assert_true(mer_test_server_control(&s, "rate=4&burst=3", NULL, 0));
    uint64_t before = st.limit_decreases;
    assert_true(wait_stats(l, &col, rate_below, 6.0, &st));
    printf("# server 4/s: discovered %.1f/s\n", st.rate);
    assert_true(st.limit_decreases > before);
    assert_true(st.rate > 1.0);
    assert_int_equal(st.tiles_failed, 0);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* The summary note: a limit at its ceiling that held tiles back is named
 * with the option that lifts it; a discovered limit (the server's) or a
 * short wait is not. */
static void test_limit_note(void **state)
{
    (void)state;
    mer_loader_stats st;
    memset(&st, 0, sizeof st);
    char note[256];
    st.rate_max = 10;
    st.cap_max = 2;
    st.ceiling_rate_ms = 900;
    mer_loader_limit_note(&st, 1000, note, sizeof note);
    assert_non_null(strstr(note, "10 requests/s"));
    assert_non_null(strstr(note, "--rate"));
    st.ceiling_rate_ms = 100;
    st.ceiling_cap_ms = 500;
    mer_loader_limit_note(&st, 1000, note, sizeof note);
    assert_non_null(strstr(note, "2 requests in flight"));
    assert_non_null(strstr(note, "--max-concurrent"));
    st.ceiling_cap_ms = 150; /* under a fifth of the time */
    st.limited_rate_ms = 900; /* a discovered rate: the server's, not ours to lift */
    mer_loader_limit_note(&st, 1000, note, sizeof note);
    assert_string_equal(note, "");

    /* for real: a 5/s ceiling on an open server holds 20 tiles back */
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    mer_loader_config c;
    tl_config(&c, &s, 6);
    c.rate = 5;
    c.burst = 1;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[20];
    size_t n = tl_grid(w, 9, 100, 100, 5, 4);
    double t0 = tl_now_ms();
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 120), n);
    double wall = tl_now_ms() - t0;
    tl_final_stats(l, &col, &st);
    mer_loader_limit_note(&st, wall, note, sizeof note);
    printf("# %s\n", note);
    assert_non_null(strstr(note, "5 requests/s"));
    assert_int_equal(st.throttled, 0);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_without_retry_after),
        cmocka_unit_test(test_bucket_with_retry_after),
        cmocka_unit_test(test_overload_lowers_cap),
        cmocka_unit_test(test_shedding_delays_only_the_refused),
        cmocka_unit_test(test_rate_refusal_pauses_the_host),
        cmocka_unit_test(test_rate_follows_live_changes),
        cmocka_unit_test(test_limit_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
