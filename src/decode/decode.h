/* Tile image decoding: bytes -> RGBA (libpng, libjpeg-turbo, libwebp). Pure
 * functions, safe on any thread; no global or per-thread state is left behind. */
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

/* Nothing to initialise today; call once before decode threads start so a
 * future decoder that needs it has a place. Idempotent. */
void mer_decode_init(void);

/* The format from the magic bytes (never from Content-Type). */
mer_img_format mer_decode_sniff(const uint8_t *data, size_t len);
const char *mer_img_format_name(mer_img_format f);

/* The largest side an image may have when the tile size is unknown or small
 * (a 512 px @2x tile fits twice); a configured tile size up to
 * MER_DECODE_HARD_MAX is allowed itself. */
#define MER_DECODE_MAX_SIDE 1024
#define MER_DECODE_HARD_MAX 4096
/* Every refusal because of the header's dimensions starts with this. */
#define MER_DECODE_TOO_LARGE "image too large"

/* The largest side an image may declare when expect_px is wanted: twice
 * expect_px (room for @2x) up to MER_DECODE_MAX_SIDE, never less than
 * expect_px, never more than MER_DECODE_HARD_MAX; expect_px <= 0 gives
 * MER_DECODE_MAX_SIDE. */
int mer_decode_max_side(int expect_px);

/* Decodes data into a malloc'ed RGBA buffer (rows top to bottom, free()).
 * The dimensions are read from the header first: larger than
 * mer_decode_max_side(expect_px) is refused with MER_DECODE_TOO_LARGE before
 * any pixel memory is allocated. expect_px > 0: the image must be
 * expect_px x expect_px. On failure returns false, *rgba = NULL, and a
 * one-line reason (e.g. "not an image (starts with \"<!DOCTYPE\")"). */
bool mer_decode_image(const uint8_t *data, size_t len, int expect_px, uint8_t **rgba, int *w,
                      int *h, char *reason, size_t reason_len);

/* True when a failure reason is MER_DECODE_TOO_LARGE (a deliberate refusal,
 * not worth a retry). */
bool mer_decode_too_large(const char *reason);

#endif
