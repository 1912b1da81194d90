/* MBTiles semantics (issue 14.6): a tile an MBTiles source does not contain
 * is "no data" (MER_TILE_NO_DATA), never failed or not cached, and every count
 * keeps the states apart. The file is made the way other tools lay one out
 * (the sqlite3 command-line tool, TMS rows, no Meridian side table), with real
 * tiles from meridian-tilesim in it. Checked through the loader and through
 * `meridian fetch` (exit 0, transparent holes, "no data" in the summary). */
#define _XOPEN_SOURCE 700 /* nftw (support/tmpdir.h) */
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <png.h>

#include "support/mbtiles_fixture.h"
#include "support/tmpdir.h"

#include "test_loader_util.h"

extern char **environ;

#define Z 3
static char g_dir[64], g_mbtiles[128];
/* The file holds these two of the 3x3 tiles x 1..3, y 2..4 at zoom 3. */
static const mer_tile_id g_have[2] = {{Z, 2, 3}, {Z, 3, 4}};

static int spawn_wait(const char *const *argv, const char *in, const char *out)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in)
        posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static bool have(mer_tile_id t)
{
    return mer_tile_equal(t, g_have[0]) || mer_tile_equal(t, g_have[1]);
}

/* Tiles from tilesim, then `sqlite3 FILE < SQL` as a user would. */
static int group_setup(void **state)
{
    (void)state;
    if (!mer_test_mkdtemp(g_dir, sizeof g_dir, "mbnd"))
        return -1;
    mer_test_server s;
    if (!mer_test_server_start(&s, NULL))
        return -1;
    bool ok = mer_test_make_mbtiles(&s, g_dir, "area", g_have, 2, g_mbtiles, sizeof g_mbtiles);
    return mer_test_server_stop(&s) == 0 && ok ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

static void test_loader_no_data(void **state)
{
    (void)state;
    mer_source src;
    char err[256];
    assert_true(mer_source_from_arg(g_mbtiles, &src, err, sizeof err));
    assert_int_equal(src.kind, MER_SOURCE_MBTILES);
    mer_loader_config c;
    mer_loader_config_defaults(&c, &src);
    c.decode_workers = 1;
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    mer_want_tile w[9];
    for (int i = 0; i < 9; i++)
        w[i] = (mer_want_tile){{Z, 1 + i % 3, 2 + i / 3}, i};
    mer_loader_want(l, 1, w, 9);
    static collector col;
    memset(&col, 0, sizeof col);
    assert_int_equal(tl_collect(l, &col, 9, 30), 9);
    for (size_t i = 0; i < col.n; i++) {
        got_tile *g = &col.got[i];
        if (have(g->id)) {
            assert_int_equal(g->status, MER_TILE_OK);
            assert_true(g->pixels_match);
            assert_int_equal(g->origin, MER_ORIGIN_DISK);
        } else if (g->status != MER_TILE_NO_DATA) {
            fail_msg("tile %d/%d/%d: status %d (%s), expected no data", g->id.z, g->id.x, g->id.y, g->status,
                     g->reason);
        }
    }
    mer_loader_stats st;
    tl_final_stats(l, &col, &st); /* counters are published asynchronously */
    assert_int_equal(st.tiles_no_data, 7);
    assert_int_equal(st.tiles_failed, 0);
    assert_int_equal(st.tiles_not_cached, 0);
    assert_int_equal(st.requests, 0);
    char json[4096];
    mer_loader_stats_json(&st, json, sizeof json);
    assert_non_null(strstr(json, "\"tiles_no_data\": 7"));
    assert_non_null(strstr(json, "\"tiles_failed\": 0"));
    /* The overlay's per-tile view agrees: no data is done, not failed. */
    mer_tile_state_info info[32];
    size_t n = mer_loader_get_tile_states(l, info, 32);
    for (size_t i = 0; i < n; i++)
        if (!have(info[i].id)) {
            assert_int_equal(info[i].state, MER_TS_DONE);
            assert_string_equal(info[i].code, "ND");
        }
    mer_loader_destroy(l);
}

static void test_fetch_no_data(void **state)
{
    (void)state;
    char exe[1024], out[160], stats[160], log[160];
    snprintf(exe, sizeof exe, "%s/meridian", getenv("MER_BUILD_DIR") ? getenv("MER_BUILD_DIR") : ".");
    snprintf(out, sizeof out, "%s/m.png", g_dir);
    snprintf(stats, sizeof stats, "%s/m.json", g_dir);
    snprintf(log, sizeof log, "%s/fetch.log", g_dir);
    const char *argv[] = {exe, "fetch", "--no-config", "--source", g_mbtiles, "--zoom", "3", "--x", "1:3", "--y", "2:4",
                          "--out", out, "--stats", stats, NULL};
    assert_int_equal(spawn_wait(argv, NULL, log), 0); /* nothing failed */
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char text[4096];
    size_t k = fread(text, 1, sizeof text - 1, f);
    text[k] = '\0';
    fclose(f);
    if (!strstr(text, "2 ok, 0 empty, 0 failed, 7 no data"))
        fail_msg("summary: %s", text);
    f = fopen(stats, "r");
    assert_non_null(f);
    k = fread(text, 1, sizeof text - 1, f);
    text[k] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "\"tiles_no_data\": 7"));
    /* The mosaic: the two tiles in their cells, transparent elsewhere. */
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_file(&pi, out));
    pi.format = PNG_FORMAT_RGBA;
    uint8_t *m = malloc(PNG_IMAGE_SIZE(pi));
    assert_non_null(m);
    assert_true(png_image_finish_read(&pi, NULL, m, 0, NULL));
    assert_int_equal(pi.width, 768);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            mer_tile_id t = {Z, 1 + c, 2 + r}, id;
            if (have(t)) {
                assert_true(mer_test_decode_tile_id(m, 768, 768, 768, c * 256, r * 256, 1.0, &id));
                assert_true(mer_tile_equal(id, t));
            } else {
                assert_int_equal(m[((size_t)(r * 256 + 100) * 768 + (size_t)(c * 256 + 100)) * 4 + 3], 0);
            }
        }
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_no_data),
        cmocka_unit_test(test_fetch_no_data),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
