#include "ui/font.h"

#include <stdio.h>
#include <stdlib.h>

#include <SDL.h>
#include <SDL_ttf.h>
#include <epoxy/gl.h>

#include "ui/datadir.h"
#include "ui/gfx.h"

#define FONT_FILE "assets/fonts/DejaVuSans.ttf"

struct mer_font {
    TTF_Font *font;
    int px;
};

mer_font *mer_font_open(int px, char *err, size_t len)
{
    char path[4096];
    if (!mer_data_find(FONT_FILE, path, sizeof path)) {
        snprintf(err, len, "font " FONT_FILE " not found (set MERIDIAN_DATADIR)");
        return NULL;
    }
    if (TTF_Init() != 0) {
        snprintf(err, len, "SDL_ttf: %s", TTF_GetError());
        return NULL;
    }
    mer_font *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, len, "out of memory");
        TTF_Quit();
        return NULL;
    }
    f->px = px;
    f->font = TTF_OpenFont(path, px);
    if (!f->font) {
        snprintf(err, len, "font %s: %s", path, TTF_GetError());
        free(f);
        TTF_Quit();
        return NULL;
    }
    return f;
}

void mer_font_close(mer_font *f)
{
    if (!f)
        return;
    TTF_CloseFont(f->font);
    free(f);
    TTF_Quit();
}

int mer_font_px(const mer_font *f)
{
    return f ? f->px : 0;
}

unsigned mer_font_texture(mer_font *f, const char *text, int *w, int *h)
{
    *w = *h = 0;
    if (!f || !text || !*text)
        return 0;
    SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *s = TTF_RenderUTF8_Blended(f->font, text, white);
    if (!s)
        return 0;
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(s);
    if (!c)
        return 0;
    glPixelStorei(GL_UNPACK_ROW_LENGTH, c->pitch / 4);
    unsigned tex = mer_gfx_texture_new(c->w, c->h, c->pixels, true);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    if (tex) {
        *w = c->w;
        *h = c->h;
    }
    SDL_FreeSurface(c);
    return tex;
}
