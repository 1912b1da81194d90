/* The network panel (key P): the loader's counters as a talk audience can
 * read them, and live controls.
 *
 * Figures (all from mer_loader_get_stats, the same counters --stats writes):
 * in flight vs the cap as a bar; the token bucket's fill; requests/s,
 * refusals/s (429 and 503) and bytes/s as sparklines over the last 30 s; the
 * concurrency cap and the request rate limit over the same 30 s (both move as
 * adaptive limits discover the server's); a status-code table; retries; p50
 * and p95 latency; a countdown while the host is paused by Retry-After.
 * The sparklines come from a ring of per-second counter deltas, sampled in
 * draw(); while the loader is idle no frames are drawn, and the seconds
 * missed are filled in as quiet ones on the next frame.
 *
 * Controls (while the panel is on): [ ] concurrency cap, , . rate, M adaptive (not A: WASD pans),
 * R clear the GPU tile cache (the view reloads from the disk cache and the
 * network), 1-4 ask the --demo tile server to change its limits.
 *
 * Threads: everything runs on the main thread. The demo-server request goes
 * through net/tilesim_control.h, which never blocks the caller; the server
 * presets are the shared table in core/demo_preset.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>

#include "core/demo_preset.h"
#include "net/tilesim_control.h"
#include "ui/layer_text.h"
#include "ui/layers.h"
#include "ui/overlay_colors.h"

#define PN_SECONDS 30
#define PN_FONT_PT 12
#define PN_WIDTH 310      /* logical pixels */
#define PN_SPARK_H 26
#define PN_CAP_LIMIT 64

/* Client rate steps for , and . (requests/s; 0 = unlimited, the top step). */
static const double g_rates[] = {0.5, 1, 2, 4, 6, 8, 12, 16, 24, 32, 64, 0};

typedef struct pn_sample {
    double req, r429, bytes; /* per second (r429: 429 and 503 refusals) */
    int cap;                 /* lowest cap seen in that second */
    double rate;             /* lowest rate limit seen in that second (0 = none) */
} pn_sample;

typedef struct pn_state {
    mer_ltext *txt;
    pn_sample ring[PN_SECONDS];
    int head;              /* index of the newest finished second */
    bool started;
    double sec_t;          /* start of the current second (our clock) */
    mer_loader_stats base; /* counters at sec_t */
    int sec_min_cap;
    double sec_min_rate;   /* 0 = no rate limit all second */
    double rate_top;       /* the highest rate limit seen: scales its sparkline */
    mer_tsctl *ctl;        /* the demo server's control client, made at the first key */
    const mer_demo_preset *job_preset; /* what the latest server request asked for */
    char note[96];         /* feedback for the last control key */
    float box_h;           /* the panel's height in the last frame */
    /* What the keys last asked for: the stats catch up only when the loader
     * next publishes, so two quick presses must build on these. */
    int cap_set;           /* 0 = not set */
    double rate_set;       /* < 0 = not set */
    int adaptive_set;      /* -1 = not set */
    double reload_until;   /* after R: keep drawing, so the app's once-a-second
                            * re-want covers tiles the loader delivered too
                            * recently to send again at once */
} pn_state;

/* ---- the demo server's presets (keys 1-4) ---- */

/* Starts a POST to the demo server's /control; only to loopback. */
static void send_preset(pn_state *s, const char *base, int key)
{
    const mer_demo_preset *p = mer_demo_preset_for_key(key);
    char query[256];
    if (!base || strncmp(base, "http://127.0.0.1:", 17) != 0) {
        snprintf(s->note, sizeof s->note, "server keys need --demo");
        return;
    }
    if (!p || !mer_demo_preset_query(p, query, sizeof query))
        return;
    if (!s->ctl && !(s->ctl = mer_tsctl_create(base)))
        return;
    switch (mer_tsctl_send(s->ctl, query)) {
    case MER_TSCTL_SENT:
        s->job_preset = p;
        snprintf(s->note, sizeof s->note, "server: %s ...", p->name);
        break;
    case MER_TSCTL_BUSY:
        snprintf(s->note, sizeof s->note, "server: still sending...");
        break;
    case MER_TSCTL_NOT_LOCAL:
        snprintf(s->note, sizeof s->note, "server keys need --demo");
        break;
    case MER_TSCTL_NO_MEMORY:
        break;
    }
}

/* ---- sampling ---- */

static void *pn_create(void)
{
    pn_state *s = calloc(1, sizeof *s);
    if (s) {
        s->rate_set = -1;
        s->adaptive_set = -1;
    }
    return s;
}

static void pn_destroy(void *p)
{
    pn_state *s = p;
    if (!s)
        return;
    mer_tsctl_destroy(s->ctl);
    mer_ltext_destroy(s->txt);
    free(s);
}

static void push_second(pn_state *s, pn_sample v)
{
    s->head = (s->head + 1) % PN_SECONDS;
    s->ring[s->head] = v;
}

/* Closes every whole second since sec_t: the first with the counter deltas,
 * any further (no frames were drawn: the loader was idle) as quiet seconds. */
static void sample(pn_state *s, const mer_loader_stats *st, double now)
{
    if (!s->started || now - s->sec_t > 3600) {
        s->started = true;
        s->sec_t = now;
        s->base = *st;
        s->sec_min_cap = st->cap;
        s->sec_min_rate = st->rate;
        return;
    }
    if (st->cap < s->sec_min_cap)
        s->sec_min_cap = st->cap;
    if (st->rate > 0 && (s->sec_min_rate <= 0 || st->rate < s->sec_min_rate))
        s->sec_min_rate = st->rate;
    if (st->rate > s->rate_top)
        s->rate_top = st->rate;
    if (now - s->sec_t < 1.0)
        return;
    double el = now - s->sec_t;
    int whole = (int)el;
    pn_sample v = {(double)(st->requests - s->base.requests) / el, (double)(st->throttled - s->base.throttled) / el,
                   (double)(st->bytes - s->base.bytes) / el, s->sec_min_cap, s->sec_min_rate};
    for (int i = 0; i < whole && i < PN_SECONDS; i++)
        push_second(s, v);
    s->sec_t += whole;
    s->base = *st;
    s->sec_min_cap = st->cap;
    s->sec_min_rate = st->rate;
}

/* ---- drawing ---- */

typedef struct pn_pen {
    const mer_layer_ctx *ctx;
    pn_state *s;
    float x, y, w, sc, line;
} pn_pen;

static void text(pn_pen *p, const char *t, float dx, mer_ov_rgb c)
{
    mer_ltext_draw(p->s->txt, p->ctx->gfx, t, p->x + dx, p->y, c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1);
}

static void text_right(pn_pen *p, const char *t, mer_ov_rgb c)
{
    int w, h;
    mer_ltext_size(p->s->txt, t, &w, &h);
    text(p, t, p->w - (float)w, c);
}

static const mer_ov_rgb WHITE = {235, 235, 235}, DIM = {150, 150, 160};

static void bar(pn_pen *p, double frac, double marker, mer_ov_rgb c)
{
    mer_gfx *g = p->ctx->gfx;
    float h = 8 * p->sc;
    frac = fmax(0, fmin(1, frac));
    mer_gfx_rect(g, p->x, p->y, p->w, h, 0.25f, 0.25f, 0.3f, 1);
    mer_gfx_rect(g, p->x, p->y, (float)(p->w * frac), h, c.r / 255.0f, c.g / 255.0f, c.b / 255.0f, 1);
    if (marker >= 0 && marker <= 1)
        mer_gfx_rect(g, p->x + (float)(p->w * marker) - p->sc, p->y - 2 * p->sc, 2 * p->sc, h + 4 * p->sc, 1, 1, 1, 1);
    p->y += h + 6 * p->sc;
}

/* Label with the current value on one line, then 30 one-second bars. For
 * the rate limit (which 4), a second without one draws a full dim bar. */
static void sparkline(pn_pen *p, const char *label, const char *now_text, int which, mer_ov_rgb c)
{
    text(p, label, 0, DIM);
    text_right(p, now_text, c);
    p->y += p->line;
    const pn_state *s = p->s;
    double v[PN_SECONDS], max = 0;
    for (int i = 0; i < PN_SECONDS; i++) {
        const pn_sample *e = &s->ring[(s->head + 1 + i) % PN_SECONDS];
        v[i] = which == 0 ? e->req : which == 1 ? e->r429 : which == 2 ? e->bytes : which == 3 ? e->cap : e->rate;
        max = fmax(max, v[i]);
    }
    if (which == 3)
        max = fmax(max, p->s->base.cap_max);
    if (which == 4)
        max = fmax(max, fmax(p->s->rate_top, p->s->base.rate_max));
    float h = PN_SPARK_H * p->sc, bw = p->w / PN_SECONDS;
    mer_gfx_rect(p->ctx->gfx, p->x, p->y, p->w, h, 0.16f, 0.16f, 0.2f, 1);
    for (int i = 0; i < PN_SECONDS; i++) {
        if (which == 4 && v[i] <= 0) { /* no limit that second */
            mer_gfx_rect(p->ctx->gfx, p->x + (float)i * bw, p->y, bw - p->sc, h, 0.3f, 0.3f, 0.36f, 1);
            continue;
        }
        float bh = max > 0 ? (float)(v[i] / max) * h : 0;
        if (bh > 0)
            mer_gfx_rect(p->ctx->gfx, p->x + (float)i * bw, p->y + h - bh, bw - p->sc, bh, c.r / 255.0f,
                         c.g / 255.0f, c.b / 255.0f, 1);
    }
    p->y += h + 6 * p->sc;
}

static void status_table(pn_pen *p, const mer_loader_stats *st)
{
    static const char *const head[] = {"200", "304", "404", "429", "5xx", "net err"};
    unsigned long long v[] = {st->status_200, st->status_304, st->status_404, st->status_429, st->status_5xx,
                              st->transport_errors};
    float col = p->w / 6;
    for (int i = 0; i < 6; i++)
        text(p, head[i], col * (float)i, DIM);
    p->y += p->line;
    for (int i = 0; i < 6; i++) {
        char n[24];
        snprintf(n, sizeof n, "%llu", v[i]);
        mer_ov_rgb c = (i == 3 && v[i]) ? MER_OV_PAUSED : (i >= 4 && v[i]) ? MER_OV_RETRY : WHITE;
        text(p, n, col * (float)i, c);
    }
    p->y += p->line + 4 * p->sc;
}

static void figures(pn_pen *p, const mer_loader_stats *st)
{
    char a[96], b[64];
    snprintf(a, sizeof a, "In flight %d / cap %d", st->in_flight, st->cap);
    snprintf(b, sizeof b, st->adaptive ? "adaptive, max %d" : "fixed", st->cap_max);
    text(p, a, 0, WHITE);
    text_right(p, b, st->adaptive ? MER_OV_FRESH : DIM);
    p->y += p->line;
    int top = st->cap_max > 0 ? st->cap_max : 1;
    bar(p, (double)st->in_flight / top, (double)st->cap / top, MER_PANEL_CAP);
    if (st->rate > 0)
        snprintf(a, sizeof a, "Token bucket %.1f / %d, refill %.1f/s", st->tokens, st->burst, st->rate);
    else
        snprintf(a, sizeof a, "Token bucket: no client rate limit");
    text(p, a, 0, WHITE);
    p->y += p->line;
    bar(p, st->rate > 0 && st->burst > 0 ? st->tokens / st->burst : 1, -1, MER_PANEL_REQ);
    const pn_sample *last = &p->s->ring[p->s->head];
    snprintf(a, sizeof a, "%.1f", last->req);
    sparkline(p, "requests/s (30 s)", a, 0, MER_PANEL_REQ);
    snprintf(a, sizeof a, "%.1f", last->r429);
    sparkline(p, "refused/s (429, 503)", a, 1, MER_PANEL_429);
    snprintf(a, sizeof a, "%.0f KB/s", last->bytes / 1024);
    sparkline(p, "bytes/s", a, 2, MER_PANEL_BYTES);
    snprintf(a, sizeof a, "%d", st->cap);
    sparkline(p, st->adaptive ? "concurrency cap (discovered)" : "concurrency cap", a, 3, MER_PANEL_CAP);
    if (st->rate > 0)
        snprintf(a, sizeof a, "%.1f/s", st->rate);
    else
        snprintf(a, sizeof a, "none");
    sparkline(p, st->adaptive ? "request rate limit (discovered)" : "request rate limit", a, 4, MER_PANEL_REQ);
    status_table(p, st);
    snprintf(a, sizeof a, "retries %llu", (unsigned long long)st->retries);
    text(p, a, 0, WHITE);
    snprintf(a, sizeof a, "p50 %.0f ms   p95 %.0f ms", st->latency_p50_ms, st->latency_p95_ms);
    text_right(p, a, WHITE);
    p->y += p->line + 4 * p->sc;
}

static void paused_box(pn_pen *p, const mer_loader_stats *st)
{
    float h = p->line + 6 * p->sc;
    if (st->paused_ms > 0) {
        mer_ov_rgb c = MER_OV_PAUSED;
        mer_gfx_rect(p->ctx->gfx, p->x - 3 * p->sc, p->y - 3 * p->sc, p->w + 6 * p->sc, h, c.r / 255.0f,
                     c.g / 255.0f, c.b / 255.0f, 1);
        char a[80];
        snprintf(a, sizeof a, "HOST PAUSED by Retry-After: %.1f s", st->paused_ms / 1000.0);
        text(p, a, 0, (mer_ov_rgb){255, 255, 255});
    } else {
        text(p, "host not paused", 0, DIM);
    }
    p->y += h + 2 * p->sc;
}

static void keys_help(pn_pen *p)
{
    static const mer_ov_rgb KEY = {255, 214, 0};
    text(p, "[ ]  cap    , .  rate    M  adaptive", 0, KEY);
    p->y += p->line;
    text(p, "R  clear tile cache, reload", 0, KEY);
    p->y += p->line;
    if (p->ctx->demo_url) {
        char line[96] = "server:";
        for (int k = 1; k <= 4; k++) {
            const mer_demo_preset *d = mer_demo_preset_for_key(k);
            size_t n = strlen(line);
            if (d)
                snprintf(line + n, sizeof line - n, "%s%d %s", k > 1 ? "  " : " ", k, d->name);
        }
        text(p, line, 0, KEY);
        p->y += p->line;
    }
    pn_state *s = p->s;
    mer_tsctl_state js = mer_tsctl_state_get(s->ctl);
    if (s->job_preset && (js == MER_TSCTL_OK || js == MER_TSCTL_FAILED))
        snprintf(s->note, sizeof s->note, "server: %s %s", s->job_preset->name,
                 js == MER_TSCTL_OK ? "applied" : "did not answer");
    if (s->note[0]) {
        text(p, s->note, 0, WHITE);
        p->y += p->line;
    }
}

/* Tests: the figures and the last control's outcome, next to a screenshot. */
static void write_dump(const pn_state *s, const mer_layer_ctx *ctx, const mer_loader_stats *st)
{
    char path[1100];
    snprintf(path, sizeof path, "%s.panel.txt", ctx->shot_path);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    int res = s->job_preset ? (int)mer_tsctl_state_get(s->ctl) : -1;
    fprintf(f, "cap %d cap_max %d adaptive %d rate %.3f in_flight %d status_429 %llu paused_ms %.0f cache_hits %llu "
               "rate_max %.3f throttled %llu rate_hist",
            st->cap, st->cap_max, st->adaptive ? 1 : 0, st->rate, st->in_flight,
            (unsigned long long)st->status_429, st->paused_ms, (unsigned long long)st->cache_hits, st->rate_max,
            (unsigned long long)st->throttled);
    for (int i = 0; i < PN_SECONDS; i++) /* oldest first, as drawn */
        fprintf(f, " %.2f", s->ring[(s->head + 1 + i) % PN_SECONDS].rate);
    fprintf(f, "\n");
    fprintf(f, "server %s %s\n", res >= 0 ? s->job_preset->name : "-",
            res == 1 ? "applied" : res == 2 ? "failed" : res == 0 ? "sending" : "-");
    fclose(f);
}

static bool pn_draw(const mer_layer_ctx *ctx, void *state)
{
    pn_state *s = state;
    if (!s || !ctx->loader)
        return false;
    int px = (int)lround(PN_FONT_PT * ctx->scale);
    if (!s->txt || mer_ltext_px(s->txt) != px) {
        mer_ltext_destroy(s->txt);
        s->txt = mer_ltext_create(px);
    }
    mer_loader_stats st;
    mer_loader_get_stats(ctx->loader, &st);
    sample(s, &st, ctx->now);
    float sc = (float)ctx->scale, pad = 10 * sc;
    pn_pen p = {ctx, s, 0, 0, PN_WIDTH * sc - 2 * pad, sc, (float)px * 1.4f};
    float x0 = (float)ctx->dw - PN_WIDTH * sc - 8 * sc, y0 = 8 * sc;
    /* The box's height is known after laying out; draw its background with
     * last frame's height (it changes only with the note line). */
    float h = s->box_h > 0 ? s->box_h : p.line * 20 + 4 * (PN_SPARK_H * sc + 6 * sc);
    mer_gfx_rect(ctx->gfx, x0, y0, PN_WIDTH * sc, h, 0.06f, 0.06f, 0.08f, 0.9f);
    p.x = x0 + pad;
    p.y = y0 + pad;
    text(&p, "Network", 0, WHITE);
    text_right(&p, "P hides", DIM);
    p.y += p.line * 1.3f;
    figures(&p, &st);
    paused_box(&p, &st);
    keys_help(&p);
    s->box_h = p.y - y0 + pad / 2;
    if (ctx->shot_path)
        write_dump(s, ctx, &st);
    /* Countdowns, sparklines and a pending server request move on their own. */
    return !mer_loader_idle(ctx->loader) || st.paused_ms > 0 || ctx->now < s->reload_until ||
           mer_tsctl_state_get(s->ctl) == MER_TSCTL_RUNNING;
}

/* ---- controls ---- */

static int rate_step(double rate, int dir)
{
    int n = (int)(sizeof g_rates / sizeof g_rates[0]), cur = n - 1;
    for (int i = 0; i < n - 1; i++)
        if (rate > 0 && rate <= g_rates[i] + 1e-9) {
            cur = i;
            break;
        }
    cur += dir;
    return cur < 0 ? 0 : cur >= n ? n - 1 : cur;
}

static bool pn_key(const mer_layer_ctx *ctx, void *state, int key)
{
    pn_state *s = state;
    if (!s || !ctx->loader)
        return false;
    mer_loader_stats st;
    mer_loader_get_stats(ctx->loader, &st);
    switch (key) {
    case SDLK_LEFTBRACKET:
    case SDLK_RIGHTBRACKET: {
        int cap = (s->cap_set ? s->cap_set : st.cap_max) + (key == SDLK_RIGHTBRACKET ? 1 : -1);
        cap = cap < 1 ? 1 : cap > PN_CAP_LIMIT ? PN_CAP_LIMIT : cap;
        mer_loader_set_limits(ctx->loader, cap, -1, 0);
        s->cap_set = cap;
        snprintf(s->note, sizeof s->note, "cap %d", cap);
        return true;
    }
    case SDLK_COMMA:
    case SDLK_PERIOD: {
        double r = g_rates[rate_step(s->rate_set >= 0 ? s->rate_set : st.rate, key == SDLK_PERIOD ? 1 : -1)];
        mer_loader_set_limits(ctx->loader, 0, r, 0);
        s->rate_set = r;
        if (r > 0)
            snprintf(s->note, sizeof s->note, "rate %g/s", r);
        else
            snprintf(s->note, sizeof s->note, "rate unlimited");
        return true;
    }
    case SDLK_m: {
        bool on = !(s->adaptive_set >= 0 ? s->adaptive_set == 1 : st.adaptive);
        mer_loader_set_adaptive(ctx->loader, on);
        s->adaptive_set = on;
        snprintf(s->note, sizeof s->note, "adaptive %s", on ? "on" : "off");
        return true;
    }
    case SDLK_r:
        if (ctx->tc)
            mer_texcache_clear(ctx->tc); /* the map view re-sends its wants */
        s->reload_until = ctx->now + 3.0;
        snprintf(s->note, sizeof s->note, "tile cache cleared, reloading");
        return true;
    case SDLK_1: case SDLK_2: case SDLK_3: case SDLK_4:
        send_preset(s, ctx->demo_url, key - SDLK_1 + 1);
        return true;
    default:
        return false;
    }
}

const mer_layer mer_layer_panel = {
    .name = "network panel",
    .key = SDLK_p,
    .draw = pn_draw,
    .key_down = pn_key,
    .create = pn_create,
    .destroy = pn_destroy,
};
