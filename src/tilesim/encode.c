#include "tilesim/encode.h"

#include <setjmp.h>
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

/* libpng's simplified API: no setjmp on our side. */
static int encode_png(const uint8_t *rgb, int size, uint8_t **out, size_t *out_len)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)size;
    img.height = (png_uint_32)size;
    img.format = PNG_FORMAT_RGB;
    png_alloc_size_t len = 0;
    if (!png_image_write_to_memory(&img, NULL, &len, 0, rgb, size * 3, NULL) || len == 0)
        return -1;
    uint8_t *buf = malloc(len);
    if (!buf)
        return -1;
    if (!png_image_write_to_memory(&img, buf, &len, 0, rgb, size * 3, NULL)) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = len;
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
