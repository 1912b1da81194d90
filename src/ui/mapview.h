/* The map layer (main thread): which tiles the view wants, and drawing them
 * with stand-ins.
 *
 * Wants: visible tiles at the tile zoom (centre first), then the parent level,
 * then a one-tile margin, then the grandparent level. Tiles already in the
 * texture cache are left out. The list is rebuilt only when the set of tile
 * ranges changes, so panning within a tile sends nothing to the loader.
 *
 * Drawing, per visible slot (every copy of the world on screen: at low zooms
 * the world repeats east-west): the exact tile (fading in over a stand-in),
 * else the nearest loaded ancestor's sub-rectangle, else loaded children, else
 * the world map beneath (basemap.h), else the placeholder pattern. Failed and
 * not-cached tiles show a stand-in or the world with a light mark on top;
 * empty tiles (404, no data) show the world. */
#ifndef MER_MAPVIEW_H
#define MER_MAPVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loader.h"
#include "ui/basemap.h"
#include "ui/camera.h"
#include "ui/gfx.h"
#include "ui/texcache.h"

typedef struct mer_mapview mer_mapview;

typedef struct mer_draw_counts {
    int exact;       /* the tile itself (or a known-empty tile) */
    int standin;     /* an ancestor or children in its place */
    int placeholder; /* nothing to show yet */
    int world;       /* the world map beneath in its place */
    int failed;      /* failed: a stand-in or the world, marked */
    int not_cached;  /* offline and not cached: the world, marked */
    int empty;       /* of exact: a 404, nothing there */
    int no_data;     /* of exact: not in the MBTiles file, nothing there */
    bool fading;     /* some tile is still fading in: draw another frame */
} mer_draw_counts;

/* What a tile slot is showing, for overlays drawn on top (tile states, coverage). */
typedef struct mer_slot_info {
    mer_tile_id id;         /* x wrapped */
    float x, y, w, h;       /* drawable pixels */
} mer_slot_info;

mer_mapview *mer_mapview_create(int tile_px, int min_zoom, int max_zoom);
void mer_mapview_destroy(mer_mapview *m);

/* The tile zoom for the camera: tiles shown at between ~0.7x and ~1.4x. */
int mer_mapview_tile_zoom(const mer_mapview *m, const mer_camera *c, double scale);

/* Rebuilds the want list if the view's tile ranges changed (or force).
 * Returns true with *tiles / *n set when a new want should be sent. */
bool mer_mapview_wants(mer_mapview *m, const mer_camera *c, double scale, const mer_texcache *tc,
                       bool force, const mer_want_tile **tiles, size_t *n);

/* True when every tile the view wants is in the texture cache in a final
 * state and none is still fading in. */
bool mer_mapview_complete(const mer_mapview *m, const mer_camera *c, double scale,
                          const mer_texcache *tc, double now);

/* bm: the world beneath (may be NULL: then the placeholder shows instead). */
void mer_mapview_draw(mer_mapview *m, mer_gfx *g, const mer_camera *c, double scale, mer_texcache *tc,
                      mer_basemap *bm, uint64_t frame, double now, mer_draw_counts *out);

/* The visible slots of the last draw (valid until the next draw). */
const mer_slot_info *mer_mapview_slots(const mer_mapview *m, size_t *n);

#endif
