/* The config file, $XDG_CONFIG_HOME/meridian/meridian.conf (INI, parsed by
 * libinih: a small, well-kept parser, so we do not hand-write one).
 *
 *   source = opentopomap        top-level keys are the long option names
 *   max-concurrent = 4
 *   [source.mytiles]            user-defined sources
 *   url = https://tiles.example.org/{z}/{x}/{y}.png
 *
 * A bad line is reported as FILE:LINE and skipped; the rest still applies, and
 * a key whose line was bad keeps its default.
 *
 * inih reads through our line reader (read_line), which does three jobs that
 * Debian's inih build cannot: it counts lines (inih 55 has no line numbers in
 * its callback), it checks each line's shape so that every bad line is
 * reported rather than only the first, and it strips leading blanks, so an
 * indented "key = value" is a key and never a continuation of the previous
 * value (inih's multi-line mode). Section headers are consumed by the reader
 * too; the handler knows the current section from our context, not inih's.
 * Runs once at start-up, before any thread: inih's settings are globals. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "cli/commands.h"

#define CFG_LINE_MAX 2048      /* a URL template is < 1024; room for the key */
#define CFG_BYTES_MAX (1 << 20) /* a config file is a few hundred bytes; bounds /dev/zero */
#define CFG_NAME_MAX 40        /* source names; inih keeps at most 49 section bytes */

typedef enum { SEC_TOP, SEC_SOURCE, SEC_SKIP } cfg_section;

typedef struct cfg_ctx {
    mer_options *opts;
    const char *path;
    FILE *file;
    int line;    /* number of the line inih is handling */
    long bytes;  /* read so far, at most CFG_BYTES_MAX */
    bool capped; /* stopped reading at CFG_BYTES_MAX */
    char buf[CFG_LINE_MAX + 2];
    cfg_section sec;
    size_t n_builtin;    /* sources that existed before this file: names taken */
    mer_source pending;  /* the [source.NAME] section being read */
    int pending_line;    /* its header line */
    int url_line;        /* 0 = no url key yet */
    bool url_bad;
    int source_line, lat_line, lon_line, zoom_line; /* for the checks across keys */
} cfg_ctx;

static void warn_line(const cfg_ctx *c, int line, const char *msg)
{
    fprintf(stderr, "meridian: %s:%d: %s (ignored)\n", c->path, line, msg);
}

/* ---- [source.NAME] sections ------------------------------------------- */

static void flush_source(cfg_ctx *c)
{
    if (c->sec != SEC_SOURCE)
        return;
    char err[384], msg[512];
    c->sec = SEC_SKIP;
    if (!c->url_line) {
        snprintf(msg, sizeof msg, "source '%s' has no url", c->pending.id);
        warn_line(c, c->pending_line, msg);
    } else if (!c->url_bad && !mer_source_add_user(&c->pending, err, sizeof err)) {
        snprintf(msg, sizeof msg, "source '%s': %s", c->pending.id, err);
        warn_line(c, c->url_line, msg);
    }
}

static bool valid_source_name(const char *s, size_t n)
{
    if (n == 0 || n > CFG_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-' || s[i] == '_' || s[i] == '.'))
            return false;
    return true;
}

static bool name_taken(const cfg_ctx *c, const char *name)
{
    const mer_source *s;
    for (size_t i = 0; i < c->n_builtin && (s = mer_source_at(i)) != NULL; i++)
        if (strcmp(s->id, name) == 0)
            return true;
    return false;
}

static void start_source(cfg_ctx *c, const char *name)
{
    mer_source *s = &c->pending;
    memset(s, 0, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", name);
    s->kind = MER_SOURCE_URL;
    /* An unknown server, as for a URL on the command line (core/source.c):
     * start at 6 connections and no rate limit; adaptive limits find the rest,
     * within max_concurrent / rate / burst when the section sets them. */
    s->max_zoom = 19;
    s->tile_px = 256;
    s->max_concurrent = 16;
    s->start_concurrent = 6;
    snprintf(s->attribution, sizeof s->attribution, "%s", name);
    c->pending_line = c->line;
    c->url_line = 0;
    c->url_bad = false;
    c->sec = SEC_SOURCE;
}

/* A "[...]" line, already trimmed. */
static void on_header(cfg_ctx *c, const char *s)
{
    flush_source(c);
    c->sec = SEC_SKIP;
    const char *close = strchr(s, ']');
    const char *rest = close ? close + 1 : NULL;
    while (rest && (*rest == ' ' || *rest == '\t'))
        rest++;
    if (!close || (*rest && *rest != ';' && *rest != '#')) {
        warn_line(c, c->line, "bad section header, expected [source.NAME]: whole section");
        return;
    }
    const char *name = s + 1;
    size_t n = (size_t)(close - name);
    char msg[160];
    if (n <= 7 || strncmp(name, "source.", 7) != 0) {
        snprintf(msg, sizeof msg, "unknown section [%.*s], expected [source.NAME]: whole section",
                 (int)(n < 60 ? n : 60), name);
        warn_line(c, c->line, msg);
        return;
    }
    name += 7;
    n -= 7;
    char id[CFG_NAME_MAX + 1];
    if (!valid_source_name(name, n)) {
        warn_line(c, c->line, "bad source name, expected 1-40 letters, digits, '-', '_' or '.': whole section");
        return;
    }
    snprintf(id, sizeof id, "%.*s", (int)n, name);
    if (name_taken(c, id)) {
        snprintf(msg, sizeof msg, "source name '%s' is taken by a preset: whole section", id);
        warn_line(c, c->line, msg);
        return;
    }
    start_source(c, id);
}

/* Returns NULL if ok, else why the value is bad. */
static const char *set_source_key(mer_source *s, const char *key, const char *v)
{
    int i;
#define STR_KEY(k, field)                                   \
    if (strcmp(key, k) == 0) {                              \
        if (strlen(v) >= sizeof s->field)                   \
            return "value too long";                        \
        snprintf(s->field, sizeof s->field, "%s", v);       \
        return NULL;                                        \
    }
    STR_KEY("url", url)
    STR_KEY("subdomains", subdomains)
    STR_KEY("attribution", attribution)
    STR_KEY("user_agent", user_agent)
#undef STR_KEY
    if (strcmp(key, "max_zoom") == 0)
        return mer_parse_int(v, 0, MER_MAX_ZOOM - 1, &s->max_zoom) ? NULL : "max_zoom: expected a zoom within 0..24";
    if (strcmp(key, "min_zoom") == 0)
        return mer_parse_int(v, 0, MER_MAX_ZOOM - 1, &s->min_zoom) ? NULL : "min_zoom: expected a zoom within 0..24";
    if (strcmp(key, "max_concurrent") == 0)
        return mer_parse_int(v, 1, 64, &s->max_concurrent) ? NULL : "max_concurrent: expected an integer within 1..64";
    if (strcmp(key, "burst") == 0)
        return mer_parse_int(v, 1, 1000, &s->burst) ? NULL : "burst: expected an integer within 1..1000";
    if (strcmp(key, "rate") == 0)
        return mer_parse_double(v, 0, 1000, &s->rate) ? NULL : "rate: expected a number within 0..1000";
    if (strcmp(key, "retina") == 0) { /* the server has @2x tiles behind {r} */
        if (strcmp(v, "true") && strcmp(v, "false"))
            return "retina: expected true or false";
        s->hidpi = strcmp(v, "true") == 0;
        return NULL;
    }
    if (strcmp(key, "tile_size") == 0) {
        if (!mer_parse_int(v, 64, 1024, &i))
            return "tile_size: expected a tile size within 64..1024";
        s->tile_px = i;
        return NULL;
    }
    return "unknown source key (url, subdomains, min_zoom, max_zoom, tile_size, retina, attribution, "
           "user_agent, max_concurrent, rate, burst)";
}

static void on_source_key(cfg_ctx *c, const char *name, const char *value)
{
    char why[384];
    const char *bad = set_source_key(&c->pending, name, value);
    if (bad) {
        warn_line(c, c->line, bad);
        return;
    }
    if (strcmp(name, "url") != 0)
        return;
    c->url_line = c->line;
    /* Check the template now to report its line; {s} is checked against the
     * subdomains when the section ends, as they may come after the url. */
    c->url_bad = !mer_template_validate(value, "abc", why, sizeof why);
    if (c->url_bad)
        warn_line(c, c->line, why);
}

/* ---- top-level keys: the long option names ----------------------------- */

static void on_top_key(cfg_ctx *c, const char *name, const char *value)
{
    static const char *const not_here[] = {"config", "no-config", "help", "version", "list-sources"};
    for (size_t i = 0; i < sizeof not_here / sizeof not_here[0]; i++)
        if (strcmp(name, not_here[i]) == 0) {
            warn_line(c, c->line, "this option cannot be set in the config file");
            return;
        }
    if (strcmp(name, "verbose") == 0) { /* on the command line a counter (-vv) */
        if (!mer_parse_int(value, 0, 4, &c->opts->verbose))
            warn_line(c, c->line, "verbose: expected a level within 0..4");
        return;
    }
    char err[512];
    if (mer_options_set(c->opts, name, value, err, sizeof err) != MER_OPT_OK) {
        warn_line(c, c->line, err);
        return;
    }
    int *line = !strcmp(name, "source") ? &c->source_line : !strcmp(name, "lat") ? &c->lat_line
              : !strcmp(name, "lon") ? &c->lon_line : !strcmp(name, "zoom") ? &c->zoom_line : NULL;
    if (line)
        *line = c->line;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    cfg_ctx *c = user;
    (void)section; /* always "": read_line consumes the headers */
    if (c->sec == SEC_SOURCE)
        on_source_key(c, name, value);
    else if (c->sec == SEC_TOP)
        on_top_key(c, name, value);
    return 1;
}

/* ---- the line reader --------------------------------------------------- */

/* Reads one physical line into c->buf. Returns its length, or -1 at the end;
 * *too_long if it did not fit (the rest of it is consumed). */
static int read_physical(cfg_ctx *c, bool *too_long)
{
    int ch, n = 0;
    *too_long = false;
    while (c->bytes < CFG_BYTES_MAX && (ch = getc(c->file)) != EOF) {
        c->bytes++;
        if (ch == '\n')
            break;
        if (n < CFG_LINE_MAX)
            c->buf[n++] = (char)ch;
        else
            *too_long = true;
    }
    if (c->bytes >= CFG_BYTES_MAX) { /* a partial last line is dropped too */
        if (!c->capped)
            fprintf(stderr, "meridian: %s: larger than %d bytes; the rest is ignored\n", c->path, CFG_BYTES_MAX);
        c->capped = true;
        return -1;
    }
    if (n == 0 && !*too_long && (feof(c->file) || ferror(c->file)))
        return -1;
    c->buf[n] = '\0';
    return n;
}

static char *read_line(char *str, int num, void *stream)
{
    cfg_ctx *c = stream;
    bool too_long;
    int n = read_physical(c, &too_long);
    if (n < 0)
        return NULL;
    c->line++;
    bool has_nul = strlen(c->buf) != (size_t)n;
    char *s = c->buf;
    if (c->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0) /* a UTF-8 byte-order mark */
        s += 3;
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    const char *out = s;
    if (has_nul) {
        warn_line(c, c->line, "NUL byte in the line");
        out = "";
    } else if (too_long || (size_t)(end - s) + 2 > (size_t)num) {
        char msg[64];
        snprintf(msg, sizeof msg, "line longer than %d characters", num - 2 < CFG_LINE_MAX ? num - 2 : CFG_LINE_MAX);
        warn_line(c, c->line, msg);
        out = "";
    } else if (*s == '[') {
        on_header(c, s);
        out = "";
    } else if (*s && *s != '#' && *s != ';' && !strpbrk(s, "=:")) {
        warn_line(c, c->line, "not a 'key = value' or '[section]' line");
        out = "";
    }
    snprintf(str, (size_t)num, "%s\n", out);
    return str;
}

/* ---- checks across keys, after the whole file -------------------------- */

/* A config that names a zoom its own source cannot show, or only one of
 * lat/lon, would otherwise stop the program in mer_options_finish. */
static void check_across(cfg_ctx *c)
{
    mer_options *o = c->opts;
    char why[384], msg[512];
    if (o->have_lat != o->have_lon) {
        warn_line(c, o->have_lat ? c->lat_line : c->lon_line, "lat and lon must be given together");
        o->have_lat = o->have_lon = false;
    }
    mer_source src;
    if (c->source_line && !mer_source_from_arg(o->source_arg, &src, why, sizeof why)) {
        snprintf(msg, sizeof msg, "source: %s", why);
        warn_line(c, c->source_line, msg);
        o->source_arg[0] = '\0';
    }
    const char *name = o->source_arg[0] ? o->source_arg : (o->demo[0] ? "demo" : "osm");
    if (c->zoom_line && o->have_zoom && mer_source_from_arg(name, &src, why, sizeof why) &&
        o->zoom > src.max_zoom) {
        snprintf(msg, sizeof msg, "zoom %g is beyond the maximum zoom %d of source '%s'", o->zoom, src.max_zoom,
                 src.id);
        warn_line(c, c->zoom_line, msg);
        o->have_zoom = false;
        o->zoom = 0;
    }
}

/* ---- finding and opening the file -------------------------------------- */

/* "--NAME" or "--NAME=VALUE" where NAME is `full` or an abbreviation of it of
 * at least two characters, as getopt_long accepts. Sets *value after '='. */
static bool long_opt_is(const char *arg, const char *full, const char **value)
{
    if (strncmp(arg, "--", 2) != 0)
        return false;
    arg += 2;
    size_t n = strcspn(arg, "=");
    if (n < 2 || n > strlen(full) || strncmp(arg, full, n) != 0)
        return false;
    *value = arg[n] == '=' ? arg + n + 1 : NULL;
    return true;
}

static void default_path(char *buf, size_t len)
{
    /* The XDG spec: a relative $XDG_CONFIG_HOME is invalid and is ignored. */
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        snprintf(buf, len, "%s/meridian/meridian.conf", xdg);
    else if (home && *home)
        snprintf(buf, len, "%s/.config/meridian/meridian.conf", home);
    else
        buf[0] = '\0';
}

/* Opens path for reading; NULL with errno set if it cannot be read. O_NONBLOCK
 * so that a FIFO without a writer cannot hang the open. */
static FILE *open_config(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e) {
        close(fd);
        errno = e;
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "r");
    if (!f)
        close(fd);
    return f;
}

static void parse_file(cfg_ctx *c)
{
    /* Debian's inih makes its settings run-time globals: a heap line buffer
     * big enough for long URL templates, no multi-line values. */
    bool use_stack = ini_use_stack, multiline = ini_allow_multiline;
    int max_line = ini_max_line, initial = ini_initial_alloc;
    ini_use_stack = false;
    ini_allow_multiline = false;
    ini_max_line = ini_initial_alloc = CFG_LINE_MAX + 3;
    int rc = ini_parse_stream(read_line, c, on_ini, c);
    ini_use_stack = use_stack;
    ini_allow_multiline = multiline;
    ini_max_line = max_line;
    ini_initial_alloc = initial;
    flush_source(c);
    if (rc > 0) /* read_line lets only well-formed lines through, so unexpected */
        fprintf(stderr, "meridian: %s:%d: could not be parsed (ignored)\n", c->path, rc);
    if (ferror(c->file))
        fprintf(stderr, "meridian: %s: read error: %s\n", c->path, strerror(errno));
}

mer_opt_status mer_options_load_config(mer_options *o, int argc, char **argv, char *err, size_t errlen)
{
    char path[1024] = "";
    bool explicit_path = false;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *v = NULL;
        if (long_opt_is(argv[i], "no-config", &v))
            return MER_OPT_OK;
        if (long_opt_is(argv[i], "config", &v)) {
            if (!v && i + 1 < argc)
                v = argv[++i];
            if (v) {
                snprintf(path, sizeof path, "%s", v);
                explicit_path = true;
            }
        }
    }
    if (explicit_path && !path[0]) {
        snprintf(err, errlen, "--config: empty file name");
        return MER_OPT_ERROR;
    }
    if (!explicit_path)
        default_path(path, sizeof path);
    if (!path[0])
        return MER_OPT_OK;
    FILE *f = open_config(path);
    if (!f) {
        if (explicit_path) {
            snprintf(err, errlen, "--config: cannot read '%s': %s", path, strerror(errno));
            return MER_OPT_ERROR;
        }
        if (errno != ENOENT && errno != ENOTDIR) /* no config file is the normal case */
            fprintf(stderr, "meridian: %s: %s (ignored)\n", path, strerror(errno));
        return MER_OPT_OK;
    }
    mer_opt_status st = mer_options_read_config(o, f, path, err, errlen);
    fclose(f);
    return st;
}

mer_opt_status mer_options_read_config(mer_options *o, FILE *f, const char *name, char *err, size_t errlen)
{
    cfg_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return MER_OPT_ERROR;
    }
    *c = (cfg_ctx){.opts = o, .path = name, .file = f, .sec = SEC_TOP};
    while (mer_source_at(c->n_builtin))
        c->n_builtin++;
    parse_file(c);
    check_across(c);
    free(c);
    return MER_OPT_OK;
}
