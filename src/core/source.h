/* Tile sources: where tiles come from and how politely to ask for them.
 * A source is a plain value (fixed-size strings) so each thread can keep its
 * own copy. URL templates are validated once, at start-up.
 *
 * Template placeholders: {z} {x} {y} {-y} (TMS row) {s} (subdomain)
 * {q} (quadkey) {r} ("@2x" on HiDPI sources, else empty). */
#ifndef MER_SOURCE_H
#define MER_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/tile.h"

#define MER_URL_MAX 1024

typedef enum {
    MER_SOURCE_URL = 0,     /* tiles over http(s) from a URL template */
    MER_SOURCE_MBTILES = 1, /* read-only tiles from a local .mbtiles file (url holds the path) */
    MER_SOURCE_WORLD = 2,   /* the built-in world map, rendered locally (no network, no file cache) */
} mer_source_kind;

typedef struct mer_source {
    mer_source_kind kind;
    char id[64];           /* preset or user name; "custom" for a bare template */
    char url[MER_URL_MAX]; /* URL template, or a file path for MER_SOURCE_MBTILES */
    char subdomains[64];   /* one character per subdomain, e.g. "abc" */
    char attribution[256];
    char user_agent[256]; /* empty: Meridian's default */
    int min_zoom, max_zoom;
    int tile_px;        /* 256, or 512 for @2x */
    bool hidpi;         /* the server also has @2x tiles (twice tile_px) behind
                         * {r}: used on displays of scale >= 1.5 (preset field,
                         * or "retina = true" in a [source.NAME] section) */
    bool retina;        /* {r} expands to "@2x" (set by mer_source_apply_scale) */
    int max_concurrent; /* per-host cap (a ceiling: adaptive limits never go above it) */
    int start_concurrent; /* the cap adaptive limits start from (0 = max_concurrent) */
    double rate;        /* requests per second, 0 = unlimited */
    int burst;          /* token bucket size */
    bool allow_bulk;    /* whether prefetch/bulk download is allowed by the provider's policy */
    bool is_demo;       /* the local meridian-tilesim */
    bool preset;        /* a built-in preset (set by mer_source_lookup): its disk
                         * cache is named by id alone, whatever its URL (demo's
                         * port changes every run) */
} mer_source;

/* Checks a URL template. Returns true if valid; else writes a one-line reason to err. */
bool mer_template_validate(const char *tmpl, const char *subdomains, char *err, size_t errlen);

/* Expands the template for tile t (x must already be wrapped). Returns false if
 * the result does not fit in len. Subdomains rotate by tile so one tile always
 * maps to one host (good for caches). */
bool mer_source_tile_url(const mer_source *s, mer_tile_id t, char *buf, size_t len);

/* Fills *out from a preset or user source name. False if unknown. */
bool mer_source_lookup(const char *name, mer_source *out);

/* --source argument: a preset/user name, a URL template, or a path to a
 * .mbtiles file. False with a message in err if invalid. */
bool mer_source_from_arg(const char *arg, mer_source *out, char *err, size_t errlen);

/* Adds or replaces a user-defined source (config file). Validates the template.
 * Call before any thread starts. */
bool mer_source_add_user(const mer_source *s, char *err, size_t errlen);
/* Presets first, then user sources. NULL past the end. */
const mer_source *mer_source_at(size_t i);
/* Forget user-defined sources (tests). */
void mer_source_clear_user(void);

/* Picks the tiles for a display scale (drawable pixels per logical pixel): a
 * hidpi source on a display of scale >= 1.5 gets @2x tiles ({r} = "@2x",
 * tile_px doubled), which the viewer draws at 256 logical px, i.e. one texel
 * per screen pixel. Call once, on the source as configured. */
#define MER_HIDPI_MIN_SCALE 1.5
void mer_source_apply_scale(mer_source *s, double scale);

/* Points a source at the local tile server on 127.0.0.1:port (for --demo). */
void mer_source_set_demo_port(mer_source *s, int port);

/* Default User-Agent: "Meridian/VERSION (+https://github.com/meridian-map/meridian)". */
const char *mer_default_user_agent(void);

#endif
