/* Value parsers shared by the viewer's options, the subcommands and
 * meridian-tilesim. Pure functions: each returns false on bad input and then
 * leaves its outputs untouched. */
#ifndef MER_PARSE_H
#define MER_PARSE_H

#include <stdbool.h>

/* A finite number within lo..hi (the whole string). */
bool mer_parse_double(const char *s, double lo, double hi, double *out);
/* A decimal integer within lo..hi. */
bool mer_parse_int(const char *s, long lo, long hi, int *out);
/* "WxH", each within 64..16384. */
bool mer_parse_size(const char *s, int *w, int *h);
/* "A:B" (or "A" for A:A) with lo <= A <= B <= hi. */
bool mer_parse_int_range(const char *s, long lo, long hi, int *a, int *b);
/* A zoom range "A:B" (or "A") within 0..MER_MAX_ZOOM-1. */
bool mer_parse_zoom_range(const char *s, int *a, int *b);
/* "v0,v1,...": exactly n comma-separated numbers, v[i] within lo[i]..hi[i]
 * (no empty fields). */
bool mer_parse_doubles(const char *s, int n, const double *lo, const double *hi, double *out);
/* "W,S,E,N" in degrees, S < N (W > E crosses the antimeridian). */
bool mer_parse_bbox(const char *s, double *west, double *south, double *east, double *north);

#endif
