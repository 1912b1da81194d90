/* Unit tests of the viewer's pure parts: camera math, fling and zoom
 * animations, the script parser. No window needed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/tile.h"
#include "net/loader.h"
#include "ui/camera.h"
#include "ui/hud.h"
#include "ui/script.h"

static void test_zoom_at_keeps_anchor(void **state)
{
    (void)state;
    mer_camera c;
    mer_camera_init(&c, 800, 600, 0, 19);
    mer_camera_set_lonlat(&c, 2.35, 48.85, 10);
    double u0, v0, u1, v1;
    mer_camera_screen_to_world(&c, 123, 456, &u0, &v0);
    mer_camera_zoom_at(&c, 123, 456, 1.37);
    assert_true(fabs(c.zoom - 11.37) < 1e-12);
    mer_camera_screen_to_world(&c, 123, 456, &u1, &v1);
    assert_true(fabs(u1 - u0) < 1e-12 && fabs(v1 - v0) < 1e-12);
    mer_camera_zoom_at(&c, 0, 0, 50); /* clamped to max zoom */
    assert_true(c.zoom == 19);
}

static void test_pan_and_wrap(void **state)
{
    (void)state;
    mer_camera c;
    mer_camera_init(&c, 800, 600, 0, 19);
    mer_camera_set_lonlat(&c, 179.0, 0, 3);
    double ws = mer_camera_world_px(&c);
    double u = c.u;
    mer_camera_pan_px(&c, -ws * 0.01, 0); /* map left: centre moves east, past 180 */
    assert_true(c.u >= 0 && c.u < 1);
    assert_true(fabs(c.u - (u + 0.01 - 1.0)) < 1e-12);
    double lon, lat;
    mer_camera_get_lonlat(&c, &lon, &lat);
    assert_true(lon < -170 && lon >= -180);
}

static void test_lat_clamp(void **state)
{
    (void)state;
    mer_camera c;
    mer_camera_init(&c, 800, 600, 0, 19);
    mer_camera_set_lonlat(&c, 0, 85, 2); /* world 1024 px tall, window 600 */
    double top_u, top_v;
    mer_camera_screen_to_world(&c, 400, 0, &top_u, &top_v);
    assert_true(top_v >= -1e-12); /* the view never shows beyond the pole */
    mer_camera_pan_px(&c, 0, 5000);
    mer_camera_screen_to_world(&c, 400, 0, &top_u, &top_v);
    assert_true(fabs(top_v) < 1e-12);
    mer_camera_set_lonlat(&c, 0, 60, 0); /* world shorter than the window: centred */
    assert_true(fabs(c.v - 0.5) < 1e-12);
}

static void test_fling_decays_and_stops(void **state)
{
    (void)state;
    mer_camera c;
    mer_camera_init(&c, 800, 600, 0, 19);
    mer_camera_set_lonlat(&c, 0, 0, 8);
    mer_fling f = {0};
    mer_fling_start(&f, 10, 0); /* too slow to fling */
    assert_false(f.active);
    mer_fling_start(&f, 1000, 0);
    assert_true(f.active);
    double u0 = c.u, last_step = INFINITY;
    int steps = 0;
    while (mer_fling_step(&f, &c, 1.0 / 60) && steps < 10000) {
        steps++;
    }
    assert_true(steps > 10 && steps < 600);
    double moved = (u0 - c.u) * mer_camera_world_px(&c);
    /* The integral of 1000 * exp(-t / 0.29): about 290 px. */
    assert_true(moved > 250 && moved < 300);
    (void)last_step;
}

static void test_zoom_anim_reaches_target(void **state)
{
    (void)state;
    mer_camera c;
    mer_camera_init(&c, 800, 600, 0, 19);
    mer_camera_set_lonlat(&c, 10, 20, 5);
    mer_zoom_anim a = {0};
    double u0, v0, u1, v1;
    mer_camera_screen_to_world(&c, 100, 100, &u0, &v0);
    mer_zoom_anim_start(&a, &c, 100, 100, 2, 0.25);
    mer_zoom_anim_start(&a, &c, 100, 100, 1, 0.25); /* a second wheel click adds up */
    int n = 0;
    while (mer_zoom_anim_step(&a, &c, 1.0 / 60) && n < 1000)
        n++;
    assert_true(fabs(c.zoom - 8) < 1e-9);
    mer_camera_screen_to_world(&c, 100, 100, &u1, &v1);
    assert_true(fabs(u1 - u0) < 1e-9 && fabs(v1 - v0) < 1e-9);
}

static void test_pan_anim_exact(void **state)
{
    (void)state;
    mer_camera c;
    mer_camera_init(&c, 800, 600, 0, 19);
    mer_camera_set_lonlat(&c, 10, 20, 5);
    double u0 = c.u, v0 = c.v;
    mer_pan_anim a = {0};
    mer_pan_anim_start(&a, 100, -50, 0.3);
    for (int i = 0; i < 100 && mer_pan_anim_step(&a, &c, 0.017); i++) {
    }
    double ws = mer_camera_world_px(&c);
    assert_true(fabs((u0 - c.u) * ws - 100) < 1e-6);
    assert_true(fabs((v0 - c.v) * ws + 50) < 1e-6);
}

static void test_script_parses(void **state)
{
    (void)state;
    char err[256];
    mer_script *s = mer_script_parse("t", "# hi\nwait-idle\n  pan 1 2 300 # comment\nkey Home\nscreenshot a.PNG\nquit\n",
                                     err, sizeof err);
    assert_non_null(s);
    assert_int_equal(mer_script_count(s), 5);
    assert_int_equal(mer_script_at(s, 0)->op, MER_SC_WAIT_IDLE);
    assert_true(mer_script_at(s, 0)->a[0] == 30000);
    assert_int_equal(mer_script_at(s, 1)->line, 3);
    assert_true(mer_script_at(s, 1)->a[2] == 300);
    assert_string_equal(mer_script_at(s, 3)->path, "a.PNG");
    mer_script_free(s);

    s = mer_script_parse("t", "wait-tiles in_flight\nwait-tiles retry,paused 500\n", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(mer_script_at(s, 0)->op, MER_SC_WAIT_TILES);
    assert_int_equal(mer_script_at(s, 0)->states, 1u << MER_TS_IN_FLIGHT);
    assert_true(mer_script_at(s, 0)->a[0] == 30000);
    assert_int_equal(mer_script_at(s, 1)->states, (1u << MER_TS_RETRY_WAIT) | (1u << MER_TS_PAUSED));
    assert_true(mer_script_at(s, 1)->a[0] == 500);
    mer_script_free(s);
}

static void test_script_errors_name_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"quit now\n", "t:1: wrong number"},
        {"\n\npan 1 nan\n", "t:3: DY"},
        {"goto 1 2 31\n", "t:1: Z"},
        {"zoom-pan 1 2 3 4 5\n", "t:1: wrong number"},
        {"zoom-pan 1 2 3 4 5 0\n", "t:1: MS"},
        {"resize 10 10\n", "t:1: W"},
        {"wait-idle 0\n", "t:1: TIMEOUT_MS"},
        {"screenshot x.png extra\n", "t:1: wrong number"},
        {"key\n", "t:1: wrong number"},
        {"PAN 1 2\n", "t:1: unknown command 'PAN'"},
        {"drag 1 2 3 4 1e9\n", "t:1: MS"},
        {"wait-tiles\n", "t:1: wrong number"},
        {"wait-tiles flying\n", "t:1: unknown tile state 'flying'"},
        {"wait-tiles in_flight,\n", "t:1: unknown tile state"},
        {"wait-tiles in_flight 0\n", "t:1: TIMEOUT_MS"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        mer_script *s = mer_script_parse("t", cases[i].text, err, sizeof err);
        assert_null(s);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got '%s', want prefix '%s'", i, err, cases[i].want);
    }
}

/* The world repeats east-west but not north-south: the lowest zoom keeps it
 * at least as tall as the window, whatever the source's minimum. */
static void test_lowest_zoom_fills_height(void **state)
{
    (void)state;
    mer_camera c;
    mer_camera_init(&c, 1280, 720, 0, 19);
    assert_true(fabs(mer_camera_lowest_zoom(&c) - log2(720.0 / 256.0)) < 1e-12);
    mer_camera_set_lonlat(&c, 0, 70, 0);
    assert_true(fabs(c.zoom - log2(720.0 / 256.0)) < 1e-12);
    /* No band above or below: the view's top edge is inside the world. */
    double u, v;
    mer_camera_screen_to_world(&c, 0, 0, &u, &v);
    assert_true(v >= -1e-12);
    mer_camera_zoom_at(&c, 10, 10, -3);
    assert_true(fabs(c.zoom - log2(720.0 / 256.0)) < 1e-12);
    /* A short window keeps the source's minimum. */
    mer_camera_resize(&c, 1280, 200);
    assert_true(mer_camera_lowest_zoom(&c) == 0);
    mer_camera_init(&c, 640, 480, 3, 19);
    assert_true(mer_camera_lowest_zoom(&c) == 3);
    /* A zoom animation stops at the lowest zoom too. */
    mer_camera_init(&c, 1280, 720, 0, 19);
    mer_camera_set_lonlat(&c, 0, 0, 3);
    mer_zoom_anim a = {0};
    mer_zoom_anim_start(&a, &c, 640, 360, -5, 0.1);
    assert_true(fabs(a.to - log2(720.0 / 256.0)) < 1e-12);
}

static void test_nice_scale(void **state)
{
    (void)state;
    assert_true(mer_hud_nice_metres(120) == 100);
    assert_true(mer_hud_nice_metres(399) == 200);
    assert_true(mer_hud_nice_metres(7400) == 5000);
    assert_true(mer_hud_nice_metres(0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoom_at_keeps_anchor),
        cmocka_unit_test(test_lowest_zoom_fills_height),
        cmocka_unit_test(test_pan_and_wrap),
        cmocka_unit_test(test_lat_clamp),
        cmocka_unit_test(test_fling_decays_and_stops),
        cmocka_unit_test(test_zoom_anim_reaches_target),
        cmocka_unit_test(test_pan_anim_exact),
        cmocka_unit_test(test_script_parses),
        cmocka_unit_test(test_script_errors_name_line),
        cmocka_unit_test(test_nice_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
