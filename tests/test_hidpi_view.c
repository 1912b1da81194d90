/* HiDPI in the viewer (issue 14.7), under Xvfb with a forced display scale
 * (MERIDIAN_SCALE=2, since Xvfb has none): a source with @2x tiles is asked
 * for them, whose 512 px are drawn at 256
 * logical px, i.e. 512 screen px, one texel per pixel (the tile codes read
 * at scale 2 at the expected corners). At scale 1 the same source gets plain
 * 256 px tiles. tilesim's request log tells which were asked for. */
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
#include "viewer_driver.h"

#define Z 6
#define CX 33 /* the view is centred on the north-west corner of 6/33/22 */
#define CY 22

/* Runs the viewer on a URL template with {r} (a source with @2x tiles; the
 * config file's "retina = true" is tested in test_hidpi.c, as the driver runs
 * the viewer with --no-config); scale 0 = the display's own. */
static void run(vd_run *r, const mer_test_server *s, double scale)
{
    assert_true(vd_prepare(r));
    char url[160], lat[64], lon[64], zs[8];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}{r}.png", s->base_url);
    vd_corner(Z, CX, CY, lat, lon, sizeof lat);
    snprintf(zs, sizeof zs, "%d", Z);
    const char *args[] = {"--source", url, "--rate", "0", "--max-concurrent", "6", "--size", "1024x768",
                          "--lat", lat, "--lon", lon, "--zoom", zs, NULL};
    if (scale > 0) {
        char v[16];
        snprintf(v, sizeof v, "%g", scale);
        setenv("MERIDIAN_SCALE", v, 1);
    }
    bool ok = vd_run_script(r, "key h\nwait-idle 60000\nscreenshot @/shot.png\n", args, 150);
    unsetenv("MERIDIAN_SCALE");
    assert_true(ok);
    if (r->status != 0)
        fail_msg("meridian exited %d: %s", r->status, r->err);
}

static void expect_tile(const vd_image *img, int x0, int y0, double scale, int x, int y)
{
    mer_tile_id id;
    if (!mer_test_decode_tile_id(img->rgba, img->w, img->h, img->w, x0, y0, scale, &id))
        fail_msg("no tile code at (%d, %d) at scale %.0f; expected %d/%d/%d", x0, y0, scale, Z, x, y);
    if (id.z != Z || id.x != x || id.y != y)
        fail_msg("at (%d, %d): %d/%d/%d, expected %d/%d/%d", x0, y0, id.z, id.x, id.y, Z, x, y);
}

/* Counts the log lines for tile requests with and without "@2x". */
static void count_requests(const char *log, int *x2, int *x1)
{
    *x2 = *x1 = 0;
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "path=/");
        if (!p || !strstr(p, ".png"))
            continue;
        if (strstr(p, "@2x.png"))
            (*x2)++;
        else
            (*x1)++;
    }
    fclose(f);
}

static void test_hidpi_tiles(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    static vd_run r2, r1;
    char log[300];
    /* Scale 2: a 1024x768 drawable is a 512x384 logical window. */
    assert_true(vd_prepare(&r2));
    snprintf(log, sizeof log, "%s/tilesim.log", r2.dir);
    const char *sargs[] = {"--log", log, NULL};
    mer_test_server s;
    assert_true(mer_test_server_start(&s, sargs));
    memset(&r2, 0, sizeof r2);
    run(&r2, &s, 2.0);
    assert_true(fabs(vd_json_num(r2.stats, "\"window\"", "scale") - 2.0) < 1e-9);
    char path[512];
    vd_image img;
    snprintf(path, sizeof path, "%s/shot.png", r2.dir);
    assert_true(vd_load_png(path, &img));
    assert_int_equal(img.w, 1024);
    /* The tile corner at the centre (512, 384); tiles 512 screen px wide. */
    expect_tile(&img, 512, 384, 2.0, CX, CY);
    expect_tile(&img, 0, 384, 2.0, CX - 1, CY);
    vd_image_free(&img);
    int x2, x1;
    count_requests(log, &x2, &x1);
    assert_true(x2 >= 4);
    assert_int_equal(x1, 0);
    assert_int_equal(mer_test_server_stop(&s), 0);

    /* Scale 1: plain tiles, 256 px. */
    assert_true(vd_prepare(&r1));
    snprintf(log, sizeof log, "%s/tilesim.log", r1.dir);
    assert_true(mer_test_server_start(&s, sargs));
    memset(&r1, 0, sizeof r1);
    run(&r1, &s, 0);
    snprintf(path, sizeof path, "%s/shot.png", r1.dir);
    assert_true(vd_load_png(path, &img));
    expect_tile(&img, 512, 384, 1.0, CX, CY);
    expect_tile(&img, 256, 128, 1.0, CX - 1, CY - 1);
    vd_image_free(&img);
    count_requests(log, &x2, &x1);
    assert_int_equal(x2, 0);
    assert_true(x1 >= 4);
    assert_int_equal(mer_test_server_stop(&s), 0);
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
        cmocka_unit_test_teardown(test_hidpi_tiles, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
