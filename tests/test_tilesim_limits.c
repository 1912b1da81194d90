/* meridian-tilesim's limiters, as real servers refuse: a token bucket that
 * refuses at once with or without Retry-After (--no-retry-after), load
 * shedding with 503 + Retry-After (--overload), and each of them changed live
 * through /control. Runs the real binary on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "support/test_server.h"

/* Fetches tiles 5/i/7 for i in [first, first+n) one after the other; counts
 * the statuses seen and how many refusals carried a Retry-After. */
typedef struct tally {
    int ok, n429, n503, with_retry_after;
} tally;

static tally fetch_serial(const mer_test_server *s, int first, int n)
{
    tally t = {0};
    for (int i = first; i < first + n; i++) {
        char url[128];
        snprintf(url, sizeof url, "%s/5/%d/7.png", s->base_url, i);
        mer_test_response r;
        assert_true(mer_test_fetch(url, NULL, 10000, &r));
        t.ok += r.status == 200;
        t.n429 += r.status == 429;
        t.n503 += r.status == 503;
        if (r.status == 429 || r.status == 503)
            t.with_retry_after += r.retry_after[0] != '\0';
        mer_test_response_free(&r);
    }
    return t;
}

/* A bucket of 2 refilled at 0.01/s: two requests pass, the next ones are
 * refused at once; with --no-retry-after the refusals are bare 429s, and
 * turning the header back on through /control adds it to the next ones. */
static void test_bucket_without_retry_after(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--rate", "0.01", "--burst", "2", "--no-retry-after", NULL};
    assert_true(mer_test_server_start(&s, args));
    char json[1024];
    assert_true(mer_test_server_control(&s, "", json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "no-retry-after"), 1);
    tally t = fetch_serial(&s, 0, 5);
    assert_int_equal(t.ok, 2);
    assert_int_equal(t.n429, 3);
    assert_int_equal(t.with_retry_after, 0);

    assert_true(mer_test_server_control(&s, "no-retry-after=0", json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "no-retry-after"), 0);
    t = fetch_serial(&s, 5, 2);
    assert_int_equal(t.n429, 2);
    assert_int_equal(t.with_retry_after, 2);
    /* only 0 and 1 are flag values */
    assert_false(mer_test_server_control(&s, "no-retry-after=yes", json, sizeof json));

    /* a live change of the bucket starts it full: 3 of a burst of 5 pass */
    assert_true(mer_test_server_control(&s, "rate=1000&burst=5", json, sizeof json));
    t = fetch_serial(&s, 10, 3);
    assert_int_equal(t.ok, 3);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* Load shedding: with --overload 2 and slow responses (5 s: all six requests
 * arrive while the first two are still being served, however loaded the
 * machine), 6 requests at once get
 * two 200s and four 503s, each 503 with Retry-After: 1 (even with
 * --no-retry-after, which is about 429s); counted as 503 in /stats. Turned
 * off live, all six pass. */
static void test_overload_503(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--overload", "2", "--latency", "5000", "--no-retry-after", NULL};
    assert_true(mer_test_server_start(&s, args));
    const char *urls[6];
    char buf[6][128];
    for (int i = 0; i < 6; i++) {
        snprintf(buf[i], sizeof buf[i], "%s/6/%d/9.png", s.base_url, i);
        urls[i] = buf[i];
    }
    mer_test_response r[6];
    assert_true(mer_test_fetch_many(urls, 6, 6, 20000, 0, false, r));
    int ok = 0, n503 = 0, ra1 = 0;
    for (int i = 0; i < 6; i++) {
        ok += r[i].status == 200;
        n503 += r[i].status == 503;
        ra1 += r[i].status == 503 && strcmp(r[i].retry_after, "1") == 0;
        mer_test_response_free(&r[i]);
    }
    assert_int_equal(ok, 2);
    assert_int_equal(n503, 4);
    assert_int_equal(ra1, 4);
    char json[4096];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "503"), 4);

    assert_true(mer_test_server_control(&s, "overload=0&latency=0", json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "overload"), 0);
    assert_true(mer_test_fetch_many(urls, 6, 6, 20000, 0, false, r));
    ok = 0;
    for (int i = 0; i < 6; i++) {
        ok += r[i].status == 200;
        mer_test_response_free(&r[i]);
    }
    assert_int_equal(ok, 6);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_without_retry_after),
        cmocka_unit_test(test_overload_503),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
