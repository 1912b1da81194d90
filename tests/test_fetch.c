/* `meridian fetch` end to end, as a user runs it (posix_spawn, argv array):
 * the stitched PNG has every tile's code in the right cell; --stats JSON;
 * a rate-limited server still gives 0 failed tiles within the cap; 404s are
 * transparent and exit 0; failures exit 1 and name the tile and the reason;
 * bad arguments exit 2; --offline without a cache never connects. */
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>

#include "support/run.h"
#include "test_loader_util.h"

static char g_out[64], g_stats[64], g_err[64];

/* Runs build/meridian with args (NULL-terminated); stdout+stderr to g_err. */
static int run_meridian(const char *const *args)
{
    return mer_test_run_meridian(args, g_err, NULL);
}

static char *slurp(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_out, sizeof g_out, "/tmp/mer_fetch_%d.png", (int)getpid());
    snprintf(g_stats, sizeof g_stats, "/tmp/mer_fetch_%d.json", (int)getpid());
    snprintf(g_err, sizeof g_err, "/tmp/mer_fetch_%d.txt", (int)getpid());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_out);
    unlink(g_stats);
    unlink(g_err);
    return 0;
}

/* Every cell of the mosaic holds the code of the tile that belongs there. */
static void check_mosaic(int z, int x0, int y0, int cols, int rows, int expect_ok)
{
    SDL_Surface *s = IMG_Load(g_out);
    assert_non_null(s);
    assert_int_equal(s->w, cols * 256);
    assert_int_equal(s->h, rows * 256);
    SDL_Surface *rgba = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGBA32, 0);
    assert_non_null(rgba);
    int ok = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            mer_tile_id id;
            if (!mer_test_decode_tile_id(rgba->pixels, rgba->w, rgba->h, rgba->pitch / 4, c * 256, r * 256, 1.0, &id))
                continue;
            mer_tile_id want = {z, x0 + c, y0 + r};
            if (!mer_tile_equal(id, want))
                fail_msg("cell %d,%d holds %d/%d/%d, expected %d/%d/%d", c, r, id.z, id.x, id.y, want.z, want.x,
                         want.y);
            ok++;
        }
    assert_int_equal(ok, expect_ok);
    SDL_FreeSurface(rgba);
    SDL_FreeSurface(s);
}

static void test_mosaic_in_place(void **state)
{
    (void)state;
    mer_test_server s;
    const char *sargs[] = {"--latency", "20", NULL};
    assert_true(mer_test_server_start(&s, sargs));
    char url[128];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.png", s.base_url);
    const char *args[] = {"fetch", "--source", url, "--zoom", "6", "--x", "10:14", "--y", "20:23", "--out", g_out,
                          "--max-concurrent", "6", "--rate", "0", "--stats", g_stats, NULL};
    assert_int_equal(run_meridian(args), 0);
    check_mosaic(6, 10, 20, 5, 4, 20);
    const char *json = slurp(g_stats);
    assert_non_null(json);
    assert_int_equal(mer_test_json_int(json, "tiles"), 20);
    assert_int_equal(mer_test_json_int(json, "tiles_ok"), 20);
    assert_int_equal(mer_test_json_int(json, "tiles_failed"), 0);
    assert_int_equal(mer_test_json_int(json, "requests"), 20);
    assert_non_null(strstr(json, "\"tile_latency_ms\": {\"p50\": "));
    assert_non_null(strstr(slurp(g_err), "20 ok, 0 empty, 0 failed"));
    /* --bbox: the 2x2 tiles around (0, 0) at zoom 3 are x 3..4, y 3..4. */
    const char *bargs[] = {"fetch", "--source", url, "--zoom", "3", "--bbox", "-10,-10,10,10", "--out", g_out, NULL};
    assert_int_equal(run_meridian(bargs), 0);
    check_mosaic(3, 3, 3, 2, 2, 4);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_rate_limited_server(void **state)
{
    (void)state;
    mer_test_server s;
    const char *sargs[] = {"--rate", "10", "--burst", "5", "--latency", "20", NULL};
    assert_true(mer_test_server_start(&s, sargs));
    char url[128];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.png", s.base_url);
    const char *args[] = {"fetch", "--source", url, "--zoom", "7", "--x", "30:35", "--y", "40:43", "--out", g_out,
                          "--max-concurrent", "15", "--rate", "0", NULL};
    assert_int_equal(run_meridian(args), 0);
    check_mosaic(7, 30, 40, 6, 4, 24);
    char json[1024];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_true(mer_test_json_int(json, "max_in_flight") <= 15);
    assert_non_null(strstr(slurp(g_err), "24 ok, 0 empty, 0 failed"));
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_404_transparent_and_failures(void **state)
{
    (void)state;
    mer_test_server s;
    const char *sargs[] = {"--max-zoom", "3", NULL};
    assert_true(mer_test_server_start(&s, sargs));
    char url[128];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.png", s.base_url);
    const char *args[] = {"fetch", "--source", url, "--zoom", "4", "--x", "0:1", "--y", "0:1", "--out", g_out, NULL};
    assert_int_equal(run_meridian(args), 0);
    SDL_Surface *img = IMG_Load(g_out);
    assert_non_null(img);
    SDL_Surface *rgba = SDL_ConvertSurfaceFormat(img, SDL_PIXELFORMAT_RGBA32, 0);
    assert_int_equal(((const uint8_t *)rgba->pixels)[3], 0); /* transparent */
    SDL_FreeSurface(rgba);
    SDL_FreeSurface(img);
    assert_non_null(strstr(slurp(g_err), "0 ok, 4 empty, 0 failed"));
    assert_int_equal(mer_test_server_stop(&s), 0);

    const char *fargs[] = {"--faults", "html200=1", NULL};
    assert_true(mer_test_server_start(&s, fargs));
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.png", s.base_url);
    const char *args2[] = {"fetch", "--source", url, "--zoom", "4", "--x", "0:1", "--y", "0:0", "--out", g_out,
                           "--max-tries", "1", NULL};
    assert_int_equal(run_meridian(args2), 1);
    const char *err = slurp(g_err);
    assert_non_null(strstr(err, "4/0/0: not an image"));
    assert_non_null(strstr(err, "4/1/0: not an image"));
    assert_non_null(strstr(err, "2 failed"));
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    const char *no_out[] = {"fetch", "--zoom", "3", "--x", "0:1", "--y", "0:1", NULL};
    assert_int_equal(run_meridian(no_out), 2);
    assert_non_null(strstr(slurp(g_err), "--out"));
    const char *both[] = {"fetch", "--zoom", "3", "--x", "0:1", "--y", "0:1", "--bbox", "0,0,1,1", "--out", g_out, NULL};
    assert_int_equal(run_meridian(both), 2);
    const char *bad_x[] = {"fetch", "--zoom", "3", "--x", "5:2", "--y", "0:1", "--out", g_out, NULL};
    assert_int_equal(run_meridian(bad_x), 2);
    const char *beyond[] = {"fetch", "--zoom", "3", "--x", "0:8", "--y", "0:1", "--out", g_out, NULL};
    assert_int_equal(run_meridian(beyond), 2);
    const char *huge[] = {"fetch", "--source", "http://127.0.0.1:9/{z}/{x}/{y}.png", "--zoom", "12",
                          "--x", "0:99", "--y", "0:99", "--out", g_out, NULL};
    assert_int_equal(run_meridian(huge), 2);
    const char *bulk[] = {"fetch", "--source", "osm", "--zoom", "12", "--x", "0:9", "--y", "0:9", "--out", g_out, NULL};
    assert_int_equal(run_meridian(bulk), 2);
    assert_non_null(strstr(slurp(g_err), "policy"));
    const char *scheme[] = {"fetch", "--source", "file:///etc/{z}/{x}/{y}", "--zoom", "1", "--x", "0:1", "--y",
                            "0:1", "--out", g_out, NULL};
    assert_int_equal(run_meridian(scheme), 2);
    const char *unknown[] = {"fetch", "--frobnicate", NULL};
    assert_int_equal(run_meridian(unknown), 2);
}

static void test_offline_without_cache(void **state)
{
    (void)state;
    /* Port 9 (discard) has no listener; offline must not even try. */
    const char *args[] = {"fetch", "--offline", "--source", "http://127.0.0.1:9/{z}/{x}/{y}.png", "--zoom", "2",
                          "--x", "0:1", "--y", "0:1", "--out", g_out, "--stats", g_stats, NULL};
    assert_int_equal(run_meridian(args), 1);
    assert_non_null(strstr(slurp(g_err), "not cached"));
    const char *json = slurp(g_stats);
    assert_int_equal(mer_test_json_int(json, "requests"), 0);
    assert_int_equal(mer_test_json_int(json, "tiles_not_cached"), 4);
    assert_non_null(strstr(json, "\"offline\": true"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mosaic_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limited_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_404_transparent_and_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_without_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
