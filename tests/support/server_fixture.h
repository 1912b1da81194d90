/* One meridian-tilesim shared by a group of cmocka tests, instead of a server
 * started and stopped by each test:
 *
 *   cmocka_run_group_tests(tests, mer_test_shared_server_setup, mer_test_shared_server_teardown);
 *   ... in a test:
 *   const mer_test_server *s = mer_test_shared_server("latency=400");
 *   assert_non_null(s);
 *
 * Before each test the server is quiet (nothing in flight), back to
 * tilesim's default live settings plus the test's own, with its counters
 * zeroed. For tests whose server settings are all [live] ones (latency,
 * jitter, max-concurrent); a test that needs a start-only setting (--max-zoom,
 * --seed, --log, --retry-after-date) or a fresh token bucket (--rate) starts
 * its own server. Header-only; link support/test_server.c. */
#ifndef MER_TEST_SERVER_FIXTURE_H
#define MER_TEST_SERVER_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "support/test_server.h"

/* tilesim's defaults for every live setting the shared tests may change. */
#define MER_TEST_SERVER_DEFAULTS "latency=0&jitter=0&max-concurrent=0&rate=0&burst=10&fail-rate=0&faults="

static mer_test_server g_mer_shared_server;
static bool g_mer_shared_server_up;

static inline int mer_test_shared_server_setup(void **state)
{
    (void)state;
    g_mer_shared_server_up = mer_test_server_start(&g_mer_shared_server, NULL);
    return g_mer_shared_server_up ? 0 : -1;
}

/* Fails the group unless the server shuts down cleanly. */
static inline int mer_test_shared_server_teardown(void **state)
{
    (void)state;
    bool ok = g_mer_shared_server_up && mer_test_server_stop(&g_mer_shared_server) == 0;
    g_mer_shared_server_up = false;
    return ok ? 0 : -1;
}

/* The shared server, made ready for the next test (see above); query: its
 * own live settings, e.g. "latency=30&jitter=30", or NULL. NULL if the
 * server is not up, stays busy for 10 s, or refuses the settings. */
static inline const mer_test_server *mer_test_shared_server(const char *query)
{
    const mer_test_server *s = &g_mer_shared_server;
    if (!g_mer_shared_server_up)
        return NULL;
    /* Requests of the previous test that the server still serves (its latency
     * outlives a cancelled transfer) would count in this test's figures. */
    char json[1024];
    for (int i = 0; i < 1000; i++) {
        if (!mer_test_server_get_stats(s, json, sizeof json))
            return NULL;
        if (mer_test_json_int(json, "in_flight") == 0)
            break;
        if (i == 999)
            return NULL;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char q[512];
    snprintf(q, sizeof q, "%s%s%s&reset-stats=1", MER_TEST_SERVER_DEFAULTS, query ? "&" : "", query ? query : "");
    return mer_test_server_control(s, q, NULL, 0) ? s : NULL;
}

#endif
