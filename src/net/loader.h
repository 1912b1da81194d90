/* The tile loader: turns "these tiles are wanted, most important first" into
 * decoded RGBA tiles, as fast as the tile server allows and never faster than
 * it permits. Used by the viewer and by the headless commands.
 *
 * Threads: mer_loader_create starts one loader thread (owns the curl multi
 * handle, the scheduler, the rate limiter, retry timers and the disk cache
 * connection) and the decode worker(s). Every function below may be called from
 * any one client thread (the viewer's main thread, or a CLI's main thread);
 * none of them blocks on the network, the disk or the loader thread.
 *
 * Data flow: client --want--> loader thread --bytes--> decode worker
 *            --result--> completion queue --on_ready()--> client polls results. */
#ifndef MER_LOADER_H
#define MER_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/source.h"
#include "core/tile.h"

typedef struct mer_loader mer_loader;

typedef struct mer_loader_config {
    mer_source source;       /* copied */
    int max_concurrent;      /* per-host cap; a ceiling adaptation never exceeds */
    int start_concurrent;    /* adaptive: the cap to start with (0 = max_concurrent) */
    double rate;             /* requests/s per host, 0 = unlimited; a ceiling when adaptive */
    int burst;               /* token bucket size */
    bool adaptive;           /* discover the server's cap and rate (policy.h); default on */
    char ca_file[1024];      /* CA bundle for https ("" = CURL_CA_BUNDLE, SSL_CERT_FILE or
                              * curl's default); verification is always on */
    int max_tries;           /* attempts per tile before it fails (default 5) */
    long connect_timeout_ms; /* default 5000 */
    long timeout_ms;         /* whole transfer, default 20000 */
    size_t max_body_bytes;   /* default 4 MiB; bigger bodies are cut off and fail */
    char user_agent[256];    /* "" = mer_default_user_agent() */
    bool offline;            /* never create a network handle; disk cache only */
    char cache_dir[1024];    /* "" = no disk cache */
    size_t cache_max_bytes;  /* disk cache size limit */
    int decode_workers;      /* 0 = pick from the core count (1 on 2 cores) */
    char world_path[1024];   /* MER_SOURCE_WORLD: the map data (assets/world.bin);
                              * "" = mer_world_find_asset() */
    bool no_decode;          /* prefetch: OK results carry no pixels (rgba NULL); a
                              * magic-bytes check stands in for the decode */
    /* Called on a loader or worker thread when results become available after
     * the completion queue was empty: push one wake-up (e.g. an SDL user event),
     * never the data. May be NULL. */
    void (*on_ready)(void *ud);
    void *ud;
} mer_loader_config;

/* Lower priority values are served first: centre of view, then the prefetch
 * margin, then ancestor levels. */
typedef struct mer_want_tile {
    mer_tile_id id;
    int32_t priority;
} mer_want_tile;

typedef enum mer_tile_status {
    MER_TILE_OK = 0,      /* rgba holds the image */
    MER_TILE_EMPTY,       /* 404 or an empty tile in the cache: draw nothing */
    MER_TILE_FAILED,      /* gave up; reason says why */
    MER_TILE_NOT_CACHED,  /* offline and not in the cache */
    MER_TILE_NO_DATA,     /* an MBTiles source has no tile here: nothing to
                           * fetch, nothing failed; draw what lies beneath */
} mer_tile_status;

typedef enum mer_tile_origin {
    MER_ORIGIN_NETWORK = 0,
    MER_ORIGIN_DISK,      /* from the disk cache (or an MBTiles file) */
    MER_ORIGIN_LOCAL,     /* rendered here: the built-in world map */
} mer_tile_origin;

/* One finished tile. Ownership of rgba moves to whoever polled it: release
 * with mer_tile_result_release. */
typedef struct mer_tile_result {
    mer_tile_id id;
    mer_tile_status status;
    mer_tile_origin origin;
    bool stale;          /* from disk, expired, being revalidated (a newer result may follow) */
    uint8_t *rgba;       /* w*h*4 bytes, rows top to bottom, or NULL */
    int w, h;
    int http_status;     /* last HTTP status (0: none / from disk / transport error) */
    int attempts;
    double latency_ms;   /* from first request to bytes received */
    uint64_t generation; /* of the want that last asked for it */
    char reason[96];     /* for failures: short human-readable reason */
} mer_tile_result;

/* Per-tile state for the overlay, as of the last snapshot. */
typedef enum mer_tile_state {
    MER_TS_QUEUED = 0,
    MER_TS_IN_FLIGHT,
    MER_TS_RETRY_WAIT,  /* backing off before the next attempt */
    MER_TS_PAUSED,      /* host paused by Retry-After */
    MER_TS_DECODING,
    MER_TS_DONE,        /* delivered (see last_status/origin) */
    MER_TS_FAILED,
} mer_tile_state;

typedef struct mer_tile_state_info {
    mer_tile_id id;
    mer_tile_state state;
    int queue_pos;       /* for QUEUED: 0 = next to go */
    int attempts;
    double elapsed_ms;   /* IN_FLIGHT: since the request started */
    double wait_ms;      /* RETRY_WAIT/PAUSED: until the next attempt */
    int last_status;     /* last HTTP status, 0 if none */
    char code[8];        /* FAILED: short code, e.g. "404", "TMO", "IMG", "BIG", "DIM" */
} mer_tile_state_info;

#define MER_LAT_SAMPLES 256

typedef struct mer_loader_stats {
    double uptime_ms;
    uint64_t requests;        /* HTTP requests started */
    uint64_t responses;       /* requests that got an HTTP status */
    uint64_t bytes;           /* body bytes received */
    uint64_t status_200, status_304, status_404, status_429, status_5xx, status_other;
    uint64_t transport_errors; /* timeouts, resets, refused, over-size */
    uint64_t retries;
    uint64_t cancelled;       /* transfers cancelled because the tile left the view */
    uint64_t dropped;         /* queued tiles dropped because no longer wanted */
    uint64_t tiles_ok, tiles_empty, tiles_failed, tiles_not_cached, tiles_no_data;
    uint64_t decode_errors;
    uint64_t cache_hits, cache_stale, cache_misses, cache_writes, cache_errors;
    uint64_t revalidated;     /* 304s that refreshed a cached tile */
    uint64_t connections;     /* connection attempts curl made */
    int in_flight, max_in_flight, queued, decoding, results_pending;
    int cap;                  /* current per-host cap (changes in adaptive mode) */
    int cap_max;
    bool adaptive;
    double rate, tokens;      /* token bucket: rate/s (0 = unlimited) and current fill */
    int burst;
    double rate_max;          /* the rate's ceiling, 0 = none */
    uint64_t throttled;       /* 429 and 503 answers */
    uint64_t limit_decreases; /* refusals that lowered the cap or the rate */
    uint64_t shed_delayed;    /* 503s of load shedding: their Retry-After delayed only themselves */
    /* Time ready tiles waited on a client-side limit: the cap, the rate, each
     * while at its ceiling (a preset's or the user's value: lifting it is the
     * user's call), and on a host pause (Retry-After). */
    double limited_cap_ms, limited_rate_ms, ceiling_cap_ms, ceiling_rate_ms, paused_total_ms;
    char tls_error[96];       /* the last certificate/TLS failure, "" if none */
    double paused_ms;         /* > 0: host paused by Retry-After for this much longer */
    double latency_p50_ms, latency_p95_ms; /* over recent successful requests */
    bool offline;
} mer_loader_stats;

void mer_loader_config_defaults(mer_loader_config *c, const mer_source *src);

/* NULL with a message in err on failure (bad config, cannot start a thread). */
mer_loader *mer_loader_create(const mer_loader_config *c, char *err, size_t errlen);

/* Replaces the wanted set. Copies the list; never blocks on the loader.
 * Tiles no longer wanted leave the queue and their transfers are cancelled;
 * tiles still wanted keep their transfer; the queue is re-ordered. */
void mer_loader_want(mer_loader *l, uint64_t generation, const mer_want_tile *tiles, size_t n);

/* Moves up to max finished tiles into out; returns how many. Never blocks. */
size_t mer_loader_poll_results(mer_loader *l, mer_tile_result *out, size_t max);
void mer_tile_result_release(mer_tile_result *r);

/* A consistent snapshot of the counters; never blocks the loader. */
void mer_loader_get_stats(mer_loader *l, mer_loader_stats *out);

/* Per-tile states of everything queued, in flight, waiting or recently done;
 * returns the count (at most max). */
size_t mer_loader_get_tile_states(mer_loader *l, mer_tile_state_info *out, size_t max);

/* Live controls (network panel): new ceilings (the limits themselves when
 * not adaptive). Values <= 0 keep the current setting, except rate where a
 * negative value keeps it and 0 means unlimited. */
void mer_loader_set_limits(mer_loader *l, int max_concurrent, double rate, int burst);
void mer_loader_set_adaptive(mer_loader *l, bool on);

/* True when nothing is queued, in flight, waiting, decoding or unpolled, and
 * no coverage request is unanswered. */
bool mer_loader_idle(mer_loader *l);

/* Disk cache coverage (the viewer's C overlay). The disk cache is touched
 * only by the loader thread, so this is asynchronous: the request replaces
 * any earlier unanswered one, the loader thread answers it with
 * mer_cache_coverage, publishes the bitmap and calls on_ready. r.z is the
 * zoom; x may run past the world's edge (it wraps), y must be inside it; at
 * most MER_LOADER_COVERAGE_MAX tiles. Returns the request's serial (> 0), or
 * 0 if the range is invalid or too large. */
#define MER_LOADER_COVERAGE_MAX 65536
uint64_t mer_loader_request_coverage(mer_loader *l, mer_tile_range r);
/* The latest published answer: *r its range, bits as in mer_cache_coverage
 * (bit i = tile (r.x0 + i % w, r.y0 + i / w), w = r.x1 - r.x0 + 1; len must
 * hold (w * h + 7) / 8 bytes), *serial the request it answers, *cached the
 * number of cached tiles. False if nothing was answered yet, if there is no
 * disk cache (cached = -1 then, r and serial still set), or len is too small.
 * Any out pointer but r may be NULL. Never blocks the loader for longer than a
 * copy of the bitmap. */
bool mer_loader_get_coverage(mer_loader *l, mer_tile_range *r, uint8_t *bits, size_t len,
                             uint64_t *serial, int64_t *cached);

/* Where the disk cache (or the MBTiles file) of c has tiles: the zoom that
 * holds the most and the lon/lat box of its tiles (mer_cache_extent), for an
 * --offline start with no position. Opens the cache on the calling thread and
 * closes it again, so call it before mer_loader_create for this cache (only
 * one thread may use a cache connection, and no loader thread exists yet).
 * Never creates a cache file. False if there is no cache or it has no tiles. */
bool mer_loader_cache_extent(const mer_loader_config *c, int *zoom, double *west, double *south,
                             double *east, double *north);

/* Stops the threads, cancels transfers, flushes the cache. NULL is fine. */
void mer_loader_destroy(mer_loader *l);

/* When a client-side limit at its ceiling (a preset's or the user's, which
 * adaptation never exceeds) held ready tiles back for at least a fifth of
 * wall_ms, a note saying which and how to lift it, e.g. "held back 60 % of
 * the time by the client-side limit of 10 requests/s: --rate raises it (0 =
 * none) if the server allows"; else "". For fetch and prefetch summaries. */
void mer_loader_limit_note(const mer_loader_stats *s, double wall_ms, char *buf, size_t len);

/* Stats as a JSON object (no trailing newline) into buf; for --stats files. */
size_t mer_loader_stats_json(const mer_loader_stats *s, char *buf, size_t len);

#endif
