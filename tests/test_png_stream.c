/* The streaming PNG writer: images handed over in bands, out of order, on 1
 * to 4 compression threads, read back by libpng (an independent decoder that
 * checks every CRC and the Adler-32) must give the same pixels; the bytes do
 * not depend on the order the bands came in; misuse is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <png.h>

#include "decode/png_stream.h"

/* A test image with flat areas, gradients, noise and transparency, so every
 * deflate path (matches, literals, long runs) is taken. */
static uint8_t *make_image(int w, int h, uint32_t seed)
{
    uint8_t *p = malloc((size_t)w * (size_t)h * 4);
    assert_non_null(p);
    uint32_t r = seed;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *q = p + ((size_t)y * (size_t)w + (size_t)x) * 4;
            r = r * 1664525u + 1013904223u;
            if (y % 97 < 40) { /* flat */
                q[0] = 30, q[1] = 120, q[2] = 200, q[3] = 255;
            } else if (y % 97 < 70) { /* gradient */
                q[0] = (uint8_t)x, q[1] = (uint8_t)y, q[2] = (uint8_t)(x + y), q[3] = (uint8_t)(255 - x / 8);
            } else { /* noise */
                q[0] = (uint8_t)(r >> 24), q[1] = (uint8_t)(r >> 16), q[2] = (uint8_t)(r >> 8), q[3] = (uint8_t)r;
            }
        }
    return p;
}

/* Writes img (w x h) in bands of band_h rows, handing bands over in the order
 * given by `order` (a permutation), and returns the file's bytes. */
static uint8_t *write_png(const uint8_t *img, int w, int h, int band_h, int threads, const int *order,
                          size_t *len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    char err[256];
    mer_png_stream *s = mer_png_stream_open(f, w, h, band_h, threads, err, sizeof err);
    assert_non_null(s);
    int n = mer_png_stream_bands(s);
    assert_int_equal(n, (h + band_h - 1) / band_h);
    size_t stride = (size_t)w * 4;
    for (int i = 0; i < n; i++) {
        int b = order ? order[i] : i;
        int rows = b + 1 < n ? band_h : h - b * band_h;
        uint8_t *band = malloc((size_t)rows * stride);
        assert_non_null(band);
        memcpy(band, img + (size_t)b * (size_t)band_h * stride, (size_t)rows * stride);
        assert_true(mer_png_stream_put_band(s, b, band));
    }
    assert_true(mer_png_stream_finish(s, err, sizeof err));
    mer_png_stream_stats st;
    mer_png_stream_get_stats(s, &st);
    mer_png_stream_destroy(s);
    long size = ftell(f);
    assert_true(size > 0);
    assert_int_equal((uint64_t)size, st.bytes_out);
    uint8_t *bytes = malloc((size_t)size);
    assert_non_null(bytes);
    rewind(f);
    assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return bytes;
}

/* Decodes with libpng and compares every pixel. */
static void check_pixels(const uint8_t *png, size_t len, const uint8_t *img, int w, int h)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&pi, png, len));
    assert_int_equal(pi.width, (png_uint_32)w);
    assert_int_equal(pi.height, (png_uint_32)h);
    pi.format = PNG_FORMAT_RGBA;
    uint8_t *out = malloc(PNG_IMAGE_SIZE(pi));
    assert_non_null(out);
    if (!png_image_finish_read(&pi, NULL, out, 0, NULL))
        fail_msg("libpng: %s", pi.message);
    assert_int_equal(memcmp(out, img, (size_t)w * (size_t)h * 4), 0);
    free(out);
}

static void shuffle(int *a, int n, uint32_t seed)
{
    for (int i = 0; i < n; i++)
        a[i] = i;
    for (int i = n - 1; i > 0; i--) {
        seed = seed * 1664525u + 1013904223u;
        int k = (int)(seed >> 8) % (i + 1), t = a[i];
        a[i] = a[k];
        a[k] = t;
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    static const struct { int w, h, band_h; } cases[] = {
        {768, 1024, 256}, /* whole bands */
        {300, 700, 256},  /* a short last band */
        {1, 5, 2},        /* tiny: fewer rows per band than threads */
        {513, 40, 40},    /* one band */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int w = cases[c].w, h = cases[c].h, bh = cases[c].band_h;
        uint8_t *img = make_image(w, h, (uint32_t)c + 7);
        int n = (h + bh - 1) / bh, order[64];
        assert_true(n <= 64);
        size_t len0;
        uint8_t *ref = write_png(img, w, h, bh, 1, NULL, &len0);
        check_pixels(ref, len0, img, w, h);
        for (int threads = 2; threads <= 4; threads++) {
            shuffle(order, n, (uint32_t)(threads * 31 + (int)c));
            size_t len;
            uint8_t *png = write_png(img, w, h, bh, threads, order, &len);
            check_pixels(png, len, img, w, h);
            /* Pieces follow from the size and the thread count only. */
            size_t len2;
            uint8_t *again = write_png(img, w, h, bh, threads, NULL, &len2);
            assert_int_equal(len, len2);
            assert_int_equal(memcmp(png, again, len), 0);
            free(again);
            free(png);
        }
        free(ref);
        free(img);
    }
}

static void test_misuse(void **state)
{
    (void)state;
    char err[256];
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_null(mer_png_stream_open(f, 0, 10, 4, 1, err, sizeof err));
    assert_null(mer_png_stream_open(f, 70000, 10, 4, 1, err, sizeof err));
    mer_png_stream *s = mer_png_stream_open(f, 4, 10, 4, 2, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(mer_png_stream_bands(s), 3);
    assert_false(mer_png_stream_put_band(s, 3, calloc(1, 64)));  /* no such band (freed) */
    assert_false(mer_png_stream_put_band(s, -1, calloc(1, 64)));
    assert_true(mer_png_stream_put_band(s, 0, calloc(1, 64)));
    assert_false(mer_png_stream_put_band(s, 0, calloc(1, 64))); /* twice */
    assert_true(mer_png_stream_put_band(s, 2, calloc(1, 32)));
    /* band 1 never came: finish says so instead of writing a short image */
    assert_false(mer_png_stream_finish(s, err, sizeof err));
    assert_non_null(strstr(err, "never"));
    mer_png_stream_destroy(s);
    /* Destroying a stream with bands still queued frees them. */
    s = mer_png_stream_open(f, 64, 64, 16, 2, err, sizeof err);
    assert_non_null(s);
    for (int b = 0; b < 4; b++)
        assert_true(mer_png_stream_put_band(s, b, calloc(16, 64 * 4)));
    mer_png_stream_destroy(s);
    mer_png_stream_destroy(NULL);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
