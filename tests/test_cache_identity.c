/* Stable cache identity (issue 14.5): a preset's disk cache is named by the
 * preset, not by its URL, so the demo server on a new port each run still
 * finds what was browsed: tiles loaded through `demo` on one port come back
 * offline through `demo` on another, from one file "demo.mbtiles", with no
 * per-port files. Custom URLs keep one file each. A preset's file from before
 * (<id>-<hash>.mbtiles) is taken over, not lost. */
#define _XOPEN_SOURCE 700 /* nftw (support/tmpdir.h) */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "support/tmpdir.h"

#include "test_loader_util.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    return mer_test_mkdtemp(g_dir, sizeof g_dir, "cid") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

/* Names of the *.mbtiles files in g_dir, space-separated, sorted by readdir. */
static int mbtiles_files(char *names, size_t len)
{
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    names[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        size_t k = strlen(e->d_name);
        if (k > 8 && strcmp(e->d_name + k - 8, ".mbtiles") == 0) {
            n++;
            strncat(names, e->d_name, len - strlen(names) - 2);
            strncat(names, " ", len - strlen(names) - 1);
        }
    }
    closedir(d);
    return n;
}

static mer_loader *demo_loader(int port, bool offline)
{
    mer_source src;
    assert_true(mer_source_lookup("demo", &src));
    assert_true(src.preset);
    mer_source_set_demo_port(&src, port);
    mer_loader_config c;
    mer_loader_config_defaults(&c, &src);
    c.rate = 0;
    c.decode_workers = 1;
    c.max_tries = 1;
    c.offline = offline;
    snprintf(c.cache_dir, sizeof c.cache_dir, "%s", g_dir);
    char err[256];
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    return l;
}

static void test_demo_cache_survives_a_new_port(void **state)
{
    (void)state;
    mer_want_tile w[6];
    for (int i = 0; i < 6; i++)
        w[i] = (mer_want_tile){{5, 10 + i % 3, 12 + i / 3}, i};
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    mer_loader *l = demo_loader(s.port, false);
    mer_loader_want(l, 1, w, 6);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, 6, 30), 6);
    for (size_t i = 0; i < col.n; i++)
        assert_true(col.got[i].status == MER_TILE_OK && col.got[i].pixels_match);
    mer_loader_destroy(l);
    int old_port = s.port;
    assert_int_equal(mer_test_server_stop(&s), 0);

    /* The next run: the demo server is elsewhere (here: nowhere), offline. */
    int new_port = old_port == 9 ? 10 : 9;
    l = demo_loader(new_port, true);
    mer_loader_want(l, 2, w, 6);
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, 6, 30), 6);
    for (size_t i = 0; i < col.n; i++) {
        got_tile *g = &col.got[i];
        if (g->status != MER_TILE_OK || g->origin != MER_ORIGIN_DISK || !g->pixels_match)
            fail_msg("tile %d/%d/%d: status %d origin %d (%s)", g->id.z, g->id.x, g->id.y, g->status,
                     g->origin, g->reason);
    }
    mer_loader_stats st;
    tl_final_stats(l, &col, &st); /* counters are published asynchronously */
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.cache_hits, 6);
    mer_loader_destroy(l);

    char names[512];
    assert_int_equal(mbtiles_files(names, sizeof names), 1);
    assert_string_equal(names, "demo.mbtiles ");
}

static void test_custom_urls_stay_apart(void **state)
{
    (void)state;
    mer_source a, b;
    char err[256], pa[1200], pb[1200];
    assert_true(mer_source_from_arg("http://127.0.0.1:9/a/{z}/{x}/{y}.png", &a, err, sizeof err));
    assert_true(mer_source_from_arg("http://127.0.0.1:9/b/{z}/{x}/{y}.png", &b, err, sizeof err));
    assert_false(a.preset);
    assert_true(mer_cache_file_path(g_dir, &a, pa, sizeof pa));
    assert_true(mer_cache_file_path(g_dir, &b, pb, sizeof pb));
    assert_string_not_equal(pa, pb);
    assert_non_null(strstr(pa, "/custom-"));
    mer_source osm;
    assert_true(mer_source_from_arg("osm", &osm, err, sizeof err));
    assert_true(mer_cache_file_path(g_dir, &osm, pa, sizeof pa));
    char want[128];
    snprintf(want, sizeof want, "%s/osm.mbtiles", g_dir);
    assert_string_equal(pa, want);
}

static void test_legacy_file_is_taken_over(void **state)
{
    (void)state;
    mer_source osm, legacy;
    assert_true(mer_source_lookup("osm", &osm));
    legacy = osm;
    legacy.preset = false; /* names the file the way it used to be named */
    char err[256], old_path[1200];
    assert_true(mer_cache_file_path(g_dir, &legacy, old_path, sizeof old_path));
    mer_cache *c = mer_cache_open(g_dir, &legacy, 0, err, sizeof err);
    assert_non_null(c);
    const uint8_t body[] = "not really a png";
    mer_cache_meta m = {.expires = 4102444800}; /* 2100 */
    assert_true(mer_cache_put(c, (mer_tile_id){3, 1, 2}, body, sizeof body, &m));
    mer_cache_close(c);

    c = mer_cache_open(g_dir, &osm, 0, err, sizeof err);
    assert_non_null(c);
    mer_cache_entry e;
    memset(&e, 0, sizeof e);
    assert_int_equal(mer_cache_get(c, (mer_tile_id){3, 1, 2}, &e), MER_CACHE_HIT);
    assert_int_equal(e.len, sizeof body);
    assert_memory_equal(e.data, body, sizeof body);
    mer_cache_entry_free(&e);
    mer_cache_close(c);
    struct stat sb;
    assert_int_not_equal(stat(old_path, &sb), 0);
    char names[512];
    assert_int_equal(mbtiles_files(names, sizeof names), 1);
    assert_string_equal(names, "osm.mbtiles ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_demo_cache_survives_a_new_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_urls_stay_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_file_is_taken_over, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
