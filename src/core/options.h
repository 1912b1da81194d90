/* Command-line and config-file options: one table (options.c) describes every
 * viewer option, its type, range and help text. getopt_long, --help and the
 * config file (key = long option name) are all driven by it. The result is a
 * plain struct, read-only once parsed; src/cli turns it into the plain
 * configuration structs the layers below take (cli/configs.h). Pure: no file
 * or network I/O (only --help/--version print to stdout). The config file
 * itself is read by src/cli/config.c. */
#ifndef MER_OPTIONS_H
#define MER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/geo.h"
#include "core/parse.h"
#include "core/source.h"

typedef struct mer_options {
    char source_arg[MER_URL_MAX]; /* --source as given ("" = default) */
    mer_source source;            /* resolved by mer_options_finish */
    double lat, lon, zoom;
    bool have_lat, have_lon, have_zoom; /* else the last view is restored */
    int width, height;
    bool fullscreen;
    char user_agent[256];
    int max_concurrent; /* 0 = the source's default */
    double rate;        /* < 0 = the source's default; 0 = unlimited */
    int burst;          /* 0 = the source's default */
    char cache_dir[1024];
    int cache_size_mb;
    bool offline;
    int verbose;
    char demo[32]; /* "" = no demo; "default", "rate-limit", "slow", "flaky" */
    char script[1024];
    char stats[1024];
    bool overlay;
    bool adaptive;        /* --adaptive: the default now; kept so old scripts still run */
    bool no_adaptive;     /* fixed limits: exactly --max-concurrent / --rate / --burst */
    char ca_file[1024];   /* --ca-file: CA bundle for https ("" = environment or system) */
    int upload_budget;    /* tiles uploaded per frame at most */
    double upload_ms;     /* ms of uploads per frame at most */
    int gpu_cache_mb;     /* texture cache budget */
    char config[1024];    /* --config FILE ("" = $XDG_CONFIG_HOME/meridian/meridian.conf) */
    bool no_config;
    bool list_sources;
    char geo_uri[MER_GEO_URI_MAX + 1]; /* a geo: URI given as the positional argument */
} mer_options;

typedef enum {
    MER_OPT_OK = 0,   /* go on */
    MER_OPT_EXIT = 1, /* --help / --version printed: exit 0 */
    MER_OPT_ERROR = 2 /* bad value: message in err, exit 2 */
} mer_opt_status;

void mer_options_defaults(mer_options *o);

/* Sets one option by its long name, from the command line or the config file. */
mer_opt_status mer_options_set(mer_options *o, const char *name, const char *value, char *err,
                               size_t errlen);

/* Parses argv (getopt_long). Does not resolve the source; call _finish. */
mer_opt_status mer_options_parse(mer_options *o, int argc, char **argv, char *err, size_t errlen);

/* Resolves --source (or the default), applies a geo: URI, and checks values
 * that depend on the source (zoom beyond its max). */
mer_opt_status mer_options_finish(mer_options *o, char *err, size_t errlen);

void mer_options_print_help(const char *argv0);

#endif
