/* HiDPI sources (issue 14.7), without a window: a source declares @2x tiles
 * (the demo preset; "retina = true" in the config file); on a display of
 * scale >= 1.5 {r} becomes "@2x" and the tile size doubles, below it nothing
 * changes; retina without {r} is refused; @2x tiles get their own cache file;
 * and the loader accepts 512 px tiles for such a source (decoded at 512,
 * code marks at scale 2). */
#define _XOPEN_SOURCE 700 /* nftw (support/tmpdir.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "cli/commands.h"
#include "support/tmpdir.h"

#include "test_loader_util.h"

static void test_apply_scale(void **state)
{
    (void)state;
    mer_source s;
    assert_true(mer_source_lookup("demo", &s));
    assert_true(s.hidpi);
    mer_source_set_demo_port(&s, 4321);
    mer_source one = s, two = s, osm;
    mer_source_apply_scale(&one, 1.25);
    assert_false(one.retina);
    assert_int_equal(one.tile_px, 256);
    char url[256];
    assert_true(mer_source_tile_url(&one, (mer_tile_id){3, 1, 2}, url, sizeof url));
    assert_string_equal(url, "http://127.0.0.1:4321/3/1/2.png");
    mer_source_apply_scale(&two, 2.0);
    assert_true(two.retina);
    assert_int_equal(two.tile_px, 512);
    assert_true(mer_source_tile_url(&two, (mer_tile_id){3, 1, 2}, url, sizeof url));
    assert_string_equal(url, "http://127.0.0.1:4321/3/1/2@2x.png");
    mer_source_apply_scale(&two, 2.0); /* once only: never 1024 */
    assert_int_equal(two.tile_px, 512);
    /* A source without @2x tiles keeps its tiles on any display. */
    assert_true(mer_source_lookup("osm", &osm));
    assert_false(osm.hidpi);
    mer_source_apply_scale(&osm, 3.0);
    assert_false(osm.retina);
    assert_int_equal(osm.tile_px, 256);
    /* @2x tiles are other images: another cache file. */
    char p1[1200], p2[1200];
    assert_true(mer_cache_file_path("/c", &one, p1, sizeof p1));
    assert_true(mer_cache_file_path("/c", &two, p2, sizeof p2));
    assert_string_equal(p1, "/c/demo.mbtiles");
    assert_string_equal(p2, "/c/demo@2x.mbtiles");
}

static void test_config_retina(void **state)
{
    (void)state;
    char dir[64], path[128], err[512];
    assert_true(mer_test_mkdtemp(dir, sizeof dir, "hidpi"));
    snprintf(path, sizeof path, "%s/meridian.conf", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[source.hd]\nurl = http://127.0.0.1:9/{z}/{x}/{y}{r}.png\nretina = true\n"
               "[source.flat]\nurl = http://127.0.0.1:9/{z}/{x}/{y}.png\nretina = true\n"
               "[source.plain]\nurl = http://127.0.0.1:9/p/{z}/{x}/{y}{r}.png\nretina = maybe\n");
    fclose(f);
    mer_source_clear_user();
    mer_options o;
    mer_options_defaults(&o);
    char *argv[] = {"meridian", "--config", path, NULL};
    /* Bad lines are warned about and skipped; the good section is registered. */
    assert_int_equal(mer_options_load_config(&o, 3, argv, err, sizeof err), MER_OPT_OK);
    mer_source s;
    assert_true(mer_source_lookup("hd", &s));
    assert_true(s.hidpi);
    assert_false(s.retina);
    mer_source_apply_scale(&s, 2.0);
    assert_int_equal(s.tile_px, 512);
    assert_false(mer_source_lookup("flat", &s)); /* retina without {r}: refused */
    assert_true(mer_source_lookup("plain", &s)); /* a bad value is skipped */
    assert_false(s.hidpi);
    mer_source bad = s;
    bad.hidpi = true;
    snprintf(bad.url, sizeof bad.url, "http://127.0.0.1:9/{z}/{x}/{y}.png");
    assert_false(mer_source_add_user(&bad, err, sizeof err));
    assert_non_null(strstr(err, "{r}"));
    mer_source_clear_user();
    mer_test_rmtree(dir);
}

/* The loader, given the scaled source, fetches @2x tiles and accepts them at 512 px. */
static void test_loader_512(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    mer_source src;
    assert_true(mer_source_lookup("demo", &src));
    mer_source_set_demo_port(&src, s.port);
    mer_source_apply_scale(&src, 2.0);
    mer_loader_config c;
    mer_loader_config_defaults(&c, &src);
    c.rate = 0;
    c.decode_workers = 1;
    c.max_tries = 1;
    char err[256];
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    assert_non_null(l);
    mer_want_tile w[2] = {{{6, 33, 22}, 0}, {{6, 34, 22}, 1}};
    mer_loader_want(l, 1, w, 2);
    mer_tile_result r[4];
    size_t got = 0;
    double end = tl_now_ms() + 30000;
    while (got < 2 && tl_now_ms() < end) {
        size_t k = mer_loader_poll_results(l, r + got, 4 - got);
        for (size_t i = got; i < got + k; i++) {
            if (r[i].status != MER_TILE_OK)
                fail_msg("tile %d/%d/%d: %s", r[i].id.z, r[i].id.x, r[i].id.y, r[i].reason);
            assert_int_equal(r[i].w, 512);
            assert_int_equal(r[i].h, 512);
            mer_tile_id id;
            assert_true(mer_test_decode_tile_id(r[i].rgba, 512, 512, 512, 0, 0, 2.0, &id));
            assert_true(mer_tile_equal(id, r[i].id));
            mer_tile_result_release(&r[i]);
        }
        got += k;
        if (!k)
            usleep(5000); /* polling a non-blocking queue for a bounded time */
    }
    assert_int_equal(got, 2);
    mer_loader_destroy(l);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_scale),
        cmocka_unit_test(test_config_retina),
        cmocka_unit_test(test_loader_512),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
