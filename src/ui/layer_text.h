/* Small text labels for the layers (main thread only): strings rendered with
 * SDL2_ttf from the bundled DejaVu Sans and kept as textures in a small cache,
 * so a label that stays the same from frame to frame costs one quad. Labels
 * that change (countdowns) are re-rendered; the least recently used texture
 * is reused for them, so the cache never grows past its fixed size. */
#ifndef MER_LAYER_TEXT_H
#define MER_LAYER_TEXT_H

#include <stdbool.h>

#include "ui/gfx.h"

typedef struct mer_ltext mer_ltext;

/* px: font size in drawable pixels. NULL if the font cannot be opened. */
mer_ltext *mer_ltext_create(int px);
void mer_ltext_destroy(mer_ltext *t);
int mer_ltext_px(const mer_ltext *t);

/* Size of text in drawable pixels; false if it cannot be rendered. */
bool mer_ltext_size(mer_ltext *t, const char *text, int *w, int *h);
/* Draws text with its top-left at (x, y) in colour (r, g, b, a); returns its width. */
float mer_ltext_draw(mer_ltext *t, mer_gfx *g, const char *text, float x, float y, float r, float gr,
                     float b, float a);

#endif
