#include "tilesim/encode.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

const char *tsim_format_mime(tsim_format f)
{
    switch (f) {
    case TSIM_PNG:
        return "image/png";
    case TSIM_WEBP:
        return "image/webp";
    case TSIM_JPEG:
        return "image/jpeg";
    default:
        return "application/octet-stream";
    }
}

static void membuf_write(png_structp png, png_bytep data, png_size_t n)
{
    tsim_membuf *k = png_get_io_ptr(png);
    if (k->failed)
        return;
    if (k->len + n > k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 32768;
        while (cap < k->len + n)
            cap *= 2;
        uint8_t *nb = realloc(k->buf, cap);
        if (!nb) {
            k->failed = true;
            return;
        }
        k->buf = nb;
        k->cap = cap;
    }
    memcpy(k->buf + k->len, data, n);
    k->len += n;
}

static void membuf_flush(png_structp png)
{
    (void)png;
}

void tsim_png_write_to_memory(struct png_struct_def *png, tsim_membuf *b)
{
    png_set_write_fn(png, b, membuf_write, membuf_flush);
}

/* zlib level 2 with the SUB and PAETH filters only: about 3x faster than
 * libpng's defaults for ~15% more bytes, which keeps cold (uncached) tiles
 * cheap; sizes stay in the range of real map tiles. */
static int encode_png(const uint8_t *rgb, int size, uint8_t **out, size_t *out_len)
{
    tsim_membuf sink = {NULL, 0, 0, false};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(sink.buf);
        return -1;
    }
    tsim_png_write_to_memory(png, &sink);
    png_set_compression_level(png, 2);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB | PNG_FILTER_PAETH);
    png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    for (int y = 0; y < size; y++)
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * size * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (sink.failed) {
        free(sink.buf);
        return -1;
    }
    *out = sink.buf;
    *out_len = sink.len;
    return 0;
}

static int encode_webp(const uint8_t *rgb, int size, uint8_t **out, size_t *out_len)
{
    uint8_t *w = NULL;
    size_t len = WebPEncodeRGB(rgb, size, size, size * 3, 80.0f, &w);
    if (len == 0 || !w)
        return -1;
    /* Hand back a malloc'd copy so every format is freed with free(). */
    uint8_t *buf = malloc(len);
    if (buf)
        memcpy(buf, w, len);
    WebPFree(w);
    if (!buf)
        return -1;
    *out = buf;
    *out_len = len;
    return 0;
}

typedef struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
    unsigned char *mem; /* jpeg_mem_dest's malloc'd output, ours to free */
    unsigned long mem_len;
} jpeg_err;

static void jpeg_fail(j_common_ptr cinfo)
{
    longjmp(((jpeg_err *)(void *)cinfo->err)->jmp, 1);
}

static int encode_jpeg(const uint8_t *rgb, int size, uint8_t **out, size_t *out_len)
{
    struct jpeg_compress_struct c;
    jpeg_err err;
    err.mem = NULL;
    err.mem_len = 0;
    c.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    if (setjmp(err.jmp)) {
        jpeg_destroy_compress(&c);
        free(err.mem);
        return -1;
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &err.mem, &err.mem_len);
    c.image_width = (JDIMENSION)size;
    c.image_height = (JDIMENSION)size;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 85, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * size * 3);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *out = err.mem;
    *out_len = err.mem_len;
    return 0;
}

int tsim_encode(tsim_format f, const uint8_t *rgb, int size, uint8_t **out, size_t *out_len)
{
    switch (f) {
    case TSIM_PNG:
        return encode_png(rgb, size, out, out_len);
    case TSIM_WEBP:
        return encode_webp(rgb, size, out, out_len);
    case TSIM_JPEG:
        return encode_jpeg(rgb, size, out, out_len);
    default:
        return -1;
    }
}
