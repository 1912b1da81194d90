#include "ui/layer_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epoxy/gl.h>

#include "ui/font.h"

/* Enough for every label of a full-screen overlay (~100 slots) plus the
 * panel's (~40) to stay cached between frames. */
#define LT_SLOTS 256
#define LT_TEXT_MAX 96

typedef struct lt_entry {
    char text[LT_TEXT_MAX];
    unsigned tex;
    int w, h;
    uint64_t used;
} lt_entry;

struct mer_ltext {
    mer_font *font;
    uint64_t clock;
    lt_entry e[LT_SLOTS];
};

mer_ltext *mer_ltext_create(int px)
{
    char err[256];
    mer_font *f = mer_font_open(px, err, sizeof err);
    mer_ltext *t = f ? calloc(1, sizeof *t) : NULL;
    if (!t) {
        mer_font_close(f);
        return NULL;
    }
    t->font = f;
    return t;
}

void mer_ltext_destroy(mer_ltext *t)
{
    if (!t)
        return;
    for (int i = 0; i < LT_SLOTS; i++) {
        GLuint tex = t->e[i].tex;
        if (tex)
            glDeleteTextures(1, &tex);
    }
    mer_font_close(t->font);
    free(t);
}

int mer_ltext_px(const mer_ltext *t)
{
    return t ? mer_font_px(t->font) : 0;
}

static bool render(mer_ltext *t, lt_entry *e, const char *text)
{
    if (e->tex) {
        GLuint tex = e->tex;
        glDeleteTextures(1, &tex);
        e->tex = 0;
    }
    snprintf(e->text, sizeof e->text, "%s", text);
    e->tex = mer_font_texture(t->font, text, &e->w, &e->h);
    return e->tex != 0;
}

/* The cached entry for text, rendering it into the least recently used slot
 * if needed. NULL for empty or unrenderable text. */
static lt_entry *lookup(mer_ltext *t, const char *text)
{
    if (!t || !text || !*text || strlen(text) >= LT_TEXT_MAX)
        return NULL;
    lt_entry *lru = &t->e[0];
    for (int i = 0; i < LT_SLOTS; i++) {
        lt_entry *e = &t->e[i];
        if (e->tex && strcmp(e->text, text) == 0) {
            e->used = ++t->clock;
            return e;
        }
        if (e->used < lru->used)
            lru = e;
    }
    if (!render(t, lru, text))
        return NULL;
    lru->used = ++t->clock;
    return lru;
}

bool mer_ltext_size(mer_ltext *t, const char *text, int *w, int *h)
{
    lt_entry *e = lookup(t, text);
    *w = e ? e->w : 0;
    *h = e ? e->h : mer_ltext_px(t);
    return e != NULL;
}

float mer_ltext_draw(mer_ltext *t, mer_gfx *g, const char *text, float x, float y, float r, float gr,
                     float b, float a)
{
    lt_entry *e = lookup(t, text);
    if (!e)
        return 0;
    mer_gfx_text(g, e->tex, x, y, (float)e->w, (float)e->h, r, gr, b, a);
    return (float)e->w;
}
