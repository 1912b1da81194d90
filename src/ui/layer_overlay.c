/* The tile-state overlay (key N, or --overlay): every visible tile slot is
 * tinted and outlined by what the loader is doing with it, so a talk audience
 * can watch a concurrency cap, a token bucket, 429s and Retry-After at work.
 *
 * Sources, both read on the main thread without blocking anything:
 *  - mer_loader_get_tile_states: the loader's last published snapshot (queued
 *    with queue position, in flight with elapsed time, retry wait and
 *    host-pause countdowns, failed with a short code). Timers are advanced by
 *    the time since that snapshot was first seen, so countdowns run smoothly
 *    between publications.
 *  - the texture cache: a tile no longer in the loader's list is empty (404),
 *    failed, from the disk cache, or fresh from the network (its upload time
 *    is younger than MER_OV_FRESH_S).
 *
 * The colours are in overlay_colors.h (tests use the same constants). In a
 * frame that takes a scripted screenshot the layer also writes what it drew
 * to SHOT.tiles.txt, so tests can compare pixels with tile states. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "ui/layer_text.h"
#include "ui/layers.h"
#include "ui/overlay_colors.h"

/* The loader's list holds the wanted set (visible, margin, ancestors) plus
 * recently finished tiles: a few hundred at most on a large screen. */
#define OV_MAX_STATES 4096
#define OV_FONT_PT 11

typedef enum ov_kind {
    OV_NONE = 0, /* not wanted yet, or loaded long ago: no decoration */
    OV_QUEUED,
    OV_IN_FLIGHT,
    OV_DECODING,
    OV_RETRY,
    OV_PAUSED,
    OV_FAILED,
    OV_EMPTY,
    OV_DISK,
    OV_FRESH,
    OV_KINDS
} ov_kind;

static const struct {
    const char *name;   /* legend and dump */
    const char *legend;
    float tint;         /* fill alpha */
} g_kind[OV_KINDS] = {
    [OV_NONE] = {"none", "", 0},
    [OV_QUEUED] = {"queued", "queued (#position)", 0.22f},
    [OV_IN_FLIGHT] = {"in_flight", "in flight (elapsed)", 0.30f},
    [OV_DECODING] = {"decoding", "decoding", 0.25f},
    [OV_RETRY] = {"retry", "retry wait (countdown)", 0.32f},
    [OV_PAUSED] = {"paused", "host paused: Retry-After", 0.38f},
    [OV_FAILED] = {"failed", "failed (hover: reason)", 0.35f},
    [OV_EMPTY] = {"empty", "empty (404)", 0.18f},
    [OV_DISK] = {"disk", "from disk cache", 0.15f},
    [OV_FRESH] = {"fresh", "fresh from network", 0.45f},
};

typedef struct ov_state {
    mer_ltext *txt;
    mer_tile_state_info *states;
    size_t n_states;
    double snap_uptime; /* loader uptime of the snapshot in states */
    double snap_seen;   /* our clock when that snapshot was first seen */
} ov_state;

typedef struct ov_slot {
    ov_kind kind;
    const mer_tile_state_info *st; /* may be NULL */
    char label[32];
} ov_slot;

static mer_ov_rgb kind_rgb(ov_kind k)
{
    switch (k) {
    case OV_QUEUED: return MER_OV_QUEUED;
    case OV_IN_FLIGHT: return MER_OV_IN_FLIGHT;
    case OV_DECODING: return MER_OV_DECODING;
    case OV_RETRY: return MER_OV_RETRY;
    case OV_PAUSED: return MER_OV_PAUSED;
    case OV_FAILED: return MER_OV_FAILED;
    case OV_EMPTY: return MER_OV_EMPTY;
    case OV_DISK: return MER_OV_DISK;
    case OV_FRESH: return MER_OV_FRESH;
    default: return (mer_ov_rgb){255, 255, 255};
    }
}

static void *ov_create(void)
{
    ov_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->states = calloc(OV_MAX_STATES, sizeof *s->states);
    if (!s->states) {
        free(s);
        return NULL;
    }
    return s;
}

static void ov_destroy(void *p)
{
    ov_state *s = p;
    if (!s)
        return;
    mer_ltext_destroy(s->txt);
    free(s->states);
    free(s);
}

/* Takes the loader's latest snapshot; remembers when it was first seen. */
static void refresh_states(ov_state *s, const mer_layer_ctx *ctx)
{
    s->n_states = 0;
    if (!ctx->loader)
        return;
    mer_loader_stats st;
    mer_loader_get_stats(ctx->loader, &st);
    s->n_states = mer_loader_get_tile_states(ctx->loader, s->states, OV_MAX_STATES);
    if (st.uptime_ms != s->snap_uptime) {
        s->snap_uptime = st.uptime_ms;
        s->snap_seen = ctx->now;
    }
}

static const mer_tile_state_info *find_state(const ov_state *s, mer_tile_id id)
{
    for (size_t i = 0; i < s->n_states; i++) {
        const mer_tile_id *o = &s->states[i].id;
        if (o->z == id.z && o->x == id.x && o->y == id.y)
            return &s->states[i];
    }
    return NULL;
}

/* A tile the loader has finished with: what the texture cache says. */
static ov_kind cached_kind(const mer_layer_ctx *ctx, mer_tile_id id, char *label, size_t len)
{
    const mer_tc_entry *e = ctx->tc ? mer_texcache_peek(ctx->tc, id) : NULL;
    if (!e)
        return OV_NONE;
    switch (e->status) {
    case MER_TILE_EMPTY: snprintf(label, len, "404"); return OV_EMPTY;
    case MER_TILE_FAILED: snprintf(label, len, "failed"); return OV_FAILED;
    case MER_TILE_NOT_CACHED: snprintf(label, len, "not cached"); return OV_FAILED;
    case MER_TILE_NO_DATA: snprintf(label, len, "no data"); return OV_EMPTY;
    default: break;
    }
    if (e->from_disk) {
        snprintf(label, len, e->stale ? "disk (stale)" : "disk");
        return OV_DISK;
    }
    if (ctx->now - e->born < MER_OV_FRESH_S) {
        snprintf(label, len, "new");
        return OV_FRESH;
    }
    return OV_NONE;
}

static void classify(const ov_state *s, const mer_layer_ctx *ctx, mer_tile_id id, ov_slot *o)
{
    double age_ms = (ctx->now - s->snap_seen) * 1000.0;
    const mer_tile_state_info *st = find_state(s, id);
    memset(o, 0, sizeof *o);
    o->st = st;
    char *l = o->label;
    size_t n = sizeof o->label;
    if (!st || st->state == MER_TS_DONE) {
        o->kind = cached_kind(ctx, id, l, n);
        if (o->kind == OV_NONE && st && !mer_texcache_peek(ctx->tc, id)) {
            o->kind = OV_DECODING; /* delivered, not uploaded yet */
            snprintf(l, n, "upload");
        }
        return;
    }
    double wait = fmax(0, (st->wait_ms - age_ms) / 1000.0);
    switch (st->state) {
    case MER_TS_QUEUED:
        o->kind = OV_QUEUED;
        snprintf(l, n, "#%d", st->queue_pos + 1);
        break;
    case MER_TS_IN_FLIGHT: {
        o->kind = OV_IN_FLIGHT;
        double ms = st->elapsed_ms + age_ms;
        char t[16];
        if (ms < 1000)
            snprintf(t, sizeof t, "%.0f ms", ms);
        else
            snprintf(t, sizeof t, "%.1f s", ms / 1000.0);
        if (st->attempts > 1)
            snprintf(l, n, "%s  try %d", t, st->attempts);
        else
            snprintf(l, n, "%s", t);
        break;
    }
    case MER_TS_DECODING:
        o->kind = OV_DECODING;
        snprintf(l, n, "decode");
        break;
    case MER_TS_RETRY_WAIT:
        o->kind = OV_RETRY;
        snprintf(l, n, "retry %.1f s", wait);
        break;
    case MER_TS_PAUSED:
        o->kind = OV_PAUSED;
        snprintf(l, n, "paused %.0f s", ceil(wait));
        break;
    case MER_TS_FAILED:
        o->kind = OV_FAILED;
        snprintf(l, n, "%s", st->code[0] ? st->code : "failed");
        break;
    default:
        break;
    }
}

static void outline(mer_gfx *g, float x, float y, float w, float h, float t, mer_ov_rgb c)
{
    float r = c.r / 255.0f, gr = c.g / 255.0f, b = c.b / 255.0f;
    mer_gfx_rect(g, x, y, w, t, r, gr, b, 1);
    mer_gfx_rect(g, x, y + h - t, w, t, r, gr, b, 1);
    mer_gfx_rect(g, x, y + t, t, h - 2 * t, r, gr, b, 1);
    mer_gfx_rect(g, x + w - t, y + t, t, h - 2 * t, r, gr, b, 1);
}

/* A label on a dark box, centred at (cx, cy), in colour c. */
static void label_at(ov_state *s, mer_gfx *g, const char *text, float cx, float cy, float pad, mer_ov_rgb c)
{
    int w, h;
    if (!mer_ltext_size(s->txt, text, &w, &h))
        return;
    float x = floorf(cx - (float)w / 2 - pad), y = floorf(cy - (float)h / 2 - pad);
    mer_gfx_rect(g, x, y, (float)w + 2 * pad, (float)h + 2 * pad, 0.06f, 0.06f, 0.08f, 0.78f);
    mer_ltext_draw(s->txt, g, text, x + pad, y + pad, c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1);
}

static void draw_slot(ov_state *s, const mer_layer_ctx *ctx, const mer_slot_info *si, const ov_slot *o)
{
    mer_ov_rgb c = kind_rgb(o->kind);
    float x = SDL_floorf(si->x + 0.5f), y = SDL_floorf(si->y + 0.5f);
    float w = SDL_floorf(si->x + si->w + 0.5f) - x, h = SDL_floorf(si->y + si->h + 0.5f) - y;
    float t = (float)lround(MER_OV_BORDER_PX * ctx->scale);
    if (w < 4 * t || h < 4 * t)
        return;
    float tint = g_kind[o->kind].tint;
    if (o->kind == OV_FRESH) { /* fades out as the highlight ends */
        const mer_tc_entry *e = mer_texcache_peek(ctx->tc, si->id);
        double f = e ? 1.0 - (ctx->now - e->born) / MER_OV_FRESH_S : 0;
        tint *= (float)fmax(0, fmin(1, f));
    }
    mer_gfx_rect(ctx->gfx, x + t, y + t, w - 2 * t, h - 2 * t, c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, tint);
    outline(ctx->gfx, x, y, w, h, t, c);
    if (o->label[0] && w > 40 * ctx->scale)
        label_at(s, ctx->gfx, o->label, x + w / 2, y + h / 2, (float)(3 * ctx->scale), c);
}

/* The long form of a slot's state, shown when the mouse is over it. */
static void describe(const mer_slot_info *si, const ov_slot *o, char *out, size_t len)
{
    int n = snprintf(out, len, "%d/%d/%d  %s", si->id.z, si->id.x, si->id.y, g_kind[o->kind].legend);
    const mer_tile_state_info *st = o->st;
    if (!st || n < 0 || (size_t)n >= len)
        return;
    if (st->attempts > 0)
        n += snprintf(out + n, len - (size_t)n, ", %d request%s", st->attempts, st->attempts == 1 ? "" : "s");
    if (st->last_status > 0 && (size_t)n < len)
        n += snprintf(out + n, len - (size_t)n, ", last HTTP %d", st->last_status);
    if (o->kind == OV_FAILED && st->code[0] && (size_t)n < len) {
        const char *why = strcmp(st->code, "TMO") == 0   ? "timed out"
                          : strcmp(st->code, "CON") == 0 ? "could not connect"
                          : strcmp(st->code, "NET") == 0 ? "network error"
                          : strcmp(st->code, "BIG") == 0 ? "body too large"
                          : strcmp(st->code, "IMG") == 0 ? "not a valid image"
                          : strcmp(st->code, "DIM") == 0 ? "image too large"
                                                          : "HTTP error";
        snprintf(out + n, len - (size_t)n, ": %s %s", st->code, why);
    }
}

static void draw_tooltip(ov_state *s, const mer_layer_ctx *ctx, const char *text)
{
    int w, h;
    if (!mer_ltext_size(s->txt, text, &w, &h))
        return;
    float pad = (float)(4 * ctx->scale);
    float x = (float)(ctx->mouse_x * ctx->scale + 14 * ctx->scale), y = (float)(ctx->mouse_y * ctx->scale + 14 * ctx->scale);
    if (x + (float)w + 2 * pad > (float)ctx->dw)
        x = (float)ctx->dw - (float)w - 2 * pad;
    if (y + (float)h + 2 * pad > (float)ctx->dh)
        y = (float)(ctx->mouse_y * ctx->scale) - (float)h - 2 * pad - 4;
    mer_gfx_rect(ctx->gfx, x, y, (float)w + 2 * pad, (float)h + 2 * pad, 0.06f, 0.06f, 0.08f, 0.9f);
    mer_ltext_draw(s->txt, ctx->gfx, text, x + pad, y + pad, 1, 1, 1, 1);
}

/* The legend, bottom-left above the scale bar: a swatch, the meaning and how
 * many visible slots are in that state. */
static void draw_legend(ov_state *s, const mer_layer_ctx *ctx, const int counts[OV_KINDS])
{
    float sc = (float)ctx->scale, pad = 6 * sc, sw = 12 * sc;
    float line = (float)mer_ltext_px(s->txt) * 1.35f;
    float w = 230 * sc, h = line * (OV_KINDS) + 2 * pad;
    float x = 8 * sc, y = (float)ctx->dh - 52 * sc - h;
    mer_gfx_rect(ctx->gfx, x, y, w, h, 0.06f, 0.06f, 0.08f, 0.88f);
    mer_ltext_draw(s->txt, ctx->gfx, "Tile states (N hides)", x + pad, y + pad, 1, 1, 1, 1);
    float ty = y + pad + line;
    for (int k = OV_QUEUED; k < OV_KINDS; k++, ty += line) {
        mer_ov_rgb c = kind_rgb((ov_kind)k);
        mer_gfx_rect(ctx->gfx, x + pad, ty + (line - sw) / 2 - 1, sw, sw, c.r / 255.0f, c.g / 255.0f,
                     c.b / 255.0f, 1);
        mer_ltext_draw(s->txt, ctx->gfx, g_kind[k].legend, x + pad + sw + 6 * sc, ty, 0.92f, 0.92f, 0.92f, 1);
        char n[16];
        snprintf(n, sizeof n, "%d", counts[k]);
        int tw, th;
        mer_ltext_size(s->txt, n, &tw, &th);
        mer_ltext_draw(s->txt, ctx->gfx, n, x + w - pad - (float)tw, ty, 0.92f, 0.92f, 0.92f,
                       counts[k] ? 1.0f : 0.45f);
    }
}

/* Tests: what each visible slot showed in this frame, next to the screenshot. */
static void write_dump(const ov_state *s, const mer_layer_ctx *ctx, const ov_slot *slots, size_t n)
{
    char path[1100];
    snprintf(path, sizeof path, "%s.tiles.txt", ctx->shot_path);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    mer_loader_stats st;
    memset(&st, 0, sizeof st);
    if (ctx->loader)
        mer_loader_get_stats(ctx->loader, &st);
    fprintf(f, "# in_flight %d cap %d paused_ms %.0f status_429 %llu states %zu\n", st.in_flight, st.cap,
            st.paused_ms, (unsigned long long)st.status_429, s->n_states);
    for (size_t i = 0; i < n; i++) {
        const mer_slot_info *si = &ctx->slots[i];
        fprintf(f, "%d %d %d %.1f %.1f %.1f %.1f %s\n", si->id.z, si->id.x, si->id.y, si->x, si->y, si->w, si->h,
                g_kind[slots[i].kind].name);
    }
    fclose(f);
}

static bool ov_draw(const mer_layer_ctx *ctx, void *p)
{
    ov_state *s = p;
    if (!s)
        return false;
    int px = (int)lround(OV_FONT_PT * ctx->scale);
    if (!s->txt || mer_ltext_px(s->txt) != px) {
        mer_ltext_destroy(s->txt);
        s->txt = mer_ltext_create(px);
    }
    refresh_states(s, ctx);
    ov_slot *slots = calloc(ctx->n_slots ? ctx->n_slots : 1, sizeof *slots);
    if (!slots)
        return false;
    int counts[OV_KINDS] = {0};
    bool animate = false;
    const char *hover = NULL;
    char tip[192];
    double mx = ctx->mouse_x * ctx->scale, my = ctx->mouse_y * ctx->scale;
    for (size_t i = 0; i < ctx->n_slots; i++) {
        const mer_slot_info *si = &ctx->slots[i];
        classify(s, ctx, si->id, &slots[i]);
        counts[slots[i].kind]++;
        animate |= slots[i].kind != OV_NONE && slots[i].kind != OV_EMPTY && slots[i].kind != OV_DISK &&
                   slots[i].kind != OV_FAILED;
        if (slots[i].kind != OV_NONE)
            draw_slot(s, ctx, si, &slots[i]);
        if (slots[i].kind != OV_NONE && mx >= si->x && mx < si->x + si->w && my >= si->y && my < si->y + si->h) {
            describe(si, &slots[i], tip, sizeof tip);
            hover = tip;
        }
    }
    draw_legend(s, ctx, counts);
    if (hover)
        draw_tooltip(s, ctx, hover);
    if (ctx->shot_path)
        write_dump(s, ctx, slots, ctx->n_slots);
    free(slots);
    /* Timers and queue positions change without any event reaching the app:
     * keep drawing while something on screen is in motion. */
    return animate;
}

const mer_layer mer_layer_overlay = {
    .name = "tile states",
    .key = SDLK_n,
    .draw = ov_draw,
    .create = ov_create,
    .destroy = ov_destroy,
};
