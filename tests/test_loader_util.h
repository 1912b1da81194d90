/* Shared helpers for the loader tests (header-only, static): a loader on a
 * tilesim URL and a result collector that checks every OK tile's pixels
 * decode to the id it was delivered as. */
#ifndef MER_TEST_LOADER_UTIL_H
#define MER_TEST_LOADER_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/loader.h"
#include "support/test_server.h"
#include "support/tile_code.h"

#define MAX_GOT 512

typedef struct got_tile {
    mer_tile_id id;
    mer_tile_status status;
    mer_tile_origin origin;
    bool stale;
    bool pixels_match; /* OK tiles: the tile code in the pixels is this id */
    int http_status;
    char reason[96];
} got_tile;

typedef struct collector {
    got_tile got[MAX_GOT];
    size_t n;      /* results in arrival order */
    size_t finals; /* results with stale == false */
} collector;

static inline double tl_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static inline void tl_config(mer_loader_config *c, const mer_test_server *s, int cap)
{
    mer_source src;
    memset(&src, 0, sizeof src);
    src.kind = MER_SOURCE_URL;
    snprintf(src.id, sizeof src.id, "test");
    snprintf(src.url, sizeof src.url, "%s/{z}/{x}/{y}.png", s ? s->base_url : "http://127.0.0.1:9");
    src.max_zoom = 19;
    src.tile_px = 256;
    mer_loader_config_defaults(c, &src);
    c->max_concurrent = cap;
    c->rate = 0;
    c->decode_workers = 1;
}

static inline void tl_take(collector *col, mer_tile_result *r)
{
    if (col->n < MAX_GOT) {
        got_tile *g = &col->got[col->n++];
        g->id = r->id;
        g->status = r->status;
        g->origin = r->origin;
        g->stale = r->stale;
        g->http_status = r->http_status;
        snprintf(g->reason, sizeof g->reason, "%s", r->reason);
        mer_tile_id seen;
        g->pixels_match = r->status == MER_TILE_OK && r->rgba && r->w == 256 &&
                          mer_test_decode_tile_id(r->rgba, r->w, r->h, r->w, 0, 0, 1.0, &seen) &&
                          mer_tile_equal(seen, r->id);
    }
    if (!r->stale)
        col->finals++;
    mer_tile_result_release(r);
}

/* Polls results until `finals` final results arrived, the loader is idle, or
 * the deadline passes. Returns the number of final results. */
static inline size_t tl_collect(mer_loader *l, collector *col, size_t finals, double deadline_s)
{
    double end = tl_now_ms() + deadline_s * 1000;
    mer_tile_result r[32];
    while (col->finals < finals && tl_now_ms() < end) {
        size_t k = mer_loader_poll_results(l, r, 32);
        for (size_t i = 0; i < k; i++)
            tl_take(col, &r[i]);
        if (!k) {
            if (mer_loader_idle(l))
                break;
            usleep(2000);
        }
    }
    return col->finals;
}

/* Waits for mer_loader_idle with a deadline. */
static inline bool tl_wait_idle(mer_loader *l, collector *col, double deadline_s)
{
    double end = tl_now_ms() + deadline_s * 1000;
    mer_tile_result r[32];
    while (tl_now_ms() < end) {
        size_t k = mer_loader_poll_results(l, r, 32);
        for (size_t i = 0; i < k; i++)
            tl_take(col, &r[i]);
        if (!k && mer_loader_idle(l))
            return true;
        usleep(2000);
    }
    return false;
}

/* The loader publishes its counters asynchronously (every publish period);
 * once it is idle they are final. Tests read final counters through this. */
static inline void tl_final_stats(mer_loader *l, collector *col, mer_loader_stats *st)
{
    if (!tl_wait_idle(l, col, 30))
        fprintf(stderr, "tl_final_stats: the loader did not go idle\n");
    mer_loader_get_stats(l, st);
}

static inline size_t tl_grid(mer_want_tile *w, int z, int x0, int y0, int cols, int rows)
{
    size_t n = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++, n++) {
            w[n].id = (mer_tile_id){z, x0 + c, y0 + r};
            w[n].priority = (int32_t)n;
        }
    return n;
}

static inline size_t tl_count(const collector *col, mer_tile_status st)
{
    size_t n = 0;
    for (size_t i = 0; i < col->n; i++)
        n += !col->got[i].stale && col->got[i].status == st;
    return n;
}

#endif
