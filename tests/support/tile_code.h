/* Reads the z/x/y code that meridian-tilesim draws into every tile, from RGBA
 * pixels (a screenshot, a mosaic, a decoded tile). Shared by all tests.
 *
 * The encoding (written by src/tilesim/render.c; this is an independent
 * decoder of the same spec, so a mistake on either side shows up in tests):
 *  - A block of 16 x 4 square cells in the tile's top-left corner, each cell
 *    8 x 8 px at scale 1 (16 x 16 px in @2x tiles), so 128 x 32 px in all.
 *    Cells are aligned to 8/16 px, i.e. to JPEG's DCT blocks and MCUs.
 *  - Each cell is one pure grey R = G = B = 85 * L, L in 0..3 (2 bits). Grey
 *    keeps everything in luma, which JPEG and lossy WebP keep at full
 *    resolution; the decoder reads luma only and rounds to the nearest level.
 *  - Cells are read row-major; each gives 2 bits, high bit first. The 128 bits,
 *    most significant first: magic 0xB4 (8 bits), z (5), x (30), y (30),
 *    check (32), then 23 zero bits. check = FNV-1a 32 over the 9 bytes
 *    z, x (4 bytes little-endian), y (4 bytes little-endian).
 *
 * Robustness: each cell is read as the mean of the pixels within 1.5 * scale px
 * of its centre, and rejected if any of them strays more than 40 grey levels
 * from that mean. So the tile may sit at any position, integer or not, and be
 * bilinearly filtered or JPEG/WebP-compressed: pass its true corner (or the
 * rounded one, see mer_test_decode_tile_id) and it decodes. A corner guessed
 * up to 1 * scale px wrong still decodes (tested for scales 0.6 to 1.77); one
 * a whole cell (8 * scale px) off never does. Scale must be >= 0.5 (cells of 4
 * px or more). A misread cell fails the 32-bit check (or the magic),
 * so a wrong id would need a 1-in-4-billion coincidence. */
#ifndef MER_TEST_TILE_CODE_H
#define MER_TEST_TILE_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tile.h"

/* rgba: w x h pixels, 4 bytes each, rows stride_px pixels apart. (x0, y0): where
 * the tile's top-left corner is drawn; scale: drawn size / 256 px (a 512-px
 * @2x tile shown 1:1 has scale 2). False if no valid code is there. */
bool mer_test_decode_tile_id(const uint8_t *rgba, int w, int h, int stride_px, int x0, int y0,
                             double scale, mer_tile_id *out);
/* The same with a sub-pixel corner position. */
bool mer_test_decode_tile_id_at(const uint8_t *rgba, int w, int h, int stride_px, double x0,
                                double y0, double scale, mer_tile_id *out);

#endif
