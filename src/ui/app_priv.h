/* State shared by app.c (set-up, main loop, frames), input.c (SDL events,
 * keys, mouse) and runner.c (script commands). Main thread only; not part of
 * the API. */
#ifndef MER_APP_PRIV_H
#define MER_APP_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

#include "net/loader.h"
#include "ui/app.h"
#include "ui/basemap.h"
#include "ui/camera.h"
#include "ui/gfx.h"
#include "ui/hud.h"
#include "ui/layers.h"
#include "ui/mapview.h"
#include "ui/script.h"
#include "ui/stats.h"
#include "ui/texcache.h"

#define MER_APP_MAX_PENDING 64
#define MER_APP_DRAG_SAMPLES 16

typedef struct drag_sample {
    double t, x, y;
} drag_sample;

/* Pointer and keyboard state: written by input.c only; app.c and runner.c
 * read it (the HUD's cursor position, "still dragging"). */
typedef struct mer_input {
    bool dragging;
    double drag_x, drag_y;
    drag_sample samples[MER_APP_DRAG_SAMPLES];
    int n_samples;
    double mouse_x, mouse_y;
    bool mouse_in;
    bool hud_on, fullscreen;
} mer_input;

/* The script runner's state: written by runner.c, except that input.c marks
 * a sync event handled and app.c takes the requested screenshot. */
typedef struct mer_runner {
    mer_script *script;     /* NULL = interactive */
    size_t idx;             /* the command running */
    bool started;
    double t0;
    uint64_t frames0;
    int phase;
    double last_x, last_y;  /* the last synthetic pointer position */
    bool synced;            /* input.c: the sync event after synthetic input was handled */
    char shot_path[1024];   /* screenshot to take in the next frame ("" = none) */
    bool shot_done, shot_failed; /* app.c: set when the frame took it */
} mer_runner;

typedef struct mer_app {
    const mer_view_config *cfg;
    mer_source src;
    SDL_Window *win;
    SDL_GLContext gl;
    mer_gfx *gfx;
    mer_texcache *tc;
    mer_mapview *mv;
    mer_hud *hud;
    mer_stats *stats;
    mer_loader *loader;
    mer_basemap *basemap;   /* the world beneath missing tiles, or NULL */
    size_t tex_budget;      /* texture bytes, the world map's share included */
    size_t basemap_budget;  /* the world map's share */

    mer_camera cam;
    mer_fling fling;
    mer_zoom_anim zanim;
    mer_pan_anim panim;
    double scale;           /* drawable / window */
    double hud_scale;       /* the scale the HUD's font was made for */
    int dw, dh;
    double home_lat, home_lon, home_zoom;
    double anim_t;          /* last animation step, seconds */
    double t_start, startup_ms;
    double t_first_frame;   /* first counted frame presented (--stats, bench/warm_cache) */
    double t_full_view;     /* first frame with every visible tile drawn exact, 0 = not yet */

    mer_input in;           /* input.c */
    mer_runner run;         /* runner.c */
    mer_layer_set layers;   /* optional layers (grid G, overlay N, panel P, coverage C) */

    /* Frames. */
    bool running, dirty, fading;
    double frame_interval;  /* 1 / refresh rate, seconds */
    double last_frame_t0;
    int exit_code;
    uint64_t frame;
    uint64_t generation;
    uint64_t wants_sent;
    double last_force;
    int last_failed, last_not_cached, last_no_data, last_empty; /* visible slots, last frame (HUD) */
    /* No network: transport errors and no response since the last one. */
    uint64_t net_responses, net_errors;
    int net_errors_since;
    char tls_notice[160];   /* the HUD line for a refused certificate */
    const char *notice;     /* the HUD's plain-words state line, or NULL */

    /* Results polled from the loader and not yet uploaded (FIFO). */
    mer_tile_result pending[MER_APP_MAX_PENDING];
    size_t pend_head, pend_n;
    bool results_maybe;     /* the loader may hold more results */
    Uint32 wake_type;       /* our SDL user event */
    Uint32 sync_type;       /* script: pushed after synthetic input, marks it handled */
    atomic_int wake_posted; /* one wake-up in SDL's queue at a time */
} mer_app;

double mer_app_now(void);
void mer_app_quit(mer_app *a, int code);
void mer_app_home(mer_app *a);
void mer_app_stop_motion(mer_app *a);
/* The world map beneath is complete for the view and on screen, whatever the
 * source's tiles are doing (script: wait-world, while they are in flight). */
bool mer_app_world_drawn(mer_app *a);
/* What keeps the app from being idle, in words (wait-idle's failure), or NULL when idle. */
const char *mer_app_busy_with(mer_app *a);
/* What the layers see of this frame; shot_path: the screenshot being taken, or NULL. */
mer_layer_ctx mer_app_layer_ctx(const mer_app *a, double now, const char *shot_path);
/* Reads the window and drawable sizes and the display scale (MERIDIAN_SCALE
 * forces one) and resizes the camera. */
void mer_app_update_sizes(mer_app *a);

/* input.c */
void mer_input_event(mer_app *a, const SDL_Event *ev);

/* uploads.c: moves finished tiles into textures within the frame's budget
 * (tighter while the map moves) and records what it did in fs. */
void mer_app_upload(mer_app *a, bool moving, mer_frame_sample *fs);
/* uploads.c: makes spare textures for tiles to come until `until`
 * (mer_app_now() seconds) or enough are ready. */
void mer_app_make_spares(mer_app *a, double until);

/* runner.c: steps the script; returns the longest time (ms) the main loop may
 * sleep before calling again, or -1 for "until an event". */
int mer_runner_step(mer_app *a);
void mer_runner_frame_done(mer_app *a);

#endif
