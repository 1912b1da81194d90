/* Private to world.c (loading, label placement) and world_render.c. */
#ifndef MER_DECODE_WORLD_IMPL_H
#define MER_DECODE_WORLD_IMPL_H

#include <stdint.h>

#include <cairo.h>

#include "decode/world.h"

#define WORLD_FORMAT 1
#define WORLD_LODS 3 /* 0: 1:110m, 1: 1:50m, 2: 1:10m */

enum { WK_LAND = 1, WK_COAST = 2, WK_BORDER = 3, WK_LAKE = 4, WK_LABEL = 5, WK_RIVER = 6, WK_MAX = 6 };
enum { WL_COUNTRY = 1, WL_OCEAN = 2, WL_CITY = 3 };

/* Labels are placed for zooms 0..LABEL_ZMAX; deeper zooms use the last set. */
#define LABEL_ZMAX 12

typedef struct wbox {
    int32_t x0, y0, x1, y1;
} wbox;

/* One polyline or ring: n points from pts[off]. */
typedef struct witem {
    uint32_t off, n;
    wbox b;
} witem;

typedef struct wlayer {
    witem *items;
    size_t n;
} wlayer;

typedef struct wlabel {
    int32_t x, y;        /* anchor, world units */
    int32_t r, bw, bh;   /* inner radius and bbox of the feature, world units */
    uint8_t kind;
    uint8_t rank;        /* cities: the first zoom that may show them */
    char *name;          /* NUL-terminated UTF-8, checked */
    double tw, th;       /* text extents at the label's font size, 256 px tiles */
    double ascent;       /* baseline offset from the box's top */
} wlabel;

struct mer_world {
    uint32_t data_version;
    int bits;           /* world units per world width = 2^bits */
    int32_t *pts;       /* x, y pairs */
    size_t npts;
    wlayer layers[WK_MAX + 1][WORLD_LODS];
    wlabel *labels;
    size_t nlabels;
    /* placed[z * nlabels + i]: 0 = label i is not drawn at zoom z, else
     * 1 + the side it is drawn on (mer_world_label_geom). */
    uint8_t *placed;
    cairo_font_face_t *font_country, *font_ocean, *font_city;
};

/* Font sizes (px on a 256 px tile) and the halo around every label. */
#define FONT_COUNTRY 11.0
#define FONT_OCEAN 11.0
#define FONT_CITY 10.0
#define LABEL_HALO 2.0
/* A city is a dot at its place with its name to the right. */
#define CITY_DOT 2.2
#define CITY_GAP 5.0

/* Where a label goes relative to its anchor, px on a 256 px tile, halo
 * excluded: its box and the top-left of its text. A city's name may sit on
 * any of 4 sides of its dot (0 right, 1 left, 2 above, 3 below); other labels
 * are centred on their anchor (side 0 only). */
#define CITY_SIDES 4
typedef struct wgeom {
    double x0, y0, x1, y1;
    double tx, ty;
} wgeom;
void mer_world_label_geom(const wlabel *l, int side, wgeom *g);
/* Renders any window of the map at zoom z (tile_px-pixel tiles): width x
 * height pixels from world pixel (x0, y0). A tile is the window at its
 * corner; tests render two tiles' worth at once to check that tiles join. */
bool mer_world_render_window(const mer_world *w, int z, int tile_px, double x0, double y0,
                             int width, int height, uint8_t *rgba_out);

/* world_labels.c, at load time: the label faces (from font_file, the bundled
 * TrueType font, or Cairo's toy faces when NULL or unreadable) and each
 * label's measured text; then the placement for zooms 0..LABEL_ZMAX. */
bool mer_world_fonts(mer_world *w, const char *font_file);
void mer_world_fonts_free(mer_world *w);
bool mer_world_place_labels(mer_world *w);

double mer_world_font_size(int kind);
cairo_font_face_t *mer_world_font(const mer_world *w, int kind);

#endif
