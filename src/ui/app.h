/* The viewer application: window, GL context, main loop, input, script mode.
 * Runs on the main thread (SDL's rule) and owns everything in src/ui. It
 * receives a plain configuration built by src/cli (cli/configs.c) and never
 * sees the command line. */
#ifndef MER_APP_H
#define MER_APP_H

#include <stdbool.h>

#include "core/source.h"
#include "net/loader.h"

typedef struct mer_view_config {
    mer_source source;          /* resolved (a --demo server's port applied) */
    mer_loader_config loader;   /* everything but on_ready/ud, which the viewer sets */
    int width, height;          /* window size, logical pixels */
    bool fullscreen;
    bool have_lat, have_zoom;   /* else the last view (or the cached area) */
    double lat, lon, zoom;
    bool offline;               /* the HUD and the layers say so */
    int upload_budget;          /* tiles uploaded per frame at most */
    double upload_ms;           /* ms of uploads per frame at most */
    int gpu_cache_mb;           /* texture cache budget (world map included), 0 = from the window size */
    char script[1024];          /* "" = interactive */
    char stats[1024];           /* "" = no stats JSON */
    bool overlay_on, panel_on;  /* layers shown from the start (N, P) */
    char demo_url[64];          /* the demo server's base URL for its /control, "" = none */
} mer_view_config;

/* Opens the window and runs until quit. Returns the process exit status:
 * 0 ok, 1 runtime failure (window, GL, a script command failed), 2 bad script. */
int mer_app_run(const mer_view_config *cfg);

#endif
