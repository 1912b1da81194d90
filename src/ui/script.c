#include "ui/script.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <SDL.h>

#include "net/loader.h"
#include "ui/datadir.h"

#define SCRIPT_MAX_BYTES (1024 * 1024)
#define SCRIPT_MAX_CMDS 100000
#define MAX_ARGS 8
#define MAX_MS 600000.0

struct mer_script {
    mer_script_cmd *cmds;
    size_t n, cap;
};

typedef struct op_def {
    const char *name;
    mer_script_op op;
    int min_args, max_args;
    const char *usage;
} op_def;

static const op_def g_ops[] = {
    {"wait-idle", MER_SC_WAIT_IDLE, 0, 1, "wait-idle [TIMEOUT_MS]"},
    {"pan", MER_SC_PAN, 2, 3, "pan DX DY [MS]"},
    {"zoom-at", MER_SC_ZOOM_AT, 3, 4, "zoom-at X Y DZ [MS]"},
    {"zoom-pan", MER_SC_ZOOM_PAN, 6, 6, "zoom-pan X Y DZ DX DY MS"},
    {"goto", MER_SC_GOTO, 3, 3, "goto LAT LON Z"},
    {"resize", MER_SC_RESIZE, 2, 2, "resize W H"},
    {"key", MER_SC_KEY, 1, 1, "key NAME"},
    {"drag", MER_SC_DRAG, 5, 5, "drag X Y DX DY MS"},
    {"wheel", MER_SC_WHEEL, 3, 3, "wheel X Y CLICKS"},
    {"sleep", MER_SC_SLEEP, 1, 1, "sleep MS"},
    {"screenshot", MER_SC_SCREENSHOT, 1, 1, "screenshot PATH.png"},
    {"quit", MER_SC_QUIT, 0, 0, "quit"},
    {"wait-tiles", MER_SC_WAIT_TILES, 1, 2, "wait-tiles STATE[,STATE...] [TIMEOUT_MS]"},
    {"wait-world", MER_SC_WAIT_WORLD, 0, 1, "wait-world [TIMEOUT_MS]"},
};
#define N_OPS (sizeof g_ops / sizeof g_ops[0])

const char *mer_script_op_name(mer_script_op op)
{
    for (size_t i = 0; i < N_OPS; i++)
        if (g_ops[i].op == op)
            return g_ops[i].name;
    return "?";
}

static bool num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Range of each numeric argument, by op. */
static bool check_numbers(mer_script_cmd *c, char **args, int n, char *why, size_t len)
{
    static const struct {
        mer_script_op op;
        double lo[6], hi[6];
        const char *what[6];
    } lim[] = {
        {MER_SC_WAIT_IDLE, {1}, {MAX_MS}, {"TIMEOUT_MS"}},
        {MER_SC_WAIT_TILES, {1}, {MAX_MS}, {"TIMEOUT_MS"}},
        {MER_SC_WAIT_WORLD, {1}, {MAX_MS}, {"TIMEOUT_MS"}},
        {MER_SC_PAN, {-1e6, -1e6, 0}, {1e6, 1e6, MAX_MS}, {"DX", "DY", "MS"}},
        {MER_SC_ZOOM_AT, {-1e5, -1e5, -30, 0}, {1e5, 1e5, 30, MAX_MS}, {"X", "Y", "DZ", "MS"}},
        {MER_SC_ZOOM_PAN, {-1e5, -1e5, -30, -1e6, -1e6, 1}, {1e5, 1e5, 30, 1e6, 1e6, MAX_MS},
         {"X", "Y", "DZ", "DX", "DY", "MS"}},
        {MER_SC_GOTO, {-90, -180, 0}, {90, 180, 30}, {"LAT", "LON", "Z"}},
        {MER_SC_RESIZE, {64, 64}, {16384, 16384}, {"W", "H"}},
        {MER_SC_DRAG, {-1e5, -1e5, -1e6, -1e6, 0}, {1e5, 1e5, 1e6, 1e6, MAX_MS}, {"X", "Y", "DX", "DY", "MS"}},
        {MER_SC_WHEEL, {-1e5, -1e5, -100}, {1e5, 1e5, 100}, {"X", "Y", "CLICKS"}},
        {MER_SC_SLEEP, {0}, {MAX_MS}, {"MS"}},
    };
    for (size_t k = 0; k < sizeof lim / sizeof lim[0]; k++) {
        if (lim[k].op != c->op)
            continue;
        for (int i = 0; i < n; i++) {
            if (!num(args[i], lim[k].lo[i], lim[k].hi[i], &c->a[i])) {
                snprintf(why, len, "%s: '%s' is not a number within %g..%g", lim[k].what[i], args[i],
                         lim[k].lo[i], lim[k].hi[i]);
                return false;
            }
        }
    }
    return true;
}

static bool ends_with_png(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcasecmp(s + n - 4, ".png") == 0;
}

/* wait-tiles: the loader's per-tile states a test may wait for, by the names
 * the overlay's dump uses. */
static bool parse_states(const char *list, unsigned *out, char *why, size_t len)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {
        {"queued", 1u << MER_TS_QUEUED},
        {"in_flight", 1u << MER_TS_IN_FLIGHT},
        {"retry", 1u << MER_TS_RETRY_WAIT},
        {"paused", 1u << MER_TS_PAUSED},
        {"decoding", 1u << MER_TS_DECODING},
        {"failed", 1u << MER_TS_FAILED},
    };
    char buf[128];
    if (strlen(list) >= sizeof buf) {
        snprintf(why, len, "state list too long");
        return false;
    }
    size_t n = strlen(list);
    if (n == 0 || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,")) {
        snprintf(why, len, "unknown tile state '' in '%.64s' (an empty item)", list);
        return false;
    }
    snprintf(buf, sizeof buf, "%s", list);
    *out = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t k = 0;
        while (k < sizeof names / sizeof names[0] && strcmp(t, names[k].name) != 0)
            k++;
        if (k == sizeof names / sizeof names[0]) {
            snprintf(why, len, "unknown tile state '%.32s' (queued, in_flight, retry, paused, decoding, failed)", t);
            return false;
        }
        *out |= names[k].bits;
    }
    if (!*out) {
        snprintf(why, len, "wait-tiles needs a state");
        return false;
    }
    return true;
}

static bool check_strings(mer_script_cmd *c, char **args, char *why, size_t len)
{
    if (c->op == MER_SC_WAIT_TILES)
        return parse_states(args[0], &c->states, why, len);
    if (c->op == MER_SC_KEY) {
        c->keycode = (int)SDL_GetKeyFromName(args[0]);
        if (c->keycode == SDLK_UNKNOWN) {
            snprintf(why, len, "unknown key name '%s' (SDL key names, e.g. Left, H, Home, F11, +)", args[0]);
            return false;
        }
    } else if (c->op == MER_SC_SCREENSHOT) {
        if (!ends_with_png(args[0]) || strlen(args[0]) >= sizeof c->path) {
            snprintf(why, len, "screenshot needs a path ending in .png");
            return false;
        }
        snprintf(c->path, sizeof c->path, "%s", args[0]);
    }
    return true;
}

/* Parses one non-empty line into c. false with a reason in why. */
static bool parse_line(char *line, mer_script_cmd *c, char *why, size_t len)
{
    char *args[MAX_ARGS + 1];
    int n = 0;
    char *save = NULL;
    char *word = strtok_r(line, " \t\r", &save);
    for (char *t = strtok_r(NULL, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
        if (n == MAX_ARGS) {
            snprintf(why, len, "too many arguments");
            return false;
        }
        args[n++] = t;
    }
    const op_def *d = NULL;
    for (size_t i = 0; i < N_OPS && !d; i++)
        if (strcmp(word, g_ops[i].name) == 0)
            d = &g_ops[i];
    if (!d) {
        snprintf(why, len, "unknown command '%.64s' (expected wait-idle, pan, zoom-at, goto, resize, key, "
                 "drag, wheel, sleep, screenshot, wait-tiles, wait-world or quit)", word);
        return false;
    }
    c->op = d->op;
    if (n < d->min_args || n > d->max_args) {
        snprintf(why, len, "wrong number of arguments: usage: %s", d->usage);
        return false;
    }
    if (d->op == MER_SC_WAIT_IDLE || d->op == MER_SC_WAIT_TILES || d->op == MER_SC_WAIT_WORLD)
        c->a[0] = 30000;
    if (d->op == MER_SC_WAIT_TILES) /* STATE first, then the optional timeout */
        return check_numbers(c, args + 1, n - 1, why, len) && check_strings(c, args, why, len);
    return check_numbers(c, args, d->op == MER_SC_KEY || d->op == MER_SC_SCREENSHOT ? 0 : n, why, len) &&
           check_strings(c, args, why, len);
}

static bool push(mer_script *s, const mer_script_cmd *c)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 32;
        mer_script_cmd *p = realloc(s->cmds, nc * sizeof *p);
        if (!p)
            return false;
        s->cmds = p;
        s->cap = nc;
    }
    s->cmds[s->n++] = *c;
    return true;
}

mer_script *mer_script_parse(const char *name, const char *text, char *err, size_t len)
{
    mer_script *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, len, "%s: out of memory", name);
        return NULL;
    }
    const char *p = text;
    for (int lineno = 1; *p; lineno++) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char buf[4096];
        char why[256] = "";
        bool ok = n < sizeof buf;
        if (!ok)
            snprintf(why, sizeof why, "line too long");
        if (ok) {
            memcpy(buf, p, n);
            buf[n] = '\0';
            char *hash = strchr(buf, '#');
            if (hash)
                *hash = '\0';
            if (strspn(buf, " \t\r") != strlen(buf)) {
                mer_script_cmd c;
                memset(&c, 0, sizeof c);
                c.line = lineno;
                ok = parse_line(buf, &c, why, sizeof why);
                if (ok && (s->n >= SCRIPT_MAX_CMDS || !push(s, &c))) {
                    ok = false;
                    snprintf(why, sizeof why, "too many commands");
                }
            }
        }
        if (!ok) {
            snprintf(err, len, "%s:%d: %s", name, lineno, why);
            mer_script_free(s);
            return NULL;
        }
        p = nl ? nl + 1 : p + n;
    }
    return s;
}

mer_script *mer_script_load(const char *path, char *err, size_t len)
{
    char *text = mer_read_text_file(path, SCRIPT_MAX_BYTES);
    if (!text) {
        snprintf(err, len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    mer_script *s = mer_script_parse(path, text, err, len);
    free(text);
    return s;
}

void mer_script_free(mer_script *s)
{
    if (!s)
        return;
    free(s->cmds);
    free(s);
}

size_t mer_script_count(const mer_script *s)
{
    return s->n;
}

const mer_script_cmd *mer_script_at(const mer_script *s, size_t i)
{
    return i < s->n ? &s->cmds[i] : NULL;
}
