/* Shared between the cache's .c files only: the struct and statement table. */
#ifndef MER_CACHE_INTERNAL_H
#define MER_CACHE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cache/cache.h"

#define MER_CACHE_PATH_MAX 1100
/* A path as an SQLite URI: every byte may become %XX, plus "file://" and a query. */
#define MER_CACHE_URI_MAX (3 * MER_CACHE_PATH_MAX + 64)
/* Last-use updates held in memory until the next flush. */
#define MER_CACHE_TOUCH_MAX 4096

typedef enum mer_cache_stmt_id {
    ST_GET_INFO = 0,
    ST_GET_TILE,
    ST_HAS_TILE,
    ST_PUT_TILE,
    ST_DEL_TILE,
    ST_OLD_SIZE,
    ST_PUT_INFO,
    ST_REFRESH,
    ST_TOUCH,
    ST_DEL_INFO,
    ST_TOTAL,
    ST_LRU,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_COVER_TILES,
    ST_COVER_EMPTY,
    ST_META_GET,
    ST_META_SET,
    ST_COUNT_TILES,
    ST_COUNT_EMPTY,
    ST_EXTENT,
    ST_COUNT
} mer_cache_stmt_id;

typedef struct mer_cache_touch {
    mer_tile_id t;
    int64_t used; /* ms, see mer_cache_use_clock */
} mer_cache_touch;

struct mer_cache {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT]; /* prepared on first use */
    char path[MER_CACHE_PATH_MAX];
    bool readonly;   /* opened read-only (an MBTiles source, or a read-only directory) */
    bool usable;     /* writing works; false after a disk failure */
    bool side_table; /* has mer_tile_info (our caches; not foreign MBTiles files) */
    bool in_tx;      /* a write transaction is open, committed by flush */
    size_t max_bytes;      /* 0 = no limit */
    int64_t total_bytes;   /* estimate of SUM(size); exact after each eviction pass */
    mer_cache_touch *touch; /* last-use updates waiting for flush */
    size_t n_touch;
    int64_t last_use_ms;    /* the use clock: strictly increasing */
    double step_deadline_ms; /* mer_clock_ms() by which the running step must end */
    bool warned_slow;        /* a step was stopped at its deadline (said once) */
};

int64_t mer_cache_now(void);
/* Unix milliseconds, strictly increasing per connection, so LRU order is exact
 * even for uses within one millisecond. */
int64_t mer_cache_use_clock(mer_cache *c);
sqlite3_stmt *mer_cache_stmt(mer_cache *c, mer_cache_stmt_id id);
void mer_cache_bind_tile(sqlite3_stmt *st, mer_tile_id t);
bool mer_cache_check(mer_cache *c, int rc, const char *what);

/* Every sqlite3_step goes through these. A file may come from anyone, and its
 * `tiles` may be a view of any cost (a recursive CTE counting to 10^12): a
 * step that runs longer than its budget stops with SQLITE_INTERRUPT, so that
 * tile (or that total) fails and nothing hangs. One tile's row gets
 * MER_CACHE_STEP_MS; queries over the whole file (extent, totals) get
 * MER_CACHE_SCAN_MS, enough for millions of rows. */
#define MER_CACHE_STEP_MS 1000.0
#define MER_CACHE_SCAN_MS 30000.0
int mer_cache_step_for(mer_cache *c, sqlite3_stmt *st, double budget_ms);
int mer_cache_step(mer_cache *c, sqlite3_stmt *st);
/* Steps a statement that returns no rows, then resets it and its bindings. */
int mer_cache_run(mer_cache *c, sqlite3_stmt *st);
/* Opens the batch transaction if none is open. */
bool mer_cache_begin(mer_cache *c);
int64_t mer_cache_total_bytes(mer_cache *c);

#endif
