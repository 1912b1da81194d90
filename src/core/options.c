#include "core/options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/demo_preset.h"
#include "core/geo.h"
#include "core/tile.h"

typedef enum { T_FLAG, T_STR, T_INT, T_DOUBLE, T_SPECIAL } opt_type;

typedef struct opt_def {
    const char *name;
    int short_name;
    opt_type type;
    size_t off;      /* field in mer_options */
    size_t size;     /* for strings */
    double lo, hi;   /* for numbers */
    size_t have_off; /* bool set when given, or SIZE_MAX */
    const char *metavar;
    const char *help;
    int optional_arg; /* e.g. --demo[=PRESET] */
} opt_def;

#define NO_HAVE SIZE_MAX
#define F(field) offsetof(mer_options, field)
#define S(field) offsetof(mer_options, field), sizeof(((mer_options *)0)->field)

/* Every viewer option, in --help order. */
static const opt_def g_opts[] = {
    {"help", 'h', T_SPECIAL, 0, 0, 0, 0, NO_HAVE, NULL, "show this help and exit", 0},
    {"version", 'V', T_SPECIAL, 0, 0, 0, 0, NO_HAVE, NULL, "show the version and exit", 0},
    {"source", 's', T_STR, S(source_arg), 0, 0, NO_HAVE, "NAME|URL|FILE",
     "preset (osm, opentopomap, demo, world), user source, URL template or .mbtiles file", 0},
    {"lat", 0, T_DOUBLE, F(lat), 0, -MER_MAX_LAT, MER_MAX_LAT, F(have_lat), "DEG", "start latitude", 0},
    {"lon", 0, T_DOUBLE, F(lon), 0, -180, 180, F(have_lon), "DEG", "start longitude", 0},
    {"zoom", 'z', T_DOUBLE, F(zoom), 0, 0, 22, F(have_zoom), "Z", "start zoom (fractional allowed)", 0},
    {"size", 0, T_SPECIAL, 0, 0, 0, 0, NO_HAVE, "WxH", "window size (default 1280x720)", 0},
    {"fullscreen", 0, T_FLAG, F(fullscreen), 0, 0, 0, NO_HAVE, NULL, "start fullscreen", 0},
    {"user-agent", 0, T_STR, S(user_agent), 0, 0, NO_HAVE, "STRING", "HTTP User-Agent (default names Meridian)", 0},
    {"max-concurrent", 'c', T_INT, F(max_concurrent), 0, 1, 64, NO_HAVE, "N",
     "requests in flight per host, a ceiling adaptive limits start from (default: the source's; "
     "2 for osm; unknown servers start at 6, up to 16)", 0},
    {"rate", 'r', T_DOUBLE, F(rate), 0, 0, 1000, NO_HAVE, "R",
     "requests per second per host, a ceiling (default: the source's; 0 = none, the server's is discovered)", 0},
    {"burst", 0, T_INT, F(burst), 0, 1, 1000, NO_HAVE, "B", "token bucket size for --rate", 0},
    {"cache-dir", 0, T_STR, S(cache_dir), 0, 0, NO_HAVE, "DIR", "disk cache directory (default $XDG_CACHE_HOME/meridian)", 0},
    {"cache-size", 0, T_INT, F(cache_size_mb), 0, 0, 1 << 20, NO_HAVE, "MB", "disk cache size limit (default 1024)", 0},
    {"offline", 0, T_FLAG, F(offline), 0, 0, 0, NO_HAVE, NULL, "never use the network; show cached tiles only", 0},
    {"demo", 0, T_STR, S(demo), 0, 0, NO_HAVE, "PRESET",
     "start the local tile server and view it (default, rate-limit, slow, flaky)", 1},
    {"overlay", 0, T_FLAG, F(overlay), 0, 0, 0, NO_HAVE, NULL, "show the tile network-state overlay", 0},
    {"adaptive", 0, T_FLAG, F(adaptive), 0, 0, 0, NO_HAVE, NULL,
     "discover each server's concurrency and rate from its 429/503 answers (the default)", 0},
    {"no-adaptive", 0, T_FLAG, F(no_adaptive), 0, 0, 0, NO_HAVE, NULL,
     "fixed limits: exactly --max-concurrent, --rate and --burst, whatever the server answers", 0},
    {"ca-file", 0, T_STR, S(ca_file), 0, 0, NO_HAVE, "FILE",
     "CA certificates (PEM) for https (default: $CURL_CA_BUNDLE, $SSL_CERT_FILE or the system's); "
     "verification is always on", 0},
    {"script", 0, T_STR, S(script), 0, 0, NO_HAVE, "FILE", "run viewer commands from FILE (scripted mode)", 0},
    {"stats", 0, T_STR, S(stats), 0, 0, NO_HAVE, "FILE", "write frame and network statistics as JSON at exit", 0},
    {"upload-budget", 0, T_INT, F(upload_budget), 0, 1, 1024, NO_HAVE, "N", "tile textures uploaded per frame at most (default 8)", 0},
    {"upload-ms", 0, T_DOUBLE, F(upload_ms), 0, 0.1, 1000, NO_HAVE, "MS", "milliseconds of texture uploads per frame at most (default 4)", 0},
    {"gpu-cache", 0, T_INT, F(gpu_cache_mb), 0, 0, 4096, NO_HAVE, "MB", "texture cache budget, world map beneath included (default 0: from the window size, at least 48)", 0},
    {"config", 0, T_STR, S(config), 0, 0, NO_HAVE, "FILE", "config file (default $XDG_CONFIG_HOME/meridian/meridian.conf)", 0},
    {"no-config", 0, T_FLAG, F(no_config), 0, 0, 0, NO_HAVE, NULL, "do not read a config file", 0},
    {"list-sources", 0, T_FLAG, F(list_sources), 0, 0, 0, NO_HAVE, NULL, "list preset and user sources and exit", 0},
    {"verbose", 'v', T_SPECIAL, 0, 0, 0, 0, NO_HAVE, NULL, "more log output (repeat for more)", 0},
};
#define N_OPTS (sizeof g_opts / sizeof g_opts[0])

static const opt_def *find_opt(const char *name)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strcmp(g_opts[i].name, name) == 0)
            return &g_opts[i];
    return NULL;
}

void mer_options_defaults(mer_options *o)
{
    memset(o, 0, sizeof *o);
    o->width = 1280;
    o->height = 720;
    o->rate = -1.0;
    o->cache_size_mb = 1024;
    o->upload_budget = 8;
    o->upload_ms = 4.0;
    o->gpu_cache_mb = 0; /* the viewer sizes it from the window (app.c texture_budget) */
}

static mer_opt_status bad(char *err, size_t len, const char *name, const char *value, const char *why)
{
    snprintf(err, len, "--%s: %s'%s'%s%s", name, why ? "" : "invalid value ", value ? value : "",
             why ? ": " : "", why ? why : "");
    return MER_OPT_ERROR;
}

static mer_opt_status set_number(mer_options *o, const opt_def *d, const char *value, char *err, size_t len)
{
    char *base = (char *)o;
    char why[96];
    if (d->type == T_INT) {
        int v;
        if (!mer_parse_int(value, (long)d->lo, (long)d->hi, &v)) {
            snprintf(why, sizeof why, "expected an integer within %.0f..%.0f", d->lo, d->hi);
            return bad(err, len, d->name, value, why);
        }
        *(int *)(base + d->off) = v;
    } else {
        double v;
        if (!mer_parse_double(value, d->lo, d->hi, &v)) {
            snprintf(why, sizeof why, "expected a number within %g..%g", d->lo, d->hi);
            return bad(err, len, d->name, value, why);
        }
        *(double *)(base + d->off) = v;
    }
    if (d->have_off != NO_HAVE)
        *(bool *)(base + d->have_off) = true;
    return MER_OPT_OK;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!v || !strcasecmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        return (*out = true, true);
    if (!strcasecmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off"))
        return (*out = false, true);
    return false;
}

static mer_opt_status set_special(mer_options *o, const opt_def *d, const char *value, char *err, size_t len)
{
    if (strcmp(d->name, "size") == 0) {
        if (!mer_parse_size(value, &o->width, &o->height))
            return bad(err, len, d->name, value, "expected WIDTHxHEIGHT, each within 64..16384");
        return MER_OPT_OK;
    }
    if (strcmp(d->name, "verbose") == 0) {
        o->verbose++;
        return MER_OPT_OK;
    }
    if (strcmp(d->name, "help") == 0 || strcmp(d->name, "version") == 0)
        return MER_OPT_EXIT;
    return bad(err, len, d->name, value, "unsupported");
}

mer_opt_status mer_options_set(mer_options *o, const char *name, const char *value, char *err, size_t len)
{
    const opt_def *d = find_opt(name);
    if (!d) {
        snprintf(err, len, "unknown option '%s'", name);
        return MER_OPT_ERROR;
    }
    char *base = (char *)o;
    switch (d->type) {
    case T_FLAG: {
        bool b;
        if (!parse_bool(value, &b))
            return bad(err, len, d->name, value, "expected true or false");
        *(bool *)(base + d->off) = b;
        return MER_OPT_OK;
    }
    case T_STR:
        if (strcmp(d->name, "demo") == 0) {
            const char *v = value && *value ? value : "default";
            const mer_demo_preset *p = mer_demo_preset_find(v);
            if (p && p->startable) {
                snprintf(o->demo, sizeof o->demo, "%s", p->name);
                return MER_OPT_OK;
            }
            return bad(err, len, d->name, v, "expected " MER_DEMO_PRESET_NAMES);
        }
        if (!value || !*value)
            return bad(err, len, d->name, "", "must not be empty");
        if (strlen(value) >= d->size)
            return bad(err, len, d->name, "...", "too long");
        snprintf(base + d->off, d->size, "%s", value);
        return MER_OPT_OK;
    case T_INT:
    case T_DOUBLE:
        return set_number(o, d, value, err, len);
    case T_SPECIAL:
        return set_special(o, d, value, err, len);
    }
    return MER_OPT_ERROR;
}

mer_opt_status mer_options_parse(mer_options *o, int argc, char **argv, char *err, size_t len)
{
    struct option longs[N_OPTS + 1];
    char shorts[64] = ":";
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt_def *d = &g_opts[i];
        bool takes = d->type != T_FLAG && !(d->type == T_SPECIAL && !d->metavar);
        longs[i] = (struct option){d->name, d->optional_arg ? optional_argument : takes ? required_argument : no_argument,
                                   NULL, d->short_name ? d->short_name : 1000 + (int)i};
        if (d->short_name) {
            size_t n = strlen(shorts);
            shorts[n] = (char)d->short_name;
            shorts[n + 1] = '\0';
            if (takes)
                strcat(shorts, ":");
        }
    }
    longs[N_OPTS] = (struct option){0, 0, 0, 0};
    /* 0, not 1: glibc (and musl) then reset getopt's hidden state as well.
     * With 1, a parse that stopped inside a cluster of short options ("-zs")
     * left a pointer into the previous argv, read by the next parse (found by
     * tests/fuzz/fuzz_options.c as a use-after-free). */
    optind = 0;
    opterr = 0;
    int c, idx;
    while ((c = getopt_long(argc, argv, shorts, longs, &idx)) != -1) {
        if (c == '?' || c == ':') {
            const char *arg = argv[optind - 1];
            snprintf(err, len, c == ':' ? "option '%s' needs a value" : "unknown option '%s'", arg);
            return MER_OPT_ERROR;
        }
        const opt_def *d = NULL;
        for (size_t i = 0; i < N_OPTS && !d; i++)
            if (c == (g_opts[i].short_name ? g_opts[i].short_name : 1000 + (int)i))
                d = &g_opts[i];
        if (!d)
            continue;
        if (strcmp(d->name, "help") == 0) {
            mer_options_print_help(argv[0]);
            return MER_OPT_EXIT;
        }
        if (strcmp(d->name, "version") == 0) {
            printf("meridian %s\n", MERIDIAN_VERSION);
            return MER_OPT_EXIT;
        }
        mer_opt_status st = mer_options_set(o, d->name, optarg, err, len);
        if (st != MER_OPT_OK)
            return st;
    }
    if (optind < argc) {
        if (strncasecmp(argv[optind], "geo:", 4) != 0 || optind + 1 < argc) {
            snprintf(err, len, "unexpected argument '%s'", argv[optind]);
            return MER_OPT_ERROR;
        }
        if (strlen(argv[optind]) > MER_GEO_URI_MAX) {
            /* Too long is an error: a cut URI could lose its z or say something else. */
            snprintf(err, len, "invalid geo: URI: longer than %d characters", MER_GEO_URI_MAX);
            return MER_OPT_ERROR;
        }
        snprintf(o->geo_uri, sizeof o->geo_uri, "%s", argv[optind]);
    }
    return MER_OPT_OK;
}

mer_opt_status mer_options_finish(mer_options *o, char *err, size_t len)
{
    const char *src = o->source_arg[0] ? o->source_arg : (o->demo[0] ? "demo" : "osm");
    char why[384];
    if (!mer_source_from_arg(src, &o->source, why, sizeof why)) {
        snprintf(err, len, "--source: %s", why);
        return MER_OPT_ERROR;
    }
    if (o->geo_uri[0]) {
        mer_geo g;
        if (!mer_geo_parse(o->geo_uri, &g, why, sizeof why)) {
            snprintf(err, len, "%s", why);
            return MER_OPT_ERROR;
        }
        o->lat = mer_clamp_lat(g.lat);
        o->lon = g.lon;
        o->have_lat = o->have_lon = true;
        if (g.have_zoom) {
            /* A link made for another map may ask for more zoom than this source has. */
            o->zoom = fmin(g.zoom, (double)o->source.max_zoom);
            o->have_zoom = true;
        }
    }
    if (o->have_zoom && o->zoom > o->source.max_zoom) {
        snprintf(err, len, "--zoom: %g is beyond the maximum zoom %d of source '%s'", o->zoom,
                 o->source.max_zoom, o->source.id);
        return MER_OPT_ERROR;
    }
    if (o->have_lat != o->have_lon) {
        snprintf(err, len, "--%s: give --lat and --lon together", o->have_lat ? "lat" : "lon");
        return MER_OPT_ERROR;
    }
    return MER_OPT_OK;
}

void mer_options_print_help(const char *argv0)
{
    printf("Usage: %s [OPTIONS] [geo:LAT,LON?z=Z]\n"
           "       %s fetch|prefetch|export [OPTIONS]   (see '%s fetch --help')\n\n"
           "Meridian: a fast desktop viewer for slippy-map raster tiles.\n\nOptions:\n",
           argv0, argv0, argv0);
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt_def *d = &g_opts[i];
        char left[64];
        char sh[8] = "    ";
        if (d->short_name)
            snprintf(sh, sizeof sh, "-%c, ", d->short_name);
        if (d->metavar)
            snprintf(left, sizeof left, "%s--%s%s%s%s", sh, d->name, d->optional_arg ? "[=" : " ",
                     d->metavar, d->optional_arg ? "]" : "");
        else
            snprintf(left, sizeof left, "%s--%s", sh, d->name);
        printf("  %-30s %s\n", left, d->help);
    }
    printf("\nKeys: drag/arrows/WASD pan, wheel/+/- zoom, double-click zoom in, Home start view,\n"
           "      F/F11 fullscreen, H HUD, N tile-state overlay, P network panel (with live controls),\n"
           "      C cache coverage, G tile grid, Esc/Q quit.\n");
}
