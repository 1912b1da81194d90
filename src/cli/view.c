/* The viewer command: starts the --demo tile server if asked, turns the
 * options into the viewer's plain configuration and runs the window. */
#include "cli/view.h"

#include <stdio.h>
#include <string.h>

#include "cli/configs.h"
#include "cli/demo.h"
#include "ui/app.h"

static void view_config(mer_view_config *v, const mer_options *o, const mer_source *src, const char *demo_url)
{
    /* --overlay turns on the tile-state overlay (key N); --demo=rate-limit
     * also shows it and the network panel (P), so the demo needs no key. */
    bool rl = strcmp(o->demo, "rate-limit") == 0;
    *v = (mer_view_config){.source = *src, .width = o->width, .height = o->height, .fullscreen = o->fullscreen,
                           .have_lat = o->have_lat, .have_zoom = o->have_zoom, .lat = o->lat, .lon = o->lon,
                           .zoom = o->zoom, .offline = o->offline, .upload_budget = o->upload_budget,
                           .upload_ms = o->upload_ms, .gpu_cache_mb = o->gpu_cache_mb,
                           .overlay_on = o->overlay || rl, .panel_on = rl};
    char cache_dir[sizeof v->loader.cache_dir];
    mer_cli_cache_dir(o, cache_dir, sizeof cache_dir); /* "" = none: the viewer runs without a disk cache */
    mer_cli_loader_config(&v->loader, src, o, cache_dir);
    snprintf(v->script, sizeof v->script, "%s", o->script);
    snprintf(v->stats, sizeof v->stats, "%s", o->stats);
    snprintf(v->demo_url, sizeof v->demo_url, "%s", demo_url ? demo_url : "");
}

int mer_cmd_view(const mer_options *o)
{
    mer_source src = o->source;
    mer_demo *demo = NULL;
    if (o->demo[0]) {
        int port = 0;
        char why[512] = "";
        demo = mer_demo_start(o->demo, &port, why, sizeof why);
        if (!demo) {
            fprintf(stderr, "meridian: --demo: cannot start the tile server: %s\n", why);
            return 1;
        }
        mer_source_set_demo_port(&src, port);
    }
    static mer_view_config v; /* large (paths, the loader's config); built once */
    view_config(&v, o, &src, demo ? mer_demo_base_url(demo) : NULL);
    int code = mer_app_run(&v);
    mer_demo_stop(demo);
    return code;
}
