/* Tile math against published values (OSM wiki "Slippy map tilenames"),
 * round trips, wrap and clamp edge cases, quadkeys. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/tile.h"

static void assert_near(double a, double b, double eps)
{
    if (fabs(a - b) > eps)
        fail_msg("%.12f != %.12f (eps %g)", a, b, eps);
}

static void test_tile_corners(void **state)
{
    (void)state;
    double lon, lat;
    mer_tile_id t0 = {0, 0, 0};
    mer_tile_nw_corner(t0, &lon, &lat);
    assert_near(lon, -180.0, 1e-12);
    assert_near(lat, 85.0511287798, 1e-9);
    /* z1 x1 y1: the south-east quarter, whose NW corner is (0, 0). */
    mer_tile_id t1 = {1, 1, 1};
    mer_tile_nw_corner(t1, &lon, &lat);
    assert_near(lon, 0.0, 1e-12);
    assert_near(lat, 0.0, 1e-12);
    /* Published: z10 tile 511/340 has NW corner lon -0.3515625, lat 51.6180165487737. */
    mer_tile_id t2 = {10, 511, 340};
    mer_tile_nw_corner(t2, &lon, &lat);
    assert_near(lon, -0.3515625, 1e-12);
    assert_near(lat, 51.6180165487737, 1e-9);
    double w, s, e, n;
    mer_tile_bounds(t2, &w, &s, &e, &n);
    assert_near(e, 0.0, 1e-12);
    assert_true(s < n);
}

static void test_tile_for_point(void **state)
{
    (void)state;
    /* Eiffel tower at z16: tile 33185/22545 (the OSM wiki formula, computed independently). */
    mer_tile_id t = mer_tile_for_lonlat(2.2945, 48.8584, 16);
    assert_int_equal(t.x, 33185);
    assert_int_equal(t.y, 22545);
    /* London, z10: 511/340. */
    t = mer_tile_for_lonlat(-0.1276, 51.5072, 10);
    assert_int_equal(t.x, 511);
    assert_int_equal(t.y, 340);
    /* Poles clamp to the first/last row; lon 180 wraps to column 0. */
    t = mer_tile_for_lonlat(0, 90, 5);
    assert_int_equal(t.y, 0);
    t = mer_tile_for_lonlat(0, -90, 5);
    assert_int_equal(t.y, 31);
    t = mer_tile_for_lonlat(180, 0, 3);
    assert_int_equal(t.x, 0);
    t = mer_tile_for_lonlat(-180, 0, 3);
    assert_int_equal(t.x, 0);
}

static void test_round_trip(void **state)
{
    (void)state;
    const double pts[][2] = {{0, 0}, {2.2945, 48.8584}, {-122.4194, 37.7749}, {151.2093, -33.8688},
                             {179.999999, 85.05}, {-179.999999, -85.05}, {13.4050, 52.5200}};
    const double zooms[] = {0, 1.5, 7.25, 12, 19, 22.9};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++)
        for (size_t j = 0; j < sizeof zooms / sizeof zooms[0]; j++) {
            double px, py, lon, lat;
            mer_lonlat_to_pixel(pts[i][0], pts[i][1], zooms[j], 256, &px, &py);
            mer_pixel_to_lonlat(px, py, zooms[j], 256, &lon, &lat);
            assert_near(lon, pts[i][0], 1e-9);
            assert_near(lat, pts[i][1], 1e-9);
        }
    /* World size doubles per zoom; fractional zooms in between. */
    assert_near(mer_world_size_px(0, 256), 256, 1e-12);
    assert_near(mer_world_size_px(1, 256), 512, 1e-12);
    assert_near(mer_world_size_px(0.5, 256), 256 * sqrt(2.0), 1e-9);
    assert_near(mer_world_size_px(3, 512), 4096, 1e-12);
}

static void test_clamp_and_wrap(void **state)
{
    (void)state;
    assert_near(mer_clamp_lat(90), MER_MAX_LAT, 0);
    assert_near(mer_clamp_lat(-1000), -MER_MAX_LAT, 0);
    assert_near(mer_clamp_lat(NAN), 0, 0);
    assert_near(mer_clamp_lat(45), 45, 0);
    double u, v;
    mer_lonlat_to_world(0, 90, &u, &v);
    assert_near(v, 0.0, 1e-9); /* clamped to the top edge, not infinity */
    assert_near(mer_wrap_lon(190), -170, 1e-12);
    assert_near(mer_wrap_lon(-190), 170, 1e-12);
    assert_near(mer_wrap_lon(180), -180, 1e-12);
    assert_near(mer_wrap_lon(720 + 10), 10, 1e-9);
    assert_int_equal(mer_tile_wrap_x(-1, 3), 7);
    assert_int_equal(mer_tile_wrap_x(8, 3), 0);
    assert_int_equal(mer_tile_wrap_x(-17, 3), 7);
    assert_int_equal(mer_tile_wrap_x(1000000007LL, 0), 0);
    assert_int_equal(mer_tile_wrap_x(INT64_C(1) << 40, 20), 0);
    assert_int_equal(mer_tms_y(0, 3), 7);
    assert_int_equal(mer_tms_y(mer_tms_y(5, 10), 10), 5);
    assert_int_equal(mer_tms_y(0, 0), 0);
}

static void test_view_range(void **state)
{
    (void)state;
    /* A 512x512 view centred on the world at zoom 1 shows exactly the 4 tiles. */
    mer_tile_range r = mer_tiles_for_view(0.5, 0.5, 1, 256, 512, 512, 1, 0);
    assert_int_equal(r.x0, 0);
    assert_int_equal(r.x1, 1);
    assert_int_equal(r.y0, 0);
    assert_int_equal(r.y1, 1);
    assert_int_equal(mer_tile_range_count(r), 4);
    /* A margin grows x freely (wrap) but y stays in the world. */
    r = mer_tiles_for_view(0.5, 0.5, 1, 256, 512, 512, 1, 1);
    assert_int_equal(r.x0, -1);
    assert_int_equal(r.y0, 0);
    assert_int_equal(r.y1, 1);
    /* Never more than one world of columns. */
    r = mer_tiles_for_view(0.5, 0.5, 0, 256, 4000, 256, 0, 2);
    assert_int_equal(r.x1 - r.x0 + 1, 1);
    /* For drawing, every copy on screen: 4000 px at zoom 0 shows 16 + margins. */
    r = mer_tiles_for_view_repeat(0.5, 0.5, 0, 256, 4000, 256, 0, 0);
    assert_int_equal(r.x0, -8);
    assert_int_equal(r.x1, 8);
    r = mer_tiles_for_view_repeat(0.625, 0.5, 2, 256, 1280, 720, 2, 0);
    assert_int_equal(r.x0, 0);
    assert_int_equal(r.x1, 5);
    /* Display zoom 3.5 with tiles of zoom 3: tiles appear 256*sqrt2 px wide. */
    r = mer_tiles_for_view(0.5, 0.5, 3.5, 256, 362, 362, 3, 0);
    assert_int_equal(r.x0, 3);
    assert_int_equal(r.x1, 4);
    /* Crossing the antimeridian east of 180. */
    r = mer_tiles_for_view(0.999, 0.5, 4, 256, 1024, 256, 4, 0);
    assert_true(r.x1 >= 16);
    assert_int_equal(mer_tile_wrap_x(r.x1, 4), (int)(r.x1 - 16));
}

static void test_bbox_range(void **state)
{
    (void)state;
    mer_tile_range r = mer_tiles_for_bbox(-180, -85, 180, 85, 2);
    assert_int_equal(mer_tile_range_count(r), 16);
    r = mer_tiles_for_bbox(170, -10, -170, 10, 3); /* across the antimeridian */
    assert_int_equal(r.x0, 7);
    assert_int_equal(r.x1, 8);
    r = mer_tiles_for_bbox(2.2, 48.8, 2.4, 48.9, 12);
    assert_true(mer_tile_range_count(r) >= 1 && mer_tile_range_count(r) <= 9);
}

static void test_quadkey(void **state)
{
    (void)state;
    char qk[32];
    /* Bing's documented example: tile 3/5 at level 3 -> "213". */
    mer_tile_id t = {3, 3, 5};
    assert_true(mer_quadkey(t, qk, sizeof qk));
    assert_string_equal(qk, "213");
    mer_tile_id z0 = {0, 0, 0};
    assert_true(mer_quadkey(z0, qk, sizeof qk));
    assert_string_equal(qk, "");
    mer_tile_id back;
    assert_true(mer_quadkey_parse("213", &back));
    assert_true(mer_tile_equal(back, t));
    assert_false(mer_quadkey_parse("2140", &back));
    assert_false(mer_quadkey(t, qk, 3)); /* no room for the terminator */
    mer_tile_id bad = {3, 8, 0};
    assert_false(mer_quadkey(bad, qk, sizeof qk));
    /* Every tile of zoom 4 round-trips. */
    for (int x = 0; x < 16; x++)
        for (int y = 0; y < 16; y++) {
            mer_tile_id a = {4, x, y};
            assert_true(mer_quadkey(a, qk, sizeof qk));
            assert_true(mer_quadkey_parse(qk, &back));
            assert_true(mer_tile_equal(a, back));
        }
}

static void test_keys_and_parents(void **state)
{
    (void)state;
    mer_tile_id a = {19, 524287, 3}, b = {19, 3, 524287};
    assert_true(mer_tile_key(a) != mer_tile_key(b));
    assert_true(mer_tile_equal(mer_tile_from_key(mer_tile_key(a)), a));
    mer_tile_id p = mer_tile_parent(a, 2);
    assert_int_equal(p.z, 17);
    assert_int_equal(p.x, 524287 >> 2);
    assert_int_equal(mer_tile_parent(a, 40).z, 0);
    mer_tile_id inval = {2, 4, 0}, neg = {2, -1, 0};
    assert_false(mer_tile_valid(inval));
    assert_false(mer_tile_valid(neg));
    assert_true(mer_tile_valid(a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tile_corners), cmocka_unit_test(test_tile_for_point),
        cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_clamp_and_wrap),
        cmocka_unit_test(test_view_range),   cmocka_unit_test(test_bbox_range),
        cmocka_unit_test(test_quadkey),      cmocka_unit_test(test_keys_and_parents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
