/* Text to textures (main thread only): the bundled DejaVu Sans through
 * SDL2_ttf, one path for the HUD and the layers' labels. Each open font holds
 * one reference to SDL_ttf (TTF_Init is reference counted), so a new font can
 * be opened before an old one is closed (display scale changes). */
#ifndef MER_FONT_H
#define MER_FONT_H

#include <stddef.h>

typedef struct mer_font mer_font;

/* px: size in drawable pixels. NULL with a message in err on failure. */
mer_font *mer_font_open(int px, char *err, size_t errlen);
void mer_font_close(mer_font *f);
int mer_font_px(const mer_font *f);

/* Renders UTF-8 text in white (tint it when drawing) into a new GL texture
 * of *w x *h pixels (premultiplied BGRA). 0 if the text is empty or cannot
 * be rendered. The caller owns the texture (glDeleteTextures). */
unsigned mer_font_texture(mer_font *f, const char *text, int *w, int *h);

#endif
