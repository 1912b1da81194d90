/* A small pool of decode worker threads. Jobs (encoded bytes, or a world-map
 * tile to render, + a caller context) go in; for each job the done callback runs on the worker thread with
 * the decoded RGBA (ownership moves to the callback) or a failure reason. */
#ifndef MER_DECODE_POOL_H
#define MER_DECODE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tile.h"
#include "decode/world.h"

typedef struct mer_decode_pool mer_decode_pool;

/* rgba: malloc'ed, owned by the callee from now on (NULL on failure, then
 * reason says why). Runs on a worker thread. */
typedef void (*mer_decode_done_fn)(void *ud, void *ctx, uint8_t *rgba, int w, int h,
                                   const char *reason);

/* workers <= 0: pick from the core count (1 on 2 cores). NULL if no thread starts. */
mer_decode_pool *mer_decode_pool_create(int workers, mer_decode_done_fn done, void *ud);

/* Queues a job; the pool owns data (free()) from now on. expect_px as in
 * mer_decode_image. Never blocks on a decode. */
void mer_decode_pool_submit(mer_decode_pool *p, uint8_t *data, size_t len, int expect_px, void *ctx);

/* Queues a render job: tile t of the world map at px x px. w is borrowed and
 * must outlive the pool (read-only: workers render from it concurrently).
 * The done callback gets the RGBA as for a decode. Never blocks on a render. */
void mer_decode_pool_submit_render(mer_decode_pool *p, const mer_world *w, mer_tile_id t, int px,
                                   void *ctx);

/* Jobs queued or being decoded (the done callback of a job has returned
 * before the job stops counting). */
int mer_decode_pool_busy(mer_decode_pool *p);

/* Finishes the queued jobs' callbacks with reason "shutting down" (no decode),
 * joins the workers. NULL is fine. */
void mer_decode_pool_destroy(mer_decode_pool *p);

#endif
