/* A frame's texture-upload budget (main thread). With software GL an upload
 * is a copy on the thread that draws, so every byte uploaded lengthens the
 * frame: the budget caps tiles, texel bytes and time per frame, tighter while
 * the map moves. The map's tiles spend it first, the world map beneath gets
 * what is left (basemap.c). */
#ifndef MER_UPLOADS_H
#define MER_UPLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/loader.h"
#include "ui/texcache.h"

/* While the map moves (an animation, a fling, a drag): at most this many
 * texel bytes per frame, four 256 px tiles or one 512 px (HiDPI) tile. */
#define MER_UPLOAD_MOVING_BYTES ((size_t)1024 * 1024)

typedef struct mer_upload_budget {
    int max_tiles;       /* textures per frame */
    size_t max_bytes;    /* texel bytes per frame */
    double max_ms;       /* time per frame, from t0 */
    double t0;           /* mer_clock_s() when the frame's uploads began */
    int tiles;           /* spent so far */
    size_t bytes;
} mer_upload_budget;

/* A budget of tiles, bytes and ms starting now. */
mer_upload_budget mer_upload_budget_start(int max_tiles, size_t max_bytes, double max_ms);

/* Whether one more image of `bytes` texel bytes fits. The first image of a
 * frame always does (the map must make progress however small the budget). */
bool mer_upload_budget_allows(const mer_upload_budget *b, size_t bytes);

/* Records an uploaded image. */
void mer_upload_budget_spend(mer_upload_budget *b, size_t bytes);

/* Moves one finished tile into tc (born: when its fade starts) and releases
 * its pixels, if the budget allows; a result without pixels (404, failed)
 * costs nothing and always goes. False, with r untouched, when the budget is
 * spent. The one upload step of the map's and the world map's queues. */
bool mer_upload_take(mer_texcache *tc, mer_tile_result *r, uint64_t frame, double born, mer_upload_budget *b);

#endif
