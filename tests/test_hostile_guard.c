/* Guards against spelled-around policies and unbounded work (issue 12, items
 * 6-9 and 10's TOCTOU): the bulk-download guard and fetch's tile limit go by
 * the host curl parses (userinfo, "127.tile.example.org", case, trailing
 * dot); export prints a count, refuses more than --max-tiles and never writes
 * through a file or symlink that exists; a geo: URI longer than the limit is
 * an error, not cut; tilesim's /control answers valid JSON whatever it was
 * sent. Nothing here reaches beyond 127.0.0.1: commands that would download
 * from a public host run with --dry-run or --offline. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "core/geo.h"
#include "core/hostpolicy.h"
#include "core/options.h"
#include "core/source.h"
#include "support/json_check.h"
#include "support/run_rss.h"
#include "support/test_server.h"
#include "support/tmpdir.h"

static char g_dir[64], g_log[128];

static int setup(void **state)
{
    (void)state;
    if (!mer_test_mkdtemp(g_dir, sizeof g_dir, "hguard"))
        return -1;
    snprintf(g_log, sizeof g_log, "%s/out.txt", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static mer_source source_of(const char *arg)
{
    mer_source s;
    char err[256];
    if (!mer_source_from_arg(arg, &s, err, sizeof err))
        fail_msg("%s: %s", arg, err);
    return s;
}

static void test_hosts(void **state)
{
    (void)state;
    char host[256];
    assert_true(mer_url_host("http://127.0.0.1@tile.openstreetmap.org/1/0/0.png", host, sizeof host));
    assert_string_equal(host, "tile.openstreetmap.org");
    assert_true(mer_url_host("https://TILE.OpenStreetMap.ORG./1/0/0.png", host, sizeof host));
    assert_string_equal(host, "tile.openstreetmap.org");
    assert_true(mer_url_host("http://[::1]:8080/x", host, sizeof host));
    assert_true(mer_host_is_loopback(host));
    assert_true(mer_host_is_loopback("127.0.0.1") && mer_host_is_loopback("127.8.9.10"));
    assert_true(mer_host_is_loopback("localhost"));
    assert_false(mer_host_is_loopback("127.tile.example.org"));
    assert_false(mer_host_is_loopback("127.0.0.1.nip.io"));
    assert_false(mer_host_is_loopback("128.0.0.1"));
    assert_false(mer_url_host("not a url", host, sizeof host));

    struct {
        const char *src;
        bool bulk;         /* prefetch allowed */
        const char *owner; /* the provider whose policy applies, or NULL */
    } cases[] = {
        {"http://127.0.0.1@tile.openstreetmap.org/{z}/{x}/{y}.png", false, "osm"},
        {"http://127.0.0.1:80@tile.openstreetmap.org/{z}/{x}/{y}.png", false, "osm"},
        {"https://127.tile.example.org/{z}/{x}/{y}.png", false, NULL},
        {"https://TILE.OpenStreetMap.org./{z}/{x}/{y}.png", false, "osm"},
        {"https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", false, "osm"},
        {"https://tile.osm.org/{z}/{x}/{y}.png", false, "osm"},
        {"https://{s}.tile.opentopomap.org/{z}/{x}/{y}.png", false, "opentopomap"},
        {"https://tile.openstreetmap.org.example.com/{z}/{x}/{y}.png", false, NULL},
        {"https://notopenstreetmap.org/{z}/{x}/{y}.png", false, NULL},
        /* libcurl maps these to tile.openstreetmap.org (IDNA, UTS #46) */
        {"https://\xef\xbd\x94\xef\xbd\x89\xef\xbd\x8c\xef\xbd\x85.openstreetmap.org/{z}/{x}/{y}.png", false, "osm"},
        {"https://tile\xe3\x80\x82openstreetmap\xe3\x80\x82org/{z}/{x}/{y}.png", false, "osm"},
        {"http://tile.openstreetmap.org%2e/{z}/{x}/{y}.png", false, "osm"},
        {"http://127.0.0.1:8080/{z}/{x}/{y}.png", true, NULL},
        {"http://localhost/{z}/{x}/{y}.png", true, NULL},
        {"http://[::1]:9/{z}/{x}/{y}.png", true, NULL},
        {"osm", false, "osm"},
        {"demo", true, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mer_source s = source_of(cases[i].src), p;
        bool owned = mer_source_provider(&s, &p);
        if (mer_source_bulk_allowed(&s) != cases[i].bulk)
            fail_msg("%s: bulk %s", cases[i].src, cases[i].bulk ? "refused" : "allowed");
        if (owned != (cases[i].owner != NULL) || (owned && strcmp(p.id, cases[i].owner) != 0))
            fail_msg("%s: provider %s, expected %s", cases[i].src, owned ? p.id : "none",
                     cases[i].owner ? cases[i].owner : "none");
        /* A template at a provider's servers gets the provider's limits. */
        if (owned) {
            assert_true(s.max_concurrent >= 1 && s.max_concurrent <= p.max_concurrent);
            assert_false(s.allow_bulk);
        }
    }
    /* A configured source cannot switch the policy off by saying so. */
    mer_source u = source_of("https://tile.openstreetmap.org/{z}/{x}/{y}.png");
    snprintf(u.id, sizeof u.id, "mine");
    u.allow_bulk = true;
    u.max_concurrent = 50;
    char err[256];
    assert_true(mer_source_add_user(&u, err, sizeof err));
    mer_source got;
    assert_true(mer_source_lookup("mine", &got));
    assert_false(mer_source_bulk_allowed(&got));
    assert_true(got.max_concurrent <= 2);
    mer_source_clear_user();
}

static void test_prefetch_and_fetch_guards(void **state)
{
    (void)state;
    const char *refused[] = {"http://127.0.0.1@tile.openstreetmap.org/{z}/{x}/{y}.png",
                             "https://127.tile.example.org/{z}/{x}/{y}.png",
                             "https://TILE.openstreetmap.org./{z}/{x}/{y}.png"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *args[] = {"prefetch", "--no-config", "--source", refused[i], "--bbox", "0,0,1,1",
                              "--zoom", "1:1", "--cache-dir", g_dir, "--dry-run", NULL};
        int st = mer_test_run_meridian_for(args, g_log, NULL, 60);
        char *out = mer_test_slurp(g_log);
        if (st != 2 || !strstr(out, "bulk"))
            fail_msg("prefetch --source %s: exit %d, expected 2 and a refusal:\n%s", refused[i], st, out);
        free(out);
    }
    /* fetch: the 64-tile limit follows the host, not the preset's name
     * (--offline: nothing may leave this machine even if a guard fails). */
    const char *osm_like[] = {"https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                              "http://127.0.0.1@tile.openstreetmap.org/{z}/{x}/{y}.png"};
    char png[160];
    snprintf(png, sizeof png, "%s/m.png", g_dir);
    for (size_t i = 0; i < 2; i++) {
        const char *args[] = {"fetch", "--no-config", "--offline", "--source", osm_like[i], "--zoom", "5",
                              "--x", "0:9", "--y", "0:9", "--out", png, "--cache-dir", g_dir, NULL};
        int st = mer_test_run_meridian_for(args, g_log, NULL, 60);
        char *out = mer_test_slurp(g_log);
        if (st != 2 || !strstr(out, "policy"))
            fail_msg("fetch --source %s: exit %d, expected 2 and the policy:\n%s", osm_like[i], st, out);
        free(out);
    }
}

/* A cache with a few tiles for export. */
static const char *g_src = "http://127.0.0.1:9/{z}/{x}/{y}.png";

static void fill_cache(void)
{
    mer_source s = source_of(g_src);
    char err[256];
    mer_cache *c = mer_cache_open(g_dir, &s, 0, err, sizeof err);
    assert_non_null(c);
    uint8_t body[16];
    memset(body, 0x42, sizeof body);
    mer_cache_meta m = {.expires = INT64_MAX / 2};
    for (int x = 0; x < 2; x++)
        assert_true(mer_cache_put(c, (mer_tile_id){1, x, 0}, body, sizeof body, &m));
    mer_cache_close(c);
}

static int export_to(const char *out, const char *bbox, const char *zoom, const char *max_tiles)
{
    const char *args[] = {"export", "--no-config", "--source", g_src, "--bbox", bbox, "--zoom", zoom, "--out",
                          out, "--cache-dir", g_dir, max_tiles ? "--max-tiles" : NULL, max_tiles, NULL};
    return mer_test_run_meridian_for(args, g_log, NULL, 60);
}

static void test_export_guards(void **state)
{
    (void)state;
    fill_cache();
    char out[160], victim[160];
    /* The whole world at zoom 0-19: refused at once with the count. */
    snprintf(out, sizeof out, "%s/world.mbtiles", g_dir);
    assert_int_equal(export_to(out, "-180,-85,180,85", "0:19", NULL), 2);
    char *log = mer_test_slurp(g_log);
    if (!strstr(log, "--max-tiles"))
        fail_msg("no --max-tiles refusal:\n%s", log);
    free(log);
    assert_false(exists(out));
    assert_int_equal(export_to(out, "-180,-85,180,85", "0:3", "10"), 2);
    /* Within the limit: the count first, then the tiles. '#' and '?' in the name stay in it. */
    snprintf(out, sizeof out, "%s/o#x?mode=memory.mbtiles", g_dir);
    assert_int_equal(export_to(out, "-180,-85,180,85", "1:1", "4"), 0);
    log = mer_test_slurp(g_log);
    if (!strstr(log, "the area holds 4 tiles") || !strstr(log, "2 tiles"))
        fail_msg("unexpected export output:\n%s", log);
    free(log);
    assert_true(exists(out));
    char err[256];
    mer_cache *m = mer_cache_open_mbtiles(out, true, err, sizeof err);
    assert_non_null(m);
    mer_cache_totals t;
    assert_true(mer_cache_get_totals(m, &t));
    assert_int_equal(t.tiles, 2);
    mer_cache_close(m);
    /* An existing file and a symlink (dangling or not) are never written through. */
    assert_int_equal(export_to(out, "-180,-85,180,85", "1:1", NULL), 2);
    snprintf(victim, sizeof victim, "%s/victim", g_dir);
    snprintf(out, sizeof out, "%s/link.mbtiles", g_dir);
    assert_int_equal(symlink(victim, out), 0);
    assert_int_equal(export_to(out, "-180,-85,180,85", "1:1", NULL), 2);
    assert_false(exists(victim));
    /* Nothing is left behind by the refusals (no temporary files). */
    int entries = 0;
    DIR *d = opendir(g_dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        entries += strstr(e->d_name, ".mbtiles.") != NULL && !strstr(e->d_name, "-wal") && !strstr(e->d_name, "-shm");
    closedir(d);
    assert_int_equal(entries, 0);
}

static void test_geo_too_long(void **state)
{
    (void)state;
    char uri[700];
    int n = snprintf(uri, sizeof uri, "geo:1,2?");
    while (n < 608)
        uri[n++] = 'a';
    snprintf(uri + n, sizeof uri - (size_t)n, "&z=99");
    mer_geo g;
    char err[256];
    assert_false(mer_geo_parse(uri, &g, err, sizeof err));
    assert_non_null(strstr(err, "longer"));
    mer_options o;
    mer_options_defaults(&o);
    char *argv[] = {"meridian", uri, NULL};
    mer_opt_status st = mer_options_parse(&o, 2, argv, err, sizeof err);
    if (st == MER_OPT_OK)
        st = mer_options_finish(&o, err, sizeof err);
    assert_int_equal(st, MER_OPT_ERROR);
    assert_non_null(strstr(err, "longer"));
    /* Just short enough still parses (and its z is checked, not lost). */
    uri[n - (608 - 500)] = '\0';
    strcat(uri, "&z=99");
    assert_false(mer_geo_parse(uri, &g, err, sizeof err));
    assert_null(strstr(err, "longer"));
}

/* A parse that stops inside a cluster of short options ("-vXc5": X is
 * unknown) must not leave getopt pointing into that argv: the next parse
 * (a test, a fuzzer, a future caller) would take "-c 5" from it, from freed
 * memory once the caller has freed it (the fuzzer's find). */
static void test_options_parse_twice(void **state)
{
    (void)state;
    mer_options o;
    char err[256];
    char *first = strdup("-vXc5");
    char *argv1[] = {"meridian", first, NULL};
    mer_options_defaults(&o);
    assert_int_equal(mer_options_parse(&o, 2, argv1, err, sizeof err), MER_OPT_ERROR);
    char *second = strdup("--zoom=4");
    char *argv2[] = {"meridian", second, NULL};
    mer_options_defaults(&o);
    assert_int_equal(mer_options_parse(&o, 2, argv2, err, sizeof err), MER_OPT_OK);
    assert_true(o.have_zoom);
    mer_options def;
    mer_options_defaults(&def);
    assert_int_equal(o.max_concurrent, def.max_concurrent); /* no "-c 5" from the first argv */
    free(second);
    free(first); /* kept until here: freed, ASan's bookkeeping would overwrite "c5" */
}

static void test_control_json(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    const char *queries[] = {"latency=ab%22c", "latency=%5C%22%0A%01%FF%C3", "no%22such=1", "faults=x%22%3D1",
                             "rate=1e999", "latency=5"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char json[4096] = "";
        bool ok = mer_test_server_control(&s, queries[i], json, sizeof json);
        if (!json[0] || !mer_json_valid(json))
            fail_msg("/control?%s answered invalid JSON (%s): %s", queries[i], ok ? "200" : "error", json);
    }
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts),
        cmocka_unit_test_setup_teardown(test_prefetch_and_fetch_guards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_guards, setup, teardown),
        cmocka_unit_test(test_options_parse_twice), /* first: getopt's state is fresh */
        cmocka_unit_test(test_geo_too_long),
        cmocka_unit_test(test_control_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
