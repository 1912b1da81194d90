#include "core/source.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/hostpolicy.h"

#define MAX_USER_SOURCES 32

/* OpenStreetMap's tile usage policy: a real User-Agent, honour caching headers,
 * no bulk downloading, and no more than 2 connections. */
static const mer_source g_presets[] = {
    {.kind = MER_SOURCE_URL, .id = "osm", .url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
     .attribution = "\xc2\xa9 OpenStreetMap contributors", .min_zoom = 0, .max_zoom = 19, .tile_px = 256,
     .max_concurrent = 2, .rate = 10.0, .burst = 10, .allow_bulk = false},
    {.kind = MER_SOURCE_URL, .id = "opentopomap", .url = "https://{s}.tile.opentopomap.org/{z}/{x}/{y}.png",
     .subdomains = "abc",
     .attribution = "Map data: \xc2\xa9 OpenStreetMap contributors, SRTM | Map style: \xc2\xa9 OpenTopoMap (CC-BY-SA)",
     .min_zoom = 0, .max_zoom = 17, .tile_px = 256, .max_concurrent = 2, .rate = 6.0, .burst = 6,
     .allow_bulk = false},
    /* tilesim serves @2x variants of every tile */
    {.kind = MER_SOURCE_URL, .id = "demo", .url = "http://127.0.0.1:8753/{z}/{x}/{y}{r}.png",
     .attribution = "Meridian tilesim: Natural Earth, synthetic relief", .min_zoom = 0, .max_zoom = 19, .tile_px = 256,
     .max_concurrent = 6, .rate = 0.0, .burst = 0, .allow_bulk = true, .is_demo = true, .hidpi = true},
    /* Rendered on the decode workers from assets/world.bin (Natural Earth), at
     * 512 px on a HiDPI display (vectors: as crisp at any size). */
    {.kind = MER_SOURCE_WORLD, .id = "world", .url = "",
     .attribution = "Natural Earth; cities: simplemaps.com (CC BY 4.0)", .min_zoom = 0, .max_zoom = 19, .tile_px = 256,
     .max_concurrent = 6, .rate = 0.0, .burst = 0, .allow_bulk = true, .hidpi = true},
};
#define N_PRESETS (sizeof g_presets / sizeof g_presets[0])

static mer_source g_user[MAX_USER_SOURCES];
static size_t g_n_user;

const char *mer_default_user_agent(void)
{
    return "Meridian/" MERIDIAN_VERSION " (+https://github.com/meridian-map/meridian)";
}

static bool set_err(char *err, size_t len, const char *fmt, const char *arg)
{
    if (err && len)
        snprintf(err, len, fmt, arg);
    return false;
}

/* Length of the placeholder name at p (just after '{'), or 0 if unknown. */
static const char *const g_placeholders[] = {"z", "x", "y", "-y", "s", "q", "r"};

static int placeholder_index(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof g_placeholders / sizeof g_placeholders[0]; i++)
        if (strlen(g_placeholders[i]) == len && strncmp(name, g_placeholders[i], len) == 0)
            return (int)i;
    return -1;
}

bool mer_template_validate(const char *tmpl, const char *subdomains, char *err, size_t errlen)
{
    if (!tmpl || !*tmpl)
        return set_err(err, errlen, "empty URL template%s", "");
    if (strlen(tmpl) >= MER_URL_MAX - 64)
        return set_err(err, errlen, "URL template is too long%s", "");
    if (strncasecmp(tmpl, "http://", 7) != 0 && strncasecmp(tmpl, "https://", 8) != 0)
        return set_err(err, errlen, "URL template must start with http:// or https:// (got '%.40s')", tmpl);
    bool seen[7] = {false};
    for (const char *p = tmpl; *p; p++) {
        if (*p == '}')
            return set_err(err, errlen, "unmatched '}' in URL template '%s'", tmpl);
        if (*p != '{')
            continue;
        const char *end = strchr(p + 1, '}');
        if (!end)
            return set_err(err, errlen, "unclosed '{' in URL template '%s'", tmpl);
        int idx = placeholder_index(p + 1, (size_t)(end - p - 1));
        if (idx < 0) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(end - p + 1 < 60 ? end - p + 1 : 60), p);
            return set_err(err, errlen,
                           "unknown placeholder %s in URL template (known: {z} {x} {y} {-y} {s} {q} {r})",
                           name);
        }
        seen[idx] = true;
        p = end;
    }
    bool has_q = seen[5];
    bool has_zxy = seen[0] && seen[1] && (seen[2] || seen[3]);
    if (!has_q && !has_zxy) {
        const char *missing = !seen[0] ? "{z}" : !seen[1] ? "{x}" : "{y} or {-y}";
        return set_err(err, errlen, "URL template is missing %s (or use {q} for a quadkey)", missing);
    }
    if (seen[4] && (!subdomains || !*subdomains))
        return set_err(err, errlen, "URL template uses {s} but the source has no subdomains%s", "");
    return true;
}

static bool append(char **out, char *end, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(end - *out) <= n)
        return false;
    memcpy(*out, s, n);
    *out += n;
    **out = '\0';
    return true;
}

static bool expand_placeholder(const mer_source *s, mer_tile_id t, int idx, char *val, size_t len)
{
    size_t nsub = strlen(s->subdomains);
    switch (idx) {
    case 0: snprintf(val, len, "%d", t.z); break;
    case 1: snprintf(val, len, "%d", t.x); break;
    case 2: snprintf(val, len, "%d", t.y); break;
    case 3: snprintf(val, len, "%d", mer_tms_y(t.y, t.z)); break;
    case 4:
        if (!nsub)
            return false;
        snprintf(val, len, "%c", s->subdomains[(unsigned)(t.x + t.y) % nsub]);
        break;
    case 5: return mer_quadkey(t, val, len);
    case 6: snprintf(val, len, "%s", s->retina ? "@2x" : ""); break;
    default: return false;
    }
    return true;
}

bool mer_source_tile_url(const mer_source *s, mer_tile_id t, char *buf, size_t len)
{
    if (!len || !mer_tile_valid(t))
        return false;
    char *out = buf, *end = buf + len;
    *out = '\0';
    for (const char *p = s->url; *p; p++) {
        const char *close = *p == '{' ? strchr(p + 1, '}') : NULL;
        int idx = close ? placeholder_index(p + 1, (size_t)(close - p - 1)) : -1;
        if (idx < 0) {
            char c[2] = {*p, 0};
            if (!append(&out, end, c))
                return false;
            continue;
        }
        char val[40];
        if (!expand_placeholder(s, t, idx, val, sizeof val) || !append(&out, end, val))
            return false;
        p = close;
    }
    return true;
}

bool mer_source_lookup(const char *name, mer_source *out)
{
    for (size_t i = 0; i < g_n_user; i++)
        if (strcmp(g_user[i].id, name) == 0) {
            *out = g_user[i];
            return true;
        }
    for (size_t i = 0; i < N_PRESETS; i++)
        if (strcmp(g_presets[i].id, name) == 0) {
            *out = g_presets[i];
            out->preset = true;
            return true;
        }
    return false;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

bool mer_source_from_arg(const char *arg, mer_source *out, char *err, size_t errlen)
{
    if (!arg || !*arg)
        return set_err(err, errlen, "empty source%s", "");
    if (mer_source_lookup(arg, out))
        return true;
    if (!strstr(arg, "://") && ends_with(arg, ".mbtiles")) {
        if (strlen(arg) >= MER_URL_MAX)
            return set_err(err, errlen, "path too long%s", "");
        memset(out, 0, sizeof *out);
        out->kind = MER_SOURCE_MBTILES;
        snprintf(out->id, sizeof out->id, "mbtiles");
        snprintf(out->url, sizeof out->url, "%s", arg);
        out->max_zoom = 22;
        out->tile_px = 256;
        out->max_concurrent = 1;
        out->allow_bulk = true;
        return true;
    }
    if (!strchr(arg, '{') && !strstr(arg, "://"))
        return set_err(err, errlen, "unknown source '%s' (presets: osm, opentopomap, demo, world; "
                                    "or a URL template, or a .mbtiles file)", arg);
    if (!mer_template_validate(arg, "abc", err, errlen))
        return false;
    memset(out, 0, sizeof *out);
    out->kind = MER_SOURCE_URL;
    snprintf(out->id, sizeof out->id, "custom");
    snprintf(out->url, sizeof out->url, "%s", arg);
    snprintf(out->subdomains, sizeof out->subdomains, "abc");
    snprintf(out->attribution, sizeof out->attribution, "Tiles: %.200s", arg);
    out->max_zoom = 19;
    out->tile_px = 256;
    /* {r} says where the server's "@2x" goes: it has HiDPI tiles. */
    out->hidpi = strstr(arg, "{r}") != NULL;
    /* An unknown server: start at a browser's 6 connections per host and no
     * rate limit, and let adaptive limits (net/policy.h) find what it takes:
     * a 429/503 lowers them, successes raise the cap up to 16. */
    out->max_concurrent = 16;
    out->start_concurrent = 6;
    out->rate = 0;
    out->burst = 0;
    out->allow_bulk = false;
    /* A template pointing at a provider's servers gets that provider's policy. */
    mer_source_apply_provider_policy(out);
    return true;
}

bool mer_source_add_user(const mer_source *s, char *err, size_t errlen)
{
    if (s->kind == MER_SOURCE_URL && !mer_template_validate(s->url, s->subdomains, err, errlen))
        return false;
    if (s->kind == MER_SOURCE_URL && s->hidpi && !strstr(s->url, "{r}"))
        return set_err(err, errlen, "retina = true needs {r} in the URL template (where \"@2x\" goes)%s", "");
    if (s->hidpi && s->tile_px > 2048)
        return set_err(err, errlen, "retina = true needs a tile size of at most 2048%s", "");
    for (size_t i = 0; i < g_n_user; i++)
        if (strcmp(g_user[i].id, s->id) == 0) {
            g_user[i] = *s;
            mer_source_apply_provider_policy(&g_user[i]);
            return true;
        }
    if (g_n_user >= MAX_USER_SOURCES)
        return set_err(err, errlen, "too many user sources (at most %s)", "32");
    g_user[g_n_user] = *s;
    mer_source_apply_provider_policy(&g_user[g_n_user++]);
    return true;
}

const mer_source *mer_source_at(size_t i)
{
    if (i < N_PRESETS)
        return &g_presets[i];
    i -= N_PRESETS;
    return i < g_n_user ? &g_user[i] : NULL;
}

void mer_source_clear_user(void)
{
    g_n_user = 0;
}

void mer_source_apply_scale(mer_source *s, double scale)
{
    if (!s->hidpi || s->retina || !(scale >= MER_HIDPI_MIN_SCALE))
        return;
    s->retina = true;
    s->tile_px = 2 * (s->tile_px > 0 ? s->tile_px : 256);
}

void mer_source_set_demo_port(mer_source *s, int port)
{
    char fmt[64];
    snprintf(fmt, sizeof fmt, "http://127.0.0.1:%d/{z}/{x}/{y}{r}.png", port);
    snprintf(s->url, sizeof s->url, "%s", fmt);
    s->is_demo = true;
}
