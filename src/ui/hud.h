/* The heads-up display (main thread): attribution bottom-right (required by
 * OpenStreetMap's policy), a scale bar bottom-left, and a status line top-left
 * with zoom, cursor position and the number of tiles loading. Text is rendered
 * with SDL2_ttf from the bundled DejaVu Sans and cached as textures until it
 * changes, so a still HUD costs a few quads per frame. */
#ifndef MER_HUD_H
#define MER_HUD_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/gfx.h"

typedef struct mer_hud mer_hud;

typedef struct mer_hud_info {
    const char *attribution;
    double zoom;
    bool have_cursor;
    double cursor_lat, cursor_lon;
    double centre_lat;
    double world_px;     /* world width in logical pixels at this zoom */
    int loading;         /* tiles queued, in flight or decoding */
    int failed;          /* visible slots showing the failed mark */
    int not_cached;      /* ... offline and not in the cache */
    int no_data;         /* ... not in the MBTiles file (nothing there) */
    int empty;           /* ... 404 (nothing there) */
    const char *notice;  /* a plain-words state line (e.g. offline) shown instead
                          * of the failed count, or NULL */
    bool offline;
    const char *hint;    /* extra keys line (overlays), may be NULL */
} mer_hud_info;

/* NULL with a message if the font cannot be found or opened. */
mer_hud *mer_hud_create(double scale, char *err, size_t errlen);
void mer_hud_destroy(mer_hud *h);

/* Draws with drawable size dw x dh and display scale (drawable/window). */
void mer_hud_draw(mer_hud *h, mer_gfx *g, const mer_hud_info *info, int dw, int dh, double scale,
                  bool full);

/* A nice scale bar length: 1, 2 or 5 x 10^n metres not over max_m. */
double mer_hud_nice_metres(double max_m);

#endif
