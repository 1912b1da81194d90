/* Tile ids and Web Mercator tile math (EPSG:3857, ZXY: x east, y south).
 * Pure functions, any thread, double precision throughout.
 *
 * Coordinates: "world units" are normalised Web Mercator, u and v in [0,1)
 * (u east, v south). World pixels at a fractional zoom z are u * tile_px * 2^z. */
#ifndef MER_TILE_H
#define MER_TILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MER_MAX_LAT 85.05112878
#define MER_MAX_ZOOM 30

typedef struct mer_tile_id {
    int32_t z, x, y;
} mer_tile_id;

/* A range of tiles at one zoom, inclusive. x may run outside 0..2^z-1 (the
 * world repeats east-west; wrap with mer_tile_wrap_x); y is clamped. */
typedef struct mer_tile_range {
    int32_t z;
    int64_t x0, x1, y0, y1;
} mer_tile_range;

/* A 64-bit key for hash tables: unique per valid (z, x, y). */
uint64_t mer_tile_key(mer_tile_id t);
mer_tile_id mer_tile_from_key(uint64_t key);
bool mer_tile_valid(mer_tile_id t);
bool mer_tile_equal(mer_tile_id a, mer_tile_id b);
/* The ancestor `levels` zooms up (levels <= t.z). */
mer_tile_id mer_tile_parent(mer_tile_id t, int levels);

double mer_clamp_lat(double lat);
/* Wraps a longitude into [-180, 180). */
double mer_wrap_lon(double lon);
/* x modulo 2^z, for any integer x (negative too). */
int32_t mer_tile_wrap_x(int64_t x, int z);
/* TMS counts rows from the south: y' = 2^z - 1 - y. Its own inverse. */
int32_t mer_tms_y(int32_t y, int z);

/* lon/lat (degrees) <-> world units. Latitude is clamped to +/-MER_MAX_LAT. */
void mer_lonlat_to_world(double lon, double lat, double *u, double *v);
void mer_world_to_lonlat(double u, double v, double *lon, double *lat);

/* lon/lat <-> world pixels at a fractional zoom, for tiles of tile_px pixels. */
double mer_world_size_px(double zoom, int tile_px);
void mer_lonlat_to_pixel(double lon, double lat, double zoom, int tile_px, double *px, double *py);
void mer_pixel_to_lonlat(double px, double py, double zoom, int tile_px, double *lon, double *lat);

/* The tile at zoom z that contains a point. */
mer_tile_id mer_tile_for_lonlat(double lon, double lat, int z);
/* The north-west corner of a tile and its bounds, in degrees. */
void mer_tile_nw_corner(mer_tile_id t, double *lon, double *lat);
void mer_tile_bounds(mer_tile_id t, double *west, double *south, double *east, double *north);

/* Tiles at zoom z covering a screen rectangle of w x h pixels centred on world
 * point (cu, cv), drawn at display zoom `zoom` with tile_px-pixel tiles, grown
 * by `margin` tiles on each side. x is not wrapped; y is clamped to the world;
 * x spans at most one copy of the world, so each tile appears once. */
mer_tile_range mer_tiles_for_view(double cu, double cv, double zoom, int tile_px,
                                  double w, double h, int z, int margin);
/* The same without the one-copy limit: when the world is narrower than the
 * window, x spans every copy on screen (for drawing; wrap each x). */
mer_tile_range mer_tiles_for_view_repeat(double cu, double cv, double zoom, int tile_px,
                                         double w, double h, int z, int margin);
/* Tiles at zoom z covering a lon/lat box (west may exceed east across the antimeridian). */
mer_tile_range mer_tiles_for_bbox(double west, double south, double east, double north, int z);
uint64_t mer_tile_range_count(mer_tile_range r);

/* Quadkeys (Bing): one digit per level, z digits. buf needs z+1 bytes. */
bool mer_quadkey(mer_tile_id t, char *buf, size_t len);
bool mer_quadkey_parse(const char *qk, mer_tile_id *out);

#endif
