/* Hostile images for `--faults bomb` and the tests: tiny bodies whose headers
 * declare huge dimensions (decompression bombs), and a real all-zero image
 * that deflates to almost nothing. Any thread; no shared state. Each returns a
 * malloc'ed buffer (caller frees) or NULL when out of memory. */
#ifndef TSIM_BOMB_H
#define TSIM_BOMB_H

#include <stddef.h>
#include <stdint.h>

#include "tilesim/encode.h"

/* A valid PNG signature and IHDR (w x h, 8-bit RGBA, correct CRCs), one tiny
 * IDAT and IEND: about 60 bytes that ask a careless decoder for w*h*4 bytes. */
uint8_t *tsim_bomb_png(uint32_t w, uint32_t h, size_t *len);
/* A real 16x16 baseline JPEG whose SOF0 marker is patched to w x h. */
uint8_t *tsim_bomb_jpeg(uint16_t w, uint16_t h, size_t *len);
/* A lossless WebP (VP8L) header declaring w x h (at most 16384 each). */
uint8_t *tsim_bomb_webp(uint32_t w, uint32_t h, size_t *len);
/* The bomb of the tile format f at the largest size that format can declare
 * (PNG 60000, JPEG 65000, WebP 16384 per side). */
uint8_t *tsim_bomb(tsim_format f, size_t *len);
/* A complete, valid w x h grey PNG of zeros (8000x8000 is about 60 KB). */
uint8_t *tsim_zero_png(uint32_t w, uint32_t h, size_t *len);

#endif
