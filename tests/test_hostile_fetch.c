/* Decompression bombs through `meridian fetch`, as a user meets them (issue
 * 12, item 1): over real HTTP from tilesim's `--faults bomb` (PNG whose IHDR
 * says 60000x60000, JPEG whose SOF says 65000x65000) and from an MBTiles file
 * of 8000x8000 all-zero PNGs. Each tile is reported as "image too large",
 * the bomb is not asked for again, and the process's peak RSS (wait4) stays
 * under 50 MB. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "support/run_rss.h"
#include "support/test_server.h"
#include "support/tmpdir.h"
#include "tilesim/bomb.h"

#define RSS_LIMIT_KB (50L * 1024)

static char g_dir[64], g_log[128], g_png[128], g_cache[128];

static int setup(void **state)
{
    (void)state;
    if (!mer_test_mkdtemp(g_dir, sizeof g_dir, "hostile_fetch"))
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

static void fetch_bombs(const char *ext)
{
    mer_test_server s;
    const char *sargs[] = {"--faults", "bomb=1", NULL};
    assert_true(mer_test_server_start(&s, sargs));
    char url[128];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.%s", s.base_url, ext);
    const char *args[] = {"fetch", "--no-config", "--source", url, "--zoom", "3", "--x", "0:3", "--y", "0:3",
                          "--out", g_png, "--cache-dir", g_cache, "--rate", "0", NULL};
    long rss = 0;
    assert_int_equal(mer_test_run_meridian(args, g_log, &rss), 1);
    char *out = mer_test_slurp(g_log);
    assert_non_null(out);
    print_message("fetch of 16 %s bombs: peak RSS %ld KB\n", ext, rss);
    if (mer_test_count(out, ": image too large (") != 16)
        fail_msg("expected 16 tiles reported as 'image too large':\n%s", out);
    assert_non_null(strstr(out, "0 ok, 0 empty, 16 failed"));
    assert_true(rss < RSS_LIMIT_KB);
    free(out);
    /* A bomb is deliberate: one request per tile, no retries. */
    char json[4096];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "requests"), 16);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_png_bomb_over_http(void **state)
{
    (void)state;
    fetch_bombs("png");
}

static void test_jpeg_bomb_over_http(void **state)
{
    (void)state;
    fetch_bombs("jpg");
}

/* 16 all-zero 8000x8000 PNGs (about 60 KB each, 256 MB each decoded) and a
 * JPEG bomb in an MBTiles file used as --source. */
static void test_zero_png_mbtiles(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof path, "%s/bomb.mbtiles", g_dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE metadata (name text, value text);"
                                  "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
                                  " tile_data blob);"
                                  "INSERT INTO metadata VALUES ('name','bomb'),('format','png'),"
                                  "('minzoom','0'),('maxzoom','3');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    size_t zlen, jlen;
    uint8_t *zero = tsim_zero_png(8000, 8000, &zlen);
    uint8_t *jpg = tsim_bomb_jpeg(65000, 65000, &jlen);
    assert_non_null(zero);
    assert_non_null(jpg);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO tiles VALUES (3, ?, ?, ?)", -1, &st, NULL), SQLITE_OK);
    for (int x = 0; x < 4; x++)
        for (int y = 0; y < 4; y++) {
            bool j = x == 3 && y == 3;
            sqlite3_bind_int(st, 1, x);
            sqlite3_bind_int(st, 2, 7 - y); /* TMS rows */
            sqlite3_bind_blob(st, 3, j ? jpg : zero, (int)(j ? jlen : zlen), SQLITE_STATIC);
            assert_int_equal(sqlite3_step(st), SQLITE_DONE);
            sqlite3_reset(st);
        }
    sqlite3_finalize(st);
    sqlite3_close(db);
    const char *args[] = {"fetch", "--no-config", "--source", path, "--zoom", "3", "--x", "0:3", "--y", "0:3",
                          "--out", g_png, NULL};
    long rss = 0;
    assert_int_equal(mer_test_run_meridian(args, g_log, &rss), 1);
    char *out = mer_test_slurp(g_log);
    assert_non_null(out);
    print_message("fetch of 16 8000x8000 tiles from MBTiles: peak RSS %ld KB\n", rss);
    if (mer_test_count(out, ": image too large (PNG 8000x8000") != 15 ||
        mer_test_count(out, ": image too large (JPEG 65000x65000") != 1)
        fail_msg("expected every tile reported as 'image too large':\n%s", out);
    assert_true(rss < RSS_LIMIT_KB);
    free(out);
    free(zero);
    free(jpg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_png_bomb_over_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jpeg_bomb_over_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_png_mbtiles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
