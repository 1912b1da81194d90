/* `meridian --demo`, then `meridian --demo --offline` on the same cache
 * (issue 14.5): the demo's tile server gets a new port every run, yet the
 * offline run draws exactly what the online run showed, from the disk cache,
 * without a request, and the cache is one file named after the preset. The
 * real viewer runs under Xvfb; the screenshots are compared pixel by pixel. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "viewer_driver.h"

#define RUN_TIMEOUT_S 150

/* r is prepared (its directory exists). */
static void run_demo(vd_run *r, const char *cache, bool offline)
{
    const char *args[] = {"--demo", "--cache-dir", cache, "--size", "768x512", "--lat", "48.85", "--lon", "2.35",
                          "--zoom", "6", offline ? "--offline" : NULL, NULL};
    /* h: no HUD, whose text says "offline" in one run and not in the other */
    assert_true(vd_run_script(r, "key h\nwait-idle 60000\nscreenshot @/shot.png\n", args, RUN_TIMEOUT_S));
    if (r->status != 0)
        fail_msg("meridian exited %d: %s", r->status, r->err);
}

static void test_demo_then_offline(void **state)
{
    (void)state;
    VD_NEED_DISPLAY();
    static vd_run on, off;
    assert_true(vd_prepare(&on));
    assert_true(vd_prepare(&off));
    /* Both runs share one cache directory, under the first run's directory. */
    char cache[300];
    snprintf(cache, sizeof cache, "%s/cache", on.dir);
    run_demo(&on, cache, false);
    assert_true(vd_json_num(on.stats, "\"loader\"", "requests") >= 6);
    run_demo(&off, cache, true);
    assert_true(vd_json_num(off.stats, "\"loader\"", "requests") == 0);
    assert_true(vd_json_num(off.stats, "\"loader\"", "cache_hits") >= 6);

    char path[512];
    vd_image a, b;
    snprintf(path, sizeof path, "%s/shot.png", on.dir);
    assert_true(vd_load_png(path, &a));
    snprintf(path, sizeof path, "%s/shot.png", off.dir);
    assert_true(vd_load_png(path, &b));
    assert_int_equal(a.w, b.w);
    assert_int_equal(a.h, b.h);
    /* The map (the bottom strip holds the attribution) is the same picture. */
    long differ = 0;
    for (int y = 0; y < a.h - 40; y++)
        for (int x = 0; x < a.w; x++) {
            const uint8_t *p = vd_px(&a, x, y), *q = vd_px(&b, x, y);
            differ += abs(p[0] - q[0]) > 2 || abs(p[1] - q[1]) > 2 || abs(p[2] - q[2]) > 2;
        }
    if (differ > 0)
        fail_msg("%ld pixels differ between the online and the offline run", differ);
    /* And not because both are blank: the online view was drawn from tiles. */
    assert_true(vd_json_num(on.stats, "\"loader\"", "tiles_ok") >= 6);
    vd_image_free(&a);
    vd_image_free(&b);

    /* One cache file, named after the preset: none per port. */
    DIR *d = opendir(cache);
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        size_t k = strlen(e->d_name);
        if (k > 8 && strcmp(e->d_name + k - 8, ".mbtiles") == 0) {
            files++;
            assert_string_equal(e->d_name, "demo.mbtiles");
        }
    }
    closedir(d);
    assert_int_equal(files, 1);
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
        cmocka_unit_test_teardown(test_demo_then_offline, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
