/* Hostile cache files and paths (issue 12, items 2, 3 and 10): MBTiles rows
 * and side-table rows with zoom levels of 100 or -5 are validated before any
 * shift (UBSan aborts today); '#', '?' and '%' in directory and file names
 * stay part of the name; a second corrupt file moved aside in the same second
 * does not replace the first; sizes in the side table cannot overflow the
 * total; a body that fails to decode leaves the cache
 * even when its tile stopped being wanted before the decode failed. */
#define _XOPEN_SOURCE 700 /* nftw (support/tmpdir.h) */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "cache/cache.h"
#include "net/loader.h"
#include "support/tmpdir.h"
#include "tilesim/bomb.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    return mer_test_mkdtemp(g_dir, sizeof g_dir, "hcache") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static mer_source test_source(void)
{
    mer_source s;
    memset(&s, 0, sizeof s);
    s.kind = MER_SOURCE_URL;
    snprintf(s.id, sizeof s.id, "hostile");
    snprintf(s.url, sizeof s.url, "http://127.0.0.1:9/{z}/{x}/{y}.png");
    s.max_zoom = 19;
    s.tile_px = 256;
    return s;
}

/* Most rows of the file sit at zoom 100 and -5 and in impossible columns:
 * the extent is that of the valid rows (zoom 3 here). */
static void test_extent_ignores_hostile_rows(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/rows.mbtiles", g_dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, "CREATE TABLE metadata (name text, value text);"
                 "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
                 "INSERT INTO tiles VALUES (100,0,0,x'00'),(100,1,0,x'00'),(100,2,0,x'00'),(100,3,0,x'00'),"
                 "(-5,0,0,x'00'),(-5,1,0,x'00'),(-5,2,0,x'00'),(-5,3,0,x'00'),(-5,4,0,x'00'),"
                 "(2,-1,0,x'00'),(2,9,0,x'00'),(2,0,99,x'00'),(2,1,-7,x'00'),(2,2,2147483647,x'00'),"
                 "('z','a','b',x'00'),(2,2,'x',x'00'),"
                 "(3,2,5,x'00'),(3,3,5,x'00');");
    sqlite3_close(db);
    char err[256];
    mer_cache *c = mer_cache_open_mbtiles(path, true, err, sizeof err);
    assert_non_null(c);
    int z = -1;
    double w, s, e, n;
    assert_true(mer_cache_extent(c, &z, &w, &s, &e, &n));
    assert_int_equal(z, 3);
    /* Columns 2..3 at zoom 3: 90 W..0; TMS row 5 = XYZ row 2: 41..66.5 N. */
    assert_true(w > -90.001 && w < -89.999 && e > -0.001 && e < 0.001);
    assert_true(s > 40.9 && s < 41.0 && n > 66.5 && n < 66.52);
    /* Coverage and lookups at the hostile zooms are refused, not shifted. */
    uint8_t bits[8];
    assert_int_equal(mer_cache_coverage(c, (mer_tile_range){100, 0, 3, 0, 0}, bits, sizeof bits), -1);
    assert_int_equal(mer_cache_coverage(c, (mer_tile_range){-5, 0, 3, 0, 0}, bits, sizeof bits), -1);
    mer_cache_entry ce;
    assert_int_equal(mer_cache_get(c, (mer_tile_id){100, 0, 0}, &ce), MER_CACHE_MISS);
    mer_cache_close(c);

    /* Only hostile rows: no extent at all. */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, "DELETE FROM tiles WHERE zoom_level = 3");
    sqlite3_close(db);
    c = mer_cache_open_mbtiles(path, true, err, sizeof err);
    assert_non_null(c);
    assert_false(mer_cache_extent(c, &z, &w, &s, &e, &n));
    mer_cache_close(c);
}

/* A file whose `tiles` is a view of unbounded cost (a recursive CTE counting
 * to 10^15) must not hang the reader: each lookup stops at its time budget
 * (MER_CACHE_STEP_MS) and fails; the file stays open for the next one. */
static void test_costly_view_is_stopped(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/view.mbtiles", g_dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, "CREATE TABLE metadata (name text, value text);"
                 "CREATE VIEW tiles AS WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                 "WHERE i < 1000000000000000) SELECT 1 AS zoom_level, 0 AS tile_column, 1 AS tile_row, "
                 "x'0102' AS tile_data FROM c WHERE i = 1000000000000000;");
    sqlite3_close(db);
    char err[256];
    mer_cache *c = mer_cache_open_mbtiles(path, true, err, sizeof err);
    assert_non_null(c);
    for (int i = 0; i < 2; i++) {
        mer_cache_entry ce;
        assert_int_equal(mer_cache_get(c, (mer_tile_id){1, 0, 0}, &ce), MER_CACHE_ERROR);
        assert_null(ce.data);
    }
    mer_cache_close(c);
}

/* A tile blob bigger than any tile (17 MB) is never read into memory, and a
 * 20 MB metadata value is refused rather than copied. */
static void test_oversized_values(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/big.mbtiles", g_dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, "CREATE TABLE metadata (name text, value text);"
                 "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
                 "INSERT INTO tiles VALUES (1,0,1,zeroblob(17000000)),(1,1,1,x'0102');"
                 "INSERT INTO metadata VALUES ('name', hex(zeroblob(10000000)));");
    sqlite3_close(db);
    char err[256];
    mer_cache *c = mer_cache_open_mbtiles(path, true, err, sizeof err);
    assert_non_null(c);
    mer_cache_entry ce;
    assert_int_not_equal(mer_cache_get(c, (mer_tile_id){1, 0, 0}, &ce), MER_CACHE_HIT);
    assert_null(ce.data);
    assert_int_equal(mer_cache_get(c, (mer_tile_id){1, 1, 0}, &ce), MER_CACHE_HIT);
    assert_int_equal(ce.len, 2);
    mer_cache_entry_free(&ce);
    char buf[64] = "x";
    assert_false(mer_cache_get_metadata(c, "name", buf, sizeof buf));
    mer_cache_close(c);
}

/* The side table of a cache file names tiles at zoom 100 and -5 (written by
 * another program): eviction removes them by their stored key, with no
 * coordinate conversion, and the valid tiles follow by LRU order. */
static void test_evict_hostile_side_rows(void **state)
{
    (void)state;
    mer_source src = test_source();
    char err[256], path[1200];
    assert_true(mer_cache_file_path(g_dir, &src, path, sizeof path));
    mer_cache *c = mer_cache_open(g_dir, &src, 0, err, sizeof err);
    assert_non_null(c);
    uint8_t body[100];
    memset(body, 7, sizeof body);
    mer_cache_meta m = {.expires = INT64_MAX / 2};
    assert_true(mer_cache_put(c, (mer_tile_id){4, 1, 1}, body, sizeof body, &m));
    mer_cache_close(c);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, "INSERT INTO mer_tile_info VALUES (100,0,0,'','',0,0,1,5000,0),(-5,3,3,'','',0,0,2,5000,0),"
                 "(40,-9,9,'','',0,0,3,-99999999,0),(7,1,1,'','',0,0,4,9223372036854775807,0);"
                 "INSERT INTO tiles VALUES (100,0,0,x'01'),(-5,3,3,x'02');");
    sqlite3_close(db);
    c = mer_cache_open(g_dir, &src, 1000, err, sizeof err);
    assert_non_null(c);
    mer_cache_flush(c); /* over the limit: evicts, oldest first */
    mer_cache_close(c);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM mer_tile_info WHERE zoom_level NOT "
                                            "BETWEEN 0 AND 30), (SELECT COUNT(*) FROM tiles WHERE zoom_level "
                                            "NOT BETWEEN 0 AND 30)", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    assert_int_equal(sqlite3_column_int(st, 1), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Directory and file names with URI syntax in them. */
static void test_uri_characters_in_paths(void **state)
{
    (void)state;
    mer_source src = test_source();
    char err[256], dir[256], path[1200], wrong[256];
    const char *names[] = {"c#dir", "t/a%2F..%2Ftarget", "q?mode=memory", "sp ace%", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i][0])
            snprintf(dir, sizeof dir, "%s/%s", g_dir, names[i]);
        else
            snprintf(dir, sizeof dir, "/%s/slashes", g_dir); /* "//tmp/...": not a URI authority */
        mer_cache *c = mer_cache_open(dir, &src, 0, err, sizeof err);
        if (!c)
            fail_msg("%s: %s", dir, err);
        uint8_t body[4] = {1, 2, 3, 4};
        assert_true(mer_cache_put(c, (mer_tile_id){1, 0, 0}, body, sizeof body, NULL));
        mer_cache_close(c);
        assert_true(mer_cache_file_path(dir, &src, path, sizeof path));
        if (!exists(path))
            fail_msg("the cache for --cache-dir '%s' is not at %s", dir, path);
    }
    /* Nothing landed where the URI syntax would have put it. */
    snprintf(wrong, sizeof wrong, "%s/c", g_dir);
    assert_false(exists(wrong));
    snprintf(wrong, sizeof wrong, "%s/t/target", g_dir);
    assert_false(exists(wrong));
    snprintf(wrong, sizeof wrong, "%s/q", g_dir);
    assert_false(exists(wrong));

    /* An MBTiles file (a --source, or export --out) named with the same characters. */
    snprintf(path, sizeof path, "%s/m#x?mode=ro%%41.mbtiles", g_dir);
    mer_cache *w = mer_cache_open_mbtiles(path, false, err, sizeof err);
    if (!w)
        fail_msg("%s: %s", path, err);
    uint8_t body[4] = {9, 9, 9, 9};
    assert_true(mer_cache_put(w, (mer_tile_id){2, 1, 1}, body, sizeof body, NULL));
    mer_cache_close(w);
    assert_true(exists(path));
    snprintf(wrong, sizeof wrong, "%s/m", g_dir);
    assert_false(exists(wrong));
    mer_cache *r = mer_cache_open_mbtiles(path, true, err, sizeof err);
    assert_non_null(r);
    mer_cache_entry ce;
    assert_int_equal(mer_cache_get(r, (mer_tile_id){2, 1, 1}, &ce), MER_CACHE_HIT);
    assert_int_equal(ce.len, 4);
    mer_cache_entry_free(&ce);
    mer_cache_close(r);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Corrupt cache files moved aside within one second keep distinct names:
 * names for this second and the next nine already exist, and survive. */
static void test_corrupt_names_do_not_collide(void **state)
{
    (void)state;
    mer_source src = test_source();
    char err[256], path[1200], taken[10][1300];
    assert_true(mer_cache_file_path(g_dir, &src, path, sizeof path));
    long long now = (long long)time(NULL);
    for (int i = 0; i < 10; i++) {
        snprintf(taken[i], sizeof taken[i], "%s.corrupt-%lld", path, now + i);
        write_file(taken[i], "earlier corrupt file");
    }
    for (int round = 0; round < 2; round++) {
        write_file(path, "this is not an SQLite database, just text that is long enough to look like a header");
        mer_cache *c = mer_cache_open(g_dir, &src, 0, err, sizeof err);
        assert_non_null(c);
        mer_cache_close(c);
    }
    for (int i = 0; i < 10; i++) {
        FILE *f = fopen(taken[i], "rb");
        assert_non_null(f);
        char buf[64] = "";
        assert_non_null(fgets(buf, sizeof buf, f));
        fclose(f);
        assert_string_equal(buf, "earlier corrupt file");
    }
    /* Both corrupt files were kept somewhere beside them. */
    int found = 0;
    for (long long t = now; t <= now + 10; t++)
        for (int k = 1; k < 5; k++) {
            char p[1400];
            snprintf(p, sizeof p, "%s.corrupt-%lld-%d", path, t, k);
            found += exists(p);
        }
    assert_int_equal(found, 2);
}

/* ---- a bad body whose tile left the view before its decode failed ---- */

typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int calls;
    bool open;
} gate;

static gate g_gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false};

/* on_ready runs on the decode worker when the first result lands: holding it
 * there keeps every later decode job waiting, which opens the window. */
static void on_ready_gate(void *ud)
{
    (void)ud;
    pthread_mutex_lock(&g_gate.lock);
    g_gate.calls++;
    pthread_cond_broadcast(&g_gate.cond);
    while (!g_gate.open)
        pthread_cond_wait(&g_gate.cond, &g_gate.lock);
    pthread_mutex_unlock(&g_gate.lock);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool tile_in_file(const char *path, mer_tile_id t)
{
    char err[256];
    mer_cache *c = mer_cache_open_mbtiles(path, true, err, sizeof err);
    assert_non_null(c);
    mer_cache_entry ce;
    bool hit = mer_cache_get(c, t, &ce) == MER_CACHE_HIT;
    mer_cache_entry_free(&ce);
    mer_cache_close(c);
    return hit;
}

static void test_forget_bad_body_of_unwanted_tile(void **state)
{
    (void)state;
    mer_source src = test_source();
    char err[256], path[1200];
    assert_true(mer_cache_file_path(g_dir, &src, path, sizeof path));
    mer_tile_id good = {3, 1, 1}, bad = {3, 2, 1};
    size_t glen;
    uint8_t *png = tsim_zero_png(256, 256, &glen);
    assert_non_null(png);
    static const uint8_t junk[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                   0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    mer_cache *c = mer_cache_open(g_dir, &src, 0, err, sizeof err);
    assert_non_null(c);
    mer_cache_meta m = {.expires = (int64_t)time(NULL) + 3600};
    assert_true(mer_cache_put(c, good, png, glen, &m));
    assert_true(mer_cache_put(c, bad, junk, sizeof junk, &m));
    mer_cache_close(c);
    free(png);

    mer_loader_config cfg;
    mer_loader_config_defaults(&cfg, &src);
    cfg.offline = true;
    cfg.decode_workers = 1;
    cfg.on_ready = on_ready_gate;
    snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", g_dir);
    mer_loader *l = mer_loader_create(&cfg, err, sizeof err);
    assert_non_null(l);
    mer_want_tile want[2] = {{good, 0}, {bad, 1}};
    mer_loader_want(l, 1, want, 2);
    /* The good tile's result holds the only worker; the bad body waits. */
    double end = now_s() + 20;
    pthread_mutex_lock(&g_gate.lock);
    while (g_gate.calls == 0 && now_s() < end) {
        pthread_mutex_unlock(&g_gate.lock);
        usleep(2000);
        pthread_mutex_lock(&g_gate.lock);
    }
    assert_int_equal(g_gate.calls, 1);
    pthread_mutex_unlock(&g_gate.lock);
    /* The tile leaves the view while its body waits for the decoder. */
    mer_loader_want(l, 2, NULL, 0);
    mer_tile_state_info st[4];
    while (mer_loader_get_tile_states(l, st, 4) > 0 && now_s() < end)
        usleep(2000);
    assert_int_equal(mer_loader_get_tile_states(l, st, 4), 0);
    assert_true(tile_in_file(path, bad)); /* nothing has decoded it yet */
    pthread_mutex_lock(&g_gate.lock);
    g_gate.open = true;
    pthread_cond_broadcast(&g_gate.cond);
    pthread_mutex_unlock(&g_gate.lock);
    /* The loader hears of the failure and forgets the body (then flushes when idle). */
    while (tile_in_file(path, bad) && now_s() < end)
        usleep(5000);
    assert_false(tile_in_file(path, bad));
    assert_true(tile_in_file(path, good));
    mer_tile_result r[4];
    size_t k;
    while ((k = mer_loader_poll_results(l, r, 4)) > 0)
        for (size_t i = 0; i < k; i++)
            free(r[i].rgba);
    mer_loader_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_extent_ignores_hostile_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_costly_view_is_stopped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evict_hostile_side_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uri_characters_in_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_names_do_not_collide, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forget_bad_body_of_unwanted_tile, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
