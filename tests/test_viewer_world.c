/* GUI tests of the built-in world map in the viewer (issue 14): the `world`
 * source fills a 1280x720 window at zooms 1 and 2 with land where land is
 * and sea where sea is; with the network unreachable (a closed loopback
 * port) the world shows beneath the failed tiles and the HUD says so in plain
 * words; while a server's tiles load, the world shows in their place. The meridian binary
 * runs in scripted mode under Xvfb; screenshots are checked by colours at
 * known places, the HUD by its text in the --stats JSON. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/tile.h"
#include "support/test_server.h"
#include "viewer_driver.h"

#define RUN_TIMEOUT_S 200
/* decode/world_render.c: open sea and land. */
static const int SEA[3] = {170, 203, 225};
static const int LAND[3] = {241, 238, 228};

typedef struct place {
    const char *name;
    double lon, lat;
} place;

/* Inside each continent, away from coasts, and open sea far from land. */
static const place g_land[] = {
    {"North America", -100, 45}, {"South America", -63, -5}, {"Europe", 30, 52},
    {"Africa", 20, 5},           {"Asia", 80, 62},           {"Australia", 125, -22},
};
static const place g_sea[] = {
    {"North Atlantic", -40, 35}, {"South Pacific", -130, -30}, {"Indian Ocean", 75, -25},
};

static int teardown(void **state)
{
    (void)state;
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

static bool near(const uint8_t *p, const int c[3], int tol)
{
    return abs(p[0] - c[0]) <= tol && abs(p[1] - c[1]) <= tol && abs(p[2] - c[2]) <= tol;
}

/* In an 11x11 block around the screen point of (lon, lat): how many pixels
 * have colour c, and how many the other of land and sea (borders, labels,
 * graticule lines and failure marks are neither). The view is centred on
 * (clon, clat) at zoom z; the world repeats east-west, so any copy on screen
 * will do. False if no copy is on screen. */
static bool count_at(const vd_image *img, double clon, double clat, double z, place pl, const int c[3],
                     const int other[3], int *hit, int *miss)
{
    double cu, cv, u, v;
    mer_lonlat_to_world(clon, clat, &cu, &cv);
    mer_lonlat_to_world(pl.lon, pl.lat, &u, &v);
    double ws = 256.0 * exp2(z);
    double x = (u - cu) * ws + img->w / 2.0, y = (v - cv) * ws + img->h / 2.0;
    while (x >= 6)
        x -= ws;
    while (x < 6)
        x += ws;
    if (x >= img->w - 6 || y < 6 || y >= img->h - 46)
        return false;
    *hit = *miss = 0;
    for (int dy = -5; dy <= 5; dy++)
        for (int dx = -5; dx <= 5; dx++) {
            const uint8_t *p = vd_px(img, (int)x + dx, (int)y + dy);
            *hit += near(p, c, 10);
            *miss += near(p, other, 10);
        }
    return true;
}

/* Mostly c, hardly ever the other colour. */
static void expect_colour(const vd_image *img, const char *stats, const char *what, place pl, const int c[3],
                          const int other[3])
{
    double z = vd_json_num(stats, "\"view\"", "zoom"), lat = vd_json_num(stats, "\"view\"", "lat"),
           lon = vd_json_num(stats, "\"view\"", "lon");
    int hit, miss;
    if (!count_at(img, lon, lat, z, pl, c, other, &hit, &miss))
        fail_msg("%s: %s is not on screen", what, pl.name);
    if (hit < 121 / 3 || miss > hit / 8)
        fail_msg("%s: %s at %g,%g: %d of 121 pixels of its colour, %d of the other", what, pl.name, pl.lat,
                 pl.lon, hit, miss);
}

static void expect_places(const vd_image *img, const char *stats, const char *what)
{
    for (size_t i = 0; i < sizeof g_land / sizeof g_land[0]; i++)
        expect_colour(img, stats, what, g_land[i], LAND, SEA);
    for (size_t i = 0; i < sizeof g_sea / sizeof g_sea[0]; i++)
        expect_colour(img, stats, what, g_sea[i], SEA, LAND);
}

/* --source world at zoom 1 (raised to the zoom where the world is 720 px
 * tall) and zoom 2: the window is full, the continents are land, the oceans sea. */
static void test_world_source_fills(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    const char *zooms[] = {"1", "2"};
    for (int i = 0; i < 2; i++) {
        vd_run r;
        assert_true(vd_prepare(&r));
        const char *args[] = {"--source", "world", "--size", "1280x720", "--lat", "10", "--lon", "-20",
                              "--zoom", zooms[i], NULL};
        assert_true(vd_run_script(&r, "key h\nwait-idle 60000\nscreenshot @/w.png\n", args, RUN_TIMEOUT_S));
        assert_int_equal(r.status, 0);
        vd_image img;
        load(&r, "w.png", &img);
        assert_int_equal(img.w, 1280);
        assert_int_equal(img.h, 720);
        assert_true(vd_widest_background_band(&img) < 4);
        assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h - 40), 0);
        expect_places(&img, r.stats, zooms[i]);
        /* The world is the source itself: no second loader beneath it. */
        assert_non_null(strstr(r.stats, "\"basemap\": {\"on\": false"));
        vd_image_free(&img);
    }
}

/* A loopback port nobody listens on: bound, then closed. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A new user with no network: the first view (zoom 2, no position given)
 * shows the world beneath the failed tiles, marked lightly, and the HUD says
 * "offline: ..." instead of counting failures. */
static void test_no_network_shows_world(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    char src[128];
    snprintf(src, sizeof src, "http://127.0.0.1:%d/{z}/{x}/{y}.png", closed_port());
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", src, "--size", "1280x720", NULL};
    assert_true(vd_run_script(&r, "wait-idle 90000\nscreenshot @/n.png\n", args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    assert_non_null(
        strstr(r.stats, "\"notice\": \"offline: showing the built-in world map; press C for cached areas\""));
    assert_true(vd_json_num(r.stats, "\"loader\"", "transport_errors") > 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "responses") == 0);
    assert_true(vd_json_num(r.stats, "\"failed\"", "last") > 0);
    assert_true(fabs(vd_json_num(r.stats, "\"view\"", "zoom") - 2.0) < 1e-6);
    vd_image img;
    load(&r, "n.png", &img);
    assert_true(vd_widest_background_band(&img) < 4);
    assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h - 40), 0);
    expect_places(&img, r.stats, "no network");
    vd_image_free(&img);
}

/* While every tile of the source is still loading (a server that holds each
 * response for ten minutes), the world map shows in every slot. The script
 * waits for the loader to have tiles in flight and for the world map to be on
 * screen (wait-world), never for the server, so nothing depends on timing. */
static void test_world_while_loading(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    mer_test_server s;
    const char *sargs[] = {"--latency", "600000", NULL};
    assert_true(mer_test_server_start(&s, sargs));
    char src[128];
    snprintf(src, sizeof src, "%s/{z}/{x}/{y}.png", s.base_url);
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", src, "--size", "1280x720", "--max-concurrent", "2", NULL};
    assert_true(vd_run_script(&r, "wait-tiles in_flight 60000\nwait-world 90000\nscreenshot @/l.png\n", args,
                              RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "responses") == 0); /* nothing arrived */
    assert_true(vd_json_num(r.stats, "\"world\"", "last") > 0);
    assert_true(vd_json_num(r.stats, "\"basemap\"", "tiles_loaded") > 0);
    vd_image img;
    load(&r, "l.png", &img);
    assert_true(vd_widest_background_band(&img) < 4);
    assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h - 40), 0);
    expect_places(&img, r.stats, "loading");
    vd_image_free(&img);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* --demo once every tile is in: no world shows and each pixel is drawn once. */
static void test_demo_complete_hides_world(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--demo", "--size", "768x512", "--max-concurrent", "2", "--rate", "3", NULL};
    assert_true(vd_run_script(&r, "wait-idle 90000\nscreenshot @/d.png\n", args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    assert_true(vd_json_num(r.stats, "\"world\"", "last") == 0);
    assert_true(fabs(vd_json_num(r.stats, "\"map_overdraw\"", "last") - 1.0) < 0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_source_fills),
        cmocka_unit_test(test_no_network_shows_world),
        cmocka_unit_test(test_world_while_loading),
        cmocka_unit_test(test_demo_complete_hides_world),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
