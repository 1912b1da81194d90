/* Questions about the disk cache for the viewer: coverage of a tile range
 * (the C overlay) and the cached extent (an --offline start with no position).
 *
 * Threads: the disk cache is touched only by the loader thread. A coverage
 * request goes into the inbox under in_lock (a newer one replaces an older
 * unanswered one); the loader thread takes it in its loop, runs
 * mer_cache_coverage into a buffer of its own, copies the bitmap under
 * cov_lock and calls on_ready. The client copies the latest answer under
 * cov_lock. cov_lock is held only for a copy of at most COV_BYTES, never
 * around SQLite, so neither side waits on the other's work.
 *
 * mer_loader_cache_extent runs on the caller's thread before any loader
 * thread exists for that cache. */
#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "net/loader_impl.h"

static bool range_ok(mer_tile_range r)
{
    if (r.z < 0 || r.z > MER_MAX_ZOOM || r.x1 < r.x0 || r.y1 < r.y0 || r.y0 < 0)
        return false;
    int64_t n = (int64_t)1 << r.z;
    if (r.y1 >= n)
        return false;
    /* Wider than the world is fine for x (it wraps), but bounded like the rest. */
    if (r.x1 - r.x0 >= (int64_t)MER_LOADER_COVERAGE_MAX || r.y1 - r.y0 >= (int64_t)MER_LOADER_COVERAGE_MAX)
        return false;
    return mer_tile_range_count(r) <= MER_LOADER_COVERAGE_MAX;
}

uint64_t mer_loader_request_coverage(mer_loader *l, mer_tile_range r)
{
    if (!l || !range_ok(r))
        return 0;
    pthread_mutex_lock(&l->in_lock);
    uint64_t serial = ++l->cov_req_serial;
    l->cov_req = r;
    l->cov_req_pending = true;
    pthread_mutex_unlock(&l->in_lock);
    mer_loader_wake(l);
    return serial;
}

/* Loader thread. */
void mer_loader_cov_answer(mer_loader *l, mer_tile_range r, uint64_t serial)
{
    static_assert(COV_BYTES * 8 == MER_LOADER_COVERAGE_MAX, "coverage buffer size");
    uint8_t bits[COV_BYTES];
    size_t len = (size_t)((mer_tile_range_count(r) + 7) / 8);
    int64_t cached = -1;
    if (l->cache)
        cached = mer_cache_coverage(l->cache, r, bits, len);
    if (cached < 0)
        cached = -1; /* no cache, or the query failed: "unknown" */
    pthread_mutex_lock(&l->cov_lock);
    l->cov_r = r;
    l->cov_serial = serial;
    l->cov_cached = cached;
    if (cached >= 0 && l->cov_bits)
        memcpy(l->cov_bits, bits, len);
    pthread_mutex_unlock(&l->cov_lock);
    if (l->cfg.on_ready)
        l->cfg.on_ready(l->cfg.ud);
}

bool mer_loader_get_coverage(mer_loader *l, mer_tile_range *r, uint8_t *bits, size_t len,
                             uint64_t *serial, int64_t *cached)
{
    bool ok = false;
    pthread_mutex_lock(&l->cov_lock);
    uint64_t s = l->cov_serial;
    int64_t c = l->cov_cached;
    mer_tile_range got = l->cov_r;
    size_t need = s ? (size_t)((mer_tile_range_count(got) + 7) / 8) : 0;
    if (s && c >= 0 && bits && len >= need && l->cov_bits) {
        memcpy(bits, l->cov_bits, need);
        ok = true;
    }
    pthread_mutex_unlock(&l->cov_lock);
    if (!s)
        return false;
    *r = got;
    if (serial)
        *serial = s;
    if (cached)
        *cached = c;
    return ok;
}

bool mer_loader_cache_extent(const mer_loader_config *c, int *zoom, double *west, double *south,
                             double *east, double *north)
{
    char err[256] = "", path[PATH_MAX];
    mer_cache *cache = NULL;
    if (c->source.kind == MER_SOURCE_WORLD)
        return false; /* rendered, never cached on disk */
    if (c->source.kind == MER_SOURCE_MBTILES) {
        cache = mer_cache_open_mbtiles(c->source.url, true, err, sizeof err);
    } else if (c->cache_dir[0] && mer_cache_file_path(c->cache_dir, &c->source, path, sizeof path) &&
               access(path, F_OK) == 0) {
        /* Only an existing file: asking must not create an empty cache. */
        cache = mer_cache_open(c->cache_dir, &c->source, 0, err, sizeof err);
    }
    if (!cache)
        return false;
    bool ok = mer_cache_extent(cache, zoom, west, south, east, north);
    mer_cache_close(cache);
    return ok;
}
