/* The loader's completion queue: finished tiles from the loader thread and the
 * decode workers, polled by the client thread. Thread-safe (one private lock).
 * on_ready fires when a push finds the queue empty, so a burst of results
 * costs the client one wake-up. */
#ifndef MER_NET_RESULTS_H
#define MER_NET_RESULTS_H

#include <stddef.h>

#include "net/loader.h"

typedef struct mer_results mer_results;

mer_results *mer_results_create(void (*on_ready)(void *ud), void *ud);
/* Copies *r in; ownership of r->rgba moves to the queue (the caller's pointer
 * is cleared). */
void mer_results_push(mer_results *q, mer_tile_result *r);
/* Moves up to max results (oldest first) out; ownership moves to the caller. */
size_t mer_results_poll(mer_results *q, mer_tile_result *out, size_t max);
size_t mer_results_pending(mer_results *q);
/* Frees unpolled results. NULL is fine. */
void mer_results_destroy(mer_results *q);

#endif
