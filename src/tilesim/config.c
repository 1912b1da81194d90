#include "tilesim/config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"

typedef enum { K_INT, K_DOUBLE, K_FLAG, K_STR, K_SPECIAL } kind;

typedef struct opt_def {
    const char *name;
    kind type;
    size_t off;
    size_t size;
    double lo, hi;
    bool live; /* settable through /control */
    const char *metavar;
    const char *help;
} opt_def;

#define F(field) offsetof(tsim_config, field), 0
#define S(field) offsetof(tsim_config, field), sizeof(((tsim_config *)0)->field)
#define X 0, 0

/* Every option, in --help order. */
static const opt_def g_opts[] = {
    {"help", K_SPECIAL, X, 0, 0, false, NULL, "show this help and exit"},
    {"port", K_INT, F(port), 0, 65535, false, "N", "TCP port on 127.0.0.1 (0 = any free port; default 8753, the demo preset's port)"},
    {"latency", K_INT, F(latency_ms), 0, 600000, true, "MS", "delay before each tile response (default 0)"},
    {"jitter", K_INT, F(jitter_ms), 0, 600000, true, "MS", "add a uniform random 0..MS to each delay"},
    {"max-zoom", K_INT, F(max_zoom), 0, 30, false, "Z", "tiles above zoom Z answer 404 (default 19)"},
    {"empty-rule", K_SPECIAL, X, 0, 0, false, "RULE",
     "valid tiles that answer 404: none, sea (tiles without land) or hash:P (a fraction P)"},
    {"max-concurrent", K_INT, F(max_concurrent), 0, 100000, true, "N",
     "more than N tile requests in flight answer 429 (0 = unlimited)"},
    {"rate", K_DOUBLE, F(rate), 0, 1e6, true, "R", "token bucket refill, requests/s (0 = unlimited)"},
    {"burst", K_INT, F(burst), 1, 1000000, true, "B",
     "token bucket size (default 10); a request finding the bucket empty is refused at once"},
    {"no-retry-after", K_FLAG, F(no_retry_after), 0, 0, true, NULL,
     "refuse with a bare 429, no Retry-After (as most reverse-proxy limiters do; /control: no-retry-after=0|1)"},
    {"overload", K_INT, F(overload), 0, 100000, true, "N",
     "more than N tile requests in flight answer 503 + Retry-After: 1 (load shedding; 0 = off)"},
    {"retry-after-date", K_FLAG, F(retry_after_date), 0, 0, false, NULL,
     "send Retry-After as an HTTP date instead of seconds"},
    {"fail-rate", K_DOUBLE, F(fail_rate), 0, 1, true, "P", "probability of a 503 (with Retry-After: 1)"},
    {"faults", K_SPECIAL, X, 0, 0, true, "LIST",
     "fault probabilities, e.g. truncated=0.05,corrupt=0.05,html200=0.01,trickle=0.01,reset=0.01,oversize=0.01,bomb=0.01,badetag=0.01,dupcc=0.01"},
    {"seed", K_SPECIAL, X, 0, 0, false, "N", "seed for every random choice (default 1)"},
    {"max-age", K_INT, F(max_age), 0, 100000000, false, "S", "Cache-Control max-age in seconds (default 3600)"},
    {"log", K_STR, S(log_path), 0, 0, false, "FILE", "append one line per request to FILE"},
    {"die-with-parent", K_FLAG, F(die_with_parent), 0, 0, false, NULL,
     "exit when the parent process dies (tests use it so no server outlives a crashed test)"},
    {"cache-mb", K_INT, F(cache_mb), 1, 65536, false, "MB", "memory for encoded tiles (default 256)"},
    {"map", K_SPECIAL, X, 0, 0, false, "MAP",
     "world (default: the real world map, Natural Earth) or noise (a synthetic continent)"},
    {"world", K_STR, S(world_path), 0, 0, false, "FILE",
     "the world map data (default: assets/world.bin, found as meridian finds it)"},
    {"codes", K_FLAG, F(codes), 0, 0, false, NULL,
     "mark every tile: a dashed border, its z/x/y and a code block the tests decode"},
};

#define N_OPTS (sizeof g_opts / sizeof g_opts[0])

static const char *const g_fault_names[TSIM_FAULT_COUNT] = {
    "truncated", "corrupt", "html200", "trickle", "reset", "oversize", "bomb", "badetag", "dupcc",
};

const char *tsim_fault_name(tsim_fault f)
{
    return f >= 0 && f < TSIM_FAULT_COUNT ? g_fault_names[f] : "none";
}

void tsim_config_defaults(tsim_config *c)
{
    memset(c, 0, sizeof *c);
    c->port = 8753; /* the `demo` source preset points here */
    c->max_zoom = 19;
    c->seed = 1;
    c->max_age = 3600;
    c->cache_mb = 256;
    c->burst = 10;
}

static bool parse_faults(const char *s, double out[TSIM_FAULT_COUNT], char *err, size_t errlen)
{
    double f[TSIM_FAULT_COUNT] = {0};
    char buf[512];
    if (strlen(s) >= sizeof buf) {
        snprintf(err, errlen, "--faults: list too long");
        return false;
    }
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            snprintf(err, errlen, "--faults: '%s' is not KIND=P", item);
            return false;
        }
        *eq = '\0';
        int k = -1;
        for (int i = 0; i < TSIM_FAULT_COUNT; i++)
            if (strcmp(item, g_fault_names[i]) == 0)
                k = i;
        if (k < 0) {
            snprintf(err, errlen, "--faults: unknown kind '%s' (truncated, corrupt, html200, trickle, reset, oversize, bomb, badetag, dupcc)", item);
            return false;
        }
        if (!mer_parse_double(eq + 1, 0, 1, &f[k])) {
            snprintf(err, errlen, "--faults: '%s' for %s is not a probability in 0..1", eq + 1, item);
            return false;
        }
    }
    memcpy(out, f, sizeof f);
    return true;
}

static bool parse_special(tsim_config *c, const opt_def *o, const char *v, char *err, size_t errlen)
{
    if (strcmp(o->name, "faults") == 0)
        return parse_faults(v, c->faults, err, errlen);
    if (strcmp(o->name, "seed") == 0) {
        char *end;
        errno = 0;
        unsigned long long s = strtoull(v, &end, 10);
        if (!*v || *end || errno || *v == '-') {
            snprintf(err, errlen, "--seed: '%s' is not a non-negative integer", v);
            return false;
        }
        c->seed = (uint64_t)s;
        return true;
    }
    if (strcmp(o->name, "map") == 0) {
        if (strcmp(v, "world") == 0) {
            c->map = TSIM_MAP_WORLD;
        } else if (strcmp(v, "noise") == 0) {
            c->map = TSIM_MAP_NOISE;
        } else {
            snprintf(err, errlen, "--map: '%s' is not world or noise", v);
            return false;
        }
        return true;
    }
    if (strcmp(o->name, "empty-rule") == 0) {
        if (strcmp(v, "none") == 0) {
            c->empty_rule = TSIM_EMPTY_NONE;
        } else if (strcmp(v, "sea") == 0) {
            c->empty_rule = TSIM_EMPTY_SEA;
        } else if (strncmp(v, "hash:", 5) == 0 && mer_parse_double(v + 5, 0, 1, &c->empty_fraction)) {
            c->empty_rule = TSIM_EMPTY_HASH;
        } else {
            snprintf(err, errlen, "--empty-rule: '%s' is not none, sea or hash:P", v);
            return false;
        }
        return true;
    }
    snprintf(err, errlen, "--%s: not settable", o->name);
    return false;
}

static bool set_opt(tsim_config *c, const opt_def *o, const char *v, char *err, size_t errlen)
{
    char *base = (char *)c + o->off;
    switch (o->type) {
    case K_INT:
        if (!v || !mer_parse_int(v, (long)o->lo, (long)o->hi, (int *)(void *)base)) {
            snprintf(err, errlen, "--%s: '%s' is not an integer in %.0f..%.0f", o->name, v ? v : "",
                     o->lo, o->hi);
            return false;
        }
        return true;
    case K_DOUBLE:
        if (!v || !mer_parse_double(v, o->lo, o->hi, (double *)(void *)base)) {
            snprintf(err, errlen, "--%s: '%s' is not a number in %g..%g", o->name, v ? v : "", o->lo,
                     o->hi);
            return false;
        }
        return true;
    case K_FLAG:
        /* On the command line a flag has no value; through /control it is 0 or 1. */
        if (v && strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
            snprintf(err, errlen, "--%s: '%s' is not 0 or 1", o->name, v);
            return false;
        }
        *(bool *)(void *)base = !v || strcmp(v, "1") == 0;
        return true;
    case K_STR:
        if (!v || !*v || strlen(v) >= o->size) {
            snprintf(err, errlen, "--%s: value empty or too long", o->name);
            return false;
        }
        snprintf(base, o->size, "%s", v);
        return true;
    case K_SPECIAL:
        return parse_special(c, o, v ? v : "", err, errlen);
    }
    return false;
}

static bool check_sums(const tsim_config *c, char *err, size_t errlen)
{
    double sum = c->fail_rate;
    for (int i = 0; i < TSIM_FAULT_COUNT; i++)
        sum += c->faults[i];
    if (sum > 1.0 + 1e-9) {
        snprintf(err, errlen, "--fail-rate plus --faults add up to %.3f, more than 1", sum);
        return false;
    }
    return true;
}

void tsim_config_print_help(const char *argv0)
{
    printf("Usage: %s [OPTIONS]\n"
           "A local map tile server for Meridian's demos, tests and benchmarks.\n"
           "Serves /{z}/{x}/{y}.png, .webp and .jpg (and @2x variants), /stats and /control.\n\n",
           argv0);
    for (size_t i = 0; i < N_OPTS; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", g_opts[i].name, g_opts[i].metavar ? " " : "",
                 g_opts[i].metavar ? g_opts[i].metavar : "");
        printf("  %-26s %s%s\n", left, g_opts[i].help, g_opts[i].live ? " [live]" : "");
    }
    printf("\n[live] options can be changed while running: POST /control?NAME=VALUE&...\n");
}

tsim_cfg_status tsim_config_parse(tsim_config *c, int argc, char **argv, char *err, size_t errlen)
{
    struct option lo[N_OPTS + 1];
    for (size_t i = 0; i < N_OPTS; i++) {
        bool flag = g_opts[i].type == K_FLAG || strcmp(g_opts[i].name, "help") == 0;
        lo[i] = (struct option){g_opts[i].name, flag ? no_argument : required_argument, NULL, (int)i + 256};
    }
    lo[N_OPTS] = (struct option){0, 0, 0, 0};
    opterr = 0;
    optind = 0; /* 0: glibc resets its hidden state too (see core/options.c) */
    int ch;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == '?' || ch == ':') {
            snprintf(err, errlen, "%s option '%s'", ch == ':' ? "missing value for" : "unknown",
                     argv[optind - 1]);
            return TSIM_CFG_ERROR;
        }
        const opt_def *o = &g_opts[ch - 256];
        if (strcmp(o->name, "help") == 0) {
            tsim_config_print_help(argv[0]);
            return TSIM_CFG_EXIT;
        }
        if (!set_opt(c, o, optarg, err, errlen))
            return TSIM_CFG_ERROR;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
        return TSIM_CFG_ERROR;
    }
    return check_sums(c, err, errlen) ? TSIM_CFG_OK : TSIM_CFG_ERROR;
}

bool tsim_config_set_live(tsim_config *c, const char *name, const char *value, char *err,
                          size_t errlen)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        if (strcmp(g_opts[i].name, name) != 0)
            continue;
        if (!g_opts[i].live) {
            snprintf(err, errlen, "%s cannot be changed while running", name);
            return false;
        }
        tsim_config tmp = *c;
        if (!set_opt(&tmp, &g_opts[i], value, err, errlen) || !check_sums(&tmp, err, errlen))
            return false;
        *c = tmp;
        return true;
    }
    snprintf(err, errlen, "unknown setting '%s'", name);
    return false;
}

void tsim_config_live_json(const tsim_config *c, char *buf, size_t len)
{
    int n = snprintf(buf, len,
                     "{\"latency\": %d, \"jitter\": %d, \"max-concurrent\": %d, \"rate\": %g, "
                     "\"burst\": %d, \"overload\": %d, \"no-retry-after\": %d, \"fail-rate\": %g, \"faults\": {",
                     c->latency_ms, c->jitter_ms, c->max_concurrent, c->rate, c->burst, c->overload,
                     c->no_retry_after ? 1 : 0, c->fail_rate);
    for (int i = 0; i < TSIM_FAULT_COUNT && n > 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "%s\"%s\": %g", i ? ", " : "", g_fault_names[i],
                      c->faults[i]);
    if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "}}");
}
