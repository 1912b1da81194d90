#include "ui/mapview.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/tile.h"
#include "ui/basemap.h"

/* A new tile uploaded while the map is still fades in over its nearest
 * loaded ancestor (while it moves it appears at once, uploads.c), both mixed in one
 * pass (gfx.c mer_gfx_tile_over): drawing the ancestor and blending the tile
 * over it drew those pixels twice, and with software GL the fragment work is
 * most of a frame. A tile replacing children (zooming out), the world map or
 * the placeholder appears at once. */
#define FADE_S 0.15
#define MARGIN_TILES 1
#define ANCESTOR_LEVELS 2
#define MAX_SLOTS 4096  /* visible tiles; 4K at 1x with 128 px tiles is ~500 */
#define MAX_WANTS 8192

/* Priority bands: lower is served first. */
#define PRIO_PARENT 100000
#define PRIO_MARGIN 200000
#define PRIO_GRANDPARENT 300000

typedef struct view_sig {
    mer_tile_range vis, margin, anc[ANCESTOR_LEVELS];
    int n_anc;
} view_sig;

struct mer_mapview {
    int tile_px, min_zoom, max_zoom;
    view_sig last;
    bool have_last;
    uint64_t tc_clears; /* the texture cache's clear count at the last want */
    mer_want_tile *wants;
    size_t n_wants;
    mer_slot_info *slots;
    size_t n_slots;
};

mer_mapview *mer_mapview_create(int tile_px, int min_zoom, int max_zoom)
{
    mer_mapview *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->tile_px = tile_px > 0 ? tile_px : 256;
    m->min_zoom = min_zoom;
    m->max_zoom = max_zoom;
    m->wants = malloc(MAX_WANTS * sizeof *m->wants);
    m->slots = malloc(MAX_SLOTS * sizeof *m->slots);
    if (!m->wants || !m->slots) {
        mer_mapview_destroy(m);
        return NULL;
    }
    return m;
}

void mer_mapview_destroy(mer_mapview *m)
{
    if (!m)
        return;
    free(m->wants);
    free(m->slots);
    free(m);
}

int mer_mapview_tile_zoom(const mer_mapview *m, const mer_camera *c, double scale)
{
    /* Tile texels per drawable pixel close to 1: 256 logical px per tile at
     * integer zoom, times the display scale, over the source's tile size. */
    double z = c->zoom + log2(MER_CAMERA_BASE_PX * scale / m->tile_px);
    int zi = (int)floor(z + 0.5 - 1e-9);
    if (zi < m->min_zoom)
        zi = m->min_zoom;
    if (zi > m->max_zoom)
        zi = m->max_zoom;
    return zi;
}

static mer_tile_range range_at(const mer_camera *c, int z, int margin)
{
    return mer_tiles_for_view(c->u, c->v, c->zoom, (int)MER_CAMERA_BASE_PX, c->w, c->h, z, margin);
}

static view_sig make_sig(const mer_mapview *m, const mer_camera *c, double scale)
{
    view_sig s;
    memset(&s, 0, sizeof s);
    int z = mer_mapview_tile_zoom(m, c, scale);
    s.vis = range_at(c, z, 0);
    s.margin = range_at(c, z, MARGIN_TILES);
    for (int k = 1; k <= ANCESTOR_LEVELS && z - k >= m->min_zoom; k++)
        s.anc[s.n_anc++] = range_at(c, z - k, 0);
    return s;
}

static bool range_eq(mer_tile_range a, mer_tile_range b)
{
    return a.z == b.z && a.x0 == b.x0 && a.x1 == b.x1 && a.y0 == b.y0 && a.y1 == b.y1;
}

static bool sig_eq(const view_sig *a, const view_sig *b)
{
    if (!range_eq(a->vis, b->vis) || !range_eq(a->margin, b->margin) || a->n_anc != b->n_anc)
        return false;
    for (int i = 0; i < a->n_anc; i++)
        if (!range_eq(a->anc[i], b->anc[i]))
            return false;
    return true;
}

static bool in_range(mer_tile_range r, int64_t x, int64_t y)
{
    return x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1;
}

/* Adds the tiles of r (minus those in skip, if given) not yet in the cache,
 * ordered by distance from the view centre within the band. */
static void add_range(mer_mapview *m, const mer_camera *c, const mer_texcache *tc, mer_tile_range r,
                      const mer_tile_range *skip, int32_t band)
{
    double n = exp2(r.z);
    double cx = c->u * n - 0.5, cy = c->v * n - 0.5;
    for (int64_t y = r.y0; y <= r.y1; y++) {
        for (int64_t x = r.x0; x <= r.x1; x++) {
            if (skip && in_range(*skip, x, y))
                continue;
            if (m->n_wants >= MAX_WANTS)
                return;
            mer_tile_id id = {r.z, mer_tile_wrap_x(x, r.z), (int32_t)y};
            if (mer_texcache_peek(tc, id))
                continue;
            double d = hypot((double)x - cx, (double)y - cy);
            m->wants[m->n_wants++] = (mer_want_tile){id, band + (int32_t)(d * 64.0)};
        }
    }
}

static int cmp_want(const void *a, const void *b)
{
    const mer_want_tile *x = a, *y = b;
    return (x->priority > y->priority) - (x->priority < y->priority);
}

bool mer_mapview_wants(mer_mapview *m, const mer_camera *c, double scale, const mer_texcache *tc,
                       bool force, const mer_want_tile **tiles, size_t *n)
{
    view_sig s = make_sig(m, c, scale);
    uint64_t clears = mer_texcache_clears(tc);
    if (!force && m->have_last && sig_eq(&s, &m->last) && clears == m->tc_clears)
        return false;
    m->tc_clears = clears;
    m->last = s;
    m->have_last = true;
    m->n_wants = 0;
    add_range(m, c, tc, s.vis, NULL, 0);
    if (s.n_anc > 0)
        add_range(m, c, tc, s.anc[0], NULL, PRIO_PARENT);
    add_range(m, c, tc, s.margin, &s.vis, PRIO_MARGIN);
    for (int i = 1; i < s.n_anc; i++)
        add_range(m, c, tc, s.anc[i], NULL, PRIO_GRANDPARENT);
    qsort(m->wants, m->n_wants, sizeof *m->wants, cmp_want);
    *tiles = m->wants;
    *n = m->n_wants;
    return true;
}

static bool range_complete(const mer_texcache *tc, mer_tile_range r, double now)
{
    for (int64_t y = r.y0; y <= r.y1; y++) {
        for (int64_t x = r.x0; x <= r.x1; x++) {
            mer_tile_id id = {r.z, mer_tile_wrap_x(x, r.z), (int32_t)y};
            const mer_tc_entry *e = mer_texcache_peek(tc, id);
            if (!e || (e->status == MER_TILE_OK && now - e->born < FADE_S))
                return false;
        }
    }
    return true;
}

/* Marks the loaded tiles of r used in this frame. */
static void touch_range(mer_texcache *tc, mer_tile_range r, uint64_t frame)
{
    for (int64_t y = r.y0; y <= r.y1; y++)
        for (int64_t x = r.x0; x <= r.x1; x++)
            mer_texcache_get(tc, (mer_tile_id){r.z, mer_tile_wrap_x(x, r.z), (int32_t)y}, frame);
}

/* The view's margin and ancestor tiles count as used although they are not
 * drawn: otherwise, with a small budget, the least recently used tiles are
 * exactly these (loaded earlier, never drawn), evicted in favour of tiles
 * drawn a moment ago during a zoom that the view no longer shows, asked for
 * again, evicted again: the view would never complete. */
static void touch_wanted(const mer_mapview *m, const mer_camera *c, double scale, mer_texcache *tc,
                         uint64_t frame)
{
    view_sig s = make_sig(m, c, scale);
    touch_range(tc, s.margin, frame);
    for (int i = 0; i < s.n_anc; i++)
        touch_range(tc, s.anc[i], frame);
}

bool mer_mapview_complete(const mer_mapview *m, const mer_camera *c, double scale,
                          const mer_texcache *tc, double now)
{
    view_sig s = make_sig(m, c, scale);
    if (!range_complete(tc, s.margin, now))
        return false;
    for (int i = 0; i < s.n_anc; i++)
        if (!range_complete(tc, s.anc[i], now))
            return false;
    return true;
}

typedef struct draw_ctx {
    mer_gfx *g;
    mer_texcache *tc;
    mer_basemap *bm;  /* the world beneath, or NULL */
    uint64_t frame;
    double now;
    double cx, cy;    /* view centre in tiles of the draw zoom (world priorities) */
    mer_draw_counts *counts;
} draw_ctx;

/* Nearest loaded ancestor and the slot's sub-rectangle of it (u0 = *fx,
 * v0 = *fy, size *f), or NULL. */
static mer_tc_entry *find_ancestor(draw_ctx *d, mer_tile_id id, int min_zoom, float *fx, float *fy, float *f)
{
    return mer_texcache_ancestor(d->tc, id, 1, 12, min_zoom, d->frame, fx, fy, f);
}

/* Nearest loaded ancestor, drawn as the matching sub-rectangle. */
static bool draw_ancestor(draw_ctx *d, mer_tile_id id, float x, float y, float w, float h, int min_zoom)
{
    float fx, fy, f;
    mer_tc_entry *e = find_ancestor(d, id, min_zoom, &fx, &fy, &f);
    if (!e)
        return false;
    mer_gfx_tile(d->g, e->tex, x, y, w, h, fx, fy, fx + f, fy + f, 1.0f, false);
    return true;
}

/* The world map beneath a slot (and the world tile recorded as needed),
 * else the loading placeholder. True if the world was drawn. */
static bool draw_world(draw_ctx *d, mer_tile_id id, int64_t tx, float x, float y, float w, float h)
{
    if (d->bm) {
        double dist = hypot((double)tx - d->cx, (double)id.y - d->cy);
        if (mer_basemap_draw(d->bm, d->g, id, x, y, w, h, (int32_t)(dist * 64.0)))
            return true;
    }
    mer_gfx_pattern(d->g, MER_PAT_PLACEHOLDER, x, y, w, h);
    return false;
}

/* Loaded children (one level down) when zooming out. */
static int draw_children(draw_ctx *d, mer_tile_id id, float x, float y, float w, float h, bool probe)
{
    int found = 0;
    for (int i = 0; i < 4; i++) {
        mer_tile_id ch = {id.z + 1, id.x * 2 + (i & 1), id.y * 2 + (i >> 1)};
        mer_tc_entry *e = probe ? (mer_tc_entry *)mer_texcache_peek(d->tc, ch)
                                : mer_texcache_get(d->tc, ch, d->frame);
        if (!e || e->status != MER_TILE_OK)
            continue;
        found++;
        if (!probe)
            mer_gfx_tile(d->g, e->tex, x + (float)(i & 1) * w / 2, y + (float)(i >> 1) * h / 2, w / 2,
                         h / 2, 0, 0, 1, 1, 1.0f, false);
    }
    return found;
}

enum { SHOWN_STANDIN, SHOWN_WORLD, SHOWN_PLACEHOLDER };

/* What shows while a tile is missing (or fading in): an ancestor of the
 * same source, else its loaded children, else the world. */
static int draw_standin(draw_ctx *d, mer_tile_id id, int64_t tx, float x, float y, float w, float h,
                        int min_zoom, int max_zoom)
{
    if (draw_ancestor(d, id, x, y, w, h, min_zoom))
        return SHOWN_STANDIN;
    if (id.z < max_zoom && id.z < MER_MAX_ZOOM - 1) {
        int found = draw_children(d, id, x, y, w, h, true);
        if (found > 0) {
            if (found < 4)
                draw_world(d, id, tx, x, y, w, h);
            draw_children(d, id, x, y, w, h, false);
            return SHOWN_STANDIN;
        }
    }
    return draw_world(d, id, tx, x, y, w, h) ? SHOWN_WORLD : SHOWN_PLACEHOLDER;
}

static void count_shown(mer_draw_counts *cnt, int shown)
{
    if (shown == SHOWN_STANDIN)
        cnt->standin++;
    else if (shown == SHOWN_WORLD)
        cnt->world++;
    else
        cnt->placeholder++;
}

static void draw_slot(mer_mapview *m, draw_ctx *d, mer_tile_id id, int64_t tx, float x, float y, float w,
                      float h)
{
    mer_tc_entry *e = mer_texcache_get(d->tc, id, d->frame);
    mer_draw_counts *cnt = d->counts;
    if (e && e->status == MER_TILE_OK) {
        double a = (d->now - e->born) / FADE_S;
        bool crisp = fabsf(w - (float)e->w) < 0.01f && fabsf(h - (float)e->h) < 0.01f;
        float fx, fy, f;
        mer_tc_entry *anc = a < 1.0 ? find_ancestor(d, id, m->min_zoom, &fx, &fy, &f) : NULL;
        if (anc) {
            /* Fading in over its ancestor, mixed in one pass. */
            mer_gfx_tile_over(d->g, e->tex, x, y, w, h, crisp, anc->tex, fx, fy, fx + f, fy + f,
                              (float)(a > 0 ? a : 0));
            cnt->fading = true;
        } else {
            mer_gfx_tile(d->g, e->tex, x, y, w, h, 0, 0, 1, 1, 1.0f, crisp);
        }
        cnt->exact++;
    } else if (e && (e->status == MER_TILE_EMPTY || e->status == MER_TILE_NO_DATA)) {
        /* Nothing there (a 404, or not in the MBTiles file): the world shows through. */
        if (d->bm)
            draw_world(d, id, tx, x, y, w, h);
        cnt->exact++;
        if (e->status == MER_TILE_EMPTY)
            cnt->empty++;
        else
            cnt->no_data++;
    } else if (e && e->status == MER_TILE_NOT_CACHED && draw_ancestor(d, id, x, y, w, h, m->min_zoom)) {
        cnt->standin++; /* offline: a cached ancestor stands in for a tile the cache lacks */
    } else if (e) {
        /* Failed or not cached: a stand-in or the world, marked so the state stays visible. */
        bool nc = e->status == MER_TILE_NOT_CACHED;
        if (nc || !draw_ancestor(d, id, x, y, w, h, m->min_zoom))
            draw_world(d, id, tx, x, y, w, h);
        mer_gfx_pattern(d->g, nc ? MER_PAT_NOT_CACHED : MER_PAT_FAILED, x, y, w, h);
        if (nc)
            cnt->not_cached++;
        else
            cnt->failed++;
    } else {
        count_shown(cnt, draw_standin(d, id, tx, x, y, w, h, m->min_zoom, m->max_zoom));
    }
}

void mer_mapview_draw(mer_mapview *m, mer_gfx *g, const mer_camera *c, double scale, mer_texcache *tc,
                      mer_basemap *bm, uint64_t frame, double now, mer_draw_counts *out)
{
    memset(out, 0, sizeof *out);
    int z = mer_mapview_tile_zoom(m, c, scale);
    double n = exp2(z);
    draw_ctx d = {g, tc, bm, frame, now, c->u * n - 0.5, c->v * n - 0.5, out};
    /* Every copy of the world on screen: at low zooms the world repeats. */
    mer_tile_range r = mer_tiles_for_view_repeat(c->u, c->v, c->zoom, (int)MER_CAMERA_BASE_PX, c->w, c->h, z, 0);
    double ws = mer_camera_world_px(c);
    touch_wanted(m, c, scale, tc, frame);
    m->n_slots = 0;
    for (int64_t ty = r.y0; ty <= r.y1; ty++) {
        for (int64_t tx = r.x0; tx <= r.x1; tx++) {
            /* Positions relative to the centre in double, then to float: no
             * jitter at high zoom. */
            double x0 = (((double)tx / n - c->u) * ws + c->w / 2.0) * scale;
            double y0 = (((double)ty / n - c->v) * ws + c->h / 2.0) * scale;
            double x1 = (((double)(tx + 1) / n - c->u) * ws + c->w / 2.0) * scale;
            double y1 = (((double)(ty + 1) / n - c->v) * ws + c->h / 2.0) * scale;
            mer_tile_id id = {z, mer_tile_wrap_x(tx, z), (int32_t)ty};
            float fx = (float)x0, fy = (float)y0, fw = (float)(x1 - x0), fh = (float)(y1 - y0);
            draw_slot(m, &d, id, tx, fx, fy, fw, fh);
            if (m->n_slots < MAX_SLOTS)
                m->slots[m->n_slots++] = (mer_slot_info){id, fx, fy, fw, fh};
        }
    }
}

const mer_slot_info *mer_mapview_slots(const mer_mapview *m, size_t *n)
{
    *n = m->n_slots;
    return m->slots;
}
