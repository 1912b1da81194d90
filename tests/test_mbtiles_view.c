/* An MBTiles file in the viewer (issue 14.6): viewed where the view is larger
 * than the data, the tiles the file has are drawn in place and the others
 * count as "no data" (the world beneath shows there), never as failed or not
 * cached, in the loader's counters and in the frame counts of --stats. The
 * file is made with the sqlite3 tool (support/mbtiles_fixture.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/mbtiles_fixture.h"
#include "viewer_driver.h"

#define Z 5
#define CX 16 /* the view is centred on the north-west corner of 5/16/11 */
#define CY 11

static void test_absent_tiles_are_no_data(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    static vd_run r;
    assert_true(vd_prepare(&r));
    static const mer_tile_id have[2] = {{Z, CX, CY}, {Z, CX - 1, CY - 1}};
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    char file[400];
    bool made = mer_test_make_mbtiles(&s, r.dir, "area", have, 2, file, sizeof file);
    assert_int_equal(mer_test_server_stop(&s), 0); /* no server from here on */
    assert_true(made);

    char lat[64], lon[64], zs[8];
    vd_corner(Z, CX, CY, lat, lon, sizeof lat);
    snprintf(zs, sizeof zs, "%d", Z);
    const char *args[] = {"--source", file, "--size", "768x512", "--lat", lat, "--lon", lon, "--zoom", zs, NULL};
    assert_true(vd_run_script(&r, "key h\nwait-idle 60000\nscreenshot @/shot.png\n", args, 150));
    if (r.status != 0)
        fail_msg("meridian exited %d: %s", r.status, r.err);
    /* The loader: two tiles from the file, the rest no data, nothing failed. */
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_ok") >= 2);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_no_data") >= 4);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_failed") == 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_not_cached") == 0);
    /* The last frame: slots counted as no data, none as failed or not cached. */
    const char *drawn = strstr(r.stats, "\"tiles_drawn\"");
    assert_non_null(drawn);
    assert_true(vd_json_num(drawn, "\"no_data\"", "last") >= 4);
    assert_true(vd_json_num(drawn, "\"failed\"", "last") == 0);
    assert_true(vd_json_num(drawn, "\"not_cached\"", "last") == 0);
    /* The tiles the file has, in their places. */
    char path[512];
    snprintf(path, sizeof path, "%s/shot.png", r.dir);
    vd_image img;
    assert_true(vd_load_png(path, &img));
    mer_tile_id id;
    assert_true(vd_decode(&img, 384, 256, &id));
    assert_true(mer_tile_equal(id, have[0]));
    assert_true(vd_decode(&img, 128, 0, &id));
    assert_true(mer_tile_equal(id, have[1]));
    vd_image_free(&img);
}

static int teardown(void **state)
{
    (void)state;
    vd_cleanup_all();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_absent_tiles_are_no_data, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
