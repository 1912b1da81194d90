/* The config file, $XDG_CONFIG_HOME/meridian/meridian.conf (INI, parsed by
 * libinih: a small, well-kept parser, so we do not hand-write one).
 *
 *   source = opentopomap        top-level keys are the long option names
 *   max-concurrent = 4
 *   [source.mytiles]            user-defined sources
 *   url = https://tiles.example.org/{z}/{x}/{y}.png
 *
 * A bad line is reported as FILE:LINE and skipped; the rest still applies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cli/commands.h"
#include "core/log.h"

typedef struct cfg_ctx {
    mer_options *opts;
    const char *path;
    mer_source pending; /* the [source.NAME] section being read */
    bool in_source;
    bool pending_bad;
    int errors;
    FILE *file;
    int line;           /* counted by our reader: Debian's inih has no line numbers */
    char section[128];  /* the section of the previous key */
} cfg_ctx;

static void warn_line(cfg_ctx *c, int line, const char *msg)
{
    fprintf(stderr, "meridian: %s:%d: %s (ignored)\n", c->path, line, msg);
    c->errors++;
}

static void flush_source(cfg_ctx *c)
{
    if (!c->in_source)
        return;
    char err[256];
    if (!c->pending_bad && !mer_source_add_user(&c->pending, err, sizeof err))
        fprintf(stderr, "meridian: %s: source '%s': %s (ignored)\n", c->path, c->pending.id, err);
    c->in_source = false;
}

static void start_source(cfg_ctx *c, const char *name)
{
    flush_source(c);
    memset(&c->pending, 0, sizeof c->pending);
    snprintf(c->pending.id, sizeof c->pending.id, "%s", name);
    c->pending.kind = MER_SOURCE_URL;
    c->pending.max_zoom = 19;
    c->pending.tile_px = 256;
    c->pending.max_concurrent = 2;
    c->pending.rate = 10.0;
    c->pending.burst = 10;
    snprintf(c->pending.attribution, sizeof c->pending.attribution, "%s", name);
    c->in_source = true;
    c->pending_bad = false;
}

/* Returns NULL if ok, else why the value is bad. */
static const char *set_source_key(mer_source *s, const char *key, const char *v)
{
    double d;
    int i;
#define STR_KEY(k, field) \
    if (strcmp(key, k) == 0) { \
        if (strlen(v) >= sizeof s->field) return "value too long"; \
        snprintf(s->field, sizeof s->field, "%s", v); return NULL; }
    STR_KEY("url", url)
    STR_KEY("subdomains", subdomains)
    STR_KEY("attribution", attribution)
    STR_KEY("user_agent", user_agent)
#undef STR_KEY
    if (strcmp(key, "max_zoom") == 0)
        return mer_parse_int(v, 0, 24, &s->max_zoom) ? NULL : "expected a zoom within 0..24";
    if (strcmp(key, "min_zoom") == 0)
        return mer_parse_int(v, 0, 24, &s->min_zoom) ? NULL : "expected a zoom within 0..24";
    if (strcmp(key, "max_concurrent") == 0)
        return mer_parse_int(v, 1, 64, &s->max_concurrent) ? NULL : "expected an integer within 1..64";
    if (strcmp(key, "burst") == 0)
        return mer_parse_int(v, 1, 1000, &s->burst) ? NULL : "expected an integer within 1..1000";
    if (strcmp(key, "rate") == 0) {
        if (!mer_parse_double(v, 0, 1000, &d))
            return "expected a number within 0..1000";
        s->rate = d;
        return NULL;
    }
    if (strcmp(key, "tile_size") == 0) {
        if (!mer_parse_int(v, 64, 1024, &i))
            return "expected a tile size within 64..1024";
        s->tile_px = i;
        return NULL;
    }
    return "unknown source key (url, subdomains, min_zoom, max_zoom, tile_size, attribution, "
           "user_agent, max_concurrent, rate, burst)";
}

static void enter_section(cfg_ctx *c, const char *section)
{
    snprintf(c->section, sizeof c->section, "%s", section);
    if (strncmp(section, "source.", 7) == 0 && section[7])
        start_source(c, section + 7);
    else {
        flush_source(c);
        if (section[0])
            warn_line(c, c->line, "unknown section (expected [source.NAME])");
    }
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    cfg_ctx *c = user;
    int line = c->line;
    if (strcmp(section, c->section) != 0)
        enter_section(c, section);
    if (c->in_source) {
        const char *why = set_source_key(&c->pending, name, value);
        if (why) {
            warn_line(c, line, why);
            if (strcmp(name, "url") == 0)
                c->pending_bad = true;
        }
        return 1;
    }
    if (section[0])
        return 1; /* inside an unknown section: already warned */
    if (!strcmp(name, "config") || !strcmp(name, "no-config") || !strcmp(name, "help") ||
        !strcmp(name, "version")) {
        warn_line(c, line, "this option cannot be set in the config file");
        return 1;
    }
    char err[512];
    if (mer_options_set(c->opts, name, value, err, sizeof err) != MER_OPT_OK)
        warn_line(c, line, err);
    return 1;
}

/* inih reads through this so we know each line's number. */
static char *read_line(char *str, int num, void *stream)
{
    cfg_ctx *c = stream;
    char *r = fgets(str, num, c->file);
    if (r)
        c->line++;
    return r;
}

static void default_path(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, len, "%s/meridian/meridian.conf", xdg);
    else if (home && *home)
        snprintf(buf, len, "%s/.config/meridian/meridian.conf", home);
    else
        buf[0] = '\0';
}

mer_opt_status mer_options_load_config(mer_options *o, int argc, char **argv, char *err, size_t errlen)
{
    char path[1024] = "";
    bool explicit_path = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-config") == 0)
            return MER_OPT_OK;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            snprintf(path, sizeof path, "%s", argv[i + 1]);
            explicit_path = true;
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            snprintf(path, sizeof path, "%s", argv[i] + 9);
            explicit_path = true;
        }
    }
    if (!explicit_path)
        default_path(path, sizeof path);
    if (!path[0])
        return MER_OPT_OK;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (explicit_path) {
            snprintf(err, errlen, "--config: cannot open '%s'", path);
            return MER_OPT_ERROR;
        }
        return MER_OPT_OK; /* no config file is the normal case */
    }
    cfg_ctx c = {.opts = o, .path = path, .file = f};
    int rc = ini_parse_stream(read_line, &c, on_ini, &c);
    fclose(f);
    flush_source(&c);
    if (rc > 0) /* inih reports only the first line it could not parse */
        fprintf(stderr, "meridian: %s:%d: not a 'key = value' or '[section]' line (ignored)\n", path, rc);
    return MER_OPT_OK;
}
