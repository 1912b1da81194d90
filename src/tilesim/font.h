/* A tiny 5x7 bitmap font for tile labels (digits, N S E W, z x y / . - = @ :,
 * and '*' drawn as a degree sign). Any thread. */
#ifndef TSIM_FONT_H
#define TSIM_FONT_H

#include <stdbool.h>
#include <stdint.h>

/* Draws text on a size x size RGB image with its top-left at (x, y), each font
 * pixel `px` image pixels wide, clipped to the image. With halo, a white
 * outline keeps it readable over any background. */
void tsim_font_draw(uint8_t *rgb, int size, int x, int y, const char *text, int px, uint8_t r,
                    uint8_t g, uint8_t b, bool halo);

#endif
