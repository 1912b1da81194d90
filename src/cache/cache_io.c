/* The disk cache's reads, batched writes, flush and LRU eviction (see cache.c
 * for the design). Same thread rules: one connection, one thread. */
#include "cache/cache_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

#define TAG "cache"

int64_t mer_cache_use_clock(mer_cache *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (ms <= c->last_use_ms)
        ms = c->last_use_ms + 1;
    c->last_use_ms = ms;
    return ms;
}

bool mer_cache_begin(mer_cache *c)
{
    if (!c->usable)
        return false;
    if (c->in_tx)
        return true;
    sqlite3_stmt *st = mer_cache_stmt(c, ST_BEGIN);
    if (!st)
        return false;
    int rc = mer_cache_step(c, st);
    sqlite3_reset(st);
    if (!mer_cache_check(c, rc, "starting a write"))
        return false;
    c->in_tx = true;
    return true;
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    snprintf(dst, len, "%s", v ? (const char *)v : "");
}

/* Reads the side-table row of t. MER_CACHE_MISS when there is none. */
static mer_cache_result read_info(mer_cache *c, mer_tile_id t, mer_cache_meta *m)
{
    sqlite3_stmt *st = mer_cache_stmt(c, ST_GET_INFO);
    if (!st)
        return MER_CACHE_ERROR;
    mer_cache_bind_tile(st, t);
    int rc = mer_cache_step(c, st);
    mer_cache_result res = MER_CACHE_MISS;
    if (rc == SQLITE_ROW) {
        copy_text(m->etag, sizeof m->etag, st, 0);
        copy_text(m->last_modified, sizeof m->last_modified, st, 1);
        m->expires = sqlite3_column_int64(st, 2);
        m->fetched = sqlite3_column_int64(st, 3);
        m->empty = sqlite3_column_int(st, 4) != 0;
        res = MER_CACHE_HIT;
    } else if (rc != SQLITE_DONE) {
        mer_cache_check(c, rc, "reading a tile");
        res = MER_CACHE_ERROR;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return res;
}

/* Queues a last-use update; written at the next flush. */
static void touch(mer_cache *c, mer_tile_id t)
{
    if (!c->usable || !c->side_table)
        return;
    if (!c->touch) {
        c->touch = malloc(MER_CACHE_TOUCH_MAX * sizeof *c->touch);
        if (!c->touch)
            return;
    }
    if (c->n_touch == MER_CACHE_TOUCH_MAX)
        mer_cache_flush(c);
    if (c->n_touch < MER_CACHE_TOUCH_MAX)
        c->touch[c->n_touch++] = (mer_cache_touch){t, mer_cache_use_clock(c)};
}

/* Tiles of a file without a side table (a foreign MBTiles file) never expire. */
static void meta_forever(mer_cache_meta *m)
{
    memset(m, 0, sizeof *m);
    m->expires = INT64_MAX;
}

static mer_cache_result lookup(mer_cache *c, mer_tile_id t, mer_cache_entry *out, bool want_data)
{
    memset(out, 0, sizeof *out); /* a miss leaves nothing to free */
    if (!c || !c->db || !mer_tile_valid(t))
        return c ? MER_CACHE_MISS : MER_CACHE_ERROR;
    if (c->side_table) {
        mer_cache_result r = read_info(c, t, &out->meta);
        if (r != MER_CACHE_HIT)
            return r;
        if (out->meta.empty) {
            if (want_data)
                touch(c, t);
            return MER_CACHE_HIT;
        }
    } else {
        meta_forever(&out->meta);
    }
    sqlite3_stmt *st = mer_cache_stmt(c, want_data ? ST_GET_TILE : ST_HAS_TILE);
    if (!st)
        return MER_CACHE_ERROR;
    mer_cache_bind_tile(st, t);
    int rc = mer_cache_step(c, st);
    mer_cache_result res = MER_CACHE_MISS;
    if (rc == SQLITE_ROW) {
        res = MER_CACHE_HIT;
        if (want_data) {
            const void *blob = sqlite3_column_blob(st, 0);
            int n = sqlite3_column_bytes(st, 0);
            if (sqlite3_column_int64(st, 1) > (int64_t)MER_CACHE_MAX_TILE_BYTES) {
                /* Not a tile (another program wrote it): never read into memory. */
                res = MER_CACHE_MISS;
            } else if (n <= 0 || !blob) {
                out->meta.empty = true; /* a zero-byte tile in a foreign file: nothing to draw */
            } else if ((out->data = malloc((size_t)n)) != NULL) {
                memcpy(out->data, blob, (size_t)n);
                out->len = (size_t)n;
            } else {
                res = MER_CACHE_ERROR;
            }
        }
    } else if (rc != SQLITE_DONE) {
        mer_cache_check(c, rc, "reading a tile");
        res = MER_CACHE_ERROR;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (res == MER_CACHE_HIT && want_data)
        touch(c, t); /* a use; get_meta is only a question and does not count */
    return res;
}

mer_cache_result mer_cache_get(mer_cache *c, mer_tile_id t, mer_cache_entry *out)
{
    if (!out)
        return MER_CACHE_ERROR;
    return lookup(c, t, out, true);
}

mer_cache_result mer_cache_get_meta(mer_cache *c, mer_tile_id t, mer_cache_meta *out)
{
    mer_cache_entry e;
    mer_cache_result r = lookup(c, t, &e, false);
    if (out)
        *out = e.meta;
    return r;
}

void mer_cache_entry_free(mer_cache_entry *e)
{
    if (!e)
        return;
    free(e->data);
    e->data = NULL;
    e->len = 0;
}

/* A size read from the file, as the cache may count it: a negative or huge
 * value (another program wrote it) must not overflow the running total. No
 * stored tile is ever bigger than MER_CACHE_MAX_TILE_BYTES. */
static int64_t sane_size(int64_t v)
{
    return v < 0 ? 0 : v > (int64_t)MER_CACHE_MAX_TILE_BYTES ? (int64_t)MER_CACHE_MAX_TILE_BYTES : v;
}

/* Size of the tile's image as recorded in the side table, 0 if none. */
static int64_t old_size(mer_cache *c, mer_tile_id t)
{
    sqlite3_stmt *st = mer_cache_stmt(c, ST_OLD_SIZE);
    if (!st)
        return 0;
    mer_cache_bind_tile(st, t);
    int64_t n = mer_cache_step(c, st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return sane_size(n);
}

static bool put_info(mer_cache *c, mer_tile_id t, const mer_cache_meta *m, size_t len, bool empty)
{
    sqlite3_stmt *st = mer_cache_stmt(c, ST_PUT_INFO);
    if (!st)
        return false;
    mer_cache_bind_tile(st, t);
    sqlite3_bind_text(st, 4, m ? m->etag : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, m ? m->last_modified : "", -1, SQLITE_TRANSIENT);
    int64_t now = mer_cache_now();
    int64_t expires = m && m->expires ? m->expires : now + (empty ? MER_CACHE_EMPTY_TTL_S : 0);
    /* A missing tile may appear (a server fills in a new area): a 404 is
     * remembered for a day at most, whatever its headers said. */
    if (empty && expires > now + MER_CACHE_EMPTY_TTL_S)
        expires = now + MER_CACHE_EMPTY_TTL_S;
    sqlite3_bind_int64(st, 6, expires);
    sqlite3_bind_int64(st, 7, m && m->fetched ? m->fetched : now);
    sqlite3_bind_int64(st, 8, mer_cache_use_clock(c));
    sqlite3_bind_int64(st, 9, (int64_t)len);
    sqlite3_bind_int(st, 10, empty ? 1 : 0);
    return mer_cache_check(c, mer_cache_run(c, st), "storing a tile");
}

bool mer_cache_put(mer_cache *c, mer_tile_id t, const uint8_t *data, size_t len,
                   const mer_cache_meta *meta)
{
    if (!c || !c->usable || !mer_tile_valid(t) || len > MER_CACHE_MAX_TILE_BYTES)
        return false;
    if (meta && meta->expires == MER_CACHE_NO_STORE)
        return true; /* Cache-Control: no-store: honoured by not storing */
    bool empty = !data || !len || (meta && meta->empty);
    if (empty && !c->side_table)
        return true; /* a standalone MBTiles file has no notion of a cached 404 */
    if (!mer_cache_begin(c))
        return false;
    int64_t before = c->side_table ? old_size(c, t) : 0;
    sqlite3_stmt *st = mer_cache_stmt(c, empty ? ST_DEL_TILE : ST_PUT_TILE);
    if (!st)
        return false;
    mer_cache_bind_tile(st, t);
    if (!empty)
        sqlite3_bind_blob(st, 4, data, (int)len, SQLITE_STATIC);
    if (!mer_cache_check(c, mer_cache_run(c, st), "storing a tile"))
        return false;
    if (c->side_table && !put_info(c, t, meta, empty ? 0 : len, empty))
        return false;
    c->total_bytes += (int64_t)(empty ? 0 : len) - before;
    return true;
}

bool mer_cache_refresh(mer_cache *c, mer_tile_id t, const mer_cache_meta *meta)
{
    if (!c || !c->usable || !c->side_table || !meta || !mer_tile_valid(t) || !mer_cache_begin(c))
        return false;
    sqlite3_stmt *st = mer_cache_stmt(c, ST_REFRESH);
    if (!st)
        return false;
    mer_cache_bind_tile(st, t);
    int64_t now = mer_cache_now();
    sqlite3_bind_int64(st, 4, meta->expires);
    sqlite3_bind_int64(st, 5, meta->fetched ? meta->fetched : now);
    sqlite3_bind_int64(st, 6, mer_cache_use_clock(c));
    sqlite3_bind_text(st, 7, meta->etag, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, meta->last_modified, -1, SQLITE_TRANSIENT);
    if (!mer_cache_check(c, mer_cache_run(c, st), "refreshing a tile"))
        return false;
    return sqlite3_changes(c->db) > 0;
}

int64_t mer_cache_total_bytes(mer_cache *c)
{
    sqlite3_stmt *st = c->side_table ? mer_cache_stmt(c, ST_TOTAL) : NULL;
    if (!st)
        return 0;
    int64_t n = mer_cache_step_for(c, st, MER_CACHE_SCAN_MS) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return n;
}

static bool apply_touches(mer_cache *c)
{
    sqlite3_stmt *st = mer_cache_stmt(c, ST_TOUCH);
    for (size_t i = 0; st && i < c->n_touch; i++) {
        mer_cache_bind_tile(st, c->touch[i].t);
        sqlite3_bind_int64(st, 4, c->touch[i].used);
        if (!mer_cache_check(c, mer_cache_run(c, st), "recording tile use"))
            return false;
    }
    c->n_touch = 0;
    return st != NULL;
}

static bool delete_tile(mer_cache *c, mer_tile_id t)
{
    sqlite3_stmt *a = mer_cache_stmt(c, ST_DEL_TILE), *b = mer_cache_stmt(c, ST_DEL_INFO);
    if (!a || !b)
        return false;
    mer_cache_bind_tile(a, t);
    if (!mer_cache_check(c, mer_cache_run(c, a), "evicting a tile"))
        return false;
    mer_cache_bind_tile(b, t);
    return mer_cache_check(c, mer_cache_run(c, b), "evicting a tile");
}

bool mer_cache_forget(mer_cache *c, mer_tile_id t)
{
    if (!c || !c->usable || c->readonly || !c->side_table || !mer_cache_begin(c))
        return false;
    int64_t size = old_size(c, t);
    if (!delete_tile(c, t))
        return false;
    if (size > 0)
        c->total_bytes -= size;
    return true;
}

/* Deletes one side-table row and its tile by the key as stored, with no
 * conversion: eviction must work on rows that are not valid tile ids (a
 * zoom_level of 100 written by another program), where mer_tms_y would shift
 * by 100. */
static bool delete_raw(mer_cache *c, const int64_t key[3])
{
    sqlite3_stmt *a = mer_cache_stmt(c, ST_DEL_TILE), *b = mer_cache_stmt(c, ST_DEL_INFO);
    if (!a || !b)
        return false;
    for (int i = 0; i < 3; i++) {
        sqlite3_bind_int64(a, i + 1, key[i]);
        sqlite3_bind_int64(b, i + 1, key[i]);
    }
    return mer_cache_check(c, mer_cache_run(c, a), "evicting a tile") &&
           mer_cache_check(c, mer_cache_run(c, b), "evicting a tile");
}

/* Deletes least-recently-used tiles until the total is under the limit. Runs
 * inside the batch transaction. The total is recounted first because another
 * process may have added or evicted tiles. Evicts down to 90% of the limit so
 * that a full cache does not evict on every flush. */
static void evict(mer_cache *c)
{
    c->total_bytes = mer_cache_total_bytes(c);
    int64_t target = (int64_t)(c->max_bytes / 10 * 9);
    sqlite3_stmt *st = mer_cache_stmt(c, ST_LRU);
    while (st && c->usable && c->total_bytes > (int64_t)c->max_bytes) {
        int64_t victims[512][3];
        int64_t sizes[512];
        int n = 0;
        int64_t freed = 0;
        while (n < 512 && c->total_bytes - freed > target && mer_cache_step(c, st) == SQLITE_ROW) {
            for (int k = 0; k < 3; k++)
                victims[n][k] = sqlite3_column_int64(st, k);
            sizes[n] = sane_size(sqlite3_column_int64(st, 3));
            freed += sizes[n++];
        }
        sqlite3_reset(st);
        if (!n)
            break;
        for (int i = 0; i < n; i++) {
            if (!delete_raw(c, victims[i]))
                return;
            c->total_bytes -= sizes[i];
        }
    }
}

void mer_cache_flush(mer_cache *c)
{
    if (!c || !c->db)
        return;
    if (c->usable && c->side_table) {
        bool need_evict = c->max_bytes && c->total_bytes > (int64_t)c->max_bytes;
        if ((c->n_touch || need_evict) && mer_cache_begin(c)) {
            if (apply_touches(c) && need_evict)
                evict(c);
        }
    }
    if (!c->in_tx)
        return;
    sqlite3_stmt *st = mer_cache_stmt(c, ST_COMMIT);
    int rc = st ? mer_cache_step(c, st) : SQLITE_ERROR;
    if (st)
        sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        c->in_tx = false;
        return;
    }
    /* A failed COMMIT (busy reader holding a lock is handled by busy_timeout)
     * leaves the batch open; an I/O failure rolls it back and turns caching off. */
    if (!mer_cache_check(c, rc, "saving tiles")) {
        if (c->in_tx && sqlite3_get_autocommit(c->db))
            c->in_tx = false;
    }
}

/* ---- coverage and totals ------------------------------------------------------------ */

static void cover_query(mer_cache *c, mer_cache_stmt_id id, int z, int64_t wx0, int64_t wx1,
                        int64_t offset, mer_tile_range r, uint8_t *bits, int64_t *count)
{
    sqlite3_stmt *st = mer_cache_stmt(c, id);
    if (!st)
        return;
    int64_t w = r.x1 - r.x0 + 1;
    sqlite3_bind_int(st, 1, z);
    sqlite3_bind_int64(st, 2, wx0);
    sqlite3_bind_int64(st, 3, wx1);
    /* TMS rows count from the south: y1 (south) has the smallest row. */
    sqlite3_bind_int64(st, 4, mer_tms_y((int32_t)r.y1, z));
    sqlite3_bind_int64(st, 5, mer_tms_y((int32_t)r.y0, z));
    while (mer_cache_step(c, st) == SQLITE_ROW) {
        int64_t x = sqlite3_column_int64(st, 0), row = sqlite3_column_int64(st, 1);
        int64_t y = mer_tms_y((int32_t)row, z);
        int64_t i = (y - r.y0) * w + (x - wx0) + offset;
        if (!(bits[i / 8] & (1u << (i % 8)))) {
            bits[i / 8] |= (uint8_t)(1u << (i % 8));
            (*count)++;
        }
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int64_t mer_cache_coverage(mer_cache *c, mer_tile_range r, uint8_t *bits, size_t bits_len)
{
    if (!c || !c->db || !bits || r.z < 0 || r.z > MER_MAX_ZOOM || r.x1 < r.x0 || r.y1 < r.y0)
        return -1;
    int64_t n = (int64_t)1 << r.z;
    if (r.y0 < 0 || r.y1 >= n)
        return -1;
    uint64_t cells = mer_tile_range_count(r);
    if (cells > MER_CACHE_COVERAGE_MAX || bits_len < (cells + 7) / 8)
        return -1;
    memset(bits, 0, (cells + 7) / 8);
    int64_t count = 0;
    /* Split x into runs that do not cross the antimeridian. */
    for (int64_t x = r.x0; x <= r.x1;) {
        int64_t wx = mer_tile_wrap_x(x, r.z);
        int64_t run_len = n - wx;
        if (run_len > r.x1 - x + 1)
            run_len = r.x1 - x + 1;
        int64_t offset = x - r.x0;
        cover_query(c, ST_COVER_TILES, r.z, wx, wx + run_len - 1, offset, r, bits, &count);
        if (c->side_table)
            cover_query(c, ST_COVER_EMPTY, r.z, wx, wx + run_len - 1, offset, r, bits, &count);
        x += run_len;
    }
    return count;
}

bool mer_cache_get_totals(mer_cache *c, mer_cache_totals *out)
{
    if (!c || !c->db || !out)
        return false;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = mer_cache_stmt(c, ST_COUNT_TILES);
    if (!st)
        return false;
    if (mer_cache_step_for(c, st, MER_CACHE_SCAN_MS) == SQLITE_ROW) {
        out->tiles = (uint64_t)sqlite3_column_int64(st, 0);
        out->bytes = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    st = c->side_table ? mer_cache_stmt(c, ST_COUNT_EMPTY) : NULL;
    if (st && mer_cache_step_for(c, st, MER_CACHE_SCAN_MS) == SQLITE_ROW)
        out->empty = (uint64_t)sqlite3_column_int64(st, 0);
    if (st)
        sqlite3_reset(st);
    return true;
}

bool mer_cache_extent(mer_cache *c, int *zoom, double *west, double *south, double *east, double *north)
{
    sqlite3_stmt *st = c && c->db ? mer_cache_stmt(c, ST_EXTENT) : NULL;
    if (!st)
        return false;
    bool found = false;
    if (mer_cache_step_for(c, st, MER_CACHE_SCAN_MS) == SQLITE_ROW) {
        /* The query keeps rows of valid tiles only, but the values come from a
         * file: check them again, as 64-bit, before any shift or narrowing. */
        int64_t z = sqlite3_column_int64(st, 0);
        int64_t x0 = sqlite3_column_int64(st, 2), x1 = sqlite3_column_int64(st, 3);
        int64_t r0 = sqlite3_column_int64(st, 4), r1 = sqlite3_column_int64(st, 5);
        int64_t n = z >= 0 && z <= MER_MAX_ZOOM ? (int64_t)1 << z : 0;
        if (n && x0 >= 0 && x0 <= x1 && x1 < n && r0 >= 0 && r0 <= r1 && r1 < n) {
            /* TMS rows: the highest row is the northernmost tile. */
            mer_tile_id nw = {(int32_t)z, (int32_t)x0, mer_tms_y((int32_t)r1, (int)z)};
            mer_tile_id se = {(int32_t)z, (int32_t)x1, mer_tms_y((int32_t)r0, (int)z)};
            double w, s, e, no;
            mer_tile_bounds(nw, &w, &s, &e, &no);
            *west = w;
            *north = no;
            mer_tile_bounds(se, &w, &s, &e, &no);
            *east = e;
            *south = s;
            *zoom = (int)z;
            found = true;
        }
    }
    sqlite3_reset(st);
    return found;
}
