/* The loader's pure parts: HTTP verdicts, full-jitter backoff bounds,
 * Retry-After in seconds and as an HTTP date, the token bucket, AIMD, and the
 * scheduler's ordering and want reconciliation. No threads, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "net/policy.h"
#include "net/sched.h"

static void test_classify(void **state)
{
    (void)state;
    assert_int_equal(mer_http_classify(CURLE_OK, 200), MER_V_OK);
    assert_int_equal(mer_http_classify(CURLE_OK, 304), MER_V_NOT_MODIFIED);
    assert_int_equal(mer_http_classify(CURLE_OK, 404), MER_V_EMPTY);
    assert_int_equal(mer_http_classify(CURLE_OK, 429), MER_V_THROTTLED);
    assert_int_equal(mer_http_classify(CURLE_OK, 503), MER_V_THROTTLED);
    assert_int_equal(mer_http_classify(CURLE_OK, 500), MER_V_RETRY);
    assert_int_equal(mer_http_classify(CURLE_OK, 502), MER_V_RETRY);
    assert_int_equal(mer_http_classify(CURLE_OK, 403), MER_V_FAIL);
    assert_int_equal(mer_http_classify(CURLE_OK, 400), MER_V_FAIL);
    assert_int_equal(mer_http_classify(CURLE_OPERATION_TIMEDOUT, 0), MER_V_RETRY);
    assert_int_equal(mer_http_classify(CURLE_RECV_ERROR, 0), MER_V_RETRY);
    assert_int_equal(mer_http_classify(CURLE_PARTIAL_FILE, 0), MER_V_RETRY);
    assert_int_equal(mer_http_classify(CURLE_COULDNT_CONNECT, 0), MER_V_RETRY);
    assert_int_equal(mer_http_classify(CURLE_FILESIZE_EXCEEDED, 0), MER_V_RETRY);
    assert_int_equal(mer_http_classify(CURLE_UNSUPPORTED_PROTOCOL, 0), MER_V_FAIL);
    assert_int_equal(mer_http_classify(CURLE_TOO_MANY_REDIRECTS, 0), MER_V_FAIL);
}

static void test_backoff(void **state)
{
    (void)state;
    /* Full jitter: [0, min(cap, base*2^(n-1))), scaled by the uniform sample. */
    assert_true(mer_backoff_ms(1, 250, 30000, 0.0) == 0.0);
    assert_true(mer_backoff_ms(1, 250, 30000, 0.5) == 125.0);
    assert_true(mer_backoff_ms(3, 250, 30000, 0.5) == 500.0);
    assert_true(mer_backoff_ms(3, 250, 30000, 0.999) < 1000.0);
    assert_true(mer_backoff_ms(20, 250, 30000, 0.5) == 15000.0); /* capped */
    assert_true(mer_backoff_ms(1000, 250, 30000, 0.999) < 30000.0);
    assert_true(mer_backoff_ms(0, 250, 30000, 2.0) < 250.0); /* bad inputs clamp */
    for (int n = 1; n < 64; n++) {
        double prev = mer_backoff_ms(n, 250, 30000, 0.9);
        assert_true(prev >= 0 && prev <= 30000);
    }
}

static void test_retry_after(void **state)
{
    (void)state;
    double s;
    time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
    assert_true(mer_retry_after_parse("120", now, &s));
    assert_true(s == 120.0);
    assert_true(mer_retry_after_parse(" 0 ", now, &s));
    assert_true(s == 0.0);
    assert_true(mer_retry_after_parse("Tue, 14 Nov 2023 22:13:50 GMT", now, &s));
    assert_true(s == 30.0);
    /* A date in the past means "now". */
    assert_true(mer_retry_after_parse("Tue, 14 Nov 2023 22:00:00 GMT", now, &s));
    assert_true(s == 0.0);
    /* Absurd values are clamped. */
    assert_true(mer_retry_after_parse("99999999999999999999", now, &s));
    assert_true(s == MER_RETRY_AFTER_MAX_S);
    assert_true(mer_retry_after_parse("Fri, 01 Jan 2100 00:00:00 GMT", now, &s));
    assert_true(s == MER_RETRY_AFTER_MAX_S);
    assert_false(mer_retry_after_parse("", now, &s));
    assert_false(mer_retry_after_parse("soon", now, &s));
    assert_false(mer_retry_after_parse("12abc", now, &s));
    assert_false(mer_retry_after_parse("-5", now, &s));
    assert_false(mer_retry_after_parse(NULL, now, &s));
}

static void test_bucket(void **state)
{
    (void)state;
    mer_bucket b;
    mer_bucket_init(&b, 10, 5, 0);
    for (int i = 0; i < 5; i++)
        assert_true(mer_bucket_take(&b, 0)); /* starts full: the burst */
    assert_false(mer_bucket_take(&b, 0));
    assert_true(mer_bucket_wait_ms(&b, 0) > 99.0 && mer_bucket_wait_ms(&b, 0) < 101.0);
    assert_false(mer_bucket_take(&b, 50));
    assert_true(mer_bucket_take(&b, 100)); /* 10/s: one token per 100 ms */
    assert_false(mer_bucket_take(&b, 100));
    /* Never more than the burst, however long it idles. */
    int n = 0;
    while (mer_bucket_take(&b, 100000))
        n++;
    assert_int_equal(n, 5);
    /* Unlimited. */
    mer_bucket_init(&b, 0, 1, 0);
    for (int i = 0; i < 1000; i++)
        assert_true(mer_bucket_take(&b, 0));
    assert_true(mer_bucket_wait_ms(&b, 0) == 0);
    /* Live change keeps the fill, clamped. */
    mer_bucket_init(&b, 10, 10, 0);
    mer_bucket_set(&b, 2, 3, 0);
    n = 0;
    while (mer_bucket_take(&b, 0))
        n++;
    assert_int_equal(n, 3);
}

static void test_aimd(void **state)
{
    (void)state;
    mer_aimd a;
    mer_aimd_init(&a, 16);
    assert_int_equal(a.cap, 16);
    mer_aimd_throttled(&a);
    assert_int_equal(a.cap, 8);
    mer_aimd_throttled(&a);
    mer_aimd_throttled(&a);
    mer_aimd_throttled(&a);
    mer_aimd_throttled(&a);
    assert_int_equal(a.cap, 1); /* never below 1 */
    mer_aimd_success(&a);
    assert_int_equal(a.cap, 2); /* a run of `cap` successes: +1 */
    mer_aimd_success(&a);
    assert_int_equal(a.cap, 2);
    mer_aimd_success(&a);
    assert_int_equal(a.cap, 3);
    for (int i = 0; i < 1000; i++)
        mer_aimd_success(&a);
    assert_int_equal(a.cap, 16); /* never above the maximum */
    mer_aimd_set_max(&a, 4);
    assert_int_equal(a.cap, 4);
}

/* ---- scheduler ---- */

typedef struct hook_log {
    int added, dropped, dropped_in_flight;
} hook_log;

static void on_added(void *ud, mer_sched_entry *e)
{
    ((hook_log *)ud)->added++;
    (void)e;
}

static void on_dropped(void *ud, mer_sched_entry *e)
{
    hook_log *h = ud;
    h->dropped++;
    h->dropped_in_flight += e->state == MER_TS_IN_FLIGHT;
}

static mer_want_tile wt(int z, int x, int y, int prio)
{
    mer_want_tile w = {{z, x, y}, prio};
    return w;
}

static void test_sched_order(void **state)
{
    (void)state;
    mer_sched *s = mer_sched_create();
    hook_log h = {0};
    mer_sched_hooks hooks = {on_dropped, on_added, &h};
    mer_want_tile w[] = {wt(5, 1, 1, 3), wt(5, 2, 2, 1), wt(5, 3, 3, 2), wt(5, 4, 4, 1),
                         wt(5, 2, 2, 0) /* duplicate: ignored */, wt(5, 99, 0, 0) /* invalid */};
    mer_sched_want(s, 1, w, 6, &hooks);
    assert_int_equal(h.added, 4);
    assert_int_equal(mer_sched_count(s), 4);
    /* Lowest priority first; ties in list order. */
    int expect_x[] = {2, 4, 3, 1};
    for (int i = 0; i < 4; i++) {
        mer_sched_entry *e = mer_sched_next(s, 0);
        assert_non_null(e);
        assert_int_equal(e->id.x, expect_x[i]);
        e->state = MER_TS_IN_FLIGHT;
    }
    assert_null(mer_sched_next(s, 0));
    assert_int_equal(mer_sched_outstanding(s), 4);
    mer_sched_destroy(s);
}

static void test_sched_reconcile(void **state)
{
    (void)state;
    mer_sched *s = mer_sched_create();
    hook_log h = {0};
    mer_sched_hooks hooks = {on_dropped, on_added, &h};
    mer_want_tile w1[] = {wt(3, 0, 0, 0), wt(3, 1, 0, 1), wt(3, 2, 0, 2), wt(3, 3, 0, 3)};
    mer_sched_want(s, 1, w1, 4, &hooks);
    mer_sched_entry *a = mer_sched_next(s, 0); /* 3/0/0 */
    a->state = MER_TS_IN_FLIGHT;
    mer_sched_entry *b = mer_sched_next(s, 0); /* 3/1/0 */
    b->state = MER_TS_IN_FLIGHT;
    uint64_t serial_b = b->serial;
    /* New want: keeps 3/1/0 (in flight, now last), drops 3/0/0 (in flight) and
     * 3/3/0 (queued), adds two with better priority. */
    mer_want_tile w2[] = {wt(3, 5, 5, 0), wt(3, 6, 6, 0), wt(3, 2, 0, 1), wt(3, 1, 0, 9)};
    mer_sched_want(s, 2, w2, 4, &hooks);
    assert_int_equal(h.added, 6);
    assert_int_equal(h.dropped, 2);
    assert_int_equal(h.dropped_in_flight, 1);
    assert_int_equal(mer_sched_count(s), 4);
    mer_sched_entry *kept = mer_sched_find(s, (mer_tile_id){3, 1, 0});
    assert_non_null(kept);
    assert_int_equal(kept->state, MER_TS_IN_FLIGHT); /* keeps its transfer */
    assert_int_equal(kept->serial, serial_b);
    assert_int_equal(kept->priority, 9);
    assert_int_equal(kept->generation, 2);
    assert_null(mer_sched_find(s, (mer_tile_id){3, 0, 0}));
    /* New tiles come first now. */
    assert_int_equal(mer_sched_next(s, 0)->id.x, 5);
    mer_sched_number_queue(s);
    assert_int_equal(mer_sched_find(s, (mer_tile_id){3, 6, 6})->queue_pos, 1);
    assert_int_equal(mer_sched_find(s, (mer_tile_id){3, 2, 0})->queue_pos, 2);
    /* An empty want drops everything. */
    mer_sched_want(s, 3, NULL, 0, &hooks);
    assert_int_equal(mer_sched_count(s), 0);
    mer_sched_destroy(s);
}

static void test_sched_retry_wait(void **state)
{
    (void)state;
    mer_sched *s = mer_sched_create();
    mer_want_tile w[] = {wt(2, 0, 0, 0), wt(2, 1, 1, 5)};
    mer_sched_want(s, 1, w, 2, NULL);
    mer_sched_entry *e = mer_sched_next(s, 0);
    e->state = MER_TS_RETRY_WAIT;
    e->t_ready_ms = 1000;
    /* Waiting tiles are skipped until their time comes, then win on priority. */
    assert_int_equal(mer_sched_next(s, 500)->id.x, 1);
    assert_true(mer_sched_next_retry_ms(s) == 1000);
    assert_int_equal(mer_sched_next(s, 1000)->id.x, 0);
    mer_sched_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),     cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_retry_after),  cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_aimd),         cmocka_unit_test(test_sched_order),
        cmocka_unit_test(test_sched_reconcile), cmocka_unit_test(test_sched_retry_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
