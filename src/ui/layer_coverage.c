/* The cache coverage layer (key C): which visible tile slots the disk cache
 * (or the MBTiles file) has at the current tile zoom. Cached slots get a blue
 * outline and tint, missing ones a red-orange one, and a legend line counts
 * both. Meant for --offline browsing ("where can I go?"), works online too.
 *
 * The disk cache belongs to the loader thread, so the layer asks the loader
 * (mer_loader_request_coverage) and draws the latest answer; the loader's
 * on_ready wake-up brings the next frame when the answer is in. It asks again
 * when the visible range changes, and while tiles are being written to the
 * cache (online), at most every REFRESH_S. Main thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "core/tile.h"
#include "ui/layer_text.h"
#include "ui/layers.h"
#include "ui/overlay_colors.h"

#define COV_FONT_PT 13
#define COV_TINT 0.22f
#define REFRESH_S 0.25

typedef struct cov_state {
    mer_ltext *txt;
    mer_tile_range asked;       /* range of the latest request */
    uint64_t asked_serial;      /* 0 = none */
    double asked_t;
    uint64_t asked_writes;      /* cache_writes when asked */
    mer_tile_range got;         /* range of the answer in bits */
    bool have_got;
    bool no_cache;              /* the loader has no disk cache */
    uint64_t got_serial;
    uint8_t bits[MER_LOADER_COVERAGE_MAX / 8];
} cov_state;

static void *cov_create(void)
{
    return calloc(1, sizeof(cov_state));
}

static void cov_destroy(void *p)
{
    cov_state *s = p;
    if (!s)
        return;
    mer_ltext_destroy(s->txt);
    free(s);
}

static bool range_eq(mer_tile_range a, mer_tile_range b)
{
    return a.z == b.z && a.x0 == b.x0 && a.x1 == b.x1 && a.y0 == b.y0 && a.y1 == b.y1;
}

/* Asks for the visible range when it changed, or when the cache may have
 * grown since the last answer (tiles written while browsing online). */
static void maybe_ask(cov_state *s, const mer_layer_ctx *ctx, mer_tile_range r)
{
    mer_loader_stats st;
    mer_loader_get_stats(ctx->loader, &st);
    bool moved = !s->asked_serial || !range_eq(r, s->asked);
    bool answered = s->got_serial >= s->asked_serial;
    bool grew = st.cache_writes != s->asked_writes && answered && ctx->now - s->asked_t >= REFRESH_S;
    if (!moved && !grew)
        return;
    uint64_t serial = mer_loader_request_coverage(ctx->loader, r);
    if (!serial)
        return; /* too many tiles to ask about: nothing tinted */
    s->asked = r;
    s->asked_serial = serial;
    s->asked_t = ctx->now;
    s->asked_writes = st.cache_writes;
}

static void take_answer(cov_state *s, const mer_layer_ctx *ctx)
{
    mer_tile_range r;
    uint64_t serial = 0;
    int64_t cached = 0;
    bool ok = mer_loader_get_coverage(ctx->loader, &r, s->bits, sizeof s->bits, &serial, &cached);
    if (!serial || serial == s->got_serial)
        return;
    s->got_serial = serial;
    s->no_cache = !ok && cached < 0;
    s->have_got = ok;
    if (ok)
        s->got = r;
}

/* 1 cached, 0 not cached, -1 unknown (outside the answered range). */
static int slot_cached(const cov_state *s, mer_tile_id id)
{
    if (!s->have_got || id.z != s->got.z)
        return -1;
    int64_t n = (int64_t)1 << id.z;
    int64_t w = s->got.x1 - s->got.x0 + 1;
    int64_t dx = ((id.x - s->got.x0) % n + n) % n; /* slots carry wrapped x */
    int64_t dy = id.y - s->got.y0;
    if (dx >= w || dy < 0 || dy > s->got.y1 - s->got.y0)
        return -1;
    uint64_t i = (uint64_t)(dy * w + dx);
    return (s->bits[i / 8] >> (i % 8)) & 1;
}

static void draw_slot(const mer_layer_ctx *ctx, const mer_slot_info *si, mer_ov_rgb c)
{
    float r = c.r / 255.0f, g = c.g / 255.0f, b = c.b / 255.0f;
    float t = (float)lround(MER_OV_BORDER_PX * ctx->scale);
    float x = SDL_floorf(si->x + 0.5f), y = SDL_floorf(si->y + 0.5f);
    float w = SDL_floorf(si->x + si->w + 0.5f) - x, h = SDL_floorf(si->y + si->h + 0.5f) - y;
    mer_gfx_rect(ctx->gfx, x + t, y + t, w - 2 * t, h - 2 * t, r, g, b, COV_TINT);
    /* The outline is opaque so tests (and eyes) see the exact colour. */
    mer_gfx_rect(ctx->gfx, x, y, w, t, r, g, b, 1);
    mer_gfx_rect(ctx->gfx, x, y + h - t, w, t, r, g, b, 1);
    mer_gfx_rect(ctx->gfx, x, y + t, t, h - 2 * t, r, g, b, 1);
    mer_gfx_rect(ctx->gfx, x + w - t, y + t, t, h - 2 * t, r, g, b, 1);
}

/* One line, bottom centre above the scale bar: swatches and counts. */
static void draw_legend(cov_state *s, const mer_layer_ctx *ctx, int z, int cached, int missing)
{
    char a[64], b[64];
    if (s->no_cache) {
        snprintf(a, sizeof a, "Cache coverage: no disk cache");
        b[0] = '\0';
    } else {
        snprintf(a, sizeof a, "Cache coverage z%d:  cached %d", z, cached);
        snprintf(b, sizeof b, "not cached %d   (C hides)", missing);
    }
    int wa = 0, wb = 0, h = 0;
    if (!mer_ltext_size(s->txt, a, &wa, &h) || (b[0] && !mer_ltext_size(s->txt, b, &wb, &h)))
        return;
    float sc = (float)ctx->scale, pad = 6 * sc, sw = 12 * sc, gap = 10 * sc;
    float w = (float)(wa + wb) + 2 * pad + (b[0] ? 2 * (sw + 6 * sc) + gap : 0);
    float bh = (float)h + 2 * pad;
    /* Centred, but right of the tile-state legend (N, 230 px wide at x = 8). */
    float x = SDL_floorf(((float)ctx->dw - w) / 2), y = (float)ctx->dh - 52 * sc - bh;
    if (x < 246 * sc && (float)ctx->dw - w >= 246 * sc)
        x = 246 * sc;
    mer_gfx_rect(ctx->gfx, x, y, w, bh, 0.06f, 0.06f, 0.08f, 0.78f);
    float tx = x + pad, sy = y + (bh - sw) / 2;
    if (b[0]) {
        mer_ov_rgb c = MER_COV_CACHED;
        mer_gfx_rect(ctx->gfx, tx, sy, sw, sw, c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1);
        tx += sw + 6 * sc;
    }
    tx += mer_ltext_draw(s->txt, ctx->gfx, a, tx, y + pad, 1, 1, 1, 1) + gap;
    if (b[0]) {
        mer_ov_rgb c = MER_COV_MISSING;
        mer_gfx_rect(ctx->gfx, tx, sy, sw, sw, c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1);
        tx += sw + 6 * sc;
        mer_ltext_draw(s->txt, ctx->gfx, b, tx, y + pad, 1, 1, 1, 1);
    }
}

/* Tests: each slot's verdict next to the screenshot. */
static void write_dump(const cov_state *s, const mer_layer_ctx *ctx)
{
    char path[1100];
    snprintf(path, sizeof path, "%s.coverage.txt", ctx->shot_path);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    for (size_t i = 0; i < ctx->n_slots; i++) {
        const mer_slot_info *si = &ctx->slots[i];
        int c = slot_cached(s, si->id);
        fprintf(f, "%d %d %d %.1f %.1f %.1f %.1f %s\n", si->id.z, si->id.x, si->id.y, si->x, si->y, si->w, si->h,
                c > 0 ? "cached" : c == 0 ? "missing" : "unknown");
    }
    fclose(f);
}

static bool cov_draw(const mer_layer_ctx *ctx, void *p)
{
    cov_state *s = p;
    if (!s || !ctx->loader || ctx->n_slots == 0)
        return false;
    int px = (int)lround(COV_FONT_PT * ctx->scale);
    if (!s->txt || mer_ltext_px(s->txt) != px) {
        mer_ltext_destroy(s->txt);
        s->txt = mer_ltext_create(px);
    }
    const mer_camera *c = ctx->cam;
    int z = ctx->slots[0].id.z;
    /* The same range the map view draws (mapview.c range_at). */
    mer_tile_range r = mer_tiles_for_view(c->u, c->v, c->zoom, (int)MER_CAMERA_BASE_PX, c->w, c->h, z, 0);
    take_answer(s, ctx);
    maybe_ask(s, ctx, r);
    int cached = 0, missing = 0;
    for (size_t i = 0; i < ctx->n_slots; i++) {
        int v = slot_cached(s, ctx->slots[i].id);
        if (v < 0)
            continue;
        draw_slot(ctx, &ctx->slots[i], v ? MER_COV_CACHED : MER_COV_MISSING);
        cached += v;
        missing += !v;
    }
    if (s->txt)
        draw_legend(s, ctx, z, cached, missing);
    if (ctx->shot_path)
        write_dump(s, ctx);
    /* Answers arrive with a wake-up; but tiles written since the last
     * question need one more frame after REFRESH_S to be asked about. */
    mer_loader_stats st;
    mer_loader_get_stats(ctx->loader, &st);
    return st.cache_writes != s->asked_writes;
}

const mer_layer mer_layer_coverage = {
    .name = "cache coverage",
    .key = SDLK_c,
    .draw = cov_draw,
    .create = cov_create,
    .destroy = cov_destroy,
};
