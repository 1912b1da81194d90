/* The disk cache end to end, through the loader and the real meridian-tilesim:
 * freshness (max-age, ETag: fresh tiles cost no request, stale ones are
 * revalidated with 304s), and --offline (no network handle: cached tiles come
 * from disk, others are NOT_CACHED, no connection is ever attempted, even to
 * an unroutable address). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "support/tmpdir.h"

#include "cache/cache.h"
#include "test_loader_util.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    assert_true(mer_test_mkdtemp(g_dir, sizeof g_dir, "test_offline"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

static mer_loader *make_loader(const mer_test_server *s, const char *url, bool offline)
{
    mer_loader_config c;
    tl_config(&c, s, 4);
    if (url)
        snprintf(c.source.url, sizeof c.source.url, "%s", url);
    c.offline = offline;
    snprintf(c.cache_dir, sizeof c.cache_dir, "%s", g_dir);
    c.cache_max_bytes = 64u << 20;
    char err[256] = "";
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    if (!l)
        fprintf(stderr, "loader: %s\n", err);
    assert_non_null(l);
    return l;
}

static long server_requests(const mer_test_server *s, const char *key)
{
    char json[4096];
    assert_true(mer_test_server_get_stats(s, json, sizeof json));
    return mer_test_json_int(json, key);
}

/* Every final result is OK, decodes to its own id, and came from `origin`. */
static void expect_all_ok(const collector *col, size_t n, mer_tile_origin origin)
{
    size_t ok = 0;
    for (size_t i = 0; i < col->n; i++) {
        const got_tile *g = &col->got[i];
        if (g->stale)
            continue;
        assert_int_equal(g->status, MER_TILE_OK);
        assert_true(g->pixels_match);
        assert_int_equal(g->origin, origin);
        ok++;
    }
    assert_int_equal(ok, n);
}

static mer_cache *open_test_cache(const mer_test_server *s, const char *url)
{
    mer_loader_config c;
    tl_config(&c, s, 4);
    if (url)
        snprintf(c.source.url, sizeof c.source.url, "%s", url);
    char err[256];
    mer_cache *cache = mer_cache_open(g_dir, &c.source, 0, err, sizeof err);
    assert_non_null(cache);
    return cache;
}

static void test_freshness_and_revalidation(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--max-age", "600", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_want_tile w[16];
    size_t n = tl_grid(w, 6, 30, 20, 3, 3);

    /* 1. Cold: everything from the network, stored with the server's max-age. */
    mer_loader *l = make_loader(&s, NULL, false);
    collector col = {0};
    mer_loader_want(l, 1, w, n);
    assert_int_equal(tl_collect(l, &col, n, 30), n);
    expect_all_ok(&col, n, MER_ORIGIN_NETWORK);
    mer_loader_destroy(l);
    assert_int_equal(server_requests(&s, "requests"), (long)n);
    mer_cache *c = open_test_cache(&s, NULL);
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < n; i++) {
        mer_cache_meta m;
        assert_int_equal(mer_cache_get_meta(c, w[i].id, &m), MER_CACHE_HIT);
        assert_true(m.expires >= now + 600 - 30 && m.expires <= now + 600 + 5);
        assert_true(m.etag[0] != '\0');
        assert_true(mer_cache_is_fresh(&m, now));
    }
    mer_cache_close(c);

    /* 2. Warm and fresh: all from disk, not one request reaches the server. */
    l = make_loader(&s, NULL, false);
    memset(&col, 0, sizeof col);
    mer_loader_want(l, 1, w, n);
    assert_int_equal(tl_collect(l, &col, n, 30), n);
    expect_all_ok(&col, n, MER_ORIGIN_DISK);
    assert_true(tl_wait_idle(l, &col, 30)); /* counters are published, not read live */
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.cache_hits, n);
    mer_loader_destroy(l);
    assert_int_equal(server_requests(&s, "requests"), (long)n);

    /* 3. Expired (made so directly, rather than waiting 10 minutes): the stale
     * copy is delivered at once, then revalidated by ETag: 304s, no bodies. */
    c = open_test_cache(&s, NULL);
    for (size_t i = 0; i < n; i++) {
        mer_cache_meta m;
        assert_int_equal(mer_cache_get_meta(c, w[i].id, &m), MER_CACHE_HIT);
        m.expires = now - 1;
        assert_true(mer_cache_refresh(c, w[i].id, &m));
    }
    mer_cache_close(c);
    l = make_loader(&s, NULL, false);
    memset(&col, 0, sizeof col);
    mer_loader_want(l, 1, w, n);
    assert_true(tl_wait_idle(l, &col, 30));
    size_t stale = 0, fresh = 0;
    for (size_t i = 0; i < col.n; i++) {
        assert_int_equal(col.got[i].status, MER_TILE_OK);
        assert_true(col.got[i].pixels_match);
        stale += col.got[i].stale;
        fresh += !col.got[i].stale;
    }
    assert_int_equal(stale, n);
    assert_int_equal(fresh, n);
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, n);
    assert_int_equal(st.status_304, n);
    assert_int_equal(st.revalidated, n);
    mer_loader_destroy(l);
    char json[4096];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "304"), (long)n);
    /* The 304s refreshed the expiry. */
    c = open_test_cache(&s, NULL);
    for (size_t i = 0; i < n; i++) {
        mer_cache_meta m;
        assert_int_equal(mer_cache_get_meta(c, w[i].id, &m), MER_CACHE_HIT);
        assert_true(mer_cache_is_fresh(&m, (int64_t)time(NULL)));
    }
    mer_cache_close(c);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_offline_server_stopped(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    mer_want_tile w[32];
    size_t n = tl_grid(w, 5, 10, 10, 2, 2);
    mer_loader *l = make_loader(&s, NULL, false);
    collector col = {0};
    mer_loader_want(l, 1, w, n);
    assert_int_equal(tl_collect(l, &col, n, 30), n);
    expect_all_ok(&col, n, MER_ORIGIN_NETWORK);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);

    /* The server is gone. Offline: the 4 cached tiles and 4 that are not. */
    size_t m = n + tl_grid(w + n, 5, 12, 10, 2, 2);
    for (size_t i = 0; i < m; i++)
        w[i].priority = (int32_t)i;
    l = make_loader(&s, NULL, true);
    memset(&col, 0, sizeof col);
    mer_loader_want(l, 1, w, m);
    assert_int_equal(tl_collect(l, &col, m, 30), m);
    for (size_t i = 0; i < col.n; i++) {
        const got_tile *g = &col.got[i];
        bool cached = g->id.x < 12;
        assert_false(g->stale);
        assert_int_equal(g->status, cached ? MER_TILE_OK : MER_TILE_NOT_CACHED);
        if (cached) {
            assert_true(g->pixels_match);
            assert_int_equal(g->origin, MER_ORIGIN_DISK);
        }
    }
    assert_int_equal(tl_count(&col, MER_TILE_OK), n);
    assert_int_equal(tl_count(&col, MER_TILE_NOT_CACHED), m - n);
    assert_true(tl_wait_idle(l, &col, 30)); /* counters are published, not read live */
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_true(st.offline);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.connections, 0);
    assert_int_equal(st.tiles_not_cached, m - n);
    mer_loader_destroy(l);
}

static void test_offline_unroutable(void **state)
{
    (void)state;
    /* Tile bytes for the cache, from tilesim, stored under a source whose
     * server is unroutable (TEST-NET-1). Only offline mode may use it. */
    const char *url = "http://192.0.2.1/{z}/{x}/{y}.png";
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    mer_cache *c = open_test_cache(&s, url);
    mer_want_tile w[8];
    size_t n = tl_grid(w, 4, 3, 5, 2, 1);
    for (size_t i = 0; i < n; i++) {
        char tile_url[128];
        snprintf(tile_url, sizeof tile_url, "%s/%d/%d/%d.png", s.base_url, w[i].id.z, w[i].id.x, w[i].id.y);
        mer_test_response r;
        assert_true(mer_test_fetch(tile_url, NULL, 10000, &r));
        assert_int_equal(r.status, 200);
        mer_cache_meta m = {.expires = 1}; /* stale: online, it would be revalidated */
        assert_true(mer_cache_put(c, w[i].id, r.body, r.len, &m));
        mer_test_response_free(&r);
    }
    mer_cache_close(c);
    assert_int_equal(mer_test_server_stop(&s), 0);

    mer_want_tile all[8];
    memcpy(all, w, n * sizeof *w);
    size_t m = n + tl_grid(all + n, 4, 9, 9, 2, 1);
    mer_loader *l = make_loader(NULL, url, true);
    collector col = {0};
    mer_loader_want(l, 1, all, m);
    assert_int_equal(tl_collect(l, &col, m, 30), m);
    assert_int_equal(tl_count(&col, MER_TILE_OK), n);
    assert_int_equal(tl_count(&col, MER_TILE_NOT_CACHED), m - n);
    for (size_t i = 0; i < col.n; i++)
        if (col.got[i].status == MER_TILE_OK) {
            assert_true(col.got[i].pixels_match);
            assert_int_equal(col.got[i].origin, MER_ORIGIN_DISK);
        }
    assert_true(tl_wait_idle(l, &col, 10));
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_true(st.offline);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.connections, 0);
    assert_int_equal(st.transport_errors, 0);
    mer_loader_destroy(l);
}

/* A body that does not decode (tilesim's "corrupt" fault: PNG magic, garbage
 * after it) fails the tile, and is not left in the disk cache where a later
 * run or an --offline session would be served it again. */
static void test_corrupt_body_not_cached(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--faults", "corrupt=1", "--seed", "7", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_want_tile w[8];
    size_t n = tl_grid(w, 5, 3, 3, 2, 2);
    mer_loader *l = make_loader(&s, NULL, false);
    collector col = {0};
    mer_loader_want(l, 1, w, n);
    assert_int_equal(tl_collect(l, &col, n, 60), n);
    assert_int_equal(tl_count(&col, MER_TILE_FAILED), n);
    assert_true(tl_wait_idle(l, &col, 30)); /* counters are published, not read live */
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_true(st.cache_writes > 0); /* bodies were stored on arrival... */
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);

    mer_cache *cache = open_test_cache(&s, NULL);
    for (size_t i = 0; i < n; i++) { /* ...and removed when they did not decode */
        mer_cache_entry e;
        assert_int_equal(mer_cache_get(cache, w[i].id, &e), MER_CACHE_MISS);
    }
    mer_cache_close(cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_freshness_and_revalidation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_server_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_unroutable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_body_not_cached, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
