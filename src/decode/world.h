/* The built-in world map: Natural Earth land, coastlines, country borders,
 * lakes, a graticule and labels, drawn into tiles with Cairo.
 *
 * The data is a compact file (assets/world.bin, written by
 * scripts/convert-world; the format is in docs/ARCHITECTURE.md). Loading
 * checks every count and offset before use; afterwards the data is read-only,
 * so any number of threads may render from one mer_world at once.
 *
 * Labels are placed by one global rule per zoom (bigger features first, no
 * two boxes overlapping), and each tile draws every placed label whose box
 * touches it, so a label crossing a tile edge is drawn whole by both tiles. */
#ifndef MER_DECODE_WORLD_H
#define MER_DECODE_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tile.h"

typedef struct mer_world mer_world;

/* Reads and checks the file. NULL with a one-line reason in err on failure
 * (missing, truncated, corrupt, wrong version). Call from one thread. */
mer_world *mer_world_load(const char *path, char *err, size_t errlen);
/* The same from bytes in memory (copied as needed; data may be freed after);
 * the labels' font comes from beside mer_world_find_asset's file. */
mer_world *mer_world_load_mem(const uint8_t *data, size_t len, char *err, size_t errlen);
void mer_world_free(mer_world *w);

/* Finds assets/world.bin the way the viewer finds its other data files:
 * $MERIDIAN_DATADIR, the source tree when the program runs from its build
 * tree (a CMakeCache.txt beside it or one level up), DIR/../share/meridian
 * relative to the program, the configured install prefix. Commands normally
 * resolve the path and pass it in mer_loader_config.world_path; this is the
 * fallback when they leave it empty. */
bool mer_world_find_asset(char *out, size_t len);

/* The data version in the file (changes when the map's content changes), for
 * cache keys. */
uint32_t mer_world_data_version(const mer_world *w);

/* Renders tile t (z >= 0, x and y inside the world) at px x px pixels
 * (16..4096; a 512 px tile is the 256 px tile drawn at twice the scale) into
 * rgba_out (px*px*4 bytes, rows top to bottom, RGBA, opaque). Thread-safe.
 * False on an invalid tile or size, or out of memory. */
bool mer_world_render(const mer_world *w, mer_tile_id t, int px, uint8_t *rgba_out);

/* The share of tile t (256 px tiles; x wraps) that is land at the level of
 * detail drawn at its zoom, 0..1; -1 for an invalid tile. Tile servers use it
 * to leave tiles of open sea empty. Thread-safe. */
double mer_world_land_fraction(const mer_world *w, mer_tile_id t);

/* The colours the map uses for open sea and for land, for tests and for
 * callers that want to match them. */
void mer_world_colors(uint8_t sea_rgb[3], uint8_t land_rgb[3]);

#endif
