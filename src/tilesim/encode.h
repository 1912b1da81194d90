/* Image encoders for meridian-tilesim: PNG (libpng), WebP (libwebp, lossy
 * q80) and JPEG (libjpeg-turbo, q85). Any thread; no shared state. */
#ifndef TSIM_ENCODE_H
#define TSIM_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { TSIM_PNG = 0, TSIM_WEBP = 1, TSIM_JPEG = 2, TSIM_FMT_COUNT } tsim_format;

const char *tsim_format_mime(tsim_format f);

/* Encodes a size x size packed RGB image. On success *out is a malloc'd
 * buffer the caller frees; returns 0, or -1 on failure. */
int tsim_encode(tsim_format f, const uint8_t *rgb, int size, uint8_t **out, size_t *out_len);

/* libpng's output into memory, for every PNG tilesim writes: buf grows with
 * realloc (the caller frees it); failed is set when memory runs out. */
typedef struct tsim_membuf {
    uint8_t *buf;
    size_t len, cap;
    bool failed;
} tsim_membuf;
struct png_struct_def; /* libpng's png_struct */
void tsim_png_write_to_memory(struct png_struct_def *png, tsim_membuf *b);

#endif
