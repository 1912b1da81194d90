/* The loader against meridian-tilesim on an ephemeral port: tiles decode to
 * the ids they were delivered as; the server never sees more in flight than
 * the cap; rate limits with Retry-After (seconds and HTTP date) and 503s end
 * with every tile delivered; 404 is an empty tile; a replacing want cancels
 * dropped transfers (the server logs them aborted) and serves new tiles
 * first; offline mode never touches the network; live limits and adaptive
 * concurrency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/policy.h"
#include "net/xfer.h"
#include "support/server_fixture.h"
#include "test_loader_util.h"

static void check_all_ok(const collector *col, size_t n)
{
    assert_int_equal(col->finals, n);
    for (size_t i = 0; i < col->n; i++) {
        const got_tile *g = &col->got[i];
        if (g->status != MER_TILE_OK || !g->pixels_match)
            fail_msg("tile %d/%d/%d: status %d pixels_match %d reason '%s'", g->id.z, g->id.x, g->id.y,
                     g->status, g->pixels_match, g->reason);
    }
}

static void test_grid_and_cap(void **state)
{
    (void)state;
    const mer_test_server *s = mer_test_shared_server("latency=30&jitter=30");
    assert_non_null(s);
    mer_loader_config c;
    tl_config(&c, s, 4);
    char err[256];
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    assert_non_null(l);
    mer_want_tile w[64];
    size_t n = tl_grid(w, 9, 100, 200, 6, 6);
    mer_loader_want(l, 1, w, n);
    assert_false(mer_loader_idle(l)); /* a want just posted is work */
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 60), n);
    check_all_ok(&col, n);
    assert_true(tl_wait_idle(l, &col, 10));
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, n);
    assert_int_equal(st.status_200, n);
    assert_int_equal(st.tiles_ok, n);
    assert_int_equal(st.tiles_failed, 0);
    assert_true(st.max_in_flight <= 4 && st.max_in_flight >= 2);
    assert_true(st.bytes > n * 100);
    assert_true(st.latency_p50_ms >= 30);
    char json[1024];
    assert_true(mer_test_server_get_stats(s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "requests"), (long)n);
    long max_in_flight = mer_test_json_int(json, "max_in_flight");
    assert_true(max_in_flight >= 1 && max_in_flight <= 4);
    /* Keep-alive: far fewer connections than requests. */
    assert_true(st.connections <= 8);
    mer_loader_destroy(l);
}

static void run_rate_limited(bool date)
{
    mer_test_server s;
    const char *args[] = {"--rate", "10", "--burst", "5", date ? "--retry-after-date" : NULL, NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_loader_config c;
    tl_config(&c, &s, 6);
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[64];
    size_t n = tl_grid(w, 10, 300, 300, 6, 4);
    mer_loader_want(l, 7, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    /* While it loads, the host pause shows in the stats and the tile states. */
    bool saw_pause = false, saw_paused_tile = false;
    double end = tl_now_ms() + 90000;
    mer_loader_stats st;
    mer_tile_state_info info[64];
    while (col.finals < n && tl_now_ms() < end) {
        tl_collect(l, &col, n, 0.02);
        mer_loader_get_stats(l, &st);
        saw_pause |= st.paused_ms > 0;
        size_t k = mer_loader_get_tile_states(l, info, 64);
        for (size_t i = 0; i < k; i++)
            saw_paused_tile |= info[i].state == MER_TS_PAUSED && info[i].wait_ms > 0;
    }
    assert_int_equal(col.finals, n);
    check_all_ok(&col, n);
    assert_true(saw_pause);
    assert_true(saw_paused_tile);
    tl_final_stats(l, &col, &st);
    assert_int_equal(st.tiles_failed, 0);
    assert_true(st.status_429 > 0); /* the limit really was hit */
    assert_true(st.retries >= st.status_429);
    assert_true(st.max_in_flight <= 6);
    char json[1024];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_true(mer_test_json_int(json, "max_in_flight") <= 6);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_rate_limit_retry_after(void **state)
{
    (void)state;
    run_rate_limited(false);
}

static void test_rate_limit_retry_after_date(void **state)
{
    (void)state;
    run_rate_limited(true);
}

static void test_503_retried(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--fail-rate", "0.3", "--seed", "7", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_loader_config c;
    tl_config(&c, &s, 6);
    c.max_tries = 8;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[64];
    size_t n = tl_grid(w, 8, 10, 10, 4, 4);
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 90), n);
    check_all_ok(&col, n);
    mer_loader_stats st;
    tl_final_stats(l, &col, &st);
    assert_true(st.status_5xx > 0);
    assert_true(st.retries >= st.status_5xx);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_404_is_empty(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--max-zoom", "5", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_loader_config c;
    tl_config(&c, &s, 4);
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[] = {{{6, 1, 1}, 0}, {{7, 2, 2}, 1}, {{5, 3, 3}, 2}};
    mer_loader_want(l, 1, w, 3);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, 3, 30), 3);
    assert_int_equal(tl_count(&col, MER_TILE_EMPTY), 2);
    assert_int_equal(tl_count(&col, MER_TILE_OK), 1);
    for (size_t i = 0; i < col.n; i++)
        if (col.got[i].status == MER_TILE_EMPTY)
            assert_int_equal(col.got[i].http_status, 404);
    mer_loader_stats st;
    tl_final_stats(l, &col, &st);
    assert_int_equal(st.status_404, 2);
    assert_int_equal(st.tiles_empty, 2);
    assert_int_equal(st.requests, 3); /* no retries for a 404 */
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static bool wait_in_flight(mer_loader *l, int n, double deadline_s)
{
    double end = tl_now_ms() + deadline_s * 1000;
    mer_loader_stats st;
    do {
        mer_loader_get_stats(l, &st);
        if (st.in_flight == n)
            return true;
        usleep(2000);
    } while (tl_now_ms() < end);
    return false;
}

/* Counts "aborted=1" lines for the given path in the tilesim log. */
static int count_aborted(const char *log, const char *path)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return -1;
    char line[512], want[80];
    snprintf(want, sizeof want, "path=%s\n", path);
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, "aborted=1") && strstr(line, want);
    fclose(f);
    return n;
}

static void test_replacing_want_cancels(void **state)
{
    (void)state;
    char log[] = "/tmp/mer_loader_log_XXXXXX";
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    close(fd);
    mer_test_server s;
    const char *args[] = {"--latency", "1500", "--log", log, NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_loader_config c;
    tl_config(&c, &s, 4);
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    /* A: 12 tiles; the first 4 go in flight, 8 wait. */
    mer_want_tile a[12];
    size_t na = tl_grid(a, 12, 1000, 1000, 12, 1);
    mer_loader_want(l, 1, a, na);
    assert_true(wait_in_flight(l, 4, 10));
    /* B: 4 new tiles first, then A's last 4 (never started) at a lower priority. */
    mer_want_tile b[8];
    tl_grid(b, 12, 2000, 2000, 4, 1);
    for (int i = 0; i < 4; i++)
        b[4 + i] = (mer_want_tile){a[8 + i].id, 100 + i};
    mer_loader_want(l, 2, b, 8);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, 8, 60), 8);
    for (size_t i = 0; i < 8; i++) {
        const got_tile *g = &col.got[i];
        assert_int_equal(g->status, MER_TILE_OK);
        assert_true(g->pixels_match);
        if (i < 4)
            assert_int_equal(g->id.x / 1000, 2); /* new tiles arrive first */
        else
            assert_true(g->id.x >= 1008);        /* then the kept queued ones */
    }
    assert_true(tl_wait_idle(l, &col, 10));
    assert_int_equal(col.n, 8); /* nothing from the dropped tiles */
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.cancelled, 4);
    assert_int_equal(st.dropped, 4);
    assert_int_equal(st.requests, 12);
    /* The server saw the four cancelled requests end early. */
    char json[1024];
    double end = tl_now_ms() + 10000;
    long aborted = 0;
    while (tl_now_ms() < end && aborted < 4) {
        assert_true(mer_test_server_get_stats(&s, json, sizeof json));
        aborted = mer_test_json_int(json, "aborted");
        if (aborted < 4)
            usleep(10000);
    }
    assert_int_equal(aborted, 4);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
    for (int i = 0; i < 4; i++) {
        char path[64];
        snprintf(path, sizeof path, "/12/%d/1000.png", 1000 + i);
        assert_int_equal(count_aborted(log, path), 1);
    }
    if (!getenv("MER_KEEP_TEST_DIRS")) /* one switch keeps every test file */
        unlink(log);
}

static void test_offline_never_networks(void **state)
{
    (void)state;
    /* No server at all; a source nobody listens on. */
    mer_loader_config c;
    tl_config(&c, NULL, 4);
    c.offline = true;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[16];
    size_t n = tl_grid(w, 5, 0, 0, 4, 4);
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 10), n);
    assert_int_equal(tl_count(&col, MER_TILE_NOT_CACHED), n);
    assert_true(tl_wait_idle(l, &col, 10));
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_true(st.offline);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.connections, 0);
    assert_int_equal(st.tiles_not_cached, n);
    mer_loader_destroy(l);
}

static void test_unreachable_fails_with_reason(void **state)
{
    (void)state;
    mer_loader_config c;
    tl_config(&c, NULL, 2); /* 127.0.0.1:9: connection refused */
    c.max_tries = 2;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[] = {{{3, 1, 1}, 0}, {{3, 2, 2}, 0}};
    mer_loader_want(l, 1, w, 2);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, 2, 30), 2);
    assert_int_equal(tl_count(&col, MER_TILE_FAILED), 2);
    for (size_t i = 0; i < col.n; i++)
        assert_non_null(strstr(col.got[i].reason, "after 2 tries"));
    mer_tile_state_info info[8];
    size_t k = mer_loader_get_tile_states(l, info, 8);
    /* The overlay snapshot catches up within a publish period. */
    double end = tl_now_ms() + 5000;
    while ((k != 2 || info[0].state != MER_TS_FAILED || info[1].state != MER_TS_FAILED) && tl_now_ms() < end) {
        usleep(5000);
        k = mer_loader_get_tile_states(l, info, 8);
    }
    assert_int_equal(k, 2);
    assert_int_equal(info[0].state, MER_TS_FAILED);
    assert_string_equal(info[0].code, "CON");
    mer_loader_stats st;
    tl_final_stats(l, &col, &st);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.transport_errors, 4);
    assert_int_equal(st.tiles_failed, 2);
    mer_loader_destroy(l);
}

static void test_states_and_live_limits(void **state)
{
    (void)state;
    const mer_test_server *s = mer_test_shared_server("latency=400");
    assert_non_null(s);
    mer_loader_config c;
    tl_config(&c, s, 3);
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[16];
    size_t n = tl_grid(w, 11, 500, 500, 4, 4);
    mer_loader_want(l, 1, w, n);
    assert_true(wait_in_flight(l, 3, 10));
    /* The overlay sees 3 in flight and the rest queued, numbered from 0. */
    mer_tile_state_info info[32];
    size_t k = 0;
    int in_flight = 0, queued = 0, first_pos = -1;
    double end = tl_now_ms() + 5000;
    do {
        k = mer_loader_get_tile_states(l, info, 32);
        in_flight = queued = 0;
        for (size_t i = 0; i < k; i++) {
            in_flight += info[i].state == MER_TS_IN_FLIGHT;
            queued += info[i].state == MER_TS_QUEUED;
            if (info[i].state == MER_TS_QUEUED && info[i].queue_pos == 0)
                first_pos = (int)i;
        }
    } while ((in_flight != 3 || queued != 13) && tl_now_ms() < end && (usleep(2000), 1));
    assert_int_equal(k, n);
    assert_int_equal(in_flight, 3);
    assert_int_equal(queued, 13);
    assert_true(first_pos >= 0);
    assert_int_equal(info[first_pos].id.x, 503); /* priority order: the 4th tile is next */
    /* Live controls: a cap of 1 and a token bucket. */
    mer_loader_set_limits(l, 1, 20, 2);
    mer_loader_set_adaptive(l, true);
    mer_loader_stats st;
    end = tl_now_ms() + 5000;
    do {
        mer_loader_get_stats(l, &st);
    } while ((st.cap != 1 || !st.adaptive) && tl_now_ms() < end && (usleep(2000), 1));
    assert_int_equal(st.cap, 1);
    assert_int_equal(st.cap_max, 1);
    assert_true(st.adaptive);
    assert_true(st.rate == 20.0);
    assert_int_equal(st.burst, 2);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 60), n);
    check_all_ok(&col, n);
    mer_loader_destroy(l);
}

static void test_adaptive_finds_server_limit(void **state)
{
    (void)state;
    const mer_test_server *s = mer_test_shared_server("max-concurrent=2&latency=50");
    assert_non_null(s);
    mer_loader_config c;
    tl_config(&c, s, 16);
    c.adaptive = true;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[64];
    size_t n = tl_grid(w, 10, 40, 40, 6, 5);
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 90), n);
    check_all_ok(&col, n);
    mer_loader_stats st;
    tl_final_stats(l, &col, &st);
    assert_true(st.status_429 > 0);
    assert_true(st.cap < 16); /* it backed off from the configured 16 */
    assert_int_equal(st.cap_max, 16);
    mer_loader_destroy(l);
}

static void test_rewant_after_delivery(void **state)
{
    (void)state;
    const mer_test_server *s = mer_test_shared_server(NULL);
    assert_non_null(s);
    mer_loader_config c;
    tl_config(&c, s, 2);
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[] = {{{6, 3, 3}, 0}};
    static collector col;
    memset(&col, 0, sizeof col);
    /* The loader's window starts when it delivered the tile, some time after
     * this want and before the client collects it (maybe much later on a
     * loaded machine): the want is the bound that holds whatever the timing. */
    double t_wanted = tl_now_ms();
    mer_loader_want(l, 1, w, 1);
    assert_int_equal(tl_collect(l, &col, 1, 30), 1);
    /* Listed again at once (the client has not uploaded it yet): no new request. */
    mer_loader_want(l, 2, w, 1);
    assert_true(tl_wait_idle(l, &col, 10));
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, 1);
    assert_int_equal(col.finals, 1);
    /* Still listed after the re-delivery window: the client lacks it again. */
    double end = tl_now_ms() + 15000;
    while (col.finals < 2 && tl_now_ms() < end) {
        mer_loader_want(l, 3, w, 1);
        tl_collect(l, &col, 2, 0.1);
    }
    assert_int_equal(col.finals, 2);
    assert_true(tl_now_ms() - t_wanted >= 2000);
    assert_true(col.got[1].pixels_match);
    mer_loader_destroy(l);
}

/* WebP (libwebp) and JPEG (SDL_image) tiles decode to the right ids too; the
 * format is found from the bytes, whatever the URL says. */
static void test_webp_and_jpeg(void **state)
{
    (void)state;
    const mer_test_server *s = mer_test_shared_server(NULL);
    assert_non_null(s);
    const char *ext[] = {"webp", "jpg"};
    for (int k = 0; k < 2; k++) {
        mer_loader_config c;
        tl_config(&c, s, 4);
        snprintf(c.source.url, sizeof c.source.url, "%s/{z}/{x}/{y}.%s", s->base_url, ext[k]);
        mer_loader *l = mer_loader_create(&c, NULL, 0);
        assert_non_null(l);
        mer_want_tile w[8];
        size_t n = tl_grid(w, 7, 11, 22, 3, 2);
        mer_loader_want(l, 1, w, n);
        static collector col;
        memset(&col, 0, sizeof col);
        assert_int_equal(tl_collect(l, &col, n, 30), n);
        check_all_ok(&col, n);
        mer_loader_destroy(l);
    }
}

/* The client's own token bucket keeps it under a server's limit: with a
 * client rate below the server's, the server never has to say 429. */
static void test_client_rate_limit(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--rate", "5", "--burst", "3", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_loader_config c;
    tl_config(&c, &s, 6);
    c.rate = 4;
    c.burst = 2;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[16];
    size_t n = tl_grid(w, 8, 1, 1, 5, 2);
    double t0 = tl_now_ms();
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 60), n);
    check_all_ok(&col, n);
    /* 2 at once, then 4/s: the last of 10 cannot start before 2 s. */
    assert_true(tl_now_ms() - t0 >= 1900);
    mer_loader_stats st;
    tl_final_stats(l, &col, &st);
    assert_int_equal(st.status_429, 0);
    assert_int_equal(st.requests, n);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* The second line of defence against huge bodies: when no Content-Length
 * warns curl (chunked), the write callback cuts the body at the cap. Here the
 * Content-Length check is switched off to exercise the callback alone. */
static void test_xfer_write_cap(void **state)
{
    (void)state;
    const mer_test_server *s = mer_test_shared_server(NULL);
    assert_non_null(s);
    char url[128];
    snprintf(url, sizeof url, "%s/6/20/20.png", s->base_url);
    mer_xfer_limits lim = {2000, 5000, 1000, "Meridian-test", NULL, NULL};
    mer_xfer *x = mer_xfer_create(url, &lim, NULL, NULL, NULL);
    assert_non_null(x);
    curl_easy_setopt(x->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0);
    CURLcode rc = curl_easy_perform(x->easy);
    assert_int_equal(rc, CURLE_WRITE_ERROR);
    assert_true(x->too_big);
    assert_true(x->len <= 1000);
    assert_int_equal(mer_http_classify(rc, 0), MER_V_RETRY);
    mer_xfer_destroy(x);
    /* The same request within the cap succeeds and keeps the whole body. */
    lim.max_body_bytes = 1 << 20;
    x = mer_xfer_create(url, &lim, NULL, NULL, NULL);
    assert_int_equal(curl_easy_perform(x->easy), CURLE_OK);
    assert_false(x->too_big);
    assert_true(x->len > 1000 && x->len == x->received);
    assert_non_null(strstr(x->hdr.etag, "tsim"));
    mer_xfer_destroy(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_and_cap),
        cmocka_unit_test(test_rate_limit_retry_after),
        cmocka_unit_test(test_rate_limit_retry_after_date),
        cmocka_unit_test(test_503_retried),
        cmocka_unit_test(test_404_is_empty),
        cmocka_unit_test(test_replacing_want_cancels),
        cmocka_unit_test(test_offline_never_networks),
        cmocka_unit_test(test_unreachable_fails_with_reason),
        cmocka_unit_test(test_states_and_live_limits),
        cmocka_unit_test(test_adaptive_finds_server_limit),
        cmocka_unit_test(test_rewant_after_delivery),
        cmocka_unit_test(test_webp_and_jpeg),
        cmocka_unit_test(test_client_rate_limit),
        cmocka_unit_test(test_xfer_write_cap),
    };
    if (getenv("MER_TEST_FILTER"))
        cmocka_set_test_filter(getenv("MER_TEST_FILTER"));
    return cmocka_run_group_tests(tests, mer_test_shared_server_setup, mer_test_shared_server_teardown);
}
