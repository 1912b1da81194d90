/* The loader's pure parts: HTTP verdicts, full-jitter backoff bounds,
 * Retry-After in seconds and as an HTTP date, the token bucket, adaptive limits (with a simulated
 * server for the issue-13 targets), the scheduler's ordering and want reconciliation. No threads, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <math.h>

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

/* ---- adaptive limits ---- */

static void test_adapt_start_and_ceilings(void **state)
{
    (void)state;
    mer_adapt a;
    mer_adapt_init(&a, 6, 16, 0);
    assert_int_equal(a.cap, 6);
    assert_true(a.rate == 0); /* no rate limit until the server refuses */
    mer_adapt_init(&a, 40, 2, 10); /* a preset's 2 connections are a ceiling */
    assert_int_equal(a.cap, 2);
    assert_true(a.rate == 10);
    assert_int_equal(mer_adapt_burst(&a, 7), 7); /* at the ceiling: the configured burst */
    /* successes with the cap full never raise it past the ceiling */
    for (int i = 0; i < 100; i++)
        mer_adapt_success(&a, i * 10.0, i * 10.0, 2, true, true);
    assert_int_equal(a.cap, 2);
    assert_true(a.rate == 10);
    /* live ceilings: a cap at its old ceiling follows the new one */
    mer_adapt_set_max(&a, 5, 20);
    assert_int_equal(a.cap, 5);
    assert_true(a.rate == 20);
    mer_adapt_set_max(&a, 3, 0);
    assert_int_equal(a.cap, 3);
    assert_true(a.rate == 0);
}

static void test_adapt_cap_grows_when_full(void **state)
{
    (void)state;
    mer_adapt a;
    mer_adapt_init(&a, 2, 6, 0);
    double t = 0;
    /* successes with the cap not full: no growth */
    for (int i = 0; i < 50; i++, t += 10)
        mer_adapt_success(&a, t, t - 100, 1, false, false);
    assert_int_equal(a.cap, 2);
    /* before any refusal: +1 per two successes sent with the cap full (a
     * slow start, x1.5 per round) */
    mer_adapt_success(&a, t, t, 2, true, false);
    assert_int_equal(a.cap, 2);
    mer_adapt_success(&a, t, t, 2, true, false);
    assert_int_equal(a.cap, 3);
    mer_adapt_success(&a, t, t, 3, true, false);
    mer_adapt_success(&a, t, t, 3, true, false);
    assert_int_equal(a.cap, 4);
    /* a refusal at 4 in flight (3 is the most that succeeded): cap 3 */
    mer_adapt_sent(&a, t);
    assert_int_equal(mer_adapt_refused(&a, t + 1, t, 4, 3), MER_ADAPT_CAP);
    assert_int_equal(a.cap, 3);
    /* growing back to the refused level takes a long run and seconds */
    for (int i = 0; i < 3 * 32 - 1; i++)
        mer_adapt_success(&a, t + 2, t + 1, 3, true, false);
    assert_int_equal(a.cap, 3);
    mer_adapt_success(&a, t + 2, t + 1, 3, true, false);
    assert_int_equal(a.cap, 3); /* the run is there, the seconds are not */
    mer_adapt_success(&a, t + 20000, t + 19900, 3, true, false);
    assert_int_equal(a.cap, 4);
    /* 4 works now: from there, +1 per round of `cap` successes, up to the ceiling */
    mer_adapt_success(&a, t + 20001, t + 20000, 4, true, false);
    for (int i = 0; i < 3; i++)
        mer_adapt_success(&a, t + 20001, t + 20000, 4, true, false);
    assert_int_equal(a.cap, 5);
    for (int i = 0; i < 100; i++)
        mer_adapt_success(&a, t + 20002, t + 20001, 5, true, false);
    assert_int_equal(a.cap, 6);
}

/* Refusals that track the number in flight lower the cap, not the rate. */
static void test_adapt_refusal_tracks_in_flight(void **state)
{
    (void)state;
    mer_adapt a;
    mer_adapt_init(&a, 8, 8, 0);
    for (int i = 0; i < 8; i++)
        mer_adapt_sent(&a, 0);
    for (int k = 1; k <= 4; k++)
        mer_adapt_success(&a, 100, 0, k, k == 8, false);
    assert_int_equal(mer_adapt_refused(&a, 101, 0, 8, 7), MER_ADAPT_CAP);
    assert_int_equal(a.cap, 7);
    assert_true(a.rate == 0);
    /* one decrease per round: a refusal sent before it is old news */
    assert_int_equal(mer_adapt_refused(&a, 102, 50, 7, 7), MER_ADAPT_NONE);
    assert_int_equal(a.cap, 7);
    /* a refusal at a level that succeeded before is about the rate */
    mer_adapt_sent(&a, 200);
    assert_int_equal(mer_adapt_refused(&a, 201, 200, 3, 2), MER_ADAPT_RATE);
    assert_true(a.rate > 0);
    assert_int_equal(a.cap, 7);
}

/* The wave that lowered the cap: its other refusals bring the cap down to
 * what is still in flight, but never below what succeeded together -- a
 * token bucket running dry refuses a whole wave whatever the number in
 * flight. And which refusals track the number in flight decides what their
 * Retry-After pauses (mer_throttle_pauses_host). */
static void test_adapt_wave_floor_and_shedding(void **state)
{
    (void)state;
    mer_adapt a;
    mer_adapt_init(&a, 8, 16, 0);
    /* a round of 6 that all succeeded together: the server took 6 at once */
    for (int i = 0; i < 6; i++)
        mer_adapt_sent(&a, 0);
    for (int i = 0; i < 6; i++)
        mer_adapt_success(&a, 100, 0, i + 1, false, false);
    /* a wave of 8: refusals come back with 7, then 3, 2 still in flight */
    for (int i = 0; i < 8; i++)
        mer_adapt_sent(&a, 100);
    assert_int_equal(mer_adapt_refused(&a, 101, 100, 8, 7), MER_ADAPT_CAP);
    assert_true(a.tracks_in_flight);
    assert_int_equal(a.cap, 7);
    assert_int_equal(mer_adapt_refused(&a, 101, 100, 4, 3), MER_ADAPT_NONE);
    assert_true(a.tracks_in_flight); /* the same too-high cap */
    assert_int_equal(mer_adapt_refused(&a, 101, 100, 3, 2), MER_ADAPT_NONE);
    assert_int_equal(a.cap, 6); /* not 2: 6 succeeded together */
    /* a 503 that tracks the number in flight delays only itself; a 429,
     * or anything with fixed limits, pauses the host */
    assert_false(mer_throttle_pauses_host(503, true, true));
    assert_true(mer_throttle_pauses_host(429, true, true));
    assert_true(mer_throttle_pauses_host(503, false, true));
    assert_true(mer_throttle_pauses_host(503, true, false));
    /* later, a refusal at a level that succeeded is about the rate */
    mer_adapt_sent(&a, 300);
    assert_int_equal(mer_adapt_refused(&a, 301, 300, 5, 4), MER_ADAPT_RATE);
    assert_false(a.tracks_in_flight);
    assert_true(mer_throttle_pauses_host(503, true, a.tracks_in_flight));
}

/* A loaded client reads an answer late and sends meanwhile: the request
 * sent then counts one in flight that the server had already finished. What
 * a success proves leaves out the requests answered early in its life (and
 * keeps those answered later: they were served while it was). */
static void test_adapt_late_answers(void **state)
{
    (void)state;
    mer_adapt a;
    mer_adapt_init(&a, 5, 16, 0);
    for (int i = 0; i < 4; i++) /* A, B, C, D */
        mer_adapt_sent(&a, 0);
    mer_adapt_sent(&a, 105); /* E, with A's answer not read yet: "5 in flight" */
    mer_adapt_success(&a, 110, 0, 1, false, false); /* A, read late */
    mer_adapt_done(&a, 110, 0);
    /* E, B, C, D answered together: A left early in E's life, late in B's */
    mer_adapt_success(&a, 205, 105, 5, false, false);
    for (int k = 2; k <= 4; k++)
        mer_adapt_success(&a, 205, 0, k, false, false);
    assert_int_equal(a.ok_inflight[0], 4); /* not 5 */
    for (int i = 0; i < 4; i++)
        mer_adapt_done(&a, 205, i ? 0 : 105);
    /* so 5 at once, refused, tracks the number in flight */
    for (int i = 0; i < 5; i++)
        mer_adapt_sent(&a, 205);
    assert_int_equal(mer_adapt_refused(&a, 206, 205, 5, 4), MER_ADAPT_CAP);
    assert_int_equal(a.cap, 4);
}

/* The bucket's size below the rate's ceiling: a tenth of a second's worth,
 * or the largest wave the server took whole (never one it refused part of). */
static void test_adapt_burst_from_waves(void **state)
{
    (void)state;
    mer_adapt a;
    mer_adapt_init(&a, 8, 16, 0);
    for (int i = 0; i < 8; i++)
        mer_adapt_sent(&a, 0);
    for (int i = 0; i < 7; i++)
        mer_adapt_success(&a, 100, 0, i + 1, true, false);
    assert_int_equal(a.lump, 0); /* one still out */
    mer_adapt_sent(&a, 100); /* a rate limit is met */
    assert_int_equal(mer_adapt_refused(&a, 101, 100, 2, 1), MER_ADAPT_RATE);
    mer_adapt_success(&a, 102, 0, 8, true, false);
    assert_int_equal(a.lump, 8); /* the whole first wave got through */
    assert_int_equal(mer_adapt_burst(&a, 0), 4); /* a tenth of a second's worth... */
    a.host_paused = true;
    assert_int_equal(mer_adapt_burst(&a, 0), 8); /* ...or, once paused by Retry-After, the lump */
    assert_int_equal(mer_adapt_burst(&a, 5), 5); /* a configured burst stays a ceiling */
    /* a lump of 5 sent under that rate meets a server whose bucket is
     * smaller now: one refused, the lump shrinks to what got through */
    for (int i = 0; i < 5; i++)
        mer_adapt_sent(&a, 2000);
    assert_int_equal(mer_adapt_refused(&a, 2001, 2000, 5, 4), MER_ADAPT_RATE);
    for (int i = 0; i < 4; i++)
        mer_adapt_success(&a, 2100, 2000, i + 1, false, false);
    assert_int_equal(a.lump, 4);
    assert_int_equal(mer_adapt_burst(&a, 0), 4);
    /* a single request refused says nothing about lumps */
    mer_adapt_sent(&a, 9000);
    mer_adapt_refused(&a, 9001, 9000, 1, 0);
    assert_int_equal(a.lump, 4);
    /* a fast rate's tenth of a second, when more than the lump */
    mer_adapt_init(&a, 8, 16, 400);
    assert_int_equal(mer_adapt_burst(&a, 0), 40);
}

/* A first wave of 6 meets a server that takes 3 at once, in any order: the
 * refusals come back together, and the cap ends at what is still in flight. */
static void test_adapt_first_wave_any_order(void **state)
{
    (void)state;
    mer_adapt a;
    mer_adapt_init(&a, 6, 16, 0);
    for (int i = 0; i < 6; i++)
        mer_adapt_sent(&a, 0);
    assert_int_equal(mer_adapt_refused(&a, 1, 0, 6, 5), MER_ADAPT_BOTH);
    assert_int_equal(a.cap, 5);
    assert_int_equal(mer_adapt_refused(&a, 1, 0, 2, 4), MER_ADAPT_NONE);
    assert_int_equal(mer_adapt_refused(&a, 1, 0, 4, 3), MER_ADAPT_NONE);
    assert_int_equal(a.cap, 3);
    /* an old refusal of a request sent apart from that wave does not */
    assert_int_equal(mer_adapt_refused(&a, 50, -20, 5, 2), MER_ADAPT_NONE);
    assert_int_equal(a.cap, 3);
    /* the first of a wave refused (k = 1) still reads as the whole wave */
    mer_adapt_init(&a, 6, 16, 0);
    for (int i = 0; i < 6; i++)
        mer_adapt_sent(&a, 0);
    assert_int_equal(mer_adapt_refused(&a, 1, 0, 1, 5), MER_ADAPT_BOTH);
    assert_int_equal(a.cap, 5);
}

/* The first refusal halves what was really sent; the next one, some time
 * later, measures the server's rate: what was sent and not refused since the
 * first, over the time since. */
static void test_adapt_measures_rate(void **state)
{
    (void)state;
    mer_adapt a;
    mer_adapt_init(&a, 4, 16, 0);
    /* 40 requests over one second with 1 in flight each time */
    for (int i = 0; i < 40; i++) {
        mer_adapt_sent(&a, i * 25.0);
        mer_adapt_success(&a, i * 25.0 + 5, i * 25.0, 1, false, false);
    }
    mer_adapt_sent(&a, 1000);
    assert_int_equal(mer_adapt_refused(&a, 1001, 1000, 1, 0), MER_ADAPT_RATE);
    assert_true(fabs(a.rate - 20.0) < 2.5); /* half of ~40/s */
    assert_false(a.measured);
    /* 2 s later, 31 sent since (30 accepted): 15/s, less a margin */
    for (int i = 1; i <= 31; i++)
        mer_adapt_sent(&a, 1001 + i * 64.0);
    assert_int_equal(mer_adapt_refused(&a, 3001, 2985, 1, 0), MER_ADAPT_RATE);
    assert_true(a.measured);
    assert_true(a.rate > 13.5 && a.rate < 15.0);
    /* growth: additive after a measurement, only while waiting on the rate */
    double r = a.rate;
    mer_adapt_success(&a, 3600, 3500, 1, false, false);
    assert_true(a.rate == r);
    mer_adapt_success(&a, 3600, 3500, 1, false, true);
    assert_true(a.rate > r && a.rate < r * 1.1);
    /* never below the floor */
    for (int i = 0; i < 50; i++) {
        mer_adapt_sent(&a, 4000 + i * 10.0);
        mer_adapt_refused(&a, 4000 + i * 10.0 + 1, 4000 + i * 10.0, 1, 0);
    }
    assert_true(a.rate >= 0.2);
}

/* ---- a deterministic simulation: the loader's sending logic (cap, token
 * bucket from mer_adapt, a host pause on Retry-After or, for load shedding,
 * a delay of the refused request alone, retries through the same bucket)
 * against a server with a token bucket, a concurrency limit, and refusals
 * answered at once. Simulated milliseconds, not wall time. */

typedef struct sim_server {
    double rate, burst; /* 0 rate = no bucket */
    int max_conc;       /* 0 = none */
    bool retry_after;   /* refusals carry Retry-After: 1 */
    double latency;
    long status;        /* of a refusal: 429 or 503 */
} sim_server;

typedef struct sim_result {
    double ms;
    int requests, refused, cap, host_pauses;
    double rate;
} sim_result;

#define SIM_MAX 4096

static sim_result simulate(const sim_server *sv, int tiles, bool adaptive, int cap_start, int cap_max,
                           double rate_max, int burst_cfg)
{
    struct pend { double done, sent; int k; bool ok, cap_full; } p[SIM_MAX];
    double delayed[SIM_MAX]; /* refused tiles waiting for their own Retry-After */
    int np = 0, nd = 0, left = tiles, delivered = 0, in_flight = 0, server_in = 0;
    double stok = sv->burst, paused = 0, waited = -1e9;
    mer_adapt a;
    mer_adapt_init(&a, cap_start, cap_max, rate_max);
    mer_bucket b;
    mer_bucket_init(&b, a.rate, mer_adapt_burst(&a, burst_cfg), 0);
    sim_result r = {0};
    double t = 0;
    for (; delivered < tiles && t < 600000; t += 1) {
        stok = fmin(sv->burst, stok + sv->rate / 1000.0);
        for (int i = 0; i < nd; i++)
            if (delayed[i] <= t) {
                delayed[i--] = delayed[--nd];
                left++;
            }
        for (int i = 0; i < np; i++) {
            if (p[i].done > t)
                continue;
            struct pend q = p[i];
            p[i--] = p[--np];
            in_flight--;
            if (q.ok) {
                server_in--;
                delivered++;
                if (adaptive)
                    mer_adapt_success(&a, t, q.sent, q.k, q.cap_full, t - waited < 1000);
            } else {
                if (adaptive)
                    mer_adapt_refused(&a, t, q.sent, q.k, in_flight);
                if (sv->retry_after && !mer_throttle_pauses_host(sv->status, adaptive, a.tracks_in_flight)) {
                    delayed[nd++] = t + 1000;
                } else {
                    left++;
                    if (sv->retry_after) {
                        paused = t + 1000;
                        r.host_pauses++;
                        a.host_paused = true;
                    }
                }
            }
            mer_adapt_done(&a, t, q.sent);
            if (adaptive)
                mer_bucket_set(&b, a.rate, mer_adapt_burst(&a, burst_cfg), t);
        }
        int first = np;
        while (left > 0 && in_flight < (adaptive ? a.cap : cap_max) && t >= paused) {
            if (!mer_bucket_take(&b, t)) {
                waited = t;
                break;
            }
            left--;
            in_flight++;
            r.requests++;
            mer_adapt_sent(&a, t);
            bool ok = (sv->rate <= 0 || stok >= 1) && (sv->max_conc <= 0 || server_in < sv->max_conc);
            if (ok) {
                server_in++;
                if (sv->rate > 0)
                    stok -= 1;
            } else {
                r.refused++;
            }
            assert_true(np < SIM_MAX);
            p[np++] = (struct pend){t + (ok ? sv->latency : 1), t, in_flight, ok, false};
        }
        /* as the loader: a wave sent while the cap holds tiles back was
         * sent with the cap as the bottleneck */
        if (left > 0 && t >= paused && in_flight >= (adaptive ? a.cap : cap_max))
            for (int i = first; i < np; i++)
                p[i].cap_full = true;
    }
    r.ms = t;
    r.cap = a.cap;
    r.rate = a.rate;
    return r;
}

static void sim_report(const char *name, sim_result d, sim_result i)
{
    printf("# %-28s defaults %6.0f ms %3d/%3d refused (cap %d, rate %.1f, %d host pauses) | informed %6.0f ms %3d "
           "refused | %.2fx\n",
           name, d.ms, d.refused, d.requests, d.cap, d.rate, d.host_pauses, i.ms, i.refused, d.ms / i.ms);
}

/* The targets, in simulated time: with default settings, each limiter
 * costs at most 1.15x the run given its exact limits, with at most 5 % of
 * requests refused; an open server stays within 1.05x of the bound. */
static void test_adapt_simulated_limiters(void **state)
{
    (void)state;
    const int N = 196, CAP0 = 6, CAPMAX = 16;
    /* open server: the slow start (6, 9, 13, 16) takes as many rounds as a
     * cap of 15 from the first request */
    sim_server open = {0, 0, 0, false, 100, 429};
    sim_result d = simulate(&open, N, true, CAP0, CAPMAX, 0, 0);
    sim_result i = simulate(&open, N, false, 15, 15, 0, 0);
    sim_report("open", d, i);
    assert_int_equal(d.refused, 0);
    assert_int_equal(d.cap, CAPMAX);
    assert_true(d.ms <= 1.05 * ((N + 14) / 15) * 100.0 + 10);
    /* 20/s burst 5, refused at once, no Retry-After */
    sim_server bucket = {20, 5, 0, false, 100, 429};
    d = simulate(&bucket, N, true, CAP0, CAPMAX, 0, 0);
    i = simulate(&bucket, N, false, CAP0, CAP0, 20, 5);
    sim_report("bucket 20/s b5, no R-A", d, i);
    assert_true(d.refused * 20 <= d.requests);
    assert_true(d.ms <= 1.15 * i.ms);
    assert_true(d.rate > 15 && d.rate <= 21);
    /* 20/s burst 20, 8 in flight, 429 + Retry-After: 1 */
    sim_server ra = {20, 20, 8, true, 100, 429};
    d = simulate(&ra, N, true, CAP0, CAPMAX, 0, 0);
    i = simulate(&ra, N, false, 8, 8, 20, 20);
    sim_report("bucket 20/s b20 + 8, R-A 1", d, i);
    assert_true(d.refused * 20 <= d.requests);
    assert_true(d.ms <= 1.15 * i.ms);
    assert_true(d.host_pauses >= 1); /* a 429's Retry-After pauses the host */
    /* 4 in flight, refused at once, no Retry-After: the cap comes down to 4 */
    sim_server conc = {0, 0, 4, false, 100, 429};
    d = simulate(&conc, N, true, CAP0, CAPMAX, 0, 0);
    i = simulate(&conc, N, false, 4, 4, 0, 0);
    sim_report("4 in flight, no R-A", d, i);
    assert_int_equal(d.cap, 4);
    assert_true(d.refused * 20 <= d.requests);
    /* load shedding past 8 and past 12 in flight, 503 + Retry-After: 1: the
     * refusal that finds the limit lowers the cap and delays only itself */
    for (int lim = 8; lim <= 12; lim += 4) {
        sim_server shed = {0, 0, lim, true, 100, 503};
        d = simulate(&shed, N, true, CAP0, CAPMAX, 0, 0);
        i = simulate(&shed, N, false, lim, lim, 0, 0);
        sim_report(lim == 8 ? "8 in flight, 503 + R-A 1" : "12 in flight, 503 + R-A 1", d, i);
        assert_true(d.refused * 20 <= d.requests);
        assert_int_equal(d.cap, lim);
        assert_int_equal(d.host_pauses, 0);
        assert_true(d.ms <= 1.15 * i.ms);
    }
    /* the same shedding with fixed limits above it: every refusal pauses */
    sim_server shed = {0, 0, 8, true, 100, 503};
    i = simulate(&shed, N, false, 9, 9, 0, 0);
    assert_true(i.host_pauses >= 1);
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
        cmocka_unit_test(test_adapt_start_and_ceilings),
        cmocka_unit_test(test_adapt_cap_grows_when_full),
        cmocka_unit_test(test_adapt_refusal_tracks_in_flight),
        cmocka_unit_test(test_adapt_first_wave_any_order),
        cmocka_unit_test(test_adapt_wave_floor_and_shedding),
        cmocka_unit_test(test_adapt_late_answers),
        cmocka_unit_test(test_adapt_burst_from_waves),
        cmocka_unit_test(test_adapt_measures_rate),
        cmocka_unit_test(test_adapt_simulated_limiters),
        cmocka_unit_test(test_sched_order),
        cmocka_unit_test(test_sched_reconcile), cmocka_unit_test(test_sched_retry_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
