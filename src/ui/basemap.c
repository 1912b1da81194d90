#include "ui/basemap.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/loader.h"
#include "ui/texcache.h"

#define MAX_PENDING 32
#define MAX_NEEDS 2048
/* Parents of needed tiles are asked for after every needed tile. */
#define PRIO_PARENT 1000000000
/* Ancestors searched for a stand-in when the needed world tile is not in. */
#define MAX_UP 12

struct mer_basemap {
    mer_loader *loader;
    mer_texcache *tc;
    int min_zoom, max_zoom;
    uint64_t frame;
    uint64_t generation;
    uint64_t loaded;
    int tile_w, tile_h;   /* the size of the world tiles uploaded (spares are made of it) */

    /* Results polled from the loader and not yet uploaded (FIFO). */
    mer_tile_result pending[MAX_PENDING];
    size_t pend_head, pend_n;
    atomic_bool ready; /* set by on_ready (loader threads), cleared when polled empty */
    void (*on_ready)(void *ud);
    void *ud;

    /* World tiles needed by this frame's draw (may repeat), and the set last
     * sent to the loader (sorted keys). */
    mer_want_tile *needs;
    size_t n_needs;
    mer_want_tile *want;
    size_t n_want;
    uint64_t *sent;
    size_t n_sent;
    bool complete;
};

/* On a loader or decode thread: remember, then pass the wake-up on. */
static void basemap_ready(void *ud)
{
    mer_basemap *b = ud;
    atomic_store(&b->ready, true);
    if (b->on_ready)
        b->on_ready(b->ud);
}

mer_basemap *mer_basemap_create(const mer_source *world, const mer_loader_config *base, size_t budget_bytes,
                                void (*on_ready)(void *ud), void *ud, char *err, size_t errlen)
{
    mer_basemap *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->min_zoom = world->min_zoom;
    b->max_zoom = world->max_zoom;
    b->on_ready = on_ready;
    b->ud = ud;
    atomic_init(&b->ready, false);
    b->tc = mer_texcache_create(budget_bytes, 1024);
    b->needs = malloc(MAX_NEEDS * sizeof *b->needs);
    b->want = malloc(2 * MAX_NEEDS * sizeof *b->want);
    b->sent = malloc(2 * MAX_NEEDS * sizeof *b->sent);
    if (!b->tc || !b->needs || !b->want || !b->sent) {
        snprintf(err, errlen, "out of memory");
        mer_basemap_destroy(b);
        return NULL;
    }
    mer_loader_config c;
    mer_loader_config_defaults(&c, world);
    snprintf(c.cache_dir, sizeof c.cache_dir, "%s", base->cache_dir);
    snprintf(c.world_path, sizeof c.world_path, "%s", base->world_path);
    c.decode_workers = 1;
    c.on_ready = basemap_ready;
    c.ud = b;
    b->loader = mer_loader_create(&c, err, errlen);
    if (!b->loader) {
        mer_basemap_destroy(b);
        return NULL;
    }
    return b;
}

void mer_basemap_destroy(mer_basemap *b)
{
    if (!b)
        return;
    /* The loader first: its threads call basemap_ready. */
    mer_loader_destroy(b->loader);
    while (b->pend_n > 0) {
        mer_tile_result_release(&b->pending[b->pend_head++]);
        b->pend_n--;
    }
    mer_texcache_destroy(b->tc);
    free(b->needs);
    free(b->want);
    free(b->sent);
    free(b);
}

static bool refill(mer_basemap *b)
{
    if (!atomic_exchange(&b->ready, false))
        return false;
    size_t n = mer_loader_poll_results(b->loader, b->pending, MAX_PENDING);
    b->pend_head = 0;
    b->pend_n = n;
    if (n == MAX_PENDING)
        atomic_store(&b->ready, true); /* more may wait; no new wake-up comes for them */
    return n > 0;
}

void mer_basemap_upload(mer_basemap *b, uint64_t frame, double now, mer_upload_budget *budget)
{
    b->frame = frame;
    while (b->pend_n > 0 || refill(b)) {
        mer_tile_result *r = &b->pending[b->pend_head];
        int w = r->rgba ? r->w : 0, h = r->h;
        if (!mer_upload_take(b->tc, r, frame, now, budget))
            break;
        if (w > 0) { /* spares are made of the size uploaded */
            b->tile_w = w;
            b->tile_h = h;
        }
        b->pend_head++;
        b->pend_n--;
        b->loaded++;
    }
}

bool mer_basemap_add_spare(mer_basemap *b, size_t max_bytes)
{
    int w = b->tile_w > 0 ? b->tile_w : 256, h = b->tile_h > 0 ? b->tile_h : 256;
    return mer_texcache_add_spare(b->tc, w, h, max_bytes);
}

static void need(mer_basemap *b, mer_tile_id id, int32_t prio)
{
    if (b->n_needs < MAX_NEEDS)
        b->needs[b->n_needs++] = (mer_want_tile){id, prio};
}

bool mer_basemap_draw(mer_basemap *b, mer_gfx *g, mer_tile_id id, float x, float y, float w, float h,
                      int32_t prio)
{
    if (id.z < b->min_zoom)
        return false;
    /* The world tile covering the slot: the slot's own tile, or its ancestor
     * where the world has no more detail. */
    mer_tile_id wt = id.z > b->max_zoom ? mer_tile_parent(id, id.z - b->max_zoom) : id;
    need(b, wt, prio);
    float fx, fy, f;
    int up = id.z - wt.z;
    mer_tc_entry *e = mer_texcache_ancestor(b->tc, id, up, up + MAX_UP, b->min_zoom, b->frame, &fx, &fy, &f);
    if (!e)
        return false;
    bool crisp = f == 1.0f && fabsf(w - (float)e->w) < 0.01f && fabsf(h - (float)e->h) < 0.01f;
    mer_gfx_tile(g, e->tex, x, y, w, h, fx, fy, fx + f, fy + f, 1.0f, crisp);
    return true;
}

static int cmp_key_prio(const void *a, const void *b)
{
    const mer_want_tile *x = a, *y = b;
    uint64_t kx = mer_tile_key(x->id), ky = mer_tile_key(y->id);
    if (kx != ky)
        return (kx > ky) - (kx < ky);
    return (x->priority > y->priority) - (x->priority < y->priority);
}

static int cmp_prio(const void *a, const void *b)
{
    const mer_want_tile *x = a, *y = b;
    return (x->priority > y->priority) - (x->priority < y->priority);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Adds the needed tiles (and their parents) not yet loaded to b->want, each once. */
static void build_want(mer_basemap *b)
{
    b->n_want = 0;
    for (size_t i = 0; i < b->n_needs; i++) {
        mer_want_tile t = b->needs[i];
        if (mer_texcache_peek(b->tc, t.id))
            continue;
        b->want[b->n_want++] = t;
        /* The parent stands in while the tile renders (zooming in); once
         * the tile is in, it is not wanted: the small texture budget then
         * never churns between tiles and parents. */
        if (t.id.z > b->min_zoom) {
            mer_tile_id p = mer_tile_parent(t.id, 1);
            if (!mer_texcache_peek(b->tc, p))
                b->want[b->n_want++] = (mer_want_tile){p, PRIO_PARENT + (t.priority > 0 ? t.priority / 4 : 0)};
        }
    }
    if (b->n_want == 0)
        return;
    /* One entry per tile, with its best priority. */
    qsort(b->want, b->n_want, sizeof *b->want, cmp_key_prio);
    size_t n = 1;
    for (size_t i = 1; i < b->n_want; i++)
        if (!mer_tile_equal(b->want[i].id, b->want[n - 1].id))
            b->want[n++] = b->want[i];
    b->n_want = n;
}

static bool same_as_sent(const mer_basemap *b)
{
    if (b->n_want != b->n_sent)
        return false;
    for (size_t i = 0; i < b->n_want; i++) /* b->want is sorted by key here */
        if (mer_tile_key(b->want[i].id) != b->sent[i])
            return false;
    return true;
}

void mer_basemap_end_frame(mer_basemap *b, uint64_t frame)
{
    (void)frame;
    build_want(b);
    b->n_needs = 0;
    b->complete = b->n_want == 0;
    if (same_as_sent(b))
        return;
    for (size_t i = 0; i < b->n_want; i++)
        b->sent[i] = mer_tile_key(b->want[i].id);
    b->n_sent = b->n_want;
    qsort(b->sent, b->n_sent, sizeof *b->sent, cmp_u64);
    qsort(b->want, b->n_want, sizeof *b->want, cmp_prio);
    mer_loader_want(b->loader, ++b->generation, b->want, b->n_want);
}

bool mer_basemap_busy(mer_basemap *b)
{
    return b->pend_n > 0 || atomic_load(&b->ready);
}

bool mer_basemap_complete(mer_basemap *b)
{
    return b->complete && !mer_basemap_busy(b) && mer_loader_idle(b->loader);
}

size_t mer_basemap_tex_bytes(const mer_basemap *b)
{
    return mer_texcache_bytes(b->tc);
}

uint64_t mer_basemap_tiles_loaded(const mer_basemap *b)
{
    return b->loaded;
}
