/* meridian-tilesim settings: one table (config.c) describes every option, its
 * range and help text; the command line and the /control endpoint both set
 * values through it, so a value is checked the same way on both paths. */
#ifndef TSIM_CONFIG_H
#define TSIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fault kinds, in the order a random draw walks them (after --fail-rate). */
typedef enum {
    TSIM_FAULT_NONE = -1,
    TSIM_FAULT_TRUNCATED = 0, /* Content-Length promised, half the body sent, connection closed */
    TSIM_FAULT_CORRUPT,       /* 200 with the image type, bytes garbled after the magic */
    TSIM_FAULT_HTML200,       /* 200 text/html error page instead of an image */
    TSIM_FAULT_TRICKLE,       /* the body drips out at a few bytes per second */
    TSIM_FAULT_RESET,         /* the connection is reset (RST) without any response */
    TSIM_FAULT_OVERSIZE,      /* a 50 MB body, generated lazily */
    TSIM_FAULT_BOMB,          /* a tiny image whose header declares 60000x60000 (tilesim/bomb.h) */
    TSIM_FAULT_BADETAG,       /* the tile, with control characters in ETag and Last-Modified */
    TSIM_FAULT_DUPCC,         /* the tile, "Cache-Control: no-store" then a second line with max-age */
    TSIM_FAULT_COUNT
} tsim_fault;

typedef enum { TSIM_EMPTY_NONE, TSIM_EMPTY_SEA, TSIM_EMPTY_HASH } tsim_empty_rule;
typedef enum { TSIM_MAP_WORLD = 0, TSIM_MAP_NOISE } tsim_map;

typedef struct tsim_config {
    /* Fixed at start-up. */
    int port;
    int max_zoom;
    tsim_empty_rule empty_rule;
    double empty_fraction; /* for TSIM_EMPTY_HASH */
    uint64_t seed;
    int max_age;
    bool retry_after_date;
    char log_path[1024];
    int cache_mb;
    bool die_with_parent;
    tsim_map map;          /* the real world (default) or the synthetic noise map */
    char world_path[1024]; /* "" = found like meridian's data files */
    bool codes;            /* tile border, z/x/y label and code block (tests) */
    /* Live: /control may change these while the server runs. */
    int latency_ms;
    int jitter_ms;
    int max_concurrent; /* 0 = unlimited; more in flight answer 429 */
    double rate;        /* requests/s, 0 = unlimited; refused at once (nginx "nodelay" style) */
    int burst;
    int overload;       /* 0 = off; more in flight answer 503 + Retry-After (load shedding) */
    bool no_retry_after; /* 429s carry no Retry-After (most reverse-proxy limiters) */
    double fail_rate;
    double faults[TSIM_FAULT_COUNT];
} tsim_config;

typedef enum { TSIM_CFG_OK = 0, TSIM_CFG_EXIT = 1, TSIM_CFG_ERROR = 2 } tsim_cfg_status;

const char *tsim_fault_name(tsim_fault f);
void tsim_config_defaults(tsim_config *c);
tsim_cfg_status tsim_config_parse(tsim_config *c, int argc, char **argv, char *err, size_t errlen);
/* Sets one live option by its long name ("rate", "burst", "max-concurrent",
 * "overload", "no-retry-after" (0/1), "latency", "jitter", "fail-rate", "faults"); false with a message for an
 * unknown name or a bad value (c is then unchanged for that option). */
bool tsim_config_set_live(tsim_config *c, const char *name, const char *value, char *err,
                          size_t errlen);
/* The live settings as a JSON object. */
void tsim_config_live_json(const tsim_config *c, char *buf, size_t len);
void tsim_config_print_help(const char *argv0);

#endif
