/* The viewer's set of optional layers (main thread only). */
#include "ui/layers.h"

#include <stdio.h>
#include <string.h>

#include <SDL.h>

/* Optional layers in key order (tile grid G, tile-state overlay N, network
 * panel P, cache coverage C). */
static const mer_layer *const g_layers[] = {&mer_layer_grid, &mer_layer_overlay, &mer_layer_panel,
                                            &mer_layer_coverage};

void mer_layers_start(mer_layer_set *s, bool overlay_on, bool panel_on)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < sizeof g_layers / sizeof g_layers[0] && s->n < MER_MAX_LAYERS; i++) {
        const mer_layer *l = g_layers[i];
        s->layer[s->n] = l;
        s->state[s->n] = l->create ? l->create() : NULL;
        s->on[s->n] = (overlay_on && l->key == SDLK_n) || (panel_on && l->key == SDLK_p);
        s->n++;
    }
}

void mer_layers_stop(mer_layer_set *s)
{
    for (int i = 0; i < s->n; i++)
        if (s->layer[i]->destroy)
            s->layer[i]->destroy(s->state[i]);
    s->n = 0;
}

bool mer_layers_key(mer_layer_set *s, const mer_layer_ctx *ctx, int key)
{
    for (int i = 0; i < s->n; i++)
        if (s->layer[i]->key == key) {
            s->on[i] = !s->on[i];
            return true;
        }
    for (int i = 0; i < s->n; i++)
        if (s->on[i] && s->layer[i]->key_down && s->layer[i]->key_down(ctx, s->state[i], key))
            return true;
    return false;
}

bool mer_layers_draw(mer_layer_set *s, const mer_layer_ctx *ctx)
{
    bool more = false;
    for (int i = 0; i < s->n; i++)
        if (s->on[i] && s->layer[i]->draw)
            more |= s->layer[i]->draw(ctx, s->state[i]);
    return more;
}

void mer_layers_hint(const mer_layer_set *s, char *out, size_t len)
{
    if (len == 0)
        return;
    out[0] = '\0';
    for (int i = 0; i < s->n; i++) {
        size_t n = strlen(out);
        snprintf(out + n, len - n, "%s%s %s%s", i ? "   " : "", SDL_GetKeyName(s->layer[i]->key), s->layer[i]->name,
                 s->on[i] ? " (on)" : "");
    }
}
