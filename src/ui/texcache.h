/* The GPU tier of the tile cache (main thread only): one GL texture per
 * loaded tile, plus small entries remembering tiles that are empty (404),
 * failed or not cached so they are not asked for again and draw their pattern.
 * Bounded by a byte budget (textures) and an entry count, with LRU eviction;
 * tiles used in the current or the previous frame are never evicted. When a new tile would
 * go over the budget it takes the texture of the least recently used tile of
 * the same size, because glTexSubImage2D into an existing texture is cheaper
 * than creating one. */
#ifndef MER_TEXCACHE_H
#define MER_TEXCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tile.h"
#include "net/loader.h"

typedef struct mer_texcache mer_texcache;

typedef struct mer_tc_entry {
    mer_tile_id id;
    mer_tile_status status; /* OK (has tex), EMPTY, FAILED or NOT_CACHED */
    unsigned tex;
    int w, h;
    uint64_t last_used;     /* frame number */
    double born;            /* when uploaded, seconds: drives the fade-in */
    bool stale;             /* from disk, being revalidated */
    bool from_disk;
} mer_tc_entry;

mer_texcache *mer_texcache_create(size_t budget_bytes, size_t max_entries);
void mer_texcache_destroy(mer_texcache *c);

/* Looks a tile up (x must be wrapped); marks it used in frame when found. */
mer_tc_entry *mer_texcache_get(mer_texcache *c, mer_tile_id id, uint64_t frame);
/* The nearest loaded ancestor of id, from `from` levels up to `to` levels up
 * (and not below min_zoom), marked used in frame; *u0, *v0 and *f give id's
 * square of it in texture coordinates. NULL if none is loaded. The stand-in
 * search of the map view and of the world map beneath. */
mer_tc_entry *mer_texcache_ancestor(mer_texcache *c, mer_tile_id id, int from, int to, int min_zoom,
                                    uint64_t frame, float *u0, float *v0, float *f);
/* Looks up without marking it used. */
const mer_tc_entry *mer_texcache_peek(const mer_texcache *c, mer_tile_id id);

/* Stores a loader result (uploading its pixels), evicting least recently used
 * entries not used in frame if over budget. Does not take ownership of r. */
bool mer_texcache_put(mer_texcache *c, const mer_tile_result *r, uint64_t frame, double now);

/* Makes one spare texture of w x h for a tile to come, if the spares stay
 * within max_bytes and the cache within its budget; true if it made one.
 * With software GL a tile uploaded into a new texture costs about four times
 * one uploaded into existing storage (the new storage's page faults: 0.18
 * against 0.05 ms at 256 px), so spares are made between frames and new
 * tiles take them. Spares count in the budget and are dropped first. */
bool mer_texcache_add_spare(mer_texcache *c, int w, int h, size_t max_bytes);
size_t mer_texcache_spares(const mer_texcache *c);
/* Tiles that took a spare texture. */
uint64_t mer_texcache_spares_used(const mer_texcache *c);

/* Evicts down to the budget (never entries used in frame or frame - 1). */
void mer_texcache_trim(mer_texcache *c, uint64_t frame);
/* Drops everything (e.g. "clear the memory cache and reload"). */
void mer_texcache_clear(mer_texcache *c);

size_t mer_texcache_bytes(const mer_texcache *c);
size_t mer_texcache_count(const mer_texcache *c);
uint64_t mer_texcache_evictions(const mer_texcache *c);
uint64_t mer_texcache_reused(const mer_texcache *c);
/* How many times the cache was cleared (the map view then re-sends its wants). */
uint64_t mer_texcache_clears(const mer_texcache *c);

#endif
