/* The disk tile cache: one SQLite file per tile source in MBTiles layout
 * (metadata, tiles with TMS rows) plus a side table with HTTP metadata
 * (ETag, Last-Modified, expiry, fetch time, last use, size).
 *
 * Thread: a mer_cache is used only by the thread that opened it (the loader
 * thread, or a headless command where no loader runs). Not thread-safe. */
#ifndef MER_CACHE_H
#define MER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/source.h"
#include "core/tile.h"

typedef struct mer_cache mer_cache;

typedef struct mer_cache_meta {
    char etag[128];
    char last_modified[64];
    int64_t expires;  /* unix seconds */
    int64_t fetched;  /* unix seconds */
    bool empty;       /* a cached 404 */
} mer_cache_meta;

typedef struct mer_cache_entry {
    uint8_t *data;    /* malloc'ed; owned by the caller after a hit */
    size_t len;
    mer_cache_meta meta;
} mer_cache_entry;

typedef enum mer_cache_result {
    MER_CACHE_MISS = 0,
    MER_CACHE_HIT = 1,
    MER_CACHE_ERROR = -1,
} mer_cache_result;

/* Opens (creating if needed) the cache file for src under dir. A file that is
 * not a valid database is moved aside (the warning says where) and a new one
 * started. NULL with a reason in err if the directory cannot be used; callers
 * then run without a disk cache. If the directory is read-only but a cache
 * file exists, it is opened read-only: lookups work, mer_cache_usable() is
 * false (one warning). max_bytes 0 = no size limit. */
mer_cache *mer_cache_open(const char *dir, const mer_source *src, size_t max_bytes, char *err,
                          size_t errlen);
/* Opens an MBTiles file directly (a --source FILE.mbtiles, or export). */
mer_cache *mer_cache_open_mbtiles(const char *path, bool readonly, char *err, size_t errlen);
void mer_cache_close(mer_cache *c); /* flushes; NULL is fine */

/* Looks a tile up. On a hit, out->data is the caller's (mer_cache_entry_free). */
mer_cache_result mer_cache_get(mer_cache *c, mer_tile_id t, mer_cache_entry *out);
void mer_cache_entry_free(mer_cache_entry *e);

/* Stores a tile (or an empty tile: data NULL, meta->empty). Writes are batched
 * into one transaction; mer_cache_flush commits it. False if caching is off.
 * meta->expires == MER_CACHE_NO_STORE (from mer_http_expiry): nothing is
 * stored and the call returns true. meta->expires == 0: now (an empty tile:
 * now + MER_CACHE_EMPTY_TTL_S; an empty tile never lives longer than that).
 * meta may be NULL. */
bool mer_cache_put(mer_cache *c, mer_tile_id t, const uint8_t *data, size_t len,
                   const mer_cache_meta *meta);
/* After a 304: new expiry (and validators, if sent) for a cached tile. */
bool mer_cache_refresh(mer_cache *c, mer_tile_id t, const mer_cache_meta *meta);
/* Removes a tile (e.g. one whose bytes turned out not to decode), so a bad
 * body never keeps being served from disk. In the batch, like put. */
bool mer_cache_forget(mer_cache *c, mer_tile_id t);
/* Commits pending writes and evicts least-recently-used tiles over the limit.
 * The loader calls it when it goes idle and at least every 250 ms while writing. */
void mer_cache_flush(mer_cache *c);
/* False once caching was turned off (disk full, read-only directory). */
bool mer_cache_usable(const mer_cache *c);

/* Freshness (RFC 9111, as far as a tile client needs): the expiry time from
 * the response headers (any may be NULL), with floor_s as the minimum
 * lifetime when the server sends no caching headers. */
int64_t mer_http_expiry(const char *cache_control, const char *expires, const char *date,
                        int64_t now, int64_t floor_s);
bool mer_cache_is_fresh(const mer_cache_meta *m, int64_t now);

/* Cache-Control directives gathered from every field line of a response
 * (RFC 9110 5.3: repeated lines form one list). Parsed line by line with no
 * length limit, so a directive can never be cut off. */
typedef struct mer_cache_control {
    bool present;   /* at least one Cache-Control line */
    bool no_store;  /* on any line: wins over everything */
    bool no_cache;
    bool conflict;  /* two different max-age values: stale now */
    int64_t max_age; /* -1: none */
} mer_cache_control;
void mer_cache_control_init(mer_cache_control *cc);
/* Adds one line's value (not NUL-terminated, n bytes). */
void mer_cache_control_add(mer_cache_control *cc, const char *value, size_t n);
/* mer_http_expiry with the directives already gathered (cc may be NULL). */
int64_t mer_http_expiry_cc(const mer_cache_control *cc, const char *expires, const char *date, int64_t now,
                           int64_t floor_s);
/* Validators a server sent, checked before they are stored or sent back: an
 * ETag must follow RFC 9110's grammar in visible ASCII, a Last-Modified must be
 * visible ASCII and a readable HTTP date. Anything else is dropped. */
bool mer_http_etag_valid(const char *s, size_t n);
bool mer_http_last_modified_valid(const char *s, size_t n);

#define MER_CACHE_DEFAULT_FLOOR_S (7 * 24 * 3600) /* OpenStreetMap's policy: 7 days */
/* mer_http_expiry returns this for "Cache-Control: no-store": do not store the
 * response at all (a no-cache response is stored, already stale: expiry = now). */
#define MER_CACHE_NO_STORE ((int64_t)-1)
/* How long a 404 is remembered as an empty tile when the server says nothing. */
#define MER_CACHE_EMPTY_TTL_S (24 * 3600)
/* Tiles bigger than this are not stored. */
#define MER_CACHE_MAX_TILE_BYTES ((size_t)16 << 20)
/* mer_cache_coverage answers ranges of at most this many tiles. */
#define MER_CACHE_COVERAGE_MAX ((uint64_t)1 << 22)

/* An HTTP date (IMF-fixdate, RFC 850 or asctime form) as unix seconds; -1 if invalid. */
int64_t mer_http_date(const char *s);

/* Like mer_cache_get without reading the bytes: cheap, for "is it there and
 * fresh?". Not a use: does not change the tile's place in the LRU order. */
mer_cache_result mer_cache_get_meta(mer_cache *c, mer_tile_id t, mer_cache_meta *out);

/* Coverage of a tile range at one zoom: bit i (bits[i / 8] >> (i % 8) & 1) is
 * set when tile (r.x0 + i % w, r.y0 + i / w) is cached (an image or a cached
 * 404), w = r.x1 - r.x0 + 1. x wraps around the world. bits must hold
 * (w * h + 7) / 8 bytes and is cleared first. Returns the number of cached
 * tiles, or -1 on error or when the range holds more than MER_CACHE_COVERAGE_MAX tiles. */
int64_t mer_cache_coverage(mer_cache *c, mer_tile_range r, uint8_t *bits, size_t bits_len);

/* Where the cache has tiles (for an --offline start with no position): the
 * zoom level that holds the most tiles and the lon/lat box of its tiles.
 * False if the cache has no tiles. Scans the tiles index once: call at start-up. */
bool mer_cache_extent(mer_cache *c, int *zoom, double *west, double *south, double *east, double *north);

/* MBTiles metadata (name, format, bounds, minzoom, maxzoom, attribution...). */
bool mer_cache_get_metadata(mer_cache *c, const char *name, char *buf, size_t len);
bool mer_cache_set_metadata(mer_cache *c, const char *name, const char *value);

typedef struct mer_cache_totals {
    uint64_t tiles;  /* stored images */
    uint64_t empty;  /* cached 404s */
    uint64_t bytes;  /* sum of image sizes (what --cache-size limits) */
} mer_cache_totals;
bool mer_cache_get_totals(mer_cache *c, mer_cache_totals *out);

/* The file mer_cache_open uses for src under dir: DIR/<id>.mbtiles for a
 * preset (src->preset), whose identity is its name; DIR/<id>-<hash of
 * url>.mbtiles for other sources, so two custom URLs never share a file; "@2x"
 * after the id when src->retina (512 px tiles are other images). */
bool mer_cache_file_path(const char *dir, const mer_source *src, char *buf, size_t len);
/* $XDG_CACHE_HOME/meridian, else $HOME/.cache/meridian. False if neither is set. */
bool mer_cache_default_dir(char *buf, size_t len);

#endif
