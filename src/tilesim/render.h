/* Tile pictures for meridian-tilesim: a deterministic land/sea pattern from
 * fractal value noise in world coordinates (so it is continuous across tile
 * edges and zoom levels), a graticule with lat/lon labels, a z/x/y label and a
 * machine-readable code block in the top-left corner. Pure functions, any
 * thread. The code block's layout is documented in tests/support/tile_code.h,
 * which holds the independent decoder the tests use. */
#ifndef TSIM_RENDER_H
#define TSIM_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tile.h"

#define TSIM_TILE_PX 256
#define TSIM_CODE_COLS 16
#define TSIM_CODE_ROWS 4
#define TSIM_CODE_CELL 8 /* px at scale 1 */
#define TSIM_CODE_MAGIC 0xB4u

/* Renders tile t at scale 1 (256 px) or 2 (512 px) as packed RGB rows
 * (stride 3 * 256 * scale). Returns NULL on out-of-memory; caller frees. */
uint8_t *tsim_render(mer_tile_id t, int scale);

/* The 64 grey levels (0..3) of t's code block, row-major. */
void tsim_code_levels(mer_tile_id t, uint8_t levels[TSIM_CODE_COLS * TSIM_CODE_ROWS]);

/* True when tile t shows no land at all (for --empty-rule sea). */
bool tsim_tile_is_sea(mer_tile_id t);

#endif
