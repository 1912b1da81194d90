#include "tilesim/bomb.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Appends one chunk (length, type, data, CRC over type + data) at p. */
static size_t put_chunk(uint8_t *p, const char type[4], const uint8_t *data, uint32_t n)
{
    put32(p, n);
    memcpy(p + 4, type, 4);
    if (n)
        memcpy(p + 8, data, n);
    put32(p + 8 + n, crc32_png(p + 4, 4 + (size_t)n));
    return 12 + (size_t)n;
}

uint8_t *tsim_bomb_png(uint32_t w, uint32_t h, size_t *len)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    /* A zlib stream holding one empty stored block: decoders get as far as
     * allocating the image before they notice the rows are missing. */
    static const uint8_t idat[] = {0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01};
    uint8_t ihdr[13];
    put32(ihdr, w);
    put32(ihdr + 4, h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 6;  /* RGBA */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    uint8_t *b = malloc(8 + 12 + sizeof ihdr + 12 + sizeof idat + 12);
    if (!b)
        return NULL;
    size_t n = 8;
    memcpy(b, sig, 8);
    n += put_chunk(b + n, "IHDR", ihdr, sizeof ihdr);
    n += put_chunk(b + n, "IDAT", idat, sizeof idat);
    n += put_chunk(b + n, "IEND", NULL, 0);
    *len = n;
    return b;
}

uint8_t *tsim_bomb_jpeg(uint16_t w, uint16_t h, size_t *len)
{
    uint8_t rgb[16 * 16 * 3];
    memset(rgb, 0x80, sizeof rgb);
    uint8_t *b = NULL;
    if (tsim_encode(TSIM_JPEG, rgb, 16, &b, len) != 0)
        return NULL;
    /* Walk the markers to SOF0 (FF C0: length, precision, height, width). */
    size_t i = 2;
    while (i + 9 < *len && b[i] == 0xff) {
        uint8_t m = b[i + 1];
        size_t seg = (size_t)b[i + 2] << 8 | b[i + 3];
        if (m == 0xc0) {
            b[i + 5] = (uint8_t)(h >> 8);
            b[i + 6] = (uint8_t)h;
            b[i + 7] = (uint8_t)(w >> 8);
            b[i + 8] = (uint8_t)w;
            return b;
        }
        i += 2 + seg;
    }
    free(b);
    return NULL;
}

uint8_t *tsim_bomb_webp(uint32_t w, uint32_t h, size_t *len)
{
    if (w < 1 || h < 1 || w > 16384 || h > 16384)
        return NULL;
    /* RIFF header, "VP8L" chunk: signature 0x2f, then 14 bits width-1,
     * 14 bits height-1, 1 bit alpha, 3 bits version 0; a few more bytes so
     * the chunk is not empty. */
    uint8_t *b = calloc(1, 32);
    if (!b)
        return NULL;
    uint32_t bits = (w - 1) | (h - 1) << 14 | 1u << 28;
    memcpy(b, "RIFF", 4);
    b[4] = 24; /* file size - 8 */
    memcpy(b + 8, "WEBPVP8L", 8);
    b[16] = 12; /* chunk size */
    b[20] = 0x2f;
    b[21] = (uint8_t)bits;
    b[22] = (uint8_t)(bits >> 8);
    b[23] = (uint8_t)(bits >> 16);
    b[24] = (uint8_t)(bits >> 24);
    *len = 32;
    return b;
}

uint8_t *tsim_bomb(tsim_format f, size_t *len)
{
    switch (f) {
    case TSIM_PNG: return tsim_bomb_png(60000, 60000, len);
    case TSIM_JPEG: return tsim_bomb_jpeg(65000, 65000, len);
    case TSIM_WEBP: return tsim_bomb_webp(16384, 16384, len);
    default: return NULL;
    }
}

uint8_t *tsim_zero_png(uint32_t w, uint32_t h, size_t *len)
{
    tsim_membuf k = {NULL, 0, 0, false};
    uint8_t *volatile row = calloc(1, w ? w : 1);
    png_structp png = row ? png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL) : NULL;
    png_infop info = png ? png_create_info_struct(png) : NULL;
    volatile bool ok = false;
    if (!info)
        goto out;
    if (setjmp(png_jmpbuf(png)))
        goto out;
    tsim_png_write_to_memory(png, &k);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff); /* the point is a huge image */
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 9);
    png_set_filter(png, 0, PNG_FILTER_NONE);
    png_write_info(png, info);
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, row);
    png_write_end(png, NULL);
    ok = !k.failed;
out:
    png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
    free(row);
    if (!ok) {
        free(k.buf);
        return NULL;
    }
    *len = k.len;
    return k.buf;
}
