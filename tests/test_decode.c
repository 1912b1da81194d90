/* Decoding tiles: format sniffing by magic bytes, PNG/JPEG (SDL_image) and
 * WebP (libwebp) to RGBA with exact pixels, and clear refusals for HTML,
 * garbage, truncated data and wrong sizes. Also the worker pool. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>
#include <webp/encode.h>

#include "decode/decode.h"
#include "decode/pool.h"

/* A test pattern whose every pixel is different enough to catch flips/shifts. */
static uint8_t *pattern(int w, int h)
{
    uint8_t *p = malloc((size_t)w * (size_t)h * 4);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * (size_t)w + (size_t)x) * 4;
            q[0] = (uint8_t)x;
            q[1] = (uint8_t)y;
            q[2] = (uint8_t)(x ^ y);
            q[3] = 255;
        }
    return p;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Encodes the pattern with SDL_image (png or jpg) via a temporary file. */
static uint8_t *encode_sdl(int w, int h, bool jpg, size_t *len)
{
    uint8_t *px = pattern(w, h);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormatFrom(px, w, h, 32, w * 4, SDL_PIXELFORMAT_RGBA32);
    assert_non_null(s);
    char path[] = "/tmp/mer_decode_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(jpg ? IMG_SaveJPG(s, path, 95) : IMG_SavePNG(s, path), 0);
    SDL_FreeSurface(s);
    free(px);
    uint8_t *b = read_file(path, len);
    unlink(path);
    return b;
}

static uint8_t *encode_webp(int w, int h, size_t *len)
{
    uint8_t *px = pattern(w, h), *out = NULL;
    *len = WebPEncodeLosslessRGBA(px, w, h, w * 4, &out);
    assert_true(*len > 0);
    free(px);
    uint8_t *copy = malloc(*len);
    memcpy(copy, out, *len);
    WebPFree(out);
    return copy;
}

static void test_sniff(void **state)
{
    (void)state;
    const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0};
    const uint8_t jpg[] = {0xff, 0xd8, 0xff, 0xe0};
    const uint8_t webp[] = {'R', 'I', 'F', 'F', 1, 2, 3, 4, 'W', 'E', 'B', 'P'};
    const uint8_t html[] = "<!DOCTYPE html><html>";
    assert_int_equal(mer_decode_sniff(png, sizeof png), MER_IMG_PNG);
    assert_int_equal(mer_decode_sniff(jpg, sizeof jpg), MER_IMG_JPEG);
    assert_int_equal(mer_decode_sniff(webp, sizeof webp), MER_IMG_WEBP);
    assert_int_equal(mer_decode_sniff(html, sizeof html), MER_IMG_UNKNOWN);
    assert_int_equal(mer_decode_sniff(png, 4), MER_IMG_UNKNOWN); /* too short to tell */
    assert_int_equal(mer_decode_sniff(NULL, 0), MER_IMG_UNKNOWN);
}

static void check_exact(const uint8_t *data, size_t len)
{
    uint8_t *rgba;
    int w, h;
    char why[96];
    assert_true(mer_decode_image(data, len, 256, &rgba, &w, &h, why, sizeof why));
    assert_int_equal(w, 256);
    assert_int_equal(h, 256);
    uint8_t *want = pattern(256, 256);
    assert_memory_equal(rgba, want, 256 * 256 * 4);
    free(want);
    free(rgba);
}

static void test_png_exact(void **state)
{
    (void)state;
    size_t len;
    uint8_t *png = encode_sdl(256, 256, false, &len);
    check_exact(png, len);
    free(png);
}

static void test_webp_exact(void **state)
{
    (void)state;
    size_t len;
    uint8_t *webp = encode_webp(256, 256, &len);
    check_exact(webp, len);
    free(webp);
}

static void test_jpeg_close(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = encode_sdl(256, 256, true, &len);
    uint8_t *rgba;
    int w, h;
    char why[96];
    assert_true(mer_decode_image(jpg, len, 256, &rgba, &w, &h, why, sizeof why));
    /* Lossy: compare a smooth corner area (x, y small) loosely, alpha exactly. */
    const uint8_t *p = rgba + ((size_t)200 * 256 + 100) * 4;
    assert_true(abs(p[0] - 100) < 24 && abs(p[1] - 200) < 24);
    assert_int_equal(p[3], 255);
    free(rgba);
    free(jpg);
}

static void expect_refusal(const uint8_t *d, size_t len, int px, const char *needle)
{
    uint8_t *rgba = (uint8_t *)1;
    int w, h;
    char why[96];
    assert_false(mer_decode_image(d, len, px, &rgba, &w, &h, why, sizeof why));
    assert_null(rgba);
    if (!strstr(why, needle))
        fail_msg("reason '%s' lacks '%s'", why, needle);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *html = "<!DOCTYPE html><html><body>Rate limited</body></html>";
    expect_refusal((const uint8_t *)html, strlen(html), 256, "not an image");
    expect_refusal((const uint8_t *)"", 0, 256, "empty");
    size_t len;
    uint8_t *png = encode_sdl(128, 128, false, &len);
    expect_refusal(png, len, 256, "expected 256x256");
    expect_refusal(png, len / 2, 128, "corrupt or truncated"); /* cut in half */
    /* Magic bytes followed by garbage. */
    for (size_t i = 16; i < len; i++)
        png[i] = (uint8_t)(i * 7919u);
    expect_refusal(png, len, 128, "PNG");
    free(png);
    uint8_t *webp = encode_webp(64, 64, &len);
    expect_refusal(webp, len, 256, "expected 256x256");
    expect_refusal(webp, len - 20, 64, "WebP");
    free(webp);
}

/* ---- pool ---- */

typedef struct collect {
    pthread_mutex_t lock;
    int ok, failed;
    long tag_sum;
} collect;

static void on_done(void *ud, void *ctx, uint8_t *rgba, int w, int h, const char *reason)
{
    collect *c = ud;
    pthread_mutex_lock(&c->lock);
    if (rgba && w == 256 && h == 256)
        c->ok++;
    else if (!rgba && reason && *reason)
        c->failed++;
    c->tag_sum += (long)(intptr_t)ctx;
    pthread_mutex_unlock(&c->lock);
    free(rgba);
}

static void test_pool(void **state)
{
    (void)state;
    collect c = {.ok = 0};
    pthread_mutex_init(&c.lock, NULL);
    mer_decode_pool *p = mer_decode_pool_create(2, on_done, &c);
    assert_non_null(p);
    size_t len;
    uint8_t *png = encode_sdl(256, 256, false, &len);
    long want_sum = 0;
    for (int i = 1; i <= 20; i++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, png, len);
        if (i % 5 == 0)
            memcpy(copy, "<html>", 6); /* every fifth is not an image */
        mer_decode_pool_submit(p, copy, len, 256, (void *)(intptr_t)i);
        want_sum += i;
    }
    /* Poll for completion with a deadline (no sleeps standing in for sync). */
    for (int i = 0; i < 10000 && mer_decode_pool_busy(p) > 0; i++)
        usleep(1000);
    assert_int_equal(mer_decode_pool_busy(p), 0);
    mer_decode_pool_destroy(p);
    assert_int_equal(c.ok, 16);
    assert_int_equal(c.failed, 4);
    assert_int_equal(c.tag_sum, want_sum);
    free(png);
    pthread_mutex_destroy(&c.lock);
}

int main(void)
{
    mer_decode_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),      cmocka_unit_test(test_png_exact),
        cmocka_unit_test(test_webp_exact), cmocka_unit_test(test_jpeg_close),
        cmocka_unit_test(test_refusals),   cmocka_unit_test(test_pool),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    IMG_Quit();
    return rc;
}
