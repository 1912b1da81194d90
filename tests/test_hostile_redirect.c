/* Redirects stay on the host the source names (issue 12, item 6): another
 * host's limits, bulk-download policy and terms were never asked for, so a
 * URL on one host must not reach another by a Location header (a loopback
 * server redirecting to tile.openstreetmap.org would bypass the bulk guard).
 *
 * A small redirector (libmicrohttpd, in this process, 127.0.0.1, ephemeral
 * port) answers 302 for every tile: /same/... to tilesim on the same host
 * (127.0.0.1, another port), /other/... to tilesim named as "localhost" —
 * another host name that still never leaves the machine, should the check
 * fail. `meridian fetch` follows the first and refuses the second at once,
 * with a clear reason and no retries. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "support/run_rss.h"
#include "support/test_server.h"
#include "support/tmpdir.h"

static char g_dir[64], g_log[128], g_png[128], g_cache[128];
static int g_tilesim_port;
static atomic_int g_hits;

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **ctx)
{
    (void)cls, (void)method, (void)version, (void)data, (void)size, (void)ctx;
    atomic_fetch_add(&g_hits, 1);
    char loc[256];
    if (strncmp(url, "/same/", 6) == 0)
        snprintf(loc, sizeof loc, "http://127.0.0.1:%d/%s", g_tilesim_port, url + 6);
    else
        snprintf(loc, sizeof loc, "http://localhost:%d/%s", g_tilesim_port, url + 7);
    struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Location", loc);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_FOUND, r);
    MHD_destroy_response(r);
    return ret;
}

static int setup(void **state)
{
    (void)state;
    if (!mer_test_mkdtemp(g_dir, sizeof g_dir, "hostile_redirect"))
        return -1;
    snprintf(g_log, sizeof g_log, "%s/out.txt", g_dir);
    snprintf(g_png, sizeof g_png, "%s/mosaic.png", g_dir);
    snprintf(g_cache, sizeof g_cache, "%s/cache", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

/* Fetches 2x1 tiles through the redirector's prefix; returns the exit code and
 * the output in *out (caller frees). */
static int fetch_through(const char *prefix, int *tilesim_requests, char **out)
{
    mer_test_server s;
    const char *sargs[] = {NULL};
    assert_true(mer_test_server_start(&s, sargs));
    g_tilesim_port = s.port;
    atomic_store(&g_hits, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
                                            answer, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
    assert_non_null(d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/%s/{z}/{x}/{y}.png", (unsigned)info->port, prefix);
    const char *args[] = {"fetch", "--no-config", "--source", url, "--zoom", "3", "--x", "0:1", "--y", "0:0",
                          "--out", g_png, "--cache-dir", g_cache, "--rate", "0", NULL};
    int rc = mer_test_run_meridian(args, g_log, NULL);
    MHD_stop_daemon(d);
    char json[4096];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    *tilesim_requests = (int)mer_test_json_int(json, "requests");
    assert_int_equal(mer_test_server_stop(&s), 0);
    *out = mer_test_slurp(g_log);
    assert_non_null(*out);
    return rc;
}

static void test_redirect_on_the_same_host_is_followed(void **state)
{
    (void)state;
    int served;
    char *out;
    int rc = fetch_through("same", &served, &out);
    if (rc != 0 || !strstr(out, "2 ok"))
        fail_msg("exit %d:\n%s", rc, out);
    assert_int_equal(served, 2);
    assert_int_equal(atomic_load(&g_hits), 2);
    free(out);
}

static void test_redirect_to_another_host_is_refused(void **state)
{
    (void)state;
    int served;
    char *out;
    int rc = fetch_through("other", &served, &out);
    assert_int_equal(rc, 1);
    if (mer_test_count(out, "redirected to another host (localhost): not followed") != 2)
        fail_msg("expected both tiles refused with the reason:\n%s", out);
    assert_non_null(strstr(out, "0 ok, 0 empty, 2 failed"));
    assert_int_equal(served, 0);                  /* the other host never asked */
    assert_int_equal(atomic_load(&g_hits), 2);    /* and no retries */
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redirect_on_the_same_host_is_followed),
        cmocka_unit_test(test_redirect_to_another_host_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
