/* meridian-tilesim's parts without the server: the encoded-tile LRU cache,
 * live settings and their checks, and the tile pictures (code block decodes
 * for many ids; the synthetic and the real world map are continuous across
 * tile edges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/tile_code.h"
#include "tilesim/config.h"
#include "tilesim/render.h"
#include "tilesim/tcache.h"

static tsim_cache_key key(int z, int x, int y)
{
    return (tsim_cache_key){{z, x, y}, 0, 1};
}

static void test_cache_lru_eviction(void **state)
{
    tsim_cache *c = tsim_cache_new(10000);
    uint8_t buf[3000];
    for (int i = 0; i < 3; i++) {
        memset(buf, i + 1, sizeof buf);
        tsim_cache_put(c, key(5, i, 0), buf, sizeof buf);
    }
    uint8_t *out;
    size_t len;
    /* touch tile 0 so tile 1 is the least recently used */
    assert_true(tsim_cache_get(c, key(5, 0, 0), &out, &len));
    assert_int_equal(len, 3000);
    assert_int_equal(out[0], 1);
    free(out);
    memset(buf, 9, sizeof buf);
    tsim_cache_put(c, key(5, 3, 0), buf, sizeof buf); /* 12000 > 10000: evicts one */
    assert_false(tsim_cache_get(c, key(5, 1, 0), &out, &len));
    assert_true(tsim_cache_get(c, key(5, 0, 0), &out, &len));
    free(out);
    assert_true(tsim_cache_get(c, key(5, 2, 0), &out, &len));
    free(out);
    assert_true(tsim_cache_get(c, key(5, 3, 0), &out, &len));
    assert_int_equal(out[2999], 9);
    free(out);
    /* format and scale are part of the key */
    tsim_cache_key k = key(5, 0, 0);
    k.format = 1;
    assert_false(tsim_cache_get(c, k, &out, &len));
    k.format = 0;
    k.scale = 2;
    assert_false(tsim_cache_get(c, k, &out, &len));
    /* an entry larger than the whole budget is not kept */
    uint8_t *big = calloc(1, 20000);
    tsim_cache_put(c, key(6, 0, 0), big, 20000);
    assert_false(tsim_cache_get(c, key(6, 0, 0), &out, &len));
    free(big);
    tsim_cache_free(c);
}

static void test_live_settings(void **state)
{
    tsim_config c;
    tsim_config_defaults(&c);
    char err[256];
    assert_true(tsim_config_set_live(&c, "rate", "4", err, sizeof err));
    assert_true(tsim_config_set_live(&c, "faults", "corrupt=0.25,reset=0.25", err, sizeof err));
    assert_true(c.rate == 4.0);
    assert_true(c.faults[TSIM_FAULT_CORRUPT] == 0.25 && c.faults[TSIM_FAULT_RESET] == 0.25);
    /* a fault list replaces the previous one */
    assert_true(tsim_config_set_live(&c, "faults", "trickle=0.1", err, sizeof err));
    assert_true(c.faults[TSIM_FAULT_CORRUPT] == 0 && c.faults[TSIM_FAULT_TRICKLE] == 0.1);
    /* refused: out of range, unknown, fixed at start-up, sum above 1 */
    assert_false(tsim_config_set_live(&c, "rate", "-1", err, sizeof err));
    assert_false(tsim_config_set_live(&c, "latency", "1e3", err, sizeof err));
    assert_false(tsim_config_set_live(&c, "colour", "red", err, sizeof err));
    assert_false(tsim_config_set_live(&c, "port", "80", err, sizeof err));
    assert_false(tsim_config_set_live(&c, "fail-rate", "0.95", err, sizeof err));
    assert_non_null(strstr(err, "more than 1"));
    assert_true(c.rate == 4.0 && c.fail_rate == 0);
    char json[512];
    tsim_config_live_json(&c, json, sizeof json);
    assert_non_null(strstr(json, "\"rate\": 4"));
    assert_non_null(strstr(json, "\"trickle\": 0.1"));
}

static uint8_t *to_rgba(const uint8_t *rgb, int size)
{
    uint8_t *o = malloc((size_t)size * size * 4);
    for (int i = 0; i < size * size; i++) {
        memcpy(o + i * 4, rgb + i * 3, 3);
        o[i * 4 + 3] = 255;
    }
    return o;
}

/* The code block is right for extreme and random ids, at both scales. */
static void test_code_for_many_ids(void **state)
{
    uint64_t r = 12345;
    for (int i = 0; i < 24; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        int z = i < 2 ? 30 * i : (int)(r >> 59) % 31;
        int32_t n = (int32_t)(1u << z) - 1;
        mer_tile_id t = {z, (int32_t)((r >> 20) & (uint64_t)n), (int32_t)((r >> 33) & (uint64_t)n)};
        if (i == 1)
            t.x = t.y = n; /* the largest ids */
        int scale = 1 + (i % 4 == 3);
        uint8_t *rgb = tsim_render(t, scale);
        assert_non_null(rgb);
        uint8_t *rgba = to_rgba(rgb, 256 * scale);
        mer_tile_id got;
        assert_true(mer_test_decode_tile_id(rgba, 256 * scale, 256 * scale, 256 * scale, 0, 0, scale, &got));
        assert_true(mer_tile_equal(got, t));
        free(rgb);
        free(rgba);
    }
}

/* Mean absolute difference of two RGB pixel runs of n pixels. */
static double diff(const uint8_t *a, int astride, const uint8_t *b, int bstride, int n)
{
    double d = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            d += fabs((double)a[i * astride + k] - b[i * bstride + k]);
    return d / (3.0 * n);
}

/* Neighbouring tiles meet without a seam (their shared edge looks alike,
 * unlike an unrelated tile's edge), and a tile looks like its parent's
 * quarter (the same land and sea, up to detail). Rows 40..200 keep clear of
 * the code block and the label. */
static void test_map_is_continuous(void **state)
{
    mer_tile_id a = {3, 4, 2}, b = {3, 5, 2}, far = {3, 1, 6};
    uint8_t *pa = tsim_render(a, 1), *pb = tsim_render(b, 1), *pf = tsim_render(far, 1);
    int rows = 160;
    const uint8_t *a_right = pa + (40 * 256 + 255) * 3, *b_left = pb + (40 * 256 + 1) * 3, *f_left = pf + (40 * 256 + 1) * 3;
    double seam = diff(a_right, 256 * 3, b_left, 256 * 3, rows);
    double unrelated = diff(a_right, 256 * 3, f_left, 256 * 3, rows);
    print_message("seam %.1f, unrelated %.1f\n", seam, unrelated);
    assert_true(seam < 8.0); /* 3.3 now */
    assert_true(seam * 2 < unrelated);

    /* child (4, 8, 5) is the bottom-left quarter of (3, 4, 2): compare the
     * child's pixels with the parent's, pixel (2i, 2j) of the child against
     * (i, j) of the parent, inside the area both leave free of labels */
    mer_tile_id child = {4, 8, 5};
    uint8_t *pc = tsim_render(child, 1);
    double d = 0;
    int n = 0;
    for (int j = 20; j < 60; j++)
        for (int i = 70; i < 120; i++) {
            d += diff(pc + ((size_t)(2 * j) * 256 + 2 * i) * 3, 3, pa + ((size_t)(128 + j) * 256 + i) * 3, 3, 1);
            n++;
        }
    print_message("child vs parent %.1f\n", d / n);
    assert_true(d / n < 4.0); /* 1.6 now; the wrong quarter gives 7 */
    free(pa);
    free(pb);
    free(pf);
    free(pc);
}

/* The real world map as tilesim serves it (relief on, no codes): neighbours
 * meet without a seam, and without --codes no code block decodes. */
static void test_world_map_is_continuous(void **state)
{
    char err[256];
    mer_world *w = mer_world_load(MERIDIAN_SOURCE_DIR "/assets/world.bin", err, sizeof err);
    assert_non_null(w);
    const tsim_style st = {w, false};
    /* Switzerland and Austria at zoom 6, full relief; the Atlantic for unrelated. */
    mer_tile_id a = {6, 33, 22}, b = {6, 34, 22}, far = {6, 20, 25};
    uint8_t *pa = tsim_render_style(&st, a, 1), *pb = tsim_render_style(&st, b, 1);
    uint8_t *pf = tsim_render_style(&st, far, 1);
    assert_true(pa && pb && pf);
    double seam = diff(pa + 255 * 3, 256 * 3, pb, 256 * 3, 256);
    double inner = diff(pa + 254 * 3, 256 * 3, pa + 255 * 3, 256 * 3, 256);
    double unrelated = diff(pa + 255 * 3, 256 * 3, pf, 256 * 3, 256);
    print_message("world: seam %.1f, inside %.1f, unrelated %.1f\n", seam, inner, unrelated);
    assert_true(seam < 8.0); /* as the synthetic map (4.7 now; lines crossing the seam count) */
    assert_true(seam * 2 < unrelated);
    uint8_t *rgba = to_rgba(pa, 256);
    mer_tile_id got;
    assert_false(mer_test_decode_tile_id(rgba, 256, 256, 256, 0, 0, 1, &got));
    free(rgba);
    free(pa);
    free(pb);
    free(pf);
    mer_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_lru_eviction),
        cmocka_unit_test(test_live_settings),
        cmocka_unit_test(test_code_for_many_ids),
        cmocka_unit_test(test_map_is_continuous),
        cmocka_unit_test(test_world_map_is_continuous),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
