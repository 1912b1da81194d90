/* meridian prefetch and export, run as the real binary against the real
 * meridian-tilesim: the polite-source refusal, --dry-run, --max-tiles, a
 * download interrupted by Ctrl-C and resumed, and an export read back through
 * the cache API and through the loader as an MBTiles source. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/run.h"
#include "support/tmpdir.h"

#include "core/area.h"
#include "cache/cache.h"
#include "test_loader_util.h"

static char g_dir[256];
static char g_out[300], g_err[300];
static mer_test_server *g_server; /* stopped by teardown if a test fails half-way */

static int setup(void **state)
{
    (void)state;
    assert_true(mer_test_mkdtemp(g_dir, sizeof g_dir, "test_prefetch"));
    snprintf(g_out, sizeof g_out, "%s/stdout.txt", g_dir);
    snprintf(g_err, sizeof g_err, "%s/stderr.txt", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_server)
        mer_test_server_stop(g_server);
    g_server = NULL;
    mer_test_rmtree(g_dir);
    return 0;
}

/* Starts `meridian ARGS...` with stdout and stderr going to g_out and g_err. */
static pid_t spawn_meridian(const char *const *args)
{
    pid_t pid = mer_test_spawn_meridian(args, g_out, -1, g_err);
    assert_true(pid > 0);
    return pid;
}

static int run_meridian(const char *const *args)
{
    return mer_test_wait(spawn_meridian(args), 120, NULL);
}

static char *slurp(const char *path)
{
    static char buf[16384];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

/* From "prefetch: N tiles ... ; C already cached and fresh, D to download". */
static void plan_line(unsigned long *total, unsigned long *cached, unsigned long *todo)
{
    const char *out = slurp(g_out);
    const char *p = strstr(out, "prefetch: ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "prefetch: %lu tiles", total), 1);
    p = strstr(p, "); ");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "); %lu already cached and fresh, %lu to download", cached, todo), 2);
}

static mer_source tilesim_source(const mer_test_server *s)
{
    char tmpl[128], err[256];
    snprintf(tmpl, sizeof tmpl, "%s/{z}/{x}/{y}.png", s->base_url);
    mer_source src;
    assert_true(mer_source_from_arg(tmpl, &src, err, sizeof err));
    return src;
}

/* How many tiles of the area the cache holds. */
static uint64_t cached_in_area(const mer_source *src, const mer_area *a)
{
    char err[256];
    mer_cache *c = mer_cache_open(g_dir, src, 0, err, sizeof err);
    assert_non_null(c);
    uint64_t n = 0;
    static uint8_t bits[(MER_CACHE_COVERAGE_MAX + 7) / 8];
    for (int z = a->zmin; z <= a->zmax; z++) {
        int64_t k = mer_cache_coverage(c, mer_area_range(a, z), bits, sizeof bits);
        assert_true(k >= 0);
        n += (uint64_t)k;
    }
    mer_cache_close(c);
    return n;
}

static void test_refuses_bulk_from_osm(void **state)
{
    (void)state;
    const char *presets[] = {"osm", "opentopomap", "http://192.0.2.1/{z}/{x}/{y}.png"};
    for (size_t i = 0; i < 3; i++) {
        const char *args[] = {"prefetch", "--no-config", "--source", presets[i], "--bbox", "2.2,48.8,2.4,48.9",
                              "--zoom", "10:12", "--cache-dir", g_dir, NULL};
        assert_int_equal(run_meridian(args), 2);
        const char *err = slurp(g_err);
        assert_non_null(strstr(err, "bulk"));
        assert_non_null(strstr(err, "demo"));
        if (i == 0)
            assert_non_null(strstr(err, "OpenStreetMap's tile usage policy forbids bulk"));
    }
    /* Refused before anything was opened: no cache file was made. */
    struct stat sb;
    char path[400];
    snprintf(path, sizeof path, "%s/osm-", g_dir);
    mer_source osm;
    assert_true(mer_source_lookup("osm", &osm));
    char file[1200];
    assert_true(mer_cache_file_path(g_dir, &osm, file, sizeof file));
    assert_int_not_equal(stat(file, &sb), 0);
    /* Bad arguments: a clear message and status 2. */
    const char *bad[][12] = {
        {"prefetch", "--no-config", "--source", "demo", "--zoom", "1:2", NULL},
        {"prefetch", "--no-config", "--source", "demo", "--bbox", "1,2,3", "--zoom", "1:2", NULL},
        {"prefetch", "--no-config", "--source", "demo", "--around", "1,2,3", "--zoom", "9:2", NULL},
        {"prefetch", "--no-config", "--source", "demo", "--around", "1,2,3", "--zoom", "2", "--bogus", NULL},
        {"export", "--no-config", "--source", "demo", "--around", "1,2,3", "--zoom", "2", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(run_meridian(bad[i]), 2);
        assert_non_null(strstr(slurp(g_err), "Usage: meridian"));
    }
}

static void test_dry_run_and_limits(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    g_server = &s;
    char tmpl[128];
    snprintf(tmpl, sizeof tmpl, "%s/{z}/{x}/{y}.png", s.base_url);
    mer_area a = {0};
    char err[256];
    assert_int_equal(mer_area_option(&a, "bbox", "5,45,7,47", err, sizeof err), 1);
    assert_int_equal(mer_area_option(&a, "zoom", "6:9", err, sizeof err), 1);
    const char *args[] = {"prefetch", "--no-config", "--source", tmpl, "--bbox", "5,45,7,47", "--zoom", "6:9",
                          "--cache-dir", g_dir, "--dry-run", NULL};
    assert_int_equal(run_meridian(args), 0);
    unsigned long total, cached, todo;
    plan_line(&total, &cached, &todo);
    assert_int_equal(total, mer_area_count(&a));
    assert_int_equal(cached, 0);
    assert_int_equal(todo, total);
    char json[4096];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "requests"), 0);
    /* Too big for --max-tiles: refused, nothing fetched. */
    const char *big[] = {"prefetch", "--no-config", "--source", tmpl, "--bbox", "5,45,7,47", "--zoom", "6:9",
                         "--cache-dir", g_dir, "--max-tiles", "5", NULL};
    assert_int_equal(run_meridian(big), 2);
    assert_non_null(strstr(slurp(g_err), "--max-tiles"));
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "requests"), 0);
    g_server = NULL;
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void check_export(const mer_test_server *s, const mer_source *src, const mer_area *a, uint64_t n)
{
    char out[400], tmpl[128];
    snprintf(out, sizeof out, "%s/area.mbtiles", g_dir);
    snprintf(tmpl, sizeof tmpl, "%s/{z}/{x}/{y}.png", s->base_url);
    const char *args[] = {"export", "--no-config", "--source", tmpl, "--bbox", "5,45,7,47", "--zoom", "6:10",
                          "--cache-dir", g_dir, "--out", out, NULL};
    assert_int_equal(run_meridian(args), 0);
    assert_non_null(strstr(slurp(g_out), "export: "));
    /* Read back with the cache API: the same bytes as the cache, TMS rows, metadata. */
    char err[256], v[128];
    mer_cache *ex = mer_cache_open_mbtiles(out, true, err, sizeof err);
    mer_cache *cache = mer_cache_open(g_dir, src, 0, err, sizeof err);
    assert_non_null(ex);
    assert_non_null(cache);
    assert_true(mer_cache_get_metadata(ex, "format", v, sizeof v));
    assert_string_equal(v, "png");
    assert_true(mer_cache_get_metadata(ex, "minzoom", v, sizeof v));
    assert_string_equal(v, "6");
    assert_true(mer_cache_get_metadata(ex, "maxzoom", v, sizeof v));
    assert_string_equal(v, "10");
    assert_true(mer_cache_get_metadata(ex, "bounds", v, sizeof v));
    assert_string_equal(v, "5.000000,45.000000,7.000000,47.000000");
    mer_cache_totals tot;
    assert_true(mer_cache_get_totals(ex, &tot));
    assert_int_equal(tot.tiles, n);
    for (int z = a->zmin; z <= a->zmax; z++) {
        mer_tile_range r = mer_area_range(a, z);
        for (int64_t y = r.y0; y <= r.y1; y++)
            for (int64_t x = r.x0; x <= r.x1; x++) {
                mer_tile_id t = {z, (int32_t)x, (int32_t)y};
                mer_cache_entry e1, e2;
                assert_int_equal(mer_cache_get(ex, t, &e1), MER_CACHE_HIT);
                assert_int_equal(mer_cache_get(cache, t, &e2), MER_CACHE_HIT);
                assert_int_equal(e1.len, e2.len);
                assert_memory_equal(e1.data, e2.data, e1.len);
                mer_cache_entry_free(&e1);
                mer_cache_entry_free(&e2);
            }
    }
    mer_cache_close(ex);
    mer_cache_close(cache);

    /* And as a --source FILE.mbtiles for the loader: the right tiles, from disk. */
    mer_loader_config c;
    tl_config(&c, NULL, 2);
    assert_true(mer_source_from_arg(out, &c.source, err, sizeof err));
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    assert_non_null(l);
    mer_tile_range r = mer_area_range(a, 10);
    mer_want_tile w[4] = {{{10, (int32_t)r.x0, (int32_t)r.y0}, 0}, {{10, (int32_t)r.x1, (int32_t)r.y1}, 1},
                          {{10, (int32_t)r.x0 - 5, (int32_t)r.y0}, 2}, {{2, 0, 0}, 3}};
    collector col = {0};
    mer_loader_want(l, 1, w, 4);
    assert_int_equal(tl_collect(l, &col, 4, 30), 4);
    assert_int_equal(tl_count(&col, MER_TILE_OK), 2);
    assert_int_equal(tl_count(&col, MER_TILE_NO_DATA), 2); /* outside the exported area */
    for (size_t i = 0; i < col.n; i++)
        if (col.got[i].status == MER_TILE_OK) {
            assert_true(col.got[i].pixels_match);
            assert_int_equal(col.got[i].origin, MER_ORIGIN_DISK);
        }
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, 0);
    mer_loader_destroy(l);
    /* An existing file is not overwritten. */
    assert_int_equal(run_meridian(args), 2);
    assert_non_null(strstr(slurp(g_err), "already exists"));
}

static void test_prefetch_resume_and_export(void **state)
{
    (void)state;
    mer_test_server s;
    /* Slow enough that the first run is surely interrupted part of the way
     * (83 tiles, 2 at a time, 300 ms each: about 12 s). */
    const char *sargs[] = {"--latency", "300", NULL};
    assert_true(mer_test_server_start(&s, sargs));
    g_server = &s;
    mer_source src = tilesim_source(&s);
    mer_area a = {0};
    char err[256], tmpl[128];
    assert_int_equal(mer_area_option(&a, "bbox", "5,45,7,47", err, sizeof err), 1);
    assert_int_equal(mer_area_option(&a, "zoom", "6:10", err, sizeof err), 1);
    uint64_t n = mer_area_count(&a); /* 83 tiles */
    snprintf(tmpl, sizeof tmpl, "%s/{z}/{x}/{y}.png", s.base_url);
    const char *args[] = {"prefetch", "--no-config", "--source", tmpl, "--bbox", "5,45,7,47", "--zoom", "6:10",
                          "--cache-dir", g_dir, "--rate", "0", "--max-concurrent", "2", NULL};

    /* 1. Interrupted (SIGINT, as Ctrl-C) once some tiles are stored. */
    pid_t pid = spawn_meridian(args);
    double end = tl_now_ms() + 60000;
    uint64_t have = 0;
    struct stat sb;
    char file[1200];
    assert_true(mer_cache_file_path(g_dir, &src, file, sizeof file));
    while (tl_now_ms() < end && (stat(file, &sb) != 0 || (have = cached_in_area(&src, &a)) < 10))
        usleep(20000);
    assert_true(have >= 10);
    kill(pid, SIGINT);
    assert_int_equal(mer_test_wait(pid, 60, NULL), 1);
    assert_non_null(strstr(slurp(g_out), "interrupted"));
    uint64_t k = cached_in_area(&src, &a);
    assert_true(k >= have && k < n);

    /* 2. Resumed: only what is missing is fetched. */
    assert_true(mer_test_server_control(&s, "latency=0", NULL, 0));
    assert_int_equal(run_meridian(args), 0);
    unsigned long total, cached, todo;
    plan_line(&total, &cached, &todo);
    assert_int_equal(total, n);
    assert_int_equal(cached, k);
    assert_int_equal(todo, n - k);
    assert_int_equal(cached_in_area(&src, &a), n);
    char json[4096];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    long reqs = mer_test_json_int(json, "requests");
    /* Each tile once, plus at most the transfers cut off by the interrupt. */
    assert_true(reqs >= (long)n && reqs <= (long)n + 2);

    /* 3. Complete: nothing to do, no request. */
    assert_int_equal(run_meridian(args), 0);
    plan_line(&total, &cached, &todo);
    assert_int_equal(cached, n);
    assert_int_equal(todo, 0);
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "requests"), reqs);

    /* 4. Stale (expired, made so directly): revalidated, by ETag: 304s, no bodies. */
    mer_cache *c = mer_cache_open(g_dir, &src, 0, err, sizeof err);
    assert_non_null(c);
    int64_t now = (int64_t)time(NULL);
    for (int z = a.zmin; z <= a.zmax; z++) {
        mer_tile_range rg = mer_area_range(&a, z);
        for (int64_t y = rg.y0; y <= rg.y1; y++)
            for (int64_t x = rg.x0; x <= rg.x1; x++) {
                mer_cache_meta m;
                mer_tile_id t = {z, (int32_t)x, (int32_t)y};
                assert_int_equal(mer_cache_get_meta(c, t, &m), MER_CACHE_HIT);
                m.expires = now - 10;
                assert_true(mer_cache_refresh(c, t, &m));
            }
    }
    mer_cache_close(c);
    assert_int_equal(run_meridian(args), 0);
    plan_line(&total, &cached, &todo);
    assert_int_equal(cached, 0);
    assert_int_equal(todo, n);
    assert_non_null(strstr(slurp(g_out), "0 failed, 0 kept stale"));
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "requests"), reqs + (long)n);
    assert_int_equal(mer_test_json_int(json, "304"), (long)n);
    assert_int_equal(run_meridian(args), 0);
    plan_line(&total, &cached, &todo);
    assert_int_equal(cached, n); /* fresh again */

    check_export(&s, &src, &a, n);
    g_server = NULL;
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    (void)tl_grid; /* shared helpers this file does not need */
    (void)tl_wait_idle;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refuses_bulk_from_osm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_and_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefetch_resume_and_export, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
