/* The loader with the disk cache (issue 6's loader side): tiles fetched once
 * are served from disk with no request; with the server gone, --offline shows
 * them and answers NOT_CACHED for the rest without any network handle; stale
 * tiles are delivered at once (stale) and revalidated with If-None-Match (304
 * refreshes them); 404s are cached as empty; an MBTiles file is a source (tiles it lacks are NO_DATA). */
#define _XOPEN_SOURCE 700 /* nftw (support/tmpdir.h) */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "support/tmpdir.h"

#include "cache/cache.h"
#include "test_loader_util.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    return mer_test_mkdtemp(g_dir, sizeof g_dir, "lcache") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

static mer_loader *make(const mer_test_server *s, bool offline)
{
    mer_loader_config c;
    tl_config(&c, s, 4);
    c.offline = offline;
    snprintf(c.cache_dir, sizeof c.cache_dir, "%s", g_dir);
    char err[256];
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    return l;
}

static void fetch_all(mer_loader *l, const mer_want_tile *w, size_t n, collector *col)
{
    memset(col, 0, sizeof *col);
    mer_loader_want(l, 1, w, n);
    assert_int_equal(tl_collect(l, col, n, 60), n);
    assert_true(tl_wait_idle(l, col, 10));
}

static void test_disk_then_offline(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--max-age", "3600", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_want_tile w[16];
    size_t n = tl_grid(w, 8, 50, 60, 3, 3);
    static collector col;
    mer_loader *l = make(&s, false);
    mer_test_server gone = s; /* the same source URL once the server is gone */
    fetch_all(l, w, n, &col);
    assert_int_equal(tl_count(&col, MER_TILE_OK), n);
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.cache_writes, n);
    assert_int_equal(st.cache_misses, n);
    mer_loader_destroy(l); /* flushes */

    /* Fresh in the cache: no request at all. */
    l = make(&s, false);
    fetch_all(l, w, n, &col);
    assert_int_equal(col.n, n);
    for (size_t i = 0; i < col.n; i++) {
        assert_int_equal(col.got[i].status, MER_TILE_OK);
        assert_int_equal(col.got[i].origin, MER_ORIGIN_DISK);
        assert_false(col.got[i].stale);
        assert_true(col.got[i].pixels_match);
    }
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.cache_hits, n);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);

    /* Server gone, offline: cached tiles shown, others NOT_CACHED, no network. */
    l = make(&gone, true);
    mer_want_tile w2[16];
    memcpy(w2, w, n * sizeof *w);
    w2[n] = (mer_want_tile){{8, 99, 99}, 0};
    fetch_all(l, w2, n + 1, &col);
    assert_int_equal(tl_count(&col, MER_TILE_OK), n);
    assert_int_equal(tl_count(&col, MER_TILE_NOT_CACHED), 1);
    mer_loader_get_stats(l, &st);
    assert_true(st.offline);
    assert_int_equal(st.requests, 0);
    mer_loader_destroy(l);
}

static void test_stale_revalidated(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--max-age", "0", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_want_tile w[8];
    size_t n = tl_grid(w, 9, 7, 7, 2, 2);
    static collector col;
    mer_loader *l = make(&s, false);
    fetch_all(l, w, n, &col);
    assert_int_equal(tl_count(&col, MER_TILE_OK), n);
    mer_loader_destroy(l);

    /* Expired at once (max-age=0): a stale copy first, then the 304's fresh one. */
    l = make(&s, false);
    fetch_all(l, w, n, &col);
    assert_int_equal(col.n, 2 * n);
    size_t stale = 0;
    for (size_t i = 0; i < col.n; i++) {
        assert_int_equal(col.got[i].status, MER_TILE_OK);
        assert_int_equal(col.got[i].origin, MER_ORIGIN_DISK);
        assert_true(col.got[i].pixels_match);
        stale += col.got[i].stale;
    }
    assert_int_equal(stale, n);
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.cache_stale, n);
    assert_int_equal(st.requests, n);
    assert_int_equal(st.status_304, n); /* conditional requests, answered 304 */
    assert_int_equal(st.revalidated, n);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_404_cached_empty(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--max-zoom", "3", NULL};
    assert_true(mer_test_server_start(&s, args));
    /* An empty tile from the network is delivered as EMPTY. */
    mer_want_tile w[] = {{{5, 1, 1}, 0}};
    static collector col;
    mer_loader *l = make(&s, false);
    fetch_all(l, w, 1, &col);
    assert_int_equal(col.got[0].status, MER_TILE_EMPTY);
    assert_int_equal(col.got[0].origin, MER_ORIGIN_NETWORK);
    mer_loader_destroy(l);
    /* A cached empty tile (a 404 from a server that allows caching it) is
     * answered from disk with no request. */
    mer_loader_config c;
    tl_config(&c, &s, 1);
    char err[256];
    mer_cache *cache = mer_cache_open(g_dir, &c.source, 1 << 20, err, sizeof err);
    assert_non_null(cache);
    mer_cache_meta m = {.empty = true, .expires = 0};
    assert_true(mer_cache_put(cache, (mer_tile_id){5, 2, 2}, NULL, 0, &m));
    mer_cache_close(cache);
    mer_want_tile w2[] = {{{5, 2, 2}, 0}};
    l = make(&s, false);
    fetch_all(l, w2, 1, &col);
    assert_int_equal(col.got[0].status, MER_TILE_EMPTY);
    assert_int_equal(col.got[0].origin, MER_ORIGIN_DISK);
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, 0);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_mbtiles_source(void **state)
{
    (void)state;
    /* Build a small MBTiles file from tilesim tiles. */
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/area.mbtiles", g_dir);
    mer_cache *c = mer_cache_open_mbtiles(path, false, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    for (int x = 0; x < 2; x++) {
        char url[128];
        snprintf(url, sizeof url, "%s/4/%d/5.png", s.base_url, x);
        mer_test_response r;
        assert_true(mer_test_fetch(url, NULL, 5000, &r));
        assert_int_equal(r.status, 200);
        mer_cache_meta m = {.expires = 0};
        assert_true(mer_cache_put(c, (mer_tile_id){4, x, 5}, r.body, r.len, &m));
        mer_test_response_free(&r);
    }
    mer_cache_close(c);
    assert_int_equal(mer_test_server_stop(&s), 0);

    mer_loader_config cfg;
    tl_config(&cfg, NULL, 2);
    cfg.source.kind = MER_SOURCE_MBTILES;
    snprintf(cfg.source.url, sizeof cfg.source.url, "%s", path);
    mer_loader *l = mer_loader_create(&cfg, err, sizeof err);
    assert_non_null(l);
    mer_want_tile w[] = {{{4, 0, 5}, 0}, {{4, 1, 5}, 1}, {{4, 2, 5}, 2}};
    static collector col;
    fetch_all(l, w, 3, &col);
    assert_int_equal(tl_count(&col, MER_TILE_OK), 2);
    assert_int_equal(tl_count(&col, MER_TILE_NO_DATA), 1); /* not in the file: no data, not "not cached" */
    for (size_t i = 0; i < col.n; i++)
        if (col.got[i].status == MER_TILE_OK)
            assert_true(col.got[i].pixels_match);
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_true(st.offline); /* no network handle for a file source */
    assert_int_equal(st.requests, 0);
    mer_loader_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_disk_then_offline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_revalidated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_404_cached_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mbtiles_source, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
