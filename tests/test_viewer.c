/* GUI tests of the viewer: the meridian binary in scripted mode under Xvfb,
 * against meridian-tilesim, checked by the tile codes in its screenshots and
 * by its --stats JSON. Each test binary has an X server of its own
 * (tests/support/own_display.sh), so no other test's window sends it events. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/world.h"
#include "support/test_server.h"
#include "support/tile_code.h"
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


/* Runs a script with the view centred on the north-west corner of tile
 * (z, cx, cy), at w x h. */
static void run_at(vd_run *r, const char *script, int z, double cx, double cy, const char *size)
{
    char lat[64], lon[64], zs[16];
    vd_corner(z, cx, cy, lat, lon, sizeof lat);
    snprintf(zs, sizeof zs, "%d", z);
    const char *args[] = {"--source", g_src, "--max-concurrent", "8", "--rate", "0", "--size", size,
                          "--lat", lat, "--lon", lon, "--zoom", zs, NULL};
    assert_true(vd_run_script(r, script, args, RUN_TIMEOUT_S));
}

static void expect_tile(const vd_image *img, int x0, int y0, int z, int x, int y)
{
    mer_tile_id id;
    if (!vd_decode(img, x0, y0, &id))
        fail_msg("no tile code at (%d, %d); expected %d/%d/%d", x0, y0, z, x, y);
    if (id.z != z || id.x != x || id.y != y)
        fail_msg("at (%d, %d): tile %d/%d/%d, expected %d/%d/%d", x0, y0, id.z, id.x, id.y, z, x, y);
}

static void load(const vd_run *r, const char *name, vd_image *img)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    if (!vd_load_png(path, img))
        fail_msg("cannot read screenshot %s", path);
}

/* After wait-idle every tile is where the tile math says: view centred on
 * the corner of 4/8/5 at 768x512, so corners fall on x = 128, 384, 640 and
 * y = 0, 256. */
static void test_tiles_in_place(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, "key h\nwait-idle 60000\nscreenshot @/a.png\n", 4, 8, 5, "768x512");
    assert_int_equal(r.status, 0);
    vd_image img;
    load(&r, "a.png", &img);
    assert_int_equal(img.w, 768);
    assert_int_equal(img.h, 512);
    for (int ty = 4; ty <= 5; ty++)
        for (int tx = 7; tx <= 9; tx++)
            expect_tile(&img, 384 + (tx - 8) * 256, 256 + (ty - 5) * 256, 4, tx, ty);
    assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h - 40), 0);
    assert_true(vd_json_num(r.stats, "\"placeholder\"", "last") == 0);
    vd_image_free(&img);
}

/* The world wraps east-west: centred on the antimeridian, tile x = 7 is
 * left of the centre and x = 0 right of it. */
static void test_wraps_east_west(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, "key h\nwait-idle 60000\nscreenshot @/w.png\n", 3, 8, 3, "768x512");
    assert_int_equal(r.status, 0);
    vd_image img;
    load(&r, "w.png", &img);
    expect_tile(&img, 128, 256, 3, 7, 3);
    expect_tile(&img, 384, 256, 3, 0, 3);
    expect_tile(&img, 640, 256, 3, 1, 3);
    vd_image_free(&img);
}

/* Directly after a zoom step (no time for new tiles) the map shows the loaded
 * ancestors, scaled: no placeholder pixel, and 5/16/11 readable at twice its
 * size. A jump to a far area in the same run does show the placeholder, which
 * proves the check can fail. */
static void test_zoom_step_shows_ancestors(void **state)
{
    VD_NEED_DISPLAY();
    char far_lat[64], far_lon[64], script[512];
    vd_corner(5, 3, 20, far_lat, far_lon, sizeof far_lat);
    snprintf(script, sizeof script,
             "key h\nwait-idle 60000\nzoom-at 384 256 1\nscreenshot @/zoom.png\n"
             "goto %s %s 5\nscreenshot @/far.png\n",
             far_lat, far_lon);
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, script, 5, 16, 11, "768x512");
    assert_int_equal(r.status, 0);
    vd_image zoom, far;
    load(&r, "zoom.png", &zoom);
    load(&r, "far.png", &far);
    assert_int_equal(vd_count_placeholder(&zoom, 0, 0, zoom.w, zoom.h - 40), 0);
    mer_tile_id id;
    assert_true(mer_test_decode_tile_id(zoom.rgba, zoom.w, zoom.h, zoom.w, 384, 256, 2.0, &id));
    assert_int_equal(id.z, 5);
    assert_int_equal(id.x, 16);
    assert_int_equal(id.y, 11);
    long n = vd_count_placeholder(&far, 0, 0, far.w, far.h - 40);
    assert_true(n > (long)far.w * (far.h - 40) / 2);
    vd_image_free(&zoom);
    vd_image_free(&far);
}

/* Zooming out far, before the new level loads, loaded children stand in:
 * from z5 to z2 in one step, z3 tile 3/4/2 (loaded as a grandparent of the
 * first view) shows at half size where the tile math puts it. */
static void test_zoom_out_shows_children(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, "key h\nwait-idle 60000\nzoom-at 384 256 -3\nscreenshot @/out.png\n", 5, 16, 11, "768x512");
    assert_int_equal(r.status, 0);
    vd_image img;
    load(&r, "out.png", &img);
    mer_tile_id id;
    /* The corner of 3/4/2: u = 0.5, v = 0.25; the anchor is 5/16/11's corner
     * (v = 11/32) at (384, 256), and the world is 1024 px at zoom 2. */
    int y0 = 256 + (int)lround((0.25 - 11.0 / 32) * 1024);
    assert_true(mer_test_decode_tile_id(img.rgba, img.w, img.h, img.w, 384, y0, 0.5, &id));
    assert_int_equal(id.z, 3);
    assert_int_equal(id.x, 4);
    assert_int_equal(id.y, 2);
    assert_true(vd_json_num(r.stats, "\"standin\"", "last") >= 1);
    vd_image_free(&img);
}

/* "pan 37 -23" moves every map pixel by exactly (37, -23). */
static void test_pan_moves_pixels(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, "key h\nwait-idle 60000\nscreenshot @/a.png\npan 37 -23\nwait-idle 60000\nscreenshot @/b.png\n",
           4, 8, 5, "768x512");
    assert_int_equal(r.status, 0);
    vd_image a, b;
    load(&r, "a.png", &a);
    load(&r, "b.png", &b);
    expect_tile(&b, 384 + 37, 256 - 23, 4, 8, 5);
    expect_tile(&b, 128 + 37, 256 - 23, 4, 7, 5);
    long same = 0, total = 0;
    for (int y = 30; y < a.h - 40; y += 3) {
        for (int x = 0; x + 37 < a.w; x += 3) {
            const uint8_t *p = vd_px(&a, x, y), *q = vd_px(&b, x + 37, y - 23);
            total++;
            same += abs(p[0] - q[0]) <= 2 && abs(p[1] - q[1]) <= 2 && abs(p[2] - q[2]) <= 2;
        }
    }
    assert_true(total > 10000);
    if (same < total * 99 / 100)
        fail_msg("only %ld of %ld pixels moved by (37, -23)", same, total);
    vd_image_free(&a);
    vd_image_free(&b);
}

/* A fast drag released while moving keeps gliding: the view moves further
 * west during the sleep after the release, and frames are drawn meanwhile. */
static void test_fling_keeps_moving(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, "key h\nwait-idle 60000\ndrag 200 250 240 0 200\nsleep 800\n", 4, 8, 5, "768x512");
    assert_int_equal(r.status, 0);
    const char *l2 = vd_json_line(r.stats, 2), *l3 = vd_json_line(r.stats, 3), *l4 = vd_json_line(r.stats, 4);
    assert_non_null(l2);
    assert_non_null(l3);
    assert_non_null(l4);
    double lon2 = vd_json_num(l2, NULL, "lon"), lon3 = vd_json_num(l3, NULL, "lon");
    double lon4 = vd_json_num(l4, NULL, "lon");
    double px_per_deg = 256.0 * 16 / 360.0;
    double dragged = (lon2 - lon3) * px_per_deg, glided = (lon3 - lon4) * px_per_deg;
    fprintf(stderr, "dragged %.1f px, glided %.1f px after release\n", dragged, glided);
    /* The drag itself (plus at most one frame of glide after the release). */
    assert_true(dragged > 238 && dragged < 300);
    assert_true(glided > 40);
    assert_true(vd_json_num(l4, NULL, "frames") > 2);
}

/* Growing the window fills the new area with the right tiles. */
static void test_resize_fills(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, "key h\nwait-idle 60000\nresize 900 640\nwait-idle 60000\nscreenshot @/r.png\n", 4, 8, 5,
           "640x480");
    assert_int_equal(r.status, 0);
    vd_image img;
    load(&r, "r.png", &img);
    assert_int_equal(img.w, 900);
    assert_int_equal(img.h, 640);
    assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h - 40), 0);
    expect_tile(&img, 450 + 256, 320, 4, 9, 5);
    expect_tile(&img, 450 - 256, 320 + 256, 4, 7, 6);
    vd_image_free(&img);
}

/* Once idle, nothing is drawn: a 1.5 s sleep renders no frames of its own.
 * The X server may still deliver a late expose or pointer-enter event (seen
 * on a loaded machine), which rightly costs one redraw each; a loop that kept
 * rendering would draw about 90 frames here. */
static void test_idle_renders_nothing(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, "wait-idle 60000\nsleep 1500\nquit\n", 4, 8, 5, "640x480");
    assert_int_equal(r.status, 0);
    const char *l1 = vd_json_line(r.stats, 1), *l2 = vd_json_line(r.stats, 2);
    assert_non_null(l1);
    assert_non_null(l2);
    assert_true(vd_json_num(l1, NULL, "frames") >= 1);
    assert_true(vd_json_num(l2, NULL, "frames") <= 2);
    assert_true(vd_json_num(l2, NULL, "ms") >= 1500);
}

/* The last view is saved at exit and restored without --lat/--lon/--zoom. */
static void test_restores_last_view(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *a1[] = {"--source", g_src, "--lat", "51.5", "--lon", "-0.12", "--zoom", "6.5", NULL};
    assert_true(vd_run_script(&r, "quit\n", a1, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    const char *a2[] = {"--source", g_src, NULL};
    assert_true(vd_run_script(&r, "quit\n", a2, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    assert_true(fabs(vd_json_num(r.stats, "\"view\"", "zoom") - 6.5) < 1e-6);
    assert_true(fabs(vd_json_num(r.stats, "\"view\"", "lat") - 51.5) < 1e-6);
    assert_true(fabs(vd_json_num(r.stats, "\"view\"", "lon") + 0.12) < 1e-6);
}

/* Keyboard and wheel through the real input path: "+" zooms in one level at
 * the centre, Home returns to the start view, Left pans west by a quarter of
 * the window, the wheel zooms anchored at the cursor. */
static void test_keys_and_wheel(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", g_src, "--size", "800x600", "--lat", "0", "--lon", "0", "--zoom", "4", NULL};
    assert_true(vd_run_script(&r,
                              "key +\nwait-idle 60000\n"          /* 1, 2 */
                              "key Home\nwait-idle 60000\n"       /* 3, 4 */
                              "key Left\nwait-idle 60000\n"       /* 5, 6 */
                              "key Home\nwheel 600 300 2\nwait-idle 60000\n" /* 7, 8, 9 */
                              "key Escape\nsleep 5000\nscreenshot @/never.png\n", /* 10, 11, 12 */
                              args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    const char *l2 = vd_json_line(r.stats, 2), *l4 = vd_json_line(r.stats, 4);
    const char *l6 = vd_json_line(r.stats, 6), *l9 = vd_json_line(r.stats, 9);
    assert_non_null(l2);
    assert_non_null(l4);
    assert_non_null(l6);
    assert_non_null(l9);
    assert_true(fabs(vd_json_num(l2, NULL, "zoom") - 5) < 1e-9);
    assert_true(fabs(vd_json_num(l4, NULL, "zoom") - 4) < 1e-9);
    assert_true(fabs(vd_json_num(l4, NULL, "lon")) < 1e-9);
    /* A quarter of 800 px at zoom 4 (4096 px for 360 degrees). */
    assert_true(fabs(vd_json_num(l6, NULL, "lon") + 200 * 360.0 / 4096) < 1e-6);
    /* Two wheel clicks: +1 zoom with (600, 300) fixed: the centre moves half of
     * the 200 px offset, at the old scale, towards the cursor. */
    assert_true(fabs(vd_json_num(l9, NULL, "zoom") - 5) < 1e-9);
    assert_true(fabs(vd_json_num(l9, NULL, "lon") - 100 * 360.0 / 4096) < 1e-6);
    assert_true(fabs(vd_json_num(l9, NULL, "lat")) < 1e-9);
    /* Escape quits: the screenshot after it never happens. */
    char never[512];
    snprintf(never, sizeof never, "%s/never.png", r.dir);
    vd_image img;
    assert_false(vd_load_png(never, &img));
    assert_null(vd_json_line(r.stats, 12));
}

/* Extremes never crash or hang: the poles, the antimeridian, zoom 0 and the
 * source's maximum, huge pans, zooming far past the limits, a tiny window. */
static void test_extremes(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", g_src, "--max-concurrent", "8", "--rate", "0", "--size", "640x480",
                          "--lat", "0", "--lon", "0", "--zoom", "0", NULL};
    assert_true(vd_run_script(&r,
                              "wait-idle 60000\n"
                              "goto 90 180 0\nzoom-at 0 0 -5\nwait-idle 60000\n"
                              "goto -90 -180 19\npan 1000000 -1000000\nzoom-at 639 479 30 100\n"
                              "pan -1000000 1000000 200\nzoom-at 1 1 -30 100\nresize 64 64\n"
                              "wait-idle 60000\nscreenshot @/tiny.png\nresize 1500 900\nzoom-at 100 100 12.5\n"
                              "wait-idle 60000\n",
                              args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    vd_image img;
    load(&r, "tiny.png", &img);
    assert_int_equal(img.w, 64);
    assert_int_equal(img.h, 64);
    vd_image_free(&img);
    double zoom = vd_json_num(r.stats, "\"view\"", "zoom"), lat = vd_json_num(r.stats, "\"view\"", "lat");
    assert_true(zoom >= 0 && zoom <= 19);
    assert_true(fabs(lat) <= 85.06);
}

/* A layer toggled by its key draws over the map: G outlines the tile slots
 * along the tile borders (x = 128, 384, 640 and y = 256 here). */
static void test_grid_layer(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    run_at(&r, "key h\nwait-idle 60000\nscreenshot @/off.png\nkey g\nscreenshot @/on.png\n", 4, 8, 5, "768x512");
    assert_int_equal(r.status, 0);
    vd_image off, on;
    load(&r, "off.png", &off);
    load(&r, "on.png", &on);
    long border = 0, inside = 0, before = 0;
    for (int y = 40; y < 480; y++) {
        const uint8_t *p = vd_px(&on, 384, y), *q = vd_px(&on, 300, y), *o = vd_px(&off, 384, y);
        border += p[0] == 255 && p[1] == 0 && p[2] == 255;
        inside += y != 256 && q[0] == 255 && q[1] == 0 && q[2] == 255; /* y = 256: a horizontal border */
        before += o[0] == 255 && o[1] == 0 && o[2] == 255;
    }
    assert_int_equal(border, 480 - 40);
    assert_int_equal(inside, 0);
    assert_int_equal(before, 0);
    const uint8_t *h = vd_px(&on, 300, 256);
    assert_true(h[0] == 255 && h[1] == 0 && h[2] == 255);
    vd_image_free(&off);
    vd_image_free(&on);
}

/* Most of the 5x5 pixels around the screen point of (lon, lat) look like
 * land (want_land) or sea of the world map: nearer one colour than the other
 * (the demo's relief shades both a little). Tile (4, 8, 5)'s corner is at
 * screen (384, 256). */
static bool demo_area_is(const vd_image *img, double lon, double lat, bool want_land)
{
    double px, py;
    mer_lonlat_to_pixel(lon, lat, 4, 256, &px, &py);
    int x = (int)(px - 8 * 256 + 384), y = (int)(py - 5 * 256 + 256), hits = 0;
    uint8_t sea[3], land[3];
    mer_world_colors(sea, land);
    for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++) {
            const uint8_t *p = vd_px(img, x + dx, y + dy);
            int dl = 0, ds = 0;
            for (int k = 0; k < 3; k++) {
                dl += abs(p[k] - land[k]);
                ds += abs(p[k] - sea[k]);
            }
            hits += want_land ? dl < ds : ds < dl;
        }
    return hits >= 13;
}

/* --demo starts its own tile server and shows its tiles: the real world map,
 * with no code marks (those are for tests: meridian-tilesim --codes). */
static void test_demo(void **state)
{
    VD_NEED_DISPLAY();
    char lat[64], lon[64];
    vd_corner(4, 8, 5, lat, lon, sizeof lat);
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--demo", "--size", "768x512", "--lat", lat, "--lon", lon, "--zoom", "4", NULL};
    assert_true(vd_run_script(&r, "key h\nwait-idle 60000\nscreenshot @/d.png\n", args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    vd_image img;
    load(&r, "d.png", &img);
    mer_tile_id id;
    const int corners[4][2] = {{384, 256}, {128, 0}, {384, 0}, {128, 256}};
    for (int i = 0; i < 4; i++)
        if (vd_decode(&img, corners[i][0], corners[i][1], &id))
            fail_msg("a tile code at (%d, %d): --demo shows code marks", corners[i][0], corners[i][1]);
    assert_true(demo_area_is(&img, 1.0, 45.5, true));     /* France, away from its name */
    assert_true(demo_area_is(&img, 16.5, 53.0, true));    /* western Poland */
    assert_true(demo_area_is(&img, -5.0, 46.0, false));   /* Bay of Biscay */
    assert_true(demo_area_is(&img, 3.5, 55.0, false));    /* North Sea */
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_ok") > 0);
    vd_image_free(&img);
}

/* Tiles that cannot be loaded (every body corrupt) show the world map beneath
 * with thin red lines on top: not a hole, not the loading placeholder, and
 * not a fully hatched window. */
static void test_failed_tiles_show_pattern(void **state)
{
    VD_NEED_DISPLAY();
    mer_test_server bad;
    const char *sargs[] = {"--faults", "corrupt=1", NULL};
    assert_true(mer_test_server_start(&bad, sargs));
    char src[128];
    snprintf(src, sizeof src, "%s/{z}/{x}/{y}.png", bad.base_url);
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", src, "--max-concurrent", "8", "--rate", "0", "--size", "640x480",
                          "--lat", "47", "--lon", "8", "--zoom", "4", NULL};
    bool ran = vd_run_script(&r, "key h\nwait-idle 60000\nscreenshot @/f.png\n", args, RUN_TIMEOUT_S);
    mer_test_server_stop(&bad);
    assert_true(ran);
    assert_int_equal(r.status, 0);
    vd_image img;
    load(&r, "f.png", &img);
    long lines = 0, area = (long)img.w * (img.h - 40);
    for (int y = 0; y < img.h - 40; y++)
        for (int x = 0; x < img.w; x++) {
            const uint8_t *p = vd_px(&img, x, y);
            /* shaders/ui.frag mode 2: red (204, 51, 51) lines, 2 px in every 32. */
            lines += abs(p[0] - 204) <= 1 && abs(p[1] - 51) <= 1 && abs(p[2] - 51) <= 1;
        }
    assert_true(lines > area / 24 && lines < area / 10);
    assert_true(vd_json_num(r.stats, "\"failed\"", "last") >= 6);
    assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h - 40), 0);
    assert_true(vd_json_num(r.stats, "\"basemap\"", "tiles_loaded") > 0);
    vd_image_free(&img);
}

/* Bad script lines fail before the window opens, naming the line. */
static void test_bad_script_lines(void **state)
{
    VD_NEED_DISPLAY();
    static const struct {
        const char *script;
        const char *where, *what;
    } cases[] = {
        {"wait-idle\nfrobnicate 1\n", "script.txt:2:", "frobnicate"},
        {"pan 10\n", "script.txt:1:", "usage: pan DX DY"},
        {"# comment\n\ngoto 100 0 3\n", "script.txt:3:", "LAT"},
        {"screenshot out.jpg\n", "script.txt:1:", ".png"},
        {"key NoSuchKey\n", "script.txt:1:", "NoSuchKey"},
        {"sleep -5\n", "script.txt:1:", "MS"},
        {"zoom-at 1 2 abc\n", "script.txt:1:", "DZ"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vd_run r;
        assert_true(vd_prepare(&r));
        const char *args[] = {"--source", g_src, NULL};
        assert_true(vd_run_script(&r, cases[i].script, args, RUN_TIMEOUT_S));
        assert_int_equal(r.status, 2);
        if (!strstr(r.err, cases[i].where) || !strstr(r.err, cases[i].what))
            fail_msg("case %zu: stderr lacks '%s' / '%s': %s", i, cases[i].where, cases[i].what, r.err);
    }
    /* A command that fails while running names its line too, with status 1. */
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", g_src, NULL};
    assert_true(vd_run_script(&r, "key h\nscreenshot /nonexistent-dir/x.png\nquit\n", args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "script.txt:2:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_script_lines),
        cmocka_unit_test(test_tiles_in_place),
        cmocka_unit_test(test_wraps_east_west),
        cmocka_unit_test(test_zoom_step_shows_ancestors),
        cmocka_unit_test(test_zoom_out_shows_children),
        cmocka_unit_test(test_pan_moves_pixels),
        cmocka_unit_test(test_fling_keeps_moving),
        cmocka_unit_test(test_resize_fills),
        cmocka_unit_test(test_idle_renders_nothing),
        cmocka_unit_test(test_restores_last_view),
        cmocka_unit_test(test_failed_tiles_show_pattern),
        cmocka_unit_test(test_keys_and_wheel),
        cmocka_unit_test(test_demo),
        cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_grid_layer),
    };
    return cmocka_run_group_tests(tests, setup_server, teardown_server);
}
