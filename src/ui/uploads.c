/* Texture uploads at the start of each frame (main thread): finished tiles
 * move from the loader's result queue into textures within the frame's
 * budget (uploads.h); what does not fit waits for the next frame. */
#include "ui/uploads.h"

#include <limits.h>
#include <stdint.h>

#include "core/clock.h"
#include "ui/app_priv.h"

mer_upload_budget mer_upload_budget_start(int max_tiles, size_t max_bytes, double max_ms)
{
    mer_upload_budget b = {.max_tiles = max_tiles, .max_bytes = max_bytes, .max_ms = max_ms, .t0 = mer_clock_s()};
    return b;
}

bool mer_upload_budget_allows(const mer_upload_budget *b, size_t bytes)
{
    if (b->tiles == 0)
        return true;
    if (b->tiles >= b->max_tiles || bytes > b->max_bytes - b->bytes)
        return false;
    return (mer_clock_s() - b->t0) * 1000.0 < b->max_ms;
}

void mer_upload_budget_spend(mer_upload_budget *b, size_t bytes)
{
    b->tiles++;
    b->bytes = bytes > SIZE_MAX - b->bytes ? SIZE_MAX : b->bytes + bytes;
}

static size_t image_bytes(const mer_tile_result *r)
{
    return r->w > 0 && r->h > 0 ? (size_t)r->w * (size_t)r->h * 4 : 0;
}

bool mer_upload_take(mer_texcache *tc, mer_tile_result *r, uint64_t frame, double born, mer_upload_budget *b)
{
    bool image = r->status == MER_TILE_OK && r->rgba;
    if (image && !mer_upload_budget_allows(b, image_bytes(r)))
        return false;
    mer_texcache_put(tc, r, frame, born);
    if (image)
        mer_upload_budget_spend(b, image_bytes(r));
    mer_tile_result_release(r);
    return true;
}

/* Refills the (empty) FIFO from the loader; false if nothing came. Polling at
 * most MER_APP_MAX_PENDING leaves the rest in the loader's queue, where
 * results_maybe remembers them (no new wake-up comes while it is not empty). */
static bool pending_refill(mer_app *a)
{
    if (!a->results_maybe || !a->loader)
        return false;
    size_t n = mer_loader_poll_results(a->loader, a->pending, MER_APP_MAX_PENDING);
    a->pend_head = 0;
    a->pend_n = n;
    if (n < MER_APP_MAX_PENDING)
        a->results_maybe = false;
    return n > 0;
}

/* The budget exists so that uploads never make a frame long:
 * - while the map moves, --upload-budget tiles, MER_UPLOAD_MOVING_BYTES and
 *   half of --upload-ms: the frames a person watches move stay short, and
 *   four tiles a frame (240 a second) still outpace the network;
 * - still, --upload-budget tiles and --upload-ms;
 * - at the start, still and before the first view was complete, no tile cap
 *   (filling the screen sooner is what a person sees) but the same time cap:
 *   a first view that needs more lands over two or three frames instead of
 *   in one long one. */
static mer_upload_budget frame_budget(const mer_app *a, bool moving)
{
    const mer_view_config *c = a->cfg;
    if (moving)
        return mer_upload_budget_start(c->upload_budget, MER_UPLOAD_MOVING_BYTES, c->upload_ms / 2);
    if (a->t_full_view == 0)
        return mer_upload_budget_start(INT_MAX, SIZE_MAX, c->upload_ms);
    return mer_upload_budget_start(c->upload_budget, SIZE_MAX, c->upload_ms);
}

void mer_app_upload(mer_app *a, bool moving, mer_frame_sample *fs)
{
    mer_upload_budget b = frame_budget(a, moving);
    while (a->pend_n > 0 || pending_refill(a)) {
        /* While the map moves, a new tile appears at once (born as if long
         * ago): the motion hides it, and a fade samples two textures per
         * pixel in the frames that cost most (zooms: p95 of bench/frames'
         * zoom tour lower in 7 of 7 pairs). At rest it fades in. */
        double born = mer_clock_s() - (moving ? 1.0 : 0.0);
        if (!mer_upload_take(a->tc, &a->pending[a->pend_head], a->frame, born, &b))
            break;
        a->pend_head++;
        a->pend_n--;
    }
    int map_tiles = b.tiles;
    /* World tiles share what is left of the budget. */
    if (a->basemap)
        mer_basemap_upload(a->basemap, a->frame, mer_clock_s(), &b);
    fs->uploads = b.tiles;
    fs->world_uploads = b.tiles - map_tiles;
    fs->upload_bytes = b.bytes;
    fs->upload_ms = (mer_clock_s() - b.t0) * 1000.0;
    fs->moving = moving;
}

/* Spare textures (texcache.h: a tile uploaded into new storage costs four
 * times one into existing storage, the page faults) are made in time no frame
 * needs: between frames (frames are paced to the display) and when idle.
 * Enough for a burst of new tiles (sixteen of the map's at 256 px, four of
 * the world's; a frame's slack makes dozens), little memory while the
 * texture budget is not full. */
#define MAP_SPARE_BYTES ((size_t)4 * 1024 * 1024)
#define WORLD_SPARE_BYTES ((size_t)1024 * 1024)

void mer_app_make_spares(mer_app *a, double until)
{
    while (mer_clock_s() < until) {
        int px = a->src.tile_px > 0 ? a->src.tile_px : 256;
        if (!mer_texcache_add_spare(a->tc, px, px, MAP_SPARE_BYTES) &&
            !(a->basemap && mer_basemap_add_spare(a->basemap, WORLD_SPARE_BYTES)))
            break;
    }
}
