/* Where `meridian fetch` puts its mosaic, and how GIS tools place it.
 *
 * The output is a file or stdout ("-"). A file is written under a temporary
 * name beside the target and renamed into place once complete, so a reader
 * never sees half a PNG and a failed run leaves no file behind. The world
 * file (".pgw" beside a ".png", else NAME.wld) and the bounds in --stats
 * say where the image lies in EPSG:3857 (and in degrees). */
#ifndef MER_FETCH_OUT_H
#define MER_FETCH_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/tile.h"

typedef struct mer_fetch_out {
    FILE *f;
    bool is_stdout;
    char path[1024];
    char tmp[1100];
} mer_fetch_out;

/* Opens the output ("-" = stdout, which must not be a terminal). False with
 * a reason in err. */
bool mer_fetch_out_open(mer_fetch_out *o, const char *path, char *err, size_t errlen);
/* Closes it; a file is renamed into place. False with a reason in err. */
bool mer_fetch_out_commit(mer_fetch_out *o, char *err, size_t errlen);
/* Closes it and removes the temporary file. Safe after commit or a failed open. */
void mer_fetch_out_abort(mer_fetch_out *o);

/* The mosaic of tile range r (x unwrapped: a grid across the antimeridian
 * runs past 180 degrees east) with tiles of tile_px pixels. */
typedef struct mer_mosaic_bounds {
    double minx, miny, maxx, maxy;      /* EPSG:3857 metres */
    double west, south, east, north;    /* degrees */
    double res_m;                       /* metres per pixel (at the equator) */
} mer_mosaic_bounds;

void mer_mosaic_bounds_of(mer_tile_range r, int tile_px, mer_mosaic_bounds *b);
/* The world file's name for image path png into out; false if too long. */
bool mer_world_file_name(const char *png, char *out, size_t len);
/* Writes the six-line world file (pixel size, rotations, centre of the
 * top-left pixel) for image path png. False with a reason in err. */
bool mer_world_file_write(const char *png, const mer_mosaic_bounds *b, char *err, size_t errlen);
/* {"epsg3857": [minx, miny, maxx, maxy], "lonlat": [w, s, e, n], ...} */
size_t mer_mosaic_bounds_json(const mer_mosaic_bounds *b, char *buf, size_t len);

#endif
