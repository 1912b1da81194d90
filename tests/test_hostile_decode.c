/* Hostile images through mer_decode_image (issue 12, item 1): decompression
 * bombs are refused from their headers as "image too large" before any pixel
 * memory exists (peak RSS measured), and the libpng / libjpeg-turbo paths
 * that replaced SDL_image still give exact pixels for every PNG colour type,
 * interlacing, 16-bit, palette + tRNS, greyscale and progressive JPEG. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <cmocka.h>

#include <jpeglib.h>
#include <png.h>

#include "decode/decode.h"
#include "tilesim/bomb.h"

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void expect_too_large(const uint8_t *d, size_t len, int px)
{
    uint8_t *rgba = (uint8_t *)1;
    int w = -1, h = -1;
    char why[128];
    assert_false(mer_decode_image(d, len, px, &rgba, &w, &h, why, sizeof why));
    assert_null(rgba);
    if (!mer_decode_too_large(why))
        fail_msg("reason '%s' is not '" MER_DECODE_TOO_LARGE "'", why);
    assert_non_null(strstr(why, MER_DECODE_TOO_LARGE));
}

/* The three bombs of the issue, 16 tiles' worth each: the process's peak RSS
 * grows by less than 50 MB (today's SDL_image path allocates 14 GB for the
 * first one and 256 MB per 8000x8000 tile). */
static void test_bombs_refused_cheaply(void **state)
{
    (void)state;
    size_t lp, lj, lw, lz;
    uint8_t *png = tsim_bomb_png(60000, 60000, &lp);
    uint8_t *jpg = tsim_bomb_jpeg(65000, 65000, &lj);
    uint8_t *webp = tsim_bomb_webp(16384, 16384, &lw);
    uint8_t *zero = tsim_zero_png(8000, 8000, &lz);
    assert_non_null(png);
    assert_non_null(jpg);
    assert_non_null(webp);
    assert_non_null(zero);
    assert_true(lp < 200 && lj < 2000 && lw < 64);
    assert_true(lz < 300 * 1024);
    long before = peak_rss_kb();
    for (int i = 0; i < 16; i++) {
        expect_too_large(png, lp, 256);
        expect_too_large(jpg, lj, 256);
        expect_too_large(webp, lw, 256);
        expect_too_large(zero, lz, 256);
        expect_too_large(zero, lz, 0); /* no expected size: still capped */
    }
    long grew_kb = peak_rss_kb() - before;
    print_message("peak RSS grew by %ld KB decoding 80 bombs\n", grew_kb);
    assert_true(grew_kb < 50 * 1024);
    free(png);
    free(jpg);
    free(webp);
    free(zero);
}

/* A chunk whose 8 header bytes are there but whose data is not: libpng
 * allocates from the declared length (335 MB here) before it reads on. Found
 * by the 10-minute fuzz_decode campaign; refused before libpng runs. */
static void test_chunk_header_without_data(void **state)
{
    (void)state;
    static const uint8_t png[] = {
        0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a,                   /* signature */
        0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 16, 0, 0, 0, 16, 8, 6, 0, 0, 0, 0x1f, 0xf3, 0xff, 0x61,
        0x14, 0x02, 0x68, 0xe0, 'z', 'T', 'X', 't', 'C', 'o', 0x82,   /* 335 MB declared, 3 bytes there */
    };
    long before = peak_rss_kb();
    uint8_t *rgba = NULL;
    int w = 0, h = 0;
    char why[128] = "";
    assert_false(mer_decode_image(png, sizeof png, 0, &rgba, &w, &h, why, sizeof why));
    assert_null(rgba);
    assert_non_null(strstr(why, "chunk is longer than the data"));
    assert_true(peak_rss_kb() - before < 50 * 1024);
}

/* Twice the expected side is room for @2x; beyond that is too large, and
 * 512 px tiles are fine when 512 is expected. */
static void test_size_limits(void **state)
{
    (void)state;
    assert_int_equal(mer_decode_max_side(256), 512);
    assert_int_equal(mer_decode_max_side(512), 1024);
    assert_int_equal(mer_decode_max_side(0), MER_DECODE_MAX_SIDE);
    assert_int_equal(mer_decode_max_side(1000), MER_DECODE_MAX_SIDE);
    assert_int_equal(mer_decode_max_side(2048), 2048); /* a configured big tile */
    assert_int_equal(mer_decode_max_side(100000), MER_DECODE_HARD_MAX);
    size_t len;
    uint8_t *z = tsim_zero_png(513, 513, &len);
    expect_too_large(z, len, 256);
    free(z);
    z = tsim_zero_png(512, 512, &len);
    uint8_t *rgba;
    int w, h;
    char why[128];
    assert_true(mer_decode_image(z, len, 512, &rgba, &w, &h, why, sizeof why));
    assert_int_equal(w, 512);
    assert_int_equal(rgba[4 * (512 * 512 - 1)], 0);
    assert_int_equal(rgba[4 * (512 * 512 - 1) + 3], 255);
    free(rgba);
    /* 512 where 256 is expected: the wrong size, not a bomb. */
    assert_false(mer_decode_image(z, len, 256, &rgba, &w, &h, why, sizeof why));
    assert_false(mer_decode_too_large(why));
    assert_non_null(strstr(why, "expected 256x256"));
    free(z);
    /* Zero and absurd header sizes. */
    uint8_t *p = tsim_bomb_png(0, 16, &len);
    assert_false(mer_decode_image(p, len, 0, &rgba, &w, &h, why, sizeof why));
    assert_false(mer_decode_too_large(why));
    free(p);
    p = tsim_bomb_png(0xffffffffu, 1, &len);
    expect_too_large(p, len, 0);
    free(p);
}

/* ---- exact pixels through libpng for every colour type ---- */

typedef struct sink {
    uint8_t *buf;
    size_t len, cap;
} sink;

static void sink_write(png_structp png, png_bytep d, png_size_t n)
{
    sink *k = png_get_io_ptr(png);
    if (k->len + n > k->cap) {
        k->cap = (k->len + n) * 2;
        k->buf = realloc(k->buf, k->cap);
    }
    memcpy(k->buf + k->len, d, n);
    k->len += n;
}

static void sink_flush(png_structp png)
{
    (void)png;
}

/* Writes a 256x256 PNG of colour type ct / depth; value(x, y, channel) gives
 * each sample. Palette images get a 256-entry palette with tRNS. */
static uint8_t *write_png(int ct, int depth, int interlace, size_t *len)
{
    sink k = {NULL, 0, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_int_equal(setjmp(png_jmpbuf(png)), 0);
    png_set_write_fn(png, &k, sink_write, sink_flush);
    png_set_IHDR(png, info, 256, 256, depth, ct, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (ct == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        png_byte trns[256];
        for (int i = 0; i < 256; i++) {
            pal[i] = (png_color){(png_byte)i, (png_byte)(255 - i), (png_byte)(i / 2)};
            trns[i] = (png_byte)(i < 128 ? 255 : i);
        }
        png_set_PLTE(png, info, pal, 256);
        png_set_tRNS(png, info, trns, 256, NULL);
    }
    png_write_info(png, info);
    if (depth == 16)
        png_set_swap(png); /* our rows are little-endian uint16 */
    int ch = ct == PNG_COLOR_TYPE_GRAY || ct == PNG_COLOR_TYPE_PALETTE ? 1
             : ct == PNG_COLOR_TYPE_GRAY_ALPHA                        ? 2
             : ct == PNG_COLOR_TYPE_RGB                               ? 3
                                                                      : 4;
    int bps = depth / 8;
    size_t stride = (size_t)256 * (size_t)ch * (size_t)bps;
    uint8_t *img = malloc(stride * 256);
    png_bytep rows[256];
    for (int y = 0; y < 256; y++) {
        rows[y] = img + stride * (size_t)y;
        for (int x = 0; x < 256; x++)
            for (int c = 0; c < ch; c++) {
                uint8_t v = (uint8_t)(c == 0 ? x : c == 1 ? y : c == 2 ? (x ^ y) : 200);
                if (bps == 2) {
                    rows[y][(x * ch + c) * 2] = 0x55; /* low byte: dropped by strip_16 */
                    rows[y][(x * ch + c) * 2 + 1] = v;
                } else {
                    rows[y][x * ch + c] = v;
                }
            }
    }
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(img);
    *len = k.len;
    return k.buf;
}

static void expect_pixel(const uint8_t *rgba, int x, int y, int r, int g, int b, int a)
{
    const uint8_t *p = rgba + ((size_t)y * 256 + (size_t)x) * 4;
    if (p[0] != r || p[1] != g || p[2] != b || p[3] != a)
        fail_msg("pixel %d,%d is %d,%d,%d,%d, want %d,%d,%d,%d", x, y, p[0], p[1], p[2], p[3], r, g, b, a);
}

static uint8_t *decode_ok(const uint8_t *d, size_t len)
{
    uint8_t *rgba;
    int w, h;
    char why[128];
    if (!mer_decode_image(d, len, 256, &rgba, &w, &h, why, sizeof why))
        fail_msg("decode failed: %s", why);
    assert_int_equal(w, 256);
    assert_int_equal(h, 256);
    return rgba;
}

static void test_png_colour_types(void **state)
{
    (void)state;
    size_t len;
    for (int il = 0; il <= 1; il++) {
        int interlace = il ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE;
        uint8_t *d = write_png(PNG_COLOR_TYPE_GRAY, 8, interlace, &len);
        uint8_t *px = decode_ok(d, len);
        expect_pixel(px, 77, 5, 77, 77, 77, 255);
        free(px);
        free(d);
        d = write_png(PNG_COLOR_TYPE_GRAY_ALPHA, 8, interlace, &len);
        px = decode_ok(d, len);
        expect_pixel(px, 77, 5, 77, 77, 77, 5);
        free(px);
        free(d);
        d = write_png(PNG_COLOR_TYPE_RGB, 16, interlace, &len);
        px = decode_ok(d, len);
        expect_pixel(px, 77, 5, 77, 5, 77 ^ 5, 255);
        free(px);
        free(d);
        d = write_png(PNG_COLOR_TYPE_RGB_ALPHA, 8, interlace, &len);
        px = decode_ok(d, len);
        expect_pixel(px, 200, 100, 200, 100, 200 ^ 100, 200);
        free(px);
        free(d);
        d = write_png(PNG_COLOR_TYPE_PALETTE, 8, interlace, &len);
        px = decode_ok(d, len);
        expect_pixel(px, 10, 0, 10, 245, 5, 255);    /* opaque entry */
        expect_pixel(px, 200, 0, 200, 55, 100, 200); /* tRNS alpha */
        free(px);
        free(d);
    }
}

/* ---- JPEG through libjpeg-turbo ---- */

static uint8_t *write_jpeg(bool gray, bool progressive, size_t *len)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr err;
    ci.err = jpeg_std_error(&err);
    jpeg_create_compress(&ci);
    unsigned char *out = NULL;
    unsigned long n = 0;
    jpeg_mem_dest(&ci, &out, &n);
    ci.image_width = ci.image_height = 256;
    ci.input_components = gray ? 1 : 3;
    ci.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 95, TRUE);
    if (progressive)
        jpeg_simple_progression(&ci);
    jpeg_start_compress(&ci, TRUE);
    uint8_t row[256 * 3];
    while (ci.next_scanline < 256) {
        for (int x = 0; x < 256; x++)
            for (int c = 0; c < ci.input_components; c++)
                row[x * ci.input_components + c] = (uint8_t)(c == 0 ? (unsigned)x : c == 1 ? ci.next_scanline : 128u);
        JSAMPROW r = row;
        jpeg_write_scanlines(&ci, &r, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    uint8_t *copy = malloc(n);
    memcpy(copy, out, n);
    free(out);
    *len = n;
    return copy;
}

static void expect_close(const uint8_t *rgba, int x, int y, int r, int g, int b)
{
    const uint8_t *p = rgba + ((size_t)y * 256 + (size_t)x) * 4;
    if (abs(p[0] - r) > 8 || abs(p[1] - g) > 8 || abs(p[2] - b) > 8 || p[3] != 255)
        fail_msg("pixel %d,%d is %d,%d,%d,%d, want about %d,%d,%d", x, y, p[0], p[1], p[2], p[3], r, g, b);
}

static void test_jpeg_kinds(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        bool gray = k & 1, prog = k & 2;
        size_t len;
        uint8_t *d = write_jpeg(gray, prog, &len);
        uint8_t *px = decode_ok(d, len);
        if (gray)
            expect_close(px, 100, 30, 100, 100, 100);
        else
            expect_close(px, 100, 30, 100, 30, 128);
        free(px);
        /* Cut short: refused (libjpeg alone would pad it with grey). */
        uint8_t *rgba;
        int w, h;
        char why[128];
        assert_false(mer_decode_image(d, len * 2 / 3, 256, &rgba, &w, &h, why, sizeof why));
        assert_non_null(strstr(why, "JPEG"));
        free(d);
    }
}

/* Corrupt and truncated PNGs, on a worker thread as the pool does: the
 * process must exit with nothing leaked (SDL_image left a per-thread error
 * buffer behind in each worker; LeakSanitizer reports it at exit). */
static void *decode_garbage(void *arg)
{
    (void)arg;
    size_t len;
    uint8_t *d = write_png(PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, &len);
    uint8_t *rgba;
    int w, h;
    char why[128];
    for (size_t i = 40; i < len; i += 7)
        d[i] ^= 0x5a;
    assert_false(mer_decode_image(d, len, 256, &rgba, &w, &h, why, sizeof why));
    assert_false(mer_decode_image(d, len / 3, 256, &rgba, &w, &h, why, sizeof why));
    free(d);
    return NULL;
}

static void test_garbage_on_a_thread(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, decode_garbage, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

int main(void)
{
    mer_decode_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bombs_refused_cheaply), cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_png_colour_types),      cmocka_unit_test(test_jpeg_kinds),
        cmocka_unit_test(test_garbage_on_a_thread),  cmocka_unit_test(test_chunk_header_without_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
