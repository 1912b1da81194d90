/* GUI tests: low zooms fill the window (the world repeats east-west and the
 * lowest zoom keeps it as tall as the window), a finished view draws each
 * pixel once, and --stats keeps screenshot frames out of frame_ms. The
 * meridian binary runs in scripted mode under Xvfb against meridian-tilesim;
 * screenshots are checked by tile codes and exact colours. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/test_server.h"
#include "support/tile_code.h"
#include "ui/uploads.h"
#include "viewer_driver.h"

#define RUN_TIMEOUT_S 150

static mer_test_server g_srv;
static char g_src[128];

static int setup_server(void **state)
{
    (void)state;
    if (!vd_have_display())
        return 0;
    if (!mer_test_server_start(&g_srv, NULL))
        return -1;
    snprintf(g_src, sizeof g_src, "%s/{z}/{x}/{y}.png", g_srv.base_url);
    return 0;
}

static int teardown_server(void **state)
{
    (void)state;
    if (g_srv.pid > 0)
        mer_test_server_stop(&g_srv);
    vd_cleanup_all();
    return 0;
}

static void load(const vd_run *r, const char *name, vd_image *img)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    if (!vd_load_png(path, img))
        fail_msg("cannot read screenshot %s", path);
}

static void expect_tile(const vd_image *img, int x0, int y0, int z, int x, int y)
{
    mer_tile_id id;
    if (!vd_decode(img, x0, y0, &id))
        fail_msg("no tile code at (%d, %d); expected %d/%d/%d", x0, y0, z, x, y);
    if (id.z != z || id.x != x || id.y != y)
        fail_msg("at (%d, %d): tile %d/%d/%d, expected %d/%d/%d", x0, y0, id.z, id.x, id.y, z, x, y);
}

/* Zoom 2 at 1280x720: the world is 1024 px wide, so it shows one and a bit
 * times. Centred on lon 45 the world's west edge falls on x = 0 and again on
 * x = 1024: tile 2/0/1 at both places, no grey band, no placeholder. */
static void test_world_repeats(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", g_src, "--rate", "0", "--size", "1280x720", "--lat", "0", "--lon", "45",
                          "--zoom", "2", NULL};
    assert_true(vd_run_script(&r, "key h\nwait-idle 60000\nscreenshot @/a.png\nzoom-at 300 200 1 300\nwait-idle 60000\n",
                              args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    vd_image img;
    load(&r, "a.png", &img);
    assert_int_equal(img.w, 1280);
    /* lat 0 is the world's middle: rows start at y = 360 - 512 + 256 k. */
    expect_tile(&img, 0, 104, 2, 0, 1);
    expect_tile(&img, 1024, 104, 2, 0, 1);
    expect_tile(&img, 768, 360, 2, 3, 2);
    assert_true(vd_widest_background_band(&img) < 4);
    assert_true(vd_json_num(r.stats, "\"placeholder\"", "last") == 0);
    /* A finished view draws each pixel of the map once, and so does every
     * frame of a zoom in while the new tiles arrive and fade in over their
     * parents (one pass mixing both). */
    assert_true(fabs(vd_json_num(r.stats, "\"map_overdraw\"", "last") - 1.0) < 0.01);
    assert_true(vd_json_num(r.stats, "\"map_overdraw\"", "max") < 1.01);
    vd_image_free(&img);
}

/* Zoom 0 and 1 are lower than a 720 px tall window allows: the view takes the
 * zoom at which the world is 720 px tall, and nothing is grey. A zoom-pan
 * (zoom out while panning) ends at that zoom too. */
static void test_lowest_zoom_fills(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", g_src, "--rate", "0", "--size", "1280x720", "--lat", "60", "--lon", "100",
                          "--zoom", "0", NULL};
    assert_true(vd_run_script(&r,
                              "key h\nwait-idle 60000\nscreenshot @/z0.png\n"
                              "goto 20 -20 4\nwait-idle 60000\nzoom-pan 200 100 -4 -500 0 300\n"
                              "wait-idle 60000\nscreenshot @/z1.png\n",
                              args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    double lowest = log2(720.0 / 256.0);
    const char *l3 = vd_json_line(r.stats, 3);
    assert_non_null(l3);
    assert_true(fabs(vd_json_num(l3, NULL, "zoom") - lowest) < 1e-3);
    assert_true(fabs(vd_json_num(r.stats, "\"view\"", "zoom") - lowest) < 1e-3);
    const char *names[] = {"z0.png", "z1.png"};
    for (int i = 0; i < 2; i++) {
        vd_image img;
        load(&r, names[i], &img);
        assert_true(vd_widest_background_band(&img) < 4);
        vd_image_free(&img);
    }
    assert_true(vd_json_num(r.stats, "\"placeholder\"", "last") == 0);
    /* Frames that saved a screenshot are counted apart, not in frame_ms. */
    assert_true(vd_json_num(r.stats, "\"screenshot_frames\"", "count") == 2);
    assert_true(vd_json_num(r.stats, "\"frame_ms\"", "max") >= 0);
}

/* A texture budget smaller than the tiles drawn during a zoom-out plus the
 * view's margin and parents: the view still completes (the tiles the view
 * wants are never the ones evicted for tiles it no longer shows), so every
 * wait-idle returns. */
static void test_small_budget_completes(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", g_src, "--rate", "0", "--size", "768x512", "--lat", "30", "--lon", "20",
                          "--zoom", "5", "--gpu-cache", "12", NULL};
    assert_true(vd_run_script(&r,
                              "wait-idle 60000\nzoom-at 384 256 1 200\nwait-idle 60000\npan -600 0 300\n"
                              "wait-idle 60000\nzoom-at 384 256 -1 200\nwait-idle 60000\n"
                              "zoom-at 100 100 -1 200\nwait-idle 60000\n",
                              args, RUN_TIMEOUT_S));
    if (r.status != 0)
        fail_msg("status %d: %s", r.status, r.err);
    assert_true(vd_json_num(r.stats, "\"gpu_cache\"", "evictions") > 0);
    assert_true(vd_json_num(r.stats, "\"placeholder\"", "last") == 0);
}

/* While the map moves, a frame uploads at most MER_UPLOAD_MOVING_BYTES of
 * textures (four 256 px tiles) whatever --upload-budget allows (8 here).
 * The second run pans over an area the first left in the disk cache, so
 * tiles come from disk while the map moves, faster than frames take them;
 * the rest wait for later frames, and the view still completes. */
static void test_upload_budget_while_moving(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run fill, r;
    assert_true(vd_prepare(&fill));
    assert_true(vd_prepare(&r));
    char cache[300];
    snprintf(cache, sizeof cache, "%s/shared-cache", fill.dir);
    const char *args[] = {"--source", g_src, "--rate", "0", "--size", "1024x640", "--lat", "40", "--lon", "-20",
                          "--zoom", "6", "--upload-budget", "8", "--cache-dir", cache, NULL};
    assert_true(vd_run_script(&fill, "wait-idle 60000\npan -1400 0 0\nwait-idle 60000\n", args, RUN_TIMEOUT_S));
    if (fill.status != 0)
        fail_msg("status %d: %s", fill.status, fill.err);
    assert_true(vd_run_script(&r, "wait-idle 60000\npan -1400 0 1500\nwait-idle 60000\n", args, RUN_TIMEOUT_S));
    if (r.status != 0)
        fail_msg("status %d: %s", r.status, r.err);
    const char *m = strstr(r.stats, "\"uploads_moving\"");
    assert_non_null(m);
    assert_true(vd_json_num(m, NULL, "frames") > 0);
    assert_true(vd_json_num(m, NULL, "tiles") > 0);
    assert_true(vd_json_num(m, NULL, "tiles_max") <= (double)(MER_UPLOAD_MOVING_BYTES / (256 * 256 * 4)));
    assert_true(vd_json_num(m, NULL, "bytes_max") <= (double)MER_UPLOAD_MOVING_BYTES);
    assert_true(vd_json_num(r.stats, "\"placeholder\"", "last") == 0);
    /* New tiles went into spare textures made between frames (texcache.h). */
    assert_true(vd_json_num(r.stats, "\"gpu_cache\"", "spares_used") > 0);
    /* The slowest frames are listed with what each did. */
    assert_non_null(strstr(r.stats, "\"slowest_frames\": [\n    {\"n\": "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_repeats),
        cmocka_unit_test(test_lowest_zoom_fills),
        cmocka_unit_test(test_small_budget_completes),
        cmocka_unit_test(test_upload_budget_while_moving),
    };
    return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
