/* The loader's scheduler: the table of tiles it knows about (queued, in
 * flight, waiting to retry, delivered while still wanted) and the choice of
 * which to start next. Used only by the loader thread (and unit tests); no
 * locks, no I/O. */
#ifndef MER_NET_SCHED_H
#define MER_NET_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tile.h"
#include "net/loader.h"

typedef struct mer_sched_entry {
    mer_tile_id id;
    uint64_t key;
    uint64_t serial;      /* unique per entry ever made: tells a re-added tile from its past self */
    int32_t priority;
    uint32_t order;       /* position in the want list: ties keep the caller's order */
    uint64_t generation;  /* of the want that last listed it */
    mer_tile_state state;
    int attempts;         /* requests that ended in an error (not throttling) */
    int throttled;        /* 429/503 answers */
    int requests;         /* requests started */
    double t_first_ms;    /* first request started, 0 = none yet */
    double t_start_ms;    /* current request started */
    int inflight_at_send; /* requests in flight when it started (itself included) */
    bool cap_full;        /* the host's cap was reached when it started */
    double t_ready_ms;    /* RETRY_WAIT: earliest next attempt */
    double t_done_ms;     /* DONE/FAILED: when it was delivered */
    int last_status;
    char code[8];         /* FAILED: short code */
    void *xfer;           /* IN_FLIGHT: the loader's transfer */
    bool revalidate;      /* a stale copy was delivered; the request is conditional */
    bool reval_failed;    /* DONE: its revalidation failed (the stale copy stays) */
    char etag[128];       /* validators of the cached copy */
    char last_modified[64];
    int queue_pos;        /* QUEUED: set by mer_sched_number_queue */
} mer_sched_entry;

typedef struct mer_sched mer_sched;

/* Called by mer_sched_want for entries that leave the table (not wanted any
 * more) before they are freed, and for each new entry after it is added. */
typedef struct mer_sched_hooks {
    void (*dropped)(void *ud, mer_sched_entry *e);
    void (*added)(void *ud, mer_sched_entry *e);
    void *ud;
} mer_sched_hooks;

mer_sched *mer_sched_create(void);
void mer_sched_destroy(mer_sched *s); /* frees entries; no hooks run */

/* Reconciles the table with a new wanted list: entries not listed leave (the
 * dropped hook runs: cancel a transfer), listed ones get the new priority and
 * generation and keep their state, new ones are QUEUED (the added hook runs).
 * Invalid and duplicate tile ids are ignored. */
void mer_sched_want(mer_sched *s, uint64_t gen, const mer_want_tile *tiles, size_t n,
                    const mer_sched_hooks *hooks);

/* The next tile to request: QUEUED, or RETRY_WAIT whose time has come, with
 * the lowest (priority, order). NULL if none. */
mer_sched_entry *mer_sched_next(mer_sched *s, double now_ms);
/* Earliest t_ready_ms of RETRY_WAIT entries, or a negative value if none. */
double mer_sched_next_retry_ms(const mer_sched *s);

size_t mer_sched_count(const mer_sched *s);
mer_sched_entry *mer_sched_at(mer_sched *s, size_t i);
mer_sched_entry *mer_sched_find(mer_sched *s, mer_tile_id id);

/* Tiles not finished: QUEUED, IN_FLIGHT, RETRY_WAIT, PAUSED, DECODING. */
int mer_sched_outstanding(const mer_sched *s);
/* Fills queue_pos for QUEUED entries (0 = next to go). */
void mer_sched_number_queue(mer_sched *s);

#endif
