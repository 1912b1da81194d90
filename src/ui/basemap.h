/* The world beneath (main thread): a second loader on the built-in `world`
 * source and its own small texture cache, drawn wherever a tile of the
 * current source is missing (loading with no stand-in, failed, not cached,
 * no data), so the window is never blank or fully hatched.
 *
 * Only what is needed is asked for: while drawing, the map view calls
 * mer_basemap_draw for each slot that has nothing better to show; that both
 * draws the best world tile loaded (exact, else an ancestor's sub-rectangle)
 * and records the world tile the slot needs. mer_basemap_end_frame sends the
 * recorded set to the world loader when it changed, so world tiles are never
 * rendered under tiles of the current source that are already in.
 *
 * Threads: the world loader's threads render tiles (decode workers) and call
 * on_ready like the main loader; everything here runs on the main thread. */
#ifndef MER_BASEMAP_H
#define MER_BASEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/source.h"
#include "core/tile.h"
#include "net/loader.h"
#include "ui/gfx.h"
#include "ui/uploads.h"

typedef struct mer_basemap mer_basemap;

/* world: the source to draw beneath (the `world` preset); base: the main
 * loader's configuration, for the settings both share (cache directory, the
 * world map's data file); on_ready(ud) is called on a loader thread when
 * world tiles are ready (push a wake-up). NULL with a message on failure. */
mer_basemap *mer_basemap_create(const mer_source *world, const mer_loader_config *base, size_t budget_bytes,
                                void (*on_ready)(void *ud), void *ud, char *err, size_t errlen);
void mer_basemap_destroy(mer_basemap *b);

/* Moves rendered world tiles into textures within what is left of the
 * frame's budget (spent here). */
void mer_basemap_upload(mer_basemap *b, uint64_t frame, double now, mer_upload_budget *budget);
/* Makes one spare texture for a world tile to come (texcache.h), within
 * max_bytes of spares; true if it made one. */
bool mer_basemap_add_spare(mer_basemap *b, size_t max_bytes);

/* Draws the world for the slot of tile id (any source zoom; x wrapped) at
 * drawable rectangle (x, y, w, h) and records that the slot needs it (prio:
 * lower first). False if no world tile covering it is loaded yet (nothing
 * drawn). */
bool mer_basemap_draw(mer_basemap *b, mer_gfx *g, mer_tile_id id, float x, float y, float w, float h,
                      int32_t prio);

/* After a frame's draw: sends the world tiles this frame needed (and their
 * parents, for zooming) to the world loader if the set changed. */
void mer_basemap_end_frame(mer_basemap *b, uint64_t frame);

/* Results may be waiting (a wake-up came, or the last upload stopped at its
 * budget): the app should draw another frame. */
bool mer_basemap_busy(mer_basemap *b);
/* Every world tile the last frame needed is loaded and the loader is idle. */
bool mer_basemap_complete(mer_basemap *b);

size_t mer_basemap_tex_bytes(const mer_basemap *b);
/* World tiles delivered by the loader so far. */
uint64_t mer_basemap_tiles_loaded(const mer_basemap *b);

#endif
