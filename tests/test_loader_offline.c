/* The loader's offline helpers (issue 6, viewer side): a revalidation that
 * fails is not retried on the next want (only after the failure window);
 * cache coverage is asked for asynchronously and answered by the loader thread
 * (bits, count, wrap-around, on_ready wake-up, no cache, bad ranges); the
 * cached extent is read before a loader exists and never creates a file;
 * `meridian fetch` reads the config file, so a user source works. */
#define _XOPEN_SOURCE 700 /* nftw (support/tmpdir.h) */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "support/run.h"
#include "support/tmpdir.h"

#include "test_loader_util.h"

static char g_dir[64];
static atomic_int g_wakes;

static int setup(void **state)
{
    (void)state;
    atomic_store(&g_wakes, 0);
    return mer_test_mkdtemp(g_dir, sizeof g_dir, "loff") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void on_ready(void *ud)
{
    (void)ud;
    atomic_fetch_add(&g_wakes, 1);
}

static void config(mer_loader_config *c, const mer_test_server *s, bool offline, bool cache)
{
    tl_config(c, s, 4);
    c->offline = offline;
    c->max_tries = 1;
    c->on_ready = on_ready;
    if (cache)
        snprintf(c->cache_dir, sizeof c->cache_dir, "%s", g_dir);
}

static mer_loader *make(const mer_test_server *s, bool offline, bool cache)
{
    mer_loader_config c;
    config(&c, s, offline, cache);
    char err[256];
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    return l;
}

static void fill_cache(const mer_test_server *s, const mer_want_tile *w, size_t n)
{
    static collector col;
    memset(&col, 0, sizeof col);
    mer_loader *l = make(s, false, true);
    mer_loader_want(l, 1, w, n);
    assert_int_equal(tl_collect(l, &col, n, 60), n);
    assert_true(tl_wait_idle(l, &col, 10));
    assert_int_equal(tl_count(&col, MER_TILE_OK), n);
    mer_loader_destroy(l); /* flushes */
}

/* Stale tiles whose revalidation fails (server gone) stay delivered; wanting
 * them again at once must neither redeliver them nor ask the server again. */
static void test_failed_revalidation_not_repeated(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--max-age", "0", NULL};
    assert_true(mer_test_server_start(&s, args));
    mer_test_server gone = s;
    mer_want_tile w[8];
    size_t n = tl_grid(w, 9, 20, 30, 2, 2);
    fill_cache(&s, w, n);
    assert_int_equal(mer_test_server_stop(&s), 0);

    static collector col;
    memset(&col, 0, sizeof col);
    mer_loader *l = make(&gone, false, true);
    mer_loader_want(l, 1, w, n);
    assert_true(tl_wait_idle(l, &col, 30));
    assert_int_equal(col.n, n); /* the stale copies; the failures add nothing */
    for (size_t i = 0; i < col.n; i++) {
        assert_true(col.got[i].stale);
        assert_true(col.got[i].pixels_match);
    }
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, n);
    assert_int_equal(st.tiles_failed, 0);

    /* The viewer pans and lists the same tiles again (a new generation). */
    for (int round = 2; round <= 3; round++) {
        mer_loader_want(l, (uint64_t)round, w, n);
        assert_true(tl_wait_idle(l, &col, 30));
    }
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, n);   /* before the fix: 3n */
    assert_int_equal(col.n, n);         /* no stale copy delivered again */
    assert_int_equal(st.cache_stale, n);
    mer_loader_destroy(l);
}

/* Waits until the loader answered request `serial`; fills bits. */
static int64_t wait_coverage(mer_loader *l, uint64_t serial, mer_tile_range *r, uint8_t *bits, size_t len,
                             bool *ok)
{
    double end = tl_now_ms() + 20000;
    uint64_t got = 0;
    int64_t cached = 0;
    while (tl_now_ms() < end) {
        *ok = mer_loader_get_coverage(l, r, bits, len, &got, &cached);
        if (got == serial)
            return cached;
        usleep(2000);
    }
    fail_msg("coverage request %llu not answered", (unsigned long long)serial);
    return -2;
}

static bool bit(const uint8_t *bits, mer_tile_range r, int64_t x, int64_t y)
{
    int64_t w = r.x1 - r.x0 + 1;
    uint64_t i = (uint64_t)((y - r.y0) * w + (x - r.x0));
    return (bits[i / 8] >> (i % 8)) & 1;
}

static void test_coverage(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    mer_test_server gone = s;
    mer_want_tile w[16];
    size_t n = tl_grid(w, 8, 100, 80, 3, 2); /* x 100..102, y 80..81 */
    w[n++] = (mer_want_tile){{8, 255, 80}, 99}; /* the world's east edge */
    fill_cache(&s, w, n);
    assert_int_equal(mer_test_server_stop(&s), 0);

    mer_loader *l = make(&gone, true, true);
    uint8_t bits[64];
    mer_tile_range r;
    bool ok = true;
    assert_false(mer_loader_get_coverage(l, &r, bits, sizeof bits, NULL, NULL)); /* nothing asked yet */

    /* x -1..103 wraps: -1 is x 255. */
    mer_tile_range q = {8, -1, 103, 79, 82};
    int wakes0 = atomic_load(&g_wakes);
    uint64_t serial = mer_loader_request_coverage(l, q);
    assert_true(serial > 0);
    int64_t cached = wait_coverage(l, serial, &r, bits, sizeof bits, &ok);
    assert_true(ok);
    assert_int_equal(cached, 7);
    assert_true(r.z == q.z && r.x0 == q.x0 && r.x1 == q.x1 && r.y0 == q.y0 && r.y1 == q.y1);
    int set = 0;
    for (int64_t y = q.y0; y <= q.y1; y++)
        for (int64_t x = q.x0; x <= q.x1; x++) {
            bool want = (x >= 100 && x <= 102 && y >= 80 && y <= 81) || (x == -1 && y == 80);
            assert_int_equal(bit(bits, q, x, y), want);
            set += want;
        }
    assert_int_equal(set, 7);
    assert_true(atomic_load(&g_wakes) > wakes0); /* the client was woken */

    /* Too small a buffer: false, but the answer's range is told. */
    assert_false(mer_loader_get_coverage(l, &r, bits, 2, NULL, NULL));
    assert_int_equal(r.x0, -1);

    /* A newer request replaces the answer; another zoom has nothing. */
    serial = mer_loader_request_coverage(l, (mer_tile_range){9, 200, 205, 160, 163});
    cached = wait_coverage(l, serial, &r, bits, sizeof bits, &ok);
    assert_true(ok);
    assert_int_equal(cached, 0);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(bits[i], 0);

    /* Bad ranges are refused at once. */
    assert_int_equal(mer_loader_request_coverage(l, (mer_tile_range){8, 5, 4, 0, 0}), 0);
    assert_int_equal(mer_loader_request_coverage(l, (mer_tile_range){8, 0, 0, 0, 256}), 0);
    assert_int_equal(mer_loader_request_coverage(l, (mer_tile_range){31, 0, 0, 0, 0}), 0);
    assert_int_equal(mer_loader_request_coverage(l, (mer_tile_range){16, 0, 999, 0, 999}), 0);
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, 0);
    mer_loader_destroy(l);

    /* No disk cache: answered, but as "unknown" (-1). */
    l = make(&gone, true, false);
    serial = mer_loader_request_coverage(l, q);
    cached = wait_coverage(l, serial, &r, bits, sizeof bits, &ok);
    assert_false(ok);
    assert_int_equal(cached, -1);
    mer_loader_destroy(l);
}

/* Many requests from the client thread while the loader answers: every
 * answer it publishes is a complete one for the range it names. */
static void test_coverage_burst(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    mer_want_tile w[16];
    size_t n = tl_grid(w, 7, 10, 10, 4, 3);
    fill_cache(&s, w, n);
    assert_int_equal(mer_test_server_stop(&s), 0);
    mer_loader *l = make(&s, true, true);
    uint8_t bits[64];
    mer_tile_range r;
    uint64_t last = 0;
    mer_tile_range q = {0};
    for (int i = 0; i < 200; i++) {
        /* Ranges that slide over the cached block: x0 8..12. */
        q = (mer_tile_range){7, 8 + i % 5, 8 + i % 5 + 5, 9, 13};
        last = mer_loader_request_coverage(l, q);
        uint64_t serial = 0;
        int64_t cached = 0;
        if (mer_loader_get_coverage(l, &r, bits, sizeof bits, &serial, &cached)) {
            int count = 0;
            for (int64_t y = r.y0; y <= r.y1; y++)
                for (int64_t x = r.x0; x <= r.x1; x++)
                    count += bit(bits, r, x, y);
            assert_int_equal(count, cached);
        }
    }
    bool ok;
    int64_t cached = wait_coverage(l, last, &r, bits, sizeof bits, &ok);
    assert_true(ok);
    assert_true(r.x0 == q.x0 && r.x1 == q.x1);
    int64_t expect = 0; /* the cached block is x 10..13, y 10..12 */
    for (int64_t x = q.x0; x <= q.x1; x++)
        expect += (x >= 10 && x <= 13) * 3;
    assert_int_equal(cached, expect);
    mer_loader_destroy(l);
}

static void test_cache_extent(void **state)
{
    (void)state;
    mer_loader_config c;
    config(&c, NULL, true, true);
    int z;
    double west, south, east, north;
    /* No cache file yet: false, and none is made. */
    assert_false(mer_loader_cache_extent(&c, &z, &west, &south, &east, &north));
    assert_int_equal(dir_entries(g_dir), 0);
    c.cache_dir[0] = '\0';
    assert_false(mer_loader_cache_extent(&c, &z, &west, &south, &east, &north));

    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    mer_want_tile w[32];
    size_t n = tl_grid(w, 10, 540, 350, 4, 3);
    n += tl_grid(w + n, 9, 270, 175, 2, 2);
    fill_cache(&s, w, n);
    config(&c, &s, true, true);
    assert_int_equal(mer_test_server_stop(&s), 0);
    assert_true(mer_loader_cache_extent(&c, &z, &west, &south, &east, &north));
    assert_int_equal(z, 10); /* the level with the most tiles */
    double u, v;
    /* The box is the z10 block x 540..543, y 350..352. */
    mer_lonlat_to_world(west, north, &u, &v);
    assert_true(fabs(u * 1024 - 540) < 1e-6 && fabs(v * 1024 - 350) < 1e-6);
    mer_lonlat_to_world(east, south, &u, &v);
    assert_true(fabs(u * 1024 - 544) < 1e-6 && fabs(v * 1024 - 353) < 1e-6);
    /* A loader on the same cache works afterwards (the connection was closed). */
    c.on_ready = NULL;
    char err[256];
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    assert_non_null(l);
    static collector col;
    memset(&col, 0, sizeof col);
    mer_loader_want(l, 1, w, 1);
    assert_int_equal(tl_collect(l, &col, 1, 30), 1);
    assert_int_equal(col.got[0].origin, MER_ORIGIN_DISK);
    mer_loader_destroy(l);
}

/* ---- meridian fetch reads the config file ---- */

static int run_meridian(const char *const *args, const char *log)
{
    return mer_test_run_meridian(args, log, NULL);
}

static void test_fetch_user_source(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    char conf[128], out[128], log[128], conf2[128];
    snprintf(conf, sizeof conf, "%s/meridian.conf", g_dir);
    snprintf(conf2, sizeof conf2, "%s/default.conf", g_dir);
    snprintf(out, sizeof out, "%s/grid.png", g_dir);
    snprintf(log, sizeof log, "%s/log.txt", g_dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f, "[source.mytiles]\nurl = %s/{z}/{x}/{y}.png\nmax_zoom = 12\n", s.base_url);
    fclose(f);
    f = fopen(conf2, "w");
    assert_non_null(f);
    fprintf(f, "source = mysim\n[source.mysim]\nurl = %s/{z}/{x}/{y}.png\n", s.base_url);
    fclose(f);

    /* Without the config the name means nothing: a clear error, exit 2. */
    const char *bad[] = {"fetch", "--no-config", "--source", "mytiles", "--zoom", "3", "--x", "1:2", "--y",
                         "2:3", "--out", out, "--quiet", NULL};
    assert_int_equal(run_meridian(bad, log), 2);
    /* With it, the user source is fetched from the local server. */
    const char *good[] = {"fetch", "--config", conf, "--source", "mytiles", "--zoom", "3", "--x", "1:2",
                          "--y", "2:3", "--out", out, "--quiet", NULL};
    assert_int_equal(run_meridian(good, log), 0);
    struct stat sb;
    assert_int_equal(stat(out, &sb), 0);
    assert_true(sb.st_size > 1000);
    /* The config's own source = line is the default when --source is not given. */
    unlink(out);
    const char *byconf[] = {"fetch", "--config", conf2, "--zoom", "2", "--x", "0:1", "--y", "0:1",
                            "--out", out, "--quiet", NULL};
    assert_int_equal(run_meridian(byconf, log), 0);
    assert_int_equal(stat(out, &sb), 0);
    char json[4096];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_true(mer_test_json_int(json, "requests") >= 8); /* 4 + 4 tiles from the local server */
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failed_revalidation_not_repeated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coverage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coverage_burst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_extent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_user_source, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
