/* An area for prefetch and export: a lon/lat box and a zoom range, from
 * --bbox W,S,E,N or --around LAT,LON,KM and --zoom A:B. Pure functions. */
#ifndef MER_AREA_H
#define MER_AREA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tile.h"

typedef struct mer_area {
    double west, south, east, north; /* degrees; west > east crosses the antimeridian */
    int zmin, zmax;
    bool have_box, have_zoom;
} mer_area;

/* Handles --bbox, --around and --zoom (name without dashes). Returns 1 if the
 * option was taken, 0 if it is not an area option, -1 on a bad value (err). */
int mer_area_option(mer_area *a, const char *name, const char *value, char *err, size_t errlen);

/* A box of km kilometres each way around a point (clamped to the Mercator range). */
bool mer_area_around(mer_area *a, double lat, double lon, double km);

/* The tiles of the area at zoom z (x may exceed 2^z-1 across the antimeridian). */
mer_tile_range mer_area_range(const mer_area *a, int z);
/* All tiles over the zoom range. */
uint64_t mer_area_count(const mer_area *a);

#endif
