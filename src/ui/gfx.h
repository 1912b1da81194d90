/* The GL drawing layer (main thread only): three shader programs (tiles, a
 * tile fading in over its ancestor, patterns/rectangles/text), one unit quad,
 * and calls to draw tiles, patterns, rectangles and text in drawable pixels
 * with the origin at the top-left. Everything GL-specific lives here and in
 * texcache.c. */
#ifndef MER_GFX_H
#define MER_GFX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mer_gfx mer_gfx;

typedef enum mer_pattern {
    MER_PAT_PLACEHOLDER = 1, /* not loaded yet and no stand-in */
    MER_PAT_FAILED = 2,      /* gave up loading: thin red lines over what is beneath */
    MER_PAT_NOT_CACHED = 5,  /* offline and not in the cache: a thin grey cross-hatch over it */
} mer_pattern;

/* Compiles the shaders found via mer_data_find; NULL with a message naming the
 * file and the GL info log on failure. Needs a current GL 3.3 core context. */
mer_gfx *mer_gfx_create(char *err, size_t errlen);
void mer_gfx_destroy(mer_gfx *g);

/* Starts a frame: viewport, projection, clear to the background colour. */
void mer_gfx_begin(mer_gfx *g, int dw, int dh);

/* crisp: the tile is drawn at its texel size; it is snapped to whole pixels
 * and sampled nearest. Otherwise bilinear. Alpha < 1 blends (fade-in). */
void mer_gfx_tile(mer_gfx *g, unsigned tex, float x, float y, float w, float h, float u0, float v0,
                  float u1, float v1, float alpha, bool crisp);
/* A tile fading in (alpha 0..1) over the sub-rectangle (u0, v0)-(u1, v1) of
 * the texture under (its ancestor), in one pass: each pixel drawn once. */
void mer_gfx_tile_over(mer_gfx *g, unsigned tex, float x, float y, float w, float h, bool crisp,
                       unsigned under, float u0, float v0, float u1, float v1, float alpha);
void mer_gfx_pattern(mer_gfx *g, mer_pattern p, float x, float y, float w, float h);
void mer_gfx_rect(mer_gfx *g, float x, float y, float w, float h, float r, float gr, float b, float a);
/* A text texture (premultiplied-free BGRA from SDL_ttf) tinted by colour. */
void mer_gfx_text(mer_gfx *g, unsigned tex, float x, float y, float w, float h, float r, float gr,
                  float b, float a);

/* Pixels covered by tiles and patterns since mer_gfx_begin, over the
 * viewport's area: 1.0 when every pixel of the map was drawn once. */
double mer_gfx_map_overdraw(const mer_gfx *g);

/* Draws one quad in every mode and waits for the GPU, so shader variants are
 * compiled (llvmpipe compiles on first use) before the first counted frame. */
void mer_gfx_warm_up(mer_gfx *g, int dw, int dh);

/* Reads the back buffer (dw x dh) and writes it as a PNG. */
bool mer_gfx_screenshot(int dw, int dh, const char *path, char *err, size_t errlen);

/* Creates an RGBA texture of w x h (pixels may be NULL) with the filtering
 * tiles and text use. Returns 0 on failure. */
unsigned mer_gfx_texture_new(int w, int h, const void *pixels, bool bgra);

#endif
