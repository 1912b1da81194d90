/* The GPU texture cache: byte budget, LRU order, tiles used this frame kept,
 * texture reuse, status-only entries. Needs a GL 3.3 context: runs under the
 * display scripts/test provides (skipped without one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <SDL.h>

#include "ui/texcache.h"

static SDL_Window *g_win;
static SDL_GLContext g_gl;
static uint8_t g_px[256 * 256 * 4];

static int setup(void **state)
{
    (void)state;
    const char *d = getenv("DISPLAY");
    if (!d || !*d || SDL_Init(SDL_INIT_VIDEO) != 0)
        return 0;
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    g_win = SDL_CreateWindow("t", 0, 0, 64, 64, SDL_WINDOW_OPENGL | SDL_WINDOW_HIDDEN);
    g_gl = g_win ? SDL_GL_CreateContext(g_win) : NULL;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_gl)
        SDL_GL_DeleteContext(g_gl);
    if (g_win)
        SDL_DestroyWindow(g_win);
    SDL_Quit();
    return 0;
}

static mer_tile_result tile(int x, mer_tile_status st)
{
    mer_tile_result r;
    memset(&r, 0, sizeof r);
    r.id = (mer_tile_id){5, x, 3};
    r.status = st;
    if (st == MER_TILE_OK) {
        r.rgba = g_px;
        r.w = r.h = 256;
    }
    return r;
}

#define TILE_BYTES (256u * 256u * 4u)

static void test_lru_within_budget(void **state)
{
    (void)state;
    if (!g_gl)
        fail_msg("no GL context: run it through ctest (a display of its own)");
    mer_texcache *c = mer_texcache_create(4 * TILE_BYTES, 64);
    assert_non_null(c);
    for (int i = 0; i < 4; i++) {
        mer_tile_result r = tile(i, MER_TILE_OK);
        assert_true(mer_texcache_put(c, &r, (uint64_t)i + 1, 0));
    }
    assert_int_equal(mer_texcache_bytes(c), 4 * TILE_BYTES);
    /* Tile 0 is drawn again in frame 5: tile 1 becomes the oldest. */
    assert_non_null(mer_texcache_get(c, (mer_tile_id){5, 0, 3}, 5));
    mer_tile_result r = tile(4, MER_TILE_OK);
    assert_true(mer_texcache_put(c, &r, 6, 0));
    assert_int_equal(mer_texcache_bytes(c), 4 * TILE_BYTES);
    assert_null(mer_texcache_peek(c, (mer_tile_id){5, 1, 3}));
    assert_non_null(mer_texcache_peek(c, (mer_tile_id){5, 0, 3}));
    assert_int_equal(mer_texcache_evictions(c), 1);
    assert_int_equal(mer_texcache_reused(c), 1);
    const mer_tc_entry *e = mer_texcache_peek(c, (mer_tile_id){5, 4, 3});
    assert_non_null(e);
    assert_int_equal(e->status, MER_TILE_OK);
    assert_true(e->tex != 0);
    mer_texcache_destroy(c);
}

static void test_current_frame_kept(void **state)
{
    (void)state;
    if (!g_gl)
        fail_msg("no GL context: run it through ctest (a display of its own)");
    mer_texcache *c = mer_texcache_create(2 * TILE_BYTES, 64);
    for (int i = 0; i < 3; i++) {
        mer_tile_result r = tile(i, MER_TILE_OK);
        assert_true(mer_texcache_put(c, &r, 7, 0)); /* all in the same frame */
    }
    /* Nothing may be evicted while in use (this frame or the one before):
     * over budget until then. */
    assert_int_equal(mer_texcache_count(c), 3);
    mer_texcache_trim(c, 8);
    assert_int_equal(mer_texcache_count(c), 3);
    mer_texcache_trim(c, 9);
    assert_true(mer_texcache_bytes(c) <= 2 * TILE_BYTES);
    mer_texcache_destroy(c);
}

static void test_status_entries(void **state)
{
    (void)state;
    if (!g_gl)
        fail_msg("no GL context: run it through ctest (a display of its own)");
    mer_texcache *c = mer_texcache_create(TILE_BYTES, 64);
    mer_tile_result f = tile(1, MER_TILE_FAILED), e = tile(2, MER_TILE_EMPTY);
    assert_true(mer_texcache_put(c, &f, 1, 0));
    assert_true(mer_texcache_put(c, &e, 1, 0));
    assert_int_equal(mer_texcache_bytes(c), 0);
    assert_int_equal(mer_texcache_peek(c, (mer_tile_id){5, 1, 3})->status, MER_TILE_FAILED);
    assert_int_equal(mer_texcache_peek(c, (mer_tile_id){5, 2, 3})->status, MER_TILE_EMPTY);
    /* A tile that failed and then loaded (a later retry) gets its texture. */
    mer_tile_result ok = tile(1, MER_TILE_OK);
    assert_true(mer_texcache_put(c, &ok, 2, 0));
    assert_int_equal(mer_texcache_peek(c, (mer_tile_id){5, 1, 3})->status, MER_TILE_OK);
    assert_int_equal(mer_texcache_bytes(c), TILE_BYTES);
    /* An OK result with bad dimensions is stored as failed, not uploaded. */
    mer_tile_result bad = tile(3, MER_TILE_OK);
    bad.w = 0;
    assert_true(mer_texcache_put(c, &bad, 3, 0));
    assert_int_equal(mer_texcache_peek(c, (mer_tile_id){5, 3, 3})->status, MER_TILE_FAILED);
    /* x is wrapped: tile 5/33/3 is 5/1/3. */
    mer_tile_result wrap = tile(33, MER_TILE_EMPTY);
    assert_true(mer_texcache_put(c, &wrap, 4, 0));
    assert_int_equal(mer_texcache_peek(c, (mer_tile_id){5, 1, 3})->status, MER_TILE_EMPTY);
    assert_int_equal(mer_texcache_bytes(c), 0);
    mer_texcache_destroy(c);
}

static void test_entry_cap(void **state)
{
    (void)state;
    if (!g_gl)
        fail_msg("no GL context: run it through ctest (a display of its own)");
    mer_texcache *c = mer_texcache_create(TILE_BYTES, 64);
    for (int i = 0; i < 200; i++) {
        mer_tile_result r = tile(i % 32, MER_TILE_EMPTY);
        r.id.y = i / 32;
        assert_true(mer_texcache_put(c, &r, (uint64_t)i + 1, 0));
    }
    /* 200 distinct tiles through 64 entries: the 64 most recent remain. */
    assert_int_equal(mer_texcache_count(c), 64);
    assert_non_null(mer_texcache_peek(c, (mer_tile_id){5, 199 % 32, 199 / 32}));
    assert_non_null(mer_texcache_peek(c, (mer_tile_id){5, 136 % 32, 136 / 32}));
    assert_null(mer_texcache_peek(c, (mer_tile_id){5, 135 % 32, 135 / 32}));
    assert_null(mer_texcache_peek(c, (mer_tile_id){5, 0, 0}));
    mer_texcache_destroy(c);
}

/* Spare textures: made within their byte cap and the budget, counted in
 * it, taken by new tiles of their size, dropped first when over budget. */
static void test_spares(void **state)
{
    (void)state;
    if (!g_gl)
        fail_msg("no GL context: run it through ctest (a display of its own)");
    mer_texcache *c = mer_texcache_create(2 * TILE_BYTES, 64);
    assert_true(mer_texcache_add_spare(c, 256, 256, 2 * TILE_BYTES));
    assert_true(mer_texcache_add_spare(c, 256, 256, 2 * TILE_BYTES));
    assert_false(mer_texcache_add_spare(c, 256, 256, 3 * TILE_BYTES)); /* the budget is full */
    assert_int_equal(mer_texcache_spares(c), 2);
    assert_int_equal(mer_texcache_bytes(c), 2 * TILE_BYTES);
    /* A tile of their size takes one: no new texture, the bytes unchanged. */
    mer_tile_result r = tile(0, MER_TILE_OK);
    assert_true(mer_texcache_put(c, &r, 1, 0));
    assert_int_equal(mer_texcache_spares(c), 1);
    assert_int_equal(mer_texcache_spares_used(c), 1);
    assert_int_equal(mer_texcache_bytes(c), 2 * TILE_BYTES);
    /* A smaller tile cannot use it and goes over the budget: the spare goes,
     * not a tile. */
    mer_tile_result s = tile(1, MER_TILE_OK);
    s.w = s.h = 128;
    assert_true(mer_texcache_put(c, &s, 2, 0));
    assert_int_equal(mer_texcache_spares(c), 0);
    assert_int_equal(mer_texcache_evictions(c), 0);
    assert_int_equal(mer_texcache_bytes(c), TILE_BYTES + TILE_BYTES / 4);
    assert_non_null(mer_texcache_peek(c, (mer_tile_id){5, 0, 3}));
    /* Within the spares' own cap: one 256 px spare fits 1.5 tiles, not two. */
    mer_texcache *d = mer_texcache_create(8 * TILE_BYTES, 64);
    assert_true(mer_texcache_add_spare(d, 256, 256, TILE_BYTES * 3 / 2));
    assert_false(mer_texcache_add_spare(d, 256, 256, TILE_BYTES * 3 / 2));
    mer_texcache_destroy(d);
    mer_texcache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_within_budget),
        cmocka_unit_test(test_current_frame_kept),
        cmocka_unit_test(test_status_entries),
        cmocka_unit_test(test_entry_cap),
        cmocka_unit_test(test_spares),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
