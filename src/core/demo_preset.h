/* The demo tile server's presets, in one table: what `meridian --demo=NAME`
 * starts meridian-tilesim with, and what the network panel's server keys
 * (1-4) switch a running demo server to through its /control endpoint. One
 * name means one set of server settings everywhere. Pure data and
 * formatting; the process and the HTTP request live in cli/demo.c and
 * net/tilesim_control.c. */
#ifndef MER_DEMO_PRESET_H
#define MER_DEMO_PRESET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mer_demo_preset {
    const char *name;
    int latency_ms, jitter_ms; /* per tile response */
    double rate;               /* token bucket refill, requests/s; 0 = unlimited */
    int burst;                 /* token bucket size */
    int max_concurrent;        /* 0 = unlimited */
    double fail_rate;          /* 503 + Retry-After */
    const char *faults;        /* tilesim --faults list; "" = none */
    bool startable;            /* accepted by --demo=NAME */
    int panel_key;             /* 1..4: the network panel's server key; 0 = none */
} mer_demo_preset;

#define MER_DEMO_PRESET_NAMES "default, rate-limit, slow or flaky" /* the startable ones */

/* By name; NULL or "" is "default". NULL if unknown. */
const mer_demo_preset *mer_demo_preset_find(const char *name);
/* The i-th preset, NULL past the end. */
const mer_demo_preset *mer_demo_preset_at(size_t i);
/* The preset behind the panel's server key n (1..4), or NULL. */
const mer_demo_preset *mer_demo_preset_for_key(int n);

/* meridian-tilesim arguments (after "--port 0") for a preset. The strings
 * point into the struct; argv is NULL-terminated. */
typedef struct mer_demo_args {
    const char *argv[16];
    char num[6][32];
} mer_demo_args;
void mer_demo_preset_args(const mer_demo_preset *p, mer_demo_args *out);

/* The /control query string that switches a running server to the preset
 * (every live setting, so nothing of the previous preset stays). False if it
 * does not fit. */
bool mer_demo_preset_query(const mer_demo_preset *p, char *out, size_t len);

#endif
