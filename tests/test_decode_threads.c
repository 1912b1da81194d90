/* Decode workers leave nothing behind when they exit (issue 11): a corrupt
 * PNG once made SDL_image call SDL_SetError, and SDL keeps that message in a
 * per-thread buffer it frees only for threads it created itself. A pool
 * worker that decoded a corrupt tile and then a good one must leave nothing,
 * or LeakSanitizer fails this program at exit (the suite's ASan build). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>

#include "decode/decode.h"
#include "decode/pool.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done, ok, failed;
    char reason[128];
} results;

static void on_done(void *ud, void *ctx, uint8_t *rgba, int w, int h, const char *reason)
{
    (void)ctx;
    (void)w;
    (void)h;
    results *r = ud;
    pthread_mutex_lock(&r->lock);
    if (rgba) {
        r->ok++;
        free(rgba);
    } else {
        r->failed++;
        snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
    }
    r->done++;
    pthread_mutex_unlock(&r->lock);
    pthread_cond_signal(&r->cond);
}

/* A 256x256 PNG made in memory by SDL_image. */
static uint8_t *good_png(size_t *len)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 256, 256, 32, SDL_PIXELFORMAT_RGBA32);
    assert_non_null(s);
    memset(s->pixels, 0x80, (size_t)s->pitch * 256);
    size_t cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    SDL_RWops *rw = SDL_RWFromMem(buf, (int)cap);
    assert_int_equal(IMG_SavePNG_RW(s, rw, 0), 0);
    *len = (size_t)SDL_RWtell(rw);
    SDL_RWclose(rw);
    SDL_FreeSurface(s);
    return buf;
}

static void test_corrupt_then_good(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *png = good_png(&len);
    /* The signature and IHDR survive, the image data does not. */
    uint8_t *bad = malloc(len);
    assert_non_null(bad);
    memcpy(bad, png, len);
    memset(bad + 40, 0xA5, len - 40);

    results r = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    mer_decode_pool *p = mer_decode_pool_create(1, on_done, &r);
    assert_non_null(p);
    mer_decode_pool_submit(p, bad, len, 256, NULL);
    mer_decode_pool_submit(p, png, len, 256, NULL);
    pthread_mutex_lock(&r.lock);
    while (r.done < 2)
        pthread_cond_wait(&r.cond, &r.lock);
    pthread_mutex_unlock(&r.lock);
    mer_decode_pool_destroy(p);

    assert_int_equal(r.failed, 1);
    assert_int_equal(r.ok, 1);
    assert_true(r.reason[0] != 0);
}

int main(void)
{
    mer_decode_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corrupt_then_good),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    IMG_Quit();
    SDL_Quit();
    return rc;
}
