/* Optional layers drawn over the map and toggled by a key: the tile-state
 * overlay (N), the network panel (P), the cache coverage overlay (C).
 *
 * How to add one: write src/ui/layer_<name>.c with a `const mer_layer
 * mer_layer_<name>` and list it in g_layers in layers.c. The app calls
 * draw() after the map and before the HUD, every frame the layer is on; a
 * layer that animates (a countdown, a sparkline) returns true from draw() to
 * ask for another frame.
 * Everything here runs on the main thread. */
#ifndef MER_LAYERS_H
#define MER_LAYERS_H

#include <stdbool.h>
#include <stddef.h>

#include "net/loader.h"
#include "ui/camera.h"
#include "ui/gfx.h"
#include "ui/hud.h"
#include "ui/mapview.h"
#include "ui/texcache.h"

typedef struct mer_layer_ctx {
    mer_gfx *gfx;
    const mer_camera *cam;
    double scale;                /* drawable pixels per logical pixel */
    int dw, dh;                  /* drawable size */
    mer_loader *loader;          /* stats, tile states, live controls */
    mer_texcache *tc;            /* what is in GPU memory */
    const mer_slot_info *slots;  /* the visible tile slots of this frame */
    size_t n_slots;
    double now;                  /* seconds */
    double mouse_x, mouse_y;     /* logical pixels */
    bool offline;
    const char *demo_url;        /* --demo tile server ("http://127.0.0.1:PORT") or NULL */
    const char *shot_path;       /* set in a frame that saves a screenshot (tests' sidecar files), else NULL */
} mer_layer_ctx;

typedef struct mer_layer {
    const char *name;
    int key;                                       /* SDL_Keycode that toggles it */
    bool (*draw)(const mer_layer_ctx *ctx, void *state);
    /* Optional: a key pressed while the layer is on (live controls). True if used. */
    bool (*key_down)(const mer_layer_ctx *ctx, void *state, int key);
    void *(*create)(void);                         /* optional state */
    void (*destroy)(void *state);
} mer_layer;

/* The layers built so far (each in its own file). */
extern const mer_layer mer_layer_grid; /* G: tile slot outlines (layer_grid.c) */
extern const mer_layer mer_layer_overlay; /* N: tile states (layer_overlay.c) */
extern const mer_layer mer_layer_panel;   /* P: network panel and live controls (layer_panel.c) */
extern const mer_layer mer_layer_coverage; /* C: disk cache coverage (layer_coverage.c) */

/* The viewer's layers and their state (layers.c): which are on, each one's
 * private state. Owned by the app; main thread only. */
#define MER_MAX_LAYERS 8
typedef struct mer_layer_set {
    const mer_layer *layer[MER_MAX_LAYERS];
    void *state[MER_MAX_LAYERS];
    bool on[MER_MAX_LAYERS];
    int n;
} mer_layer_set;

/* Creates every layer in key order; the tile-state overlay (N) and the
 * network panel (P) start on if asked. */
void mer_layers_start(mer_layer_set *s, bool overlay_on, bool panel_on);
void mer_layers_stop(mer_layer_set *s);
/* A key pressed: toggles the layer it belongs to, else offers it to the
 * layers that are on (live controls). True if a layer used it. */
bool mer_layers_key(mer_layer_set *s, const mer_layer_ctx *ctx, int key);
/* Draws the layers that are on; true if one asks for another frame. */
bool mer_layers_draw(mer_layer_set *s, const mer_layer_ctx *ctx);
/* "G tile grid   N tile states (on) ...": the keys, for the HUD. */
void mer_layers_hint(const mer_layer_set *s, char *out, size_t len);

#endif
