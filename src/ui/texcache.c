#include "ui/texcache.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

#include "core/log.h"
#include "ui/gfx.h"

#define TAG "texcache"
#define NIL (-1)
#define MAX_SPARES 64
/* Spares are made for tiles up to 512 x 512 (HiDPI); their pages are written
 * from this zero buffer (untouched .bss: reading it costs no memory). */
#define SPARE_MAX_BYTES ((size_t)512 * 512 * 4)

typedef struct slot {
    mer_tc_entry e;
    uint64_t key;
    int next;  /* next in bucket chain, or next free slot */
    bool used;
} slot;

struct mer_texcache {
    slot *slots;
    int *buckets;
    size_t cap, nbuckets, count;
    int free_head;
    size_t bytes, budget;
    uint64_t evictions;
    uint64_t reused; /* uploads into an evicted tile's texture */
    uint64_t clears; /* mer_texcache_clear calls: the map view asks for everything again */
    /* Spare textures, storage allocated and written (counted in bytes): a
     * new tile takes one instead of creating a texture. */
    unsigned spare[MAX_SPARES];
    int spare_w[MAX_SPARES], spare_h[MAX_SPARES];
    int n_spare;
    uint64_t spares_used;
};

static uint8_t g_zeros[SPARE_MAX_BYTES];

static size_t hash_key(uint64_t k, size_t n)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)(k % n);
}

mer_texcache *mer_texcache_create(size_t budget_bytes, size_t max_entries)
{
    mer_texcache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cap = max_entries < 64 ? 64 : max_entries;
    c->nbuckets = c->cap * 2 + 1;
    c->slots = calloc(c->cap, sizeof *c->slots);
    c->buckets = malloc(c->nbuckets * sizeof *c->buckets);
    if (!c->slots || !c->buckets) {
        free(c->slots);
        free(c->buckets);
        free(c);
        return NULL;
    }
    for (size_t i = 0; i < c->nbuckets; i++)
        c->buckets[i] = NIL;
    for (size_t i = 0; i < c->cap; i++)
        c->slots[i].next = i + 1 < c->cap ? (int)i + 1 : NIL;
    c->free_head = 0;
    c->budget = budget_bytes;
    return c;
}

static size_t tex_bytes(const mer_tc_entry *e)
{
    return e->tex ? (size_t)e->w * (size_t)e->h * 4 : 0;
}

static void release_tex(mer_texcache *c, mer_tc_entry *e)
{
    if (!e->tex)
        return;
    c->bytes -= tex_bytes(e);
    GLuint t = e->tex;
    glDeleteTextures(1, &t);
    e->tex = 0;
}

static int find(const mer_texcache *c, uint64_t key)
{
    for (int i = c->buckets[hash_key(key, c->nbuckets)]; i != NIL; i = c->slots[i].next)
        if (c->slots[i].key == key)
            return i;
    return NIL;
}

static void unlink_slot(mer_texcache *c, int idx)
{
    int *pp = &c->buckets[hash_key(c->slots[idx].key, c->nbuckets)];
    while (*pp != idx)
        pp = &c->slots[*pp].next;
    *pp = c->slots[idx].next;
    release_tex(c, &c->slots[idx].e);
    c->slots[idx].used = false;
    c->slots[idx].next = c->free_head;
    c->free_head = idx;
    c->count--;
}

/* Tiles used in frame or the frame before are kept: uploads run at the start
 * of a frame, before its draw marks what it uses, so the last frame's tiles
 * (drawn, or wanted by the view) are the ones in use.
 * The least recently used slot not in use (with a texture if
 * want_tex, of w x h if w > 0), or NIL. A linear scan: a few hundred entries, a few evictions
 * per frame at most. */
static int lru_victim(const mer_texcache *c, uint64_t frame, bool want_tex, int w, int h)
{
    int best = NIL;
    for (size_t i = 0; i < c->cap; i++) {
        const slot *s = &c->slots[i];
        if (!s->used || s->e.last_used + 1 >= frame || (want_tex && !s->e.tex))
            continue;
        if (w > 0 && (s->e.w != w || s->e.h != h))
            continue;
        if (best == NIL || s->e.last_used < c->slots[best].e.last_used)
            best = (int)i;
    }
    return best;
}

static void drop_spare(mer_texcache *c)
{
    int i = --c->n_spare;
    GLuint t = c->spare[i];
    glDeleteTextures(1, &t);
    c->bytes -= (size_t)c->spare_w[i] * (size_t)c->spare_h[i] * 4;
}

/* A spare texture of w x h, taken out of the spares (its bytes with it), or 0. */
static unsigned take_spare(mer_texcache *c, int w, int h)
{
    for (int i = c->n_spare - 1; i >= 0; i--) {
        if (c->spare_w[i] != w || c->spare_h[i] != h)
            continue;
        unsigned t = c->spare[i];
        c->bytes -= (size_t)w * (size_t)h * 4;
        c->n_spare--;
        c->spare[i] = c->spare[c->n_spare];
        c->spare_w[i] = c->spare_w[c->n_spare];
        c->spare_h[i] = c->spare_h[c->n_spare];
        c->spares_used++;
        return t;
    }
    return 0;
}

bool mer_texcache_add_spare(mer_texcache *c, int w, int h, size_t max_bytes)
{
    size_t b = (size_t)w * (size_t)h * 4;
    size_t have = 0;
    for (int i = 0; i < c->n_spare; i++)
        have += (size_t)c->spare_w[i] * (size_t)c->spare_h[i] * 4;
    if (w <= 0 || h <= 0 || b > SPARE_MAX_BYTES || c->n_spare >= MAX_SPARES || have + b > max_bytes ||
        c->bytes + b > c->budget)
        return false;
    unsigned t = mer_gfx_texture_new(w, h, g_zeros, false);
    if (!t)
        return false;
    c->spare[c->n_spare] = t;
    c->spare_w[c->n_spare] = w;
    c->spare_h[c->n_spare] = h;
    c->n_spare++;
    c->bytes += b;
    return true;
}

size_t mer_texcache_spares(const mer_texcache *c)
{
    return (size_t)c->n_spare;
}

uint64_t mer_texcache_spares_used(const mer_texcache *c)
{
    return c->spares_used;
}

void mer_texcache_trim(mer_texcache *c, uint64_t frame)
{
    while (c->bytes > c->budget && c->n_spare > 0)
        drop_spare(c);
    while (c->bytes > c->budget) {
        int v = lru_victim(c, frame, true, 0, 0);
        if (v == NIL)
            break;
        unlink_slot(c, v);
        c->evictions++;
    }
}

static int new_slot(mer_texcache *c, uint64_t key, uint64_t frame)
{
    if (c->free_head == NIL) {
        int v = lru_victim(c, frame, false, 0, 0);
        if (v == NIL)
            return NIL;
        unlink_slot(c, v);
        c->evictions++;
    }
    int idx = c->free_head;
    slot *s = &c->slots[idx];
    c->free_head = s->next;
    memset(s, 0, sizeof *s);
    s->used = true;
    s->key = key;
    size_t b = hash_key(key, c->nbuckets);
    s->next = c->buckets[b];
    c->buckets[b] = idx;
    c->count++;
    return idx;
}

/* Over budget, a new tile takes the texture of the least recently used tile
 * of the same size: glTexSubImage2D into it is cheaper than a new texture. */
static unsigned steal_texture(mer_texcache *c, int w, int h, uint64_t frame, int keep)
{
    if (c->bytes + (size_t)w * (size_t)h * 4 <= c->budget)
        return 0;
    int v = lru_victim(c, frame, true, w, h);
    if (v == NIL || v == keep)
        return 0;
    mer_tc_entry *e = &c->slots[v].e;
    unsigned t = e->tex;
    c->bytes -= tex_bytes(e);
    e->tex = 0;
    unlink_slot(c, v);
    c->evictions++;
    c->reused++;
    return t;
}

static bool upload(mer_texcache *c, mer_tc_entry *e, const mer_tile_result *r, uint64_t frame, int idx)
{
    if (e->tex && (e->w != r->w || e->h != r->h))
        release_tex(c, e);
    if (e->tex)
        c->bytes -= tex_bytes(e);
    if (!e->tex)
        e->tex = take_spare(c, r->w, r->h);
    if (!e->tex)
        e->tex = steal_texture(c, r->w, r->h, frame, idx);
    if (e->tex) {
        glBindTexture(GL_TEXTURE_2D, e->tex);
        glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, r->w, r->h, GL_RGBA, GL_UNSIGNED_BYTE, r->rgba);
    } else {
        e->tex = mer_gfx_texture_new(r->w, r->h, r->rgba, false);
        if (!e->tex)
            return false;
    }
    e->w = r->w;
    e->h = r->h;
    c->bytes += tex_bytes(e);
    return true;
}

static bool valid_image(const mer_tile_result *r)
{
    return r->status == MER_TILE_OK && r->rgba && r->w > 0 && r->h > 0 && r->w <= 4096 &&
           r->h <= 4096;
}

bool mer_texcache_put(mer_texcache *c, const mer_tile_result *r, uint64_t frame, double now)
{
    mer_tile_id id = r->id;
    id.x = mer_tile_wrap_x(id.x, id.z);
    uint64_t key = mer_tile_key(id);
    int idx = find(c, key);
    if (idx == NIL)
        idx = new_slot(c, key, frame);
    if (idx == NIL)
        return false;
    mer_tc_entry *e = &c->slots[idx].e;
    bool had_image = e->tex != 0;
    e->id = id;
    e->stale = r->stale;
    e->from_disk = r->origin == MER_ORIGIN_DISK;
    if (e->last_used < frame)
        e->last_used = frame;
    bool ok = true;
    if (valid_image(r)) {
        ok = upload(c, e, r, frame, idx);
        e->status = ok ? MER_TILE_OK : MER_TILE_FAILED;
        /* A refreshed tile (after revalidation) is replaced in place, no second fade. */
        if (!had_image)
            e->born = now;
    } else {
        release_tex(c, e);
        e->status = r->status == MER_TILE_OK ? MER_TILE_FAILED : r->status;
        e->born = now;
    }
    mer_texcache_trim(c, frame);
    return ok;
}

mer_tc_entry *mer_texcache_ancestor(mer_texcache *c, mer_tile_id id, int from, int to, int min_zoom,
                                    uint64_t frame, float *u0, float *v0, float *f)
{
    for (int k = from; k <= to && id.z - k >= min_zoom; k++) {
        mer_tile_id p = mer_tile_parent(id, k);
        mer_tc_entry *e = mer_texcache_get(c, p, frame);
        if (!e || e->status != MER_TILE_OK)
            continue;
        double s = ldexp(1.0, -k);
        *f = (float)s;
        *u0 = (float)((double)(id.x - ((int64_t)p.x << k)) * s);
        *v0 = (float)((double)(id.y - ((int64_t)p.y << k)) * s);
        return e;
    }
    return NULL;
}

mer_tc_entry *mer_texcache_get(mer_texcache *c, mer_tile_id id, uint64_t frame)
{
    int idx = find(c, mer_tile_key(id));
    if (idx == NIL)
        return NULL;
    mer_tc_entry *e = &c->slots[idx].e;
    if (e->last_used < frame)
        e->last_used = frame;
    return e;
}

const mer_tc_entry *mer_texcache_peek(const mer_texcache *c, mer_tile_id id)
{
    int idx = find(c, mer_tile_key(id));
    return idx == NIL ? NULL : &c->slots[idx].e;
}

void mer_texcache_clear(mer_texcache *c)
{
    c->clears++;
    while (c->n_spare > 0)
        drop_spare(c);
    for (size_t i = 0; i < c->cap; i++)
        if (c->slots[i].used)
            unlink_slot(c, (int)i);
}

void mer_texcache_destroy(mer_texcache *c)
{
    if (!c)
        return;
    mer_texcache_clear(c);
    free(c->slots);
    free(c->buckets);
    free(c);
}

size_t mer_texcache_bytes(const mer_texcache *c)
{
    return c->bytes;
}

size_t mer_texcache_count(const mer_texcache *c)
{
    return c->count;
}

uint64_t mer_texcache_evictions(const mer_texcache *c)
{
    return c->evictions;
}

uint64_t mer_texcache_reused(const mer_texcache *c)
{
    return c->reused;
}

uint64_t mer_texcache_clears(const mer_texcache *c)
{
    return c->clears;
}

