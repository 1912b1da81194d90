/* Private to the loader's .c files (loader.c: API, thread loop, inbox;
 * loader_net.c: transfers and HTTP policy; loader_deliver.c: cache hits,
 * decode jobs, results; loader_stats.c: published stats and tile states;
 * loader_cov.c: coverage questions). Not for other modules. */
#ifndef MER_NET_LOADER_IMPL_H
#define MER_NET_LOADER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include <curl/curl.h>

#include "cache/cache.h"
#include "core/clock.h"
#include "decode/pool.h"
#include "decode/world.h"
#include "net/loader.h"
#include "net/policy.h"
#include "net/results.h"
#include "net/sched.h"
#include "net/xfer.h"

#define LAT_RING 256
#define PUBLISH_EVERY_MS 25.0
#define CACHE_FLUSH_EVERY_MS 250.0

/* A decode worker's verdict, sent back to the loader thread. */
typedef struct done_note {
    uint64_t serial;
    mer_tile_id id;  /* to forget a bad body even when the entry is gone */
    bool ok;
    bool stale_copy; /* the stale copy of a tile being revalidated */
    char reason[96];
} done_note;

/* Context of one decode job. */
typedef struct dec_ctx {
    mer_tile_result r; /* pre-filled; the worker adds the pixels */
    uint64_t serial;
    bool stale_copy;
} dec_ctx;

struct mer_loader {
    mer_loader_config cfg; /* read-only after create (live limits go through the inbox) */
    pthread_t thread;
    bool thread_started;

    /* Inbox from the client thread. */
    pthread_mutex_t in_lock;
    pthread_cond_t in_cond;       /* offline mode: the loader waits here (no curl) */
    mer_want_tile *in_tiles;      /* in_lock: the latest unconsumed want (owned) */
    size_t in_n;                  /* in_lock */
    uint64_t in_gen;              /* in_lock */
    bool in_has_want;             /* in_lock */
    bool in_signal;               /* in_lock: wake-up pending (offline wait) */
    bool stop;                    /* in_lock */
    int ctl_cap, ctl_burst;       /* in_lock: live limits, applied by the loader */
    double ctl_rate;              /* in_lock */
    bool ctl_limits;              /* in_lock: new limits pending */
    int ctl_adaptive;             /* in_lock: -1 none, 0 off, 1 on */
    uint64_t wants_posted;        /* in_lock */
    atomic_uint_fast64_t wants_done; /* loader: wants_posted seen at the last reconcile */
    atomic_int outstanding;       /* loader: tiles not yet fully handed on */

    mer_tile_range cov_req;       /* in_lock: the latest coverage request */
    uint64_t cov_req_serial;      /* in_lock: its serial (0 = none yet) */
    bool cov_req_pending;         /* in_lock: not yet taken by the loader */

    /* Coverage answers, loader -> client: held only for a copy of the bitmap. */
    pthread_mutex_t cov_lock;
    mer_tile_range cov_r;         /* cov_lock */
    uint8_t *cov_bits;            /* cov_lock: MER_LOADER_COVERAGE_MAX / 8 bytes */
    uint64_t cov_serial;          /* cov_lock: 0 = nothing answered yet */
    int64_t cov_cached;           /* cov_lock: -1 = no disk cache */

    /* Decode workers -> loader. */
    pthread_mutex_t done_lock;
    done_note *done;              /* done_lock */
    size_t done_n, done_cap;      /* done_lock */
    atomic_uint_fast64_t tiles_ok, decode_errors; /* workers */

    /* Shared between threads through their own locks. */
    mer_results *results;
    mer_decode_pool *pool;
    mer_world *world;             /* MER_SOURCE_WORLD: loaded by create(), read-only
                                   * afterwards (workers render from it), freed after
                                   * the pool stops */
    CURLM *multi;                 /* created by create(); used by the loader thread;
                                   * other threads only call curl_multi_wakeup */

    /* Published snapshot: the loader only ever trylocks pub_lock. */
    pthread_mutex_t pub_lock;
    mer_loader_stats pub;         /* pub_lock */
    mer_tile_state_info *pub_states; /* pub_lock */
    size_t pub_n, pub_cap;        /* pub_lock */

    /* Everything below belongs to the loader thread alone. */
    CURLSH *share;
    mer_cache *cache;
    bool cache_dirty;
    double last_flush_ms, last_publish_ms, t0_ms;
    double now_ms;                /* the loop's time for this round (finishes come before starts) */
    bool pub_dirty;
    mer_sched *sched;
    mer_bucket bucket;
    mer_adapt adapt;              /* cap and rate in use (fixed at the ceilings when !adaptive) */
    bool adaptive;
    int burst_cfg;                /* the configured burst (0: none given) */
    int in_flight;
    double rate_waited_ms;        /* last time a ready tile waited for a token */
    int block;                    /* what held ready tiles back at the last start: BLOCK_* */
    double block_mark_ms;         /* since when */
    double paused_until_ms;
    uint64_t rng;
    mer_loader_stats st;          /* counters kept by the loader thread */
    double lat[LAT_RING];
    size_t lat_n;
    mer_tile_state_info *states;  /* scratch for the next publish */
    size_t states_cap;
    mer_xfer_limits limits;
    char ua[256];
    char ca_file[1024];           /* cfg.ca_file, else $CURL_CA_BUNDLE, else $SSL_CERT_FILE */
    char tls_error[96];           /* the first certificate failure: later tiles fail at once */
};

void mer_loader_wake(mer_loader *l);

/* What held ready tiles back (time is counted per reason in the stats). */
enum { BLOCK_NONE = 0, BLOCK_CAP, BLOCK_RATE, BLOCK_PAUSE };

/* loader_net.c */
void mer_loader_net_sync_bucket(mer_loader *l, double now);
void mer_loader_net_start(mer_loader *l, double now);
void mer_loader_net_drain(mer_loader *l, double now);
void mer_loader_net_cancel(mer_loader *l, mer_sched_entry *e);
void mer_loader_net_cancel_all(mer_loader *l);

/* loader_cov.c */
#define COV_BYTES (MER_LOADER_COVERAGE_MAX / 8)
void mer_loader_cov_answer(mer_loader *l, mer_tile_range r, uint64_t serial);

/* loader_deliver.c */
void mer_loader_tile_added(mer_loader *l, mer_sched_entry *e);
void mer_loader_deliver(mer_loader *l, mer_sched_entry *e, mer_tile_status st, mer_tile_origin o,
                        int http_status, const char *code, const char *reason);
bool mer_loader_submit(mer_loader *l, mer_sched_entry *e, uint8_t *data, size_t len,
                       mer_tile_origin o, bool stale_copy);
void mer_loader_submit_render(mer_loader *l, mer_sched_entry *e);
void mer_loader_decode_done(void *ud, void *ctx, uint8_t *rgba, int w, int h, const char *reason);
void mer_loader_drain_done(mer_loader *l, double now);
void mer_loader_drain_final(mer_loader *l); /* shutdown: only forgets bad bodies */
void mer_loader_cache_tick(mer_loader *l, double now, bool idle);

/* loader_stats.c */
bool mer_loader_publish(mer_loader *l, double now);

#endif
