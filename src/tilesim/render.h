/* Tile pictures for meridian-tilesim. The map is either the real world
 * (decode/world.h: Natural Earth, the same renderer as the viewer's `world`
 * source) or a deterministic synthetic land/sea pattern from fractal value
 * noise in world coordinates with a graticule and lat/lon labels. Both are
 * continuous across tile edges. With codes on (tests: --codes) each tile also
 * gets a dashed border, a z/x/y label and a machine-readable code block in the
 * top-left corner. Pure functions, any thread. The code block's layout is documented in tests/support/tile_code.h,
 * which holds the independent decoder the tests use. */
#ifndef TSIM_RENDER_H
#define TSIM_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tile.h"
#include "decode/world.h"

#define TSIM_TILE_PX 256
#define TSIM_CODE_COLS 16
#define TSIM_CODE_ROWS 4
#define TSIM_CODE_CELL 8 /* px at scale 1 */
#define TSIM_CODE_MAGIC 0xB4u

/* How tiles look; fixed for a server's lifetime. */
typedef struct tsim_style {
    const mer_world *world; /* the real world map; NULL: the synthetic noise map */
    bool codes;             /* border, z/x/y label and code block */
} tsim_style;

/* Renders tile t at scale 1 (256 px) or 2 (512 px) as packed RGB rows
 * (stride 3 * 256 * scale). Returns NULL on out-of-memory; caller frees. */
uint8_t *tsim_render_style(const tsim_style *s, mer_tile_id t, int scale);
/* The synthetic map with codes (unit tests of the code block and the noise). */
uint8_t *tsim_render(mer_tile_id t, int scale);

/* The 64 grey levels (0..3) of t's code block, row-major. */
void tsim_code_levels(mer_tile_id t, uint8_t levels[TSIM_CODE_COLS * TSIM_CODE_ROWS]);

/* True when tile t shows no land at all (for --empty-rule sea). */
bool tsim_tile_is_sea(mer_tile_id t);
bool tsim_style_tile_is_sea(const tsim_style *s, mer_tile_id t);

#endif
