/* Offline browsing in the viewer (issue 6): browse an area online, quit, stop
 * the tile server, run `meridian --offline` on the same cache: the same tiles
 * appear in the same places; the coverage layer (key C) outlines them as
 * cached; an uncached area shows the world map with a light "not cached" mark (and red-orange
 * coverage outlines), unless a cached ancestor can stand in; with no position
 * and no saved view, --offline opens over the cached area. The meridian binary
 * runs in scripted mode under Xvfb; screenshots are checked by the tile codes
 * meridian-tilesim draws and by exact colours. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/tile.h"
#include "support/test_server.h"
#include "support/tile_code.h"
#include "ui/overlay_colors.h"
#include "viewer_driver.h"

#define RUN_TIMEOUT_S 150
#define Z 5
#define CX 16 /* the online view is centred on the north-west corner of 5/16/11 */
#define CY 11
#define SIZE "768x512"

static vd_run g_cache_run; /* owns the shared cache directory */
static char g_cache[300], g_src[128];


/* r: zeroed (a fresh directory is made) or already prepared. */
static void run(vd_run *r, const char *script, bool offline, bool at, int z, double cx, double cy)
{
    char lat[64], lon[64], zs[16];
    vd_corner(z, cx, cy, lat, lon, sizeof lat);
    snprintf(zs, sizeof zs, "%d", z);
    const char *args[24] = {"--source", g_src, "--cache-dir", g_cache, "--size", SIZE, "--rate", "0"};
    int n = 8;
    if (offline)
        args[n++] = "--offline";
    if (at) {
        const char *pos[] = {"--lat", lat, "--lon", lon, "--zoom", zs};
        for (int i = 0; i < 6; i++)
            args[n++] = pos[i];
    }
    args[n] = NULL;
    if (!r->dir[0])
        assert_true(vd_prepare(r));
    assert_true(vd_run_script(r, script, args, RUN_TIMEOUT_S));
    assert_int_equal(r->status, 0);
}

static void load(const vd_run *r, const char *name, vd_image *img)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    if (!vd_load_png(path, img))
        fail_msg("cannot read screenshot %s", path);
}

static bool same(const uint8_t *p, mer_ov_rgb c)
{
    return abs(p[0] - c.r) <= 1 && abs(p[1] - c.g) <= 1 && abs(p[2] - c.b) <= 1;
}

/* Pixels of the "not cached" cross-hatch (shaders/ui.frag: thin lines of grey
 * 0.55 over the world map beneath). */
static long count_not_cached(const vd_image *img, int y1)
{
    long n = 0;
    for (int y = 0; y < y1; y++)
        for (int x = 0; x < img->w; x++) {
            const uint8_t *p = vd_px(img, x, y);
            n += p[0] == p[1] && p[1] == p[2] && abs(p[0] - 140) <= 1;
        }
    return n;
}

static void expect_tile(const vd_image *img, int x0, int y0, int z, int x, int y)
{
    mer_tile_id id;
    if (!vd_decode(img, x0, y0, &id))
        fail_msg("no tile code at (%d, %d); expected %d/%d/%d", x0, y0, z, x, y);
    if (id.z != z || id.x != x || id.y != y)
        fail_msg("at (%d, %d): tile %d/%d/%d, expected %d/%d/%d", x0, y0, id.z, id.x, id.y, z, x, y);
}

/* The view centred on the corner of 5/16/11 at 768x512: tile corners at
 * x = 128 + 256 k and y = 0, 256. */
static void expect_home_tiles(const vd_image *img)
{
    for (int ty = CY - 1; ty <= CY; ty++)
        for (int tx = CX - 1; tx <= CX + 1; tx++)
            expect_tile(img, 384 + (tx - CX) * 256, 256 + (ty - CY) * 256, Z, tx, ty);
}

/* Every visible slot's outline (top edge, at its middle) has colour c. */
static void expect_outlines(const vd_image *img, mer_ov_rgb c)
{
    for (int sy = 0; sy <= 256; sy += 256)
        for (int sx = -128; sx < img->w; sx += 256) {
            int mx = sx + 128 > 0 ? sx + 128 : 2;
            if (mx >= img->w)
                mx = img->w - 3;
            const uint8_t *p = vd_px(img, mx, sy + 1);
            if (!same(p, c))
                fail_msg("outline of the slot at (%d, %d): %d,%d,%d, expected %d,%d,%d", sx, sy, p[0], p[1], p[2],
                         c.r, c.g, c.b);
        }
}

static int group_setup(void **state)
{
    (void)state;
    if (!vd_have_display())
        return 0;
    if (!vd_prepare(&g_cache_run))
        return -1;
    snprintf(g_cache, sizeof g_cache, "%s/cache", g_cache_run.dir);
    /* Browse online, then stop the server for good: everything after runs
     * with no tile server at all. */
    mer_test_server s;
    if (!mer_test_server_start(&s, NULL))
        return -1;
    snprintf(g_src, sizeof g_src, "%s/{z}/{x}/{y}.png", s.base_url);
    vd_run r = {0};
    run(&r, "key h\nwait-idle 60000\nscreenshot @/online.png\n", false, true, Z, CX, CY);
    vd_image img;
    load(&r, "online.png", &img);
    expect_home_tiles(&img);
    vd_image_free(&img);
    return mer_test_server_stop(&s) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    vd_cleanup_all();
    return 0;
}

/* The same view offline: the same tiles, all from disk; with C on, every
 * visible slot is outlined as cached. */
static void test_same_view_offline(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r = {0};
    run(&r, "key h\nwait-idle 60000\nscreenshot @/off.png\nkey c\nwait-idle 60000\nscreenshot @/cov.png\n", true,
        true, Z, CX, CY);
    vd_image off, cov;
    load(&r, "off.png", &off);
    load(&r, "cov.png", &cov);
    expect_home_tiles(&off);
    assert_int_equal(vd_count_placeholder(&off, 0, 0, off.w, off.h - 40), 0);
    assert_true(count_not_cached(&off, off.h - 40) < off.w * off.h / 100);
    expect_outlines(&cov, MER_COV_CACHED);
    /* The loader never made a request, and tiles came from disk. */
    assert_true(vd_json_num(r.stats, "\"loader\"", "requests") == 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "cache_hits") >= 6);
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/cov.png.coverage.txt", r.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int slots = 0;
    while (fgets(line, sizeof line, f)) {
        assert_non_null(strstr(line, " cached"));
        slots++;
    }
    fclose(f);
    assert_true(slots >= 4 * 2); /* x 14.5..17.5 -> 14..17, y 10..11 (and the edge row 12) */
    vd_image_free(&off);
    vd_image_free(&cov);
}

/* An area the cache does not have: the not-cached pattern, and with C on,
 * red-orange outlines. Zoomed in one level over the cached area instead, the
 * cached z5 tiles stand in for the missing z6 ones: no pattern. */
static void test_uncached_area(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r = {0};
    run(&r, "key h\nwait-idle 60000\nscreenshot @/far.png\nkey c\nwait-idle 60000\nscreenshot @/farcov.png\n", true,
        true, Z, 3, 20);
    vd_image far, farcov;
    load(&r, "far.png", &far);
    load(&r, "farcov.png", &farcov);
    /* A light mark: lines over about a sixth of the area, the world between. */
    long marked = count_not_cached(&far, far.h - 40);
    assert_true(marked > far.w * far.h / 10 && marked < far.w * far.h / 4);
    assert_int_equal(vd_count_placeholder(&far, 0, 0, far.w, far.h - 40), 0);
    expect_outlines(&farcov, MER_COV_MISSING);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_not_cached") >= 8);
    /* The HUD says so in plain words, not as a failure count. */
    assert_non_null(
        strstr(r.stats, "\"notice\": \"offline: showing the built-in world map; press C for cached areas\""));
    vd_image_free(&far);
    vd_image_free(&farcov);

    vd_run in = {0};
    run(&in, "key h\nwait-idle 60000\nscreenshot @/in.png\n", true, true, Z + 1, 2 * CX, 2 * CY);
    vd_image img;
    load(&in, "in.png", &img);
    assert_true(count_not_cached(&img, img.h - 40) < img.w * img.h / 100);
    assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h - 40), 0);
    /* 5/16/11 drawn at twice its size, its corner at the centre. */
    mer_tile_id id;
    assert_true(mer_test_decode_tile_id(img.rgba, img.w, img.h, img.w, 384, 256, 2.0, &id));
    assert_true(id.z == Z && id.x == CX && id.y == CY);
    vd_image_free(&img);
}

/* No position and no saved view (each run has a fresh XDG_STATE_HOME):
 * --offline opens over the cached area at the zoom it has most tiles of. */
static void test_start_over_cached_area(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r = {0};
    run(&r, "key h\nwait-idle 60000\nscreenshot @/start.png\n", true, false, 0, 0, 0);
    double zoom = vd_json_num(r.stats, "\"view\"", "zoom");
    double lat = vd_json_num(r.stats, "\"view\"", "lat");
    double lon = vd_json_num(r.stats, "\"view\"", "lon");
    assert_true(fabs(zoom - Z) < 1e-6);
    double u, v;
    mer_lonlat_to_world(lon, lat, &u, &v);
    double n = exp2(Z);
    /* Within the browsed area (visible tiles 14..17 x 10..11, plus margin). */
    assert_true(u * n > CX - 3 && u * n < CX + 3 && v * n > CY - 3 && v * n < CY + 3);
    vd_image img;
    load(&r, "start.png", &img);
    assert_true(count_not_cached(&img, img.h - 40) < img.w * img.h / 100);
    assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h - 40), 0);
    /* The tile under the centre, where the camera math puts it. */
    int kx = (int)floor(u * n), ky = (int)floor(v * n);
    double sx = (kx - u * n) * 256 + 384, sy = (ky - v * n) * 256 + 256;
    mer_tile_id id;
    assert_true(mer_test_decode_tile_id_at(img.rgba, img.w, img.h, img.w, sx, sy, 1.0, &id));
    assert_true(id.z == Z && id.x == kx && id.y == ky);
    assert_true(vd_json_num(r.stats, "\"loader\"", "requests") == 0);
    vd_image_free(&img);
}

/* A saved last view wins over the cached extent. */
static void test_start_at_last_view(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    char path[512], lat[64], lon[64];
    snprintf(path, sizeof path, "%s/state", r.dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/state/meridian", r.dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/state/meridian/view", r.dir);
    vd_corner(Z, CX + 1, CY, lat, lon, sizeof lat);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s %s %d\n", lat, lon, Z + 1);
    fclose(f);
    run(&r, "key h\nwait-idle 60000\nscreenshot @/last.png\n", true, false, 0, 0, 0);
    assert_true(fabs(vd_json_num(r.stats, "\"view\"", "zoom") - (Z + 1)) < 1e-6);
    assert_true(fabs(vd_json_num(r.stats, "\"view\"", "lat") - atof(lat)) < 1e-6);
    assert_true(fabs(vd_json_num(r.stats, "\"view\"", "lon") - atof(lon)) < 1e-6);
    /* z6 is not cached; the cached 5/17/11 stands in, at twice its size. */
    vd_image img;
    load(&r, "last.png", &img);
    mer_tile_id id;
    assert_true(mer_test_decode_tile_id(img.rgba, img.w, img.h, img.w, 384, 256, 2.0, &id));
    assert_true(id.z == Z && id.x == CX + 1 && id.y == CY);
    vd_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_view_offline),
        cmocka_unit_test(test_uncached_area),
        cmocka_unit_test(test_start_over_cached_area),
        cmocka_unit_test(test_start_at_last_view),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
