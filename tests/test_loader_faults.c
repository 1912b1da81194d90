/* Every fault tilesim can inject ends in a retry or a clear per-tile failure,
 * never a crash or a hang: truncated, corrupt, html200, trickle, reset and
 * oversize bodies, each on every request (so the tile must fail, with a
 * reason naming the problem), then all mixed at a low rate (so retries must
 * get every tile through). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_loader_util.h"

typedef struct fault_case {
    const char *kind;
    const char *reason; /* expected in the failure reason */
    const char *code;   /* expected in the overlay's short code */
} fault_case;

static const fault_case g_cases[] = {
    {"truncated", "after 2 tries", "NET"},
    {"corrupt", "", "IMG"}, /* "corrupt or truncated", or "not an image" if the magic was hit */
    {"html200", "not an image", "IMG"},
    {"trickle", "timed out", "TMO"},
    {"reset", "after 2 tries", "NET"},
    {"oversize", "body larger than", "BIG"},
};

static void run_always(const fault_case *fc)
{
    char faults[64];
    snprintf(faults, sizeof faults, "%s=1", fc->kind);
    mer_test_server s;
    const char *args[] = {"--faults", faults, NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_loader_config c;
    tl_config(&c, &s, 3);
    c.max_tries = 2;
    c.timeout_ms = 1500;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[3];
    size_t n = tl_grid(w, 7, 20, 20, 3, 1);
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 60), n);
    for (size_t i = 0; i < col.n; i++) {
        const got_tile *g = &col.got[i];
        if (g->status != MER_TILE_FAILED || !g->reason[0] || !strstr(g->reason, fc->reason))
            fail_msg("%s: tile %d/%d/%d status %d reason '%s' (expected '%s')", fc->kind, g->id.z, g->id.x,
                     g->id.y, g->status, g->reason, fc->reason);
    }
    mer_tile_state_info info[8];
    size_t k = 0;
    double end = tl_now_ms() + 5000;
    do {
        k = mer_loader_get_tile_states(l, info, 8);
    } while ((k < 1 || info[0].state != MER_TS_FAILED) && tl_now_ms() < end && (usleep(5000), 1));
    assert_true(k >= 1);
    if (info[0].state != MER_TS_FAILED || strcmp(info[0].code, fc->code) != 0)
        fail_msg("%s: state %d code '%s' (expected '%s')", fc->kind, info[0].state, info[0].code, fc->code);
    mer_loader_stats st;
    tl_final_stats(l, &col, &st);
    assert_int_equal(st.tiles_failed, n);
    /* The 50 MB body was cut off early: nowhere near that much was read. */
    assert_true(st.bytes < 8u * 1024 * 1024);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_each_fault_fails_clearly(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof g_cases / sizeof g_cases[0]; i++)
        run_always(&g_cases[i]);
}

static void test_mixed_faults_retried(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--seed", "3", "--fail-rate", "0.05", "--faults",
                          "truncated=0.05,corrupt=0.05,html200=0.05,trickle=0.03,reset=0.05,oversize=0.05", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_loader_config c;
    tl_config(&c, &s, 6);
    c.max_tries = 8;
    c.timeout_ms = 1500;
    mer_loader *l = mer_loader_create(&c, NULL, 0);
    assert_non_null(l);
    mer_want_tile w[64];
    size_t n = tl_grid(w, 9, 60, 60, 6, 5);
    mer_loader_want(l, 1, w, n);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, n, 120), n);
    for (size_t i = 0; i < col.n; i++) {
        const got_tile *g = &col.got[i];
        if (g->status != MER_TILE_OK || !g->pixels_match)
            fail_msg("tile %d/%d/%d status %d reason '%s'", g->id.z, g->id.x, g->id.y, g->status, g->reason);
    }
    mer_loader_stats st;
    tl_final_stats(l, &col, &st);
    assert_true(st.retries > 0);
    assert_true(st.decode_errors > 0 || st.transport_errors > 0);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_fault_fails_clearly),
        cmocka_unit_test(test_mixed_faults_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
