/* A debugging layer (key G): outlines every visible tile slot, so tile
 * boundaries, wrap-around and stand-ins can be seen on any source. Also the
 * smallest example of a layer (see layers.h). */
#include <SDL.h>

#include "ui/layers.h"

/* Magenta: a colour map tiles rarely use, so tests can find it. */
#define GRID_R 1.0f
#define GRID_G 0.0f
#define GRID_B 1.0f

static bool grid_draw(const mer_layer_ctx *ctx, void *state)
{
    (void)state;
    float t = (float)(ctx->scale >= 2 ? 2 : 1);
    for (size_t i = 0; i < ctx->n_slots; i++) {
        const mer_slot_info *s = &ctx->slots[i];
        float x = SDL_floorf(s->x + 0.5f), y = SDL_floorf(s->y + 0.5f);
        mer_gfx_rect(ctx->gfx, x, y, s->w, t, GRID_R, GRID_G, GRID_B, 1);
        mer_gfx_rect(ctx->gfx, x, y, t, s->h, GRID_R, GRID_G, GRID_B, 1);
    }
    return false; /* nothing animates */
}

const mer_layer mer_layer_grid = {
    .name = "tile grid",
    .key = SDLK_g,
    .draw = grid_draw,
};
