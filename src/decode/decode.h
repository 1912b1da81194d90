/* Tile image decoding: bytes -> RGBA. Pure functions, safe on any thread once
 * mer_decode_init() has run (it initialises SDL_image before threads start). */
#ifndef MER_DECODE_H
#define MER_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mer_img_format {
    MER_IMG_UNKNOWN = 0,
    MER_IMG_PNG,
    MER_IMG_JPEG,
    MER_IMG_WEBP,
} mer_img_format;

/* Call once from the main thread before any decode thread starts. Idempotent. */
void mer_decode_init(void);

/* Call on a thread that decoded, just before it exits. SDL keeps an error
 * buffer per thread (SDL_SetError, e.g. from a corrupt PNG) and frees it only
 * for threads SDL itself created; ours would leak it at exit. Idempotent. */
void mer_decode_thread_done(void);

/* The format from the magic bytes (never from Content-Type). */
mer_img_format mer_decode_sniff(const uint8_t *data, size_t len);
const char *mer_img_format_name(mer_img_format f);

/* Decodes data into a malloc'ed RGBA buffer (rows top to bottom, free()).
 * expect_px > 0: the image must be expect_px x expect_px. Images larger than
 * 4096 px per side are refused. On failure returns false, *rgba = NULL, and a
 * one-line reason (e.g. "not an image (starts with \"<!DOCTYPE\")"). */
bool mer_decode_image(const uint8_t *data, size_t len, int expect_px, uint8_t **rgba, int *w,
                      int *h, char *reason, size_t reason_len);

#endif
