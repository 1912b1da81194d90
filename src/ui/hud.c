#include "ui/hud.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

#include "ui/font.h"

#define EARTH_CIRCUMFERENCE_M 40075016.686
#define N_LABELS 7
#define LABEL_MAX 256

typedef struct label {
    char text[LABEL_MAX];
    unsigned tex;
    int w, h;
} label;

enum { L_ATTRIB, L_STATUS, L_SCALE, L_LOADING, L_HINT, L_FAILED, L_NOTICE };

struct mer_hud {
    mer_font *font;
    double scale;
    label labels[N_LABELS];
};

mer_hud *mer_hud_create(double scale, char *err, size_t len)
{
    mer_font *f = mer_font_open((int)lround(12.0 * scale), err, len);
    if (!f)
        return NULL;
    mer_hud *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, len, "out of memory");
        mer_font_close(f);
        return NULL;
    }
    h->scale = scale;
    h->font = f;
    return h;
}

void mer_hud_destroy(mer_hud *h)
{
    if (!h)
        return;
    for (int i = 0; i < N_LABELS; i++) {
        GLuint t = h->labels[i].tex;
        if (t)
            glDeleteTextures(1, &t);
    }
    mer_font_close(h->font);
    free(h);
}

/* Re-renders a label only when its text changed. */
static label *set_label(mer_hud *h, int which, const char *text)
{
    label *l = &h->labels[which];
    if (l->tex && strcmp(l->text, text) == 0)
        return l;
    if (l->tex) {
        GLuint t = l->tex;
        glDeleteTextures(1, &t);
        l->tex = 0;
    }
    snprintf(l->text, sizeof l->text, "%s", text);
    l->tex = mer_font_texture(h->font, text, &l->w, &l->h);
    return l;
}

/* Text on a translucent box. (x, y) is the box's top-left. */
static void draw_label(mer_gfx *g, const label *l, float x, float y, float pad, bool dark)
{
    if (!l->tex)
        return;
    if (dark)
        mer_gfx_rect(g, x, y, (float)l->w + 2 * pad, (float)l->h + 2 * pad, 0.1f, 0.1f, 0.12f, 0.62f);
    else
        mer_gfx_rect(g, x, y, (float)l->w + 2 * pad, (float)l->h + 2 * pad, 1.0f, 1.0f, 1.0f, 0.75f);
    float c = dark ? 1.0f : 0.1f;
    mer_gfx_text(g, l->tex, x + pad, y + pad, (float)l->w, (float)l->h, c, c, c, 1.0f);
}

double mer_hud_nice_metres(double max_m)
{
    if (!(max_m > 0))
        return 0;
    double p = pow(10.0, floor(log10(max_m)));
    if (5 * p <= max_m)
        return 5 * p;
    if (2 * p <= max_m)
        return 2 * p;
    return p;
}

static void draw_scale_bar(mer_hud *h, mer_gfx *g, const mer_hud_info *in, int dh, double scale)
{
    double m_per_px = EARTH_CIRCUMFERENCE_M * cos(in->centre_lat * M_PI / 180.0) / in->world_px;
    double metres = mer_hud_nice_metres(m_per_px * 120.0);
    if (!(metres > 0))
        return;
    float bar = (float)(metres / m_per_px * scale);
    char text[64];
    if (metres >= 1000)
        snprintf(text, sizeof text, "%g km", metres / 1000);
    else
        snprintf(text, sizeof text, "%g m", metres);
    label *l = set_label(h, L_SCALE, text);
    float s = (float)scale, x = 10 * s, y = (float)dh - 10 * s;
    mer_gfx_rect(g, x - 3 * s, y - (float)l->h - 12 * s, bar + 6 * s, (float)l->h + 15 * s, 1, 1, 1, 0.7f);
    mer_gfx_rect(g, x, y - 4 * s, bar, 2 * s, 0.1f, 0.1f, 0.1f, 1);
    mer_gfx_rect(g, x, y - 10 * s, 2 * s, 8 * s, 0.1f, 0.1f, 0.1f, 1);
    mer_gfx_rect(g, x + bar - 2 * s, y - 10 * s, 2 * s, 8 * s, 0.1f, 0.1f, 0.1f, 1);
    if (l->tex)
        mer_gfx_text(g, l->tex, x, y - 10 * s - (float)l->h, (float)l->w, (float)l->h, 0.1f, 0.1f, 0.1f, 1);
}

void mer_hud_draw(mer_hud *h, mer_gfx *g, const mer_hud_info *in, int dw, int dh, double scale,
                  bool full)
{
    float s = (float)scale, pad = 4 * s;
    /* Attribution is always shown: the tile provider's terms require it. */
    label *a = set_label(h, L_ATTRIB, in->attribution ? in->attribution : "");
    draw_label(g, a, (float)dw - (float)a->w - 2 * pad, (float)dh - (float)a->h - 2 * pad, pad, false);
    if (!full)
        return;
    char text[LABEL_MAX];
    if (in->have_cursor)
        snprintf(text, sizeof text, "z %.2f   %.5f\xc2\xb0%c %.5f\xc2\xb0%c%s", in->zoom,
                 fabs(in->cursor_lat), in->cursor_lat >= 0 ? 'N' : 'S', fabs(in->cursor_lon),
                 in->cursor_lon >= 0 ? 'E' : 'W', in->offline ? "   offline" : "");
    else
        snprintf(text, sizeof text, "z %.2f%s", in->zoom, in->offline ? "   offline" : "");
    label *st = set_label(h, L_STATUS, text);
    draw_label(g, st, 8 * s, 8 * s, pad, true);
    float y = 8 * s + (float)st->h + 2 * pad + 4 * s;
    if (in->loading > 0)
        snprintf(text, sizeof text, "%d tile%s loading", in->loading, in->loading == 1 ? "" : "s");
    else
        text[0] = '\0';
    label *ld = set_label(h, L_LOADING, text);
    if (ld->tex) {
        draw_label(g, ld, 8 * s, y, pad, true);
        y += (float)ld->h + 2 * pad + 4 * s;
    }
    label *nt = set_label(h, L_NOTICE, in->notice ? in->notice : "");
    if (nt->tex) {
        draw_label(g, nt, 8 * s, y, pad, true);
        y += (float)nt->h + 2 * pad + 4 * s;
    }
    /* Tiles with nothing to show, by reason: failed (a problem), not cached
     * (offline), no data (not in the MBTiles file), empty (404). With a
     * notice (no network: everything fails) a failure count says nothing more. */
    text[0] = '\0';
    size_t n = 0;
    if (in->failed > 0 && !in->notice)
        n += (size_t)snprintf(text, sizeof text, "%d tile%s failed", in->failed, in->failed == 1 ? "" : "s");
    static const char *const what[] = {"not cached", "no data", "empty (404)"};
    const int count[] = {in->not_cached, in->no_data, in->empty};
    for (int i = 0; i < 3 && n < sizeof text; i++)
        if (count[i] > 0)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s%d %s", n ? ", " : "", count[i], what[i]);
    label *fl = set_label(h, L_FAILED, text);
    if (fl->tex) {
        draw_label(g, fl, 8 * s, y, pad, true);
        y += (float)fl->h + 2 * pad + 4 * s;
    }
    label *hint = set_label(h, L_HINT, in->hint ? in->hint : "");
    if (hint->tex)
        draw_label(g, hint, 8 * s, y, pad, true);
    draw_scale_bar(h, g, in, dh, scale);
}
