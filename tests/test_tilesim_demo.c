/* The --demo launcher (src/cli/demo.c): each preset starts meridian-tilesim
 * with its limits (read back from /control), rate-limit really answers 429
 * with Retry-After, unknown presets are refused, and stop ends the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/demo.h"
#include "support/test_server.h"

/* The test binary is not beside meridian-tilesim, so the launcher's PATH
 * fallback finds it. */
static int put_build_dir_on_path(void **state)
{
    const char *dir = getenv("MER_BUILD_DIR"), *path = getenv("PATH");
    char buf[8192];
    snprintf(buf, sizeof buf, "%s:%s", dir ? dir : ".", path ? path : "/usr/bin");
    return setenv("PATH", buf, 1);
}

static void control_json(int port, char *json, size_t len)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/control", port);
    mer_test_response r;
    assert_true(mer_test_fetch(url, NULL, 5000, &r));
    assert_int_equal(r.status, 200);
    snprintf(json, len, "%s", (const char *)r.body);
    mer_test_response_free(&r);
}

static void test_presets(void **state)
{
    const struct {
        const char *name;
        long latency, rate, burst, maxc;
    } want[] = {
        {"default", 120, 0, -2, 0}, {"", 120, 0, -2, 0}, {"rate-limit", 150, 8, 4, 4}, {"slow", 600, 0, -2, 0}, {"flaky", 120, 0, -2, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char err[256] = "", json[1024];
        int port = 0;
        mer_demo *d = mer_demo_start(want[i].name, &port, err, sizeof err);
        if (!d)
            fail_msg("preset '%s': %s", want[i].name, err);
        assert_true(port > 0);
        char expect[64];
        snprintf(expect, sizeof expect, "http://127.0.0.1:%d", port);
        assert_string_equal(mer_demo_base_url(d), expect);
        control_json(port, json, sizeof json);
        assert_int_equal(mer_test_json_int(json, "latency"), want[i].latency);
        assert_int_equal(mer_test_json_int(json, "rate"), want[i].rate);
        assert_int_equal(mer_test_json_int(json, "max-concurrent"), want[i].maxc);
        if (want[i].burst > 0)
            assert_int_equal(mer_test_json_int(json, "burst"), want[i].burst);
        if (strcmp(want[i].name, "flaky") == 0)
            assert_non_null(strstr(json, "\"fail-rate\": 0.15"));
        mer_demo_stop(d);
    }
}

static void test_rate_limit_preset_sends_429(void **state)
{
    char err[256];
    int port = 0;
    mer_demo *d = mer_demo_start("rate-limit", &port, err, sizeof err);
    assert_non_null(d);
    enum { N = 16 };
    char *urls[N];
    mer_test_response r[N];
    for (int i = 0; i < N; i++) {
        urls[i] = malloc(128);
        snprintf(urls[i], 128, "http://127.0.0.1:%d/3/%d/%d.png", port, i % 8, i / 8);
    }
    assert_true(mer_test_fetch_many((const char *const *)urls, N, N, 10000, 0, false, r));
    int n429 = 0;
    for (int i = 0; i < N; i++) {
        if (r[i].status == 429) {
            n429++;
            assert_true(atoi(r[i].retry_after) >= 1);
        } else {
            assert_int_equal(r[i].status, 200);
        }
        mer_test_response_free(&r[i]);
        free(urls[i]);
    }
    /* 16 at once against 4 in flight / burst 4: at least 12 are refused */
    assert_true(n429 >= N - 4);
    mer_demo_stop(d);
}

static void test_unknown_preset_and_stop(void **state)
{
    char err[256] = "";
    int port = 0;
    assert_null(mer_demo_start("fast", &port, err, sizeof err));
    assert_non_null(strstr(err, "fast"));
    mer_demo_stop(NULL);

    mer_demo *d = mer_demo_start("slow", &port, err, sizeof err);
    assert_non_null(d);
    mer_demo_stop(d);
    /* the server is gone: nothing listens on its port any more */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", port);
    mer_test_response r;
    assert_true(mer_test_fetch(url, NULL, 2000, &r));
    assert_int_equal(r.curl_code, CURLE_COULDNT_CONNECT);
    mer_test_response_free(&r);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_rate_limit_preset_sends_429),
        cmocka_unit_test(test_unknown_preset_and_stop),
    };
    int rc = cmocka_run_group_tests(tests, put_build_dir_on_path, NULL);
    curl_global_cleanup();
    return rc;
}
