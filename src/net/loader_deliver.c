/* Delivering tiles (loader thread, except mer_loader_decode_done which runs
 * on a decode worker): disk-cache answers for new tiles, decode jobs, results
 * into the completion queue, and the disk cache's flush tick. The published
 * stats and tile states are in loader_stats.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "decode/decode.h"
#include "net/loader_impl.h"

#define TAG "loader"

static void fill_result(mer_loader *l, const mer_sched_entry *e, mer_tile_result *r, mer_tile_origin o,
                        int http_status)
{
    memset(r, 0, sizeof *r);
    r->id = e->id;
    r->origin = o;
    r->http_status = http_status;
    r->attempts = e->requests;
    r->latency_ms = e->t_first_ms > 0 ? mer_clock_ms() - e->t_first_ms : 0;
    r->generation = e->generation;
}

void mer_loader_deliver(mer_loader *l, mer_sched_entry *e, mer_tile_status st, mer_tile_origin o,
                        int http_status, const char *code, const char *reason)
{
    mer_tile_result r;
    fill_result(l, e, &r, o, http_status);
    r.status = st;
    if (reason)
        snprintf(r.reason, sizeof r.reason, "%s", reason);
    e->state = st == MER_TILE_FAILED ? MER_TS_FAILED : MER_TS_DONE;
    e->t_done_ms = mer_clock_ms();
    e->last_status = http_status;
    snprintf(e->code, sizeof e->code, "%s", code ? code : "");
    if (st == MER_TILE_EMPTY)
        l->st.tiles_empty++;
    else if (st == MER_TILE_FAILED)
        l->st.tiles_failed++;
    else if (st == MER_TILE_NOT_CACHED)
        l->st.tiles_not_cached++;
    else if (st == MER_TILE_NO_DATA)
        l->st.tiles_no_data++;
    if (st == MER_TILE_FAILED)
        MER_LOGI(TAG, "tile %d/%d/%d failed: %s", e->id.z, e->id.x, e->id.y, r.reason);
    l->pub_dirty = true;
    mer_results_push(l->results, &r);
}

static void post_note(mer_loader *l, const dec_ctx *c, bool ok, const char *reason);

/* cfg.no_decode (prefetch: nothing will draw the tile): settles the job on
 * this thread the way a decode worker would, after a magic-bytes check. */
static void deliver_undecoded(mer_loader *l, dec_ctx *c, uint8_t *data, size_t len)
{
    bool image = mer_decode_sniff(data, len) != MER_IMG_UNKNOWN;
    free(data);
    if (image) {
        c->r.status = MER_TILE_OK;
        atomic_fetch_add(&l->tiles_ok, 1);
        mer_results_push(l->results, &c->r);
    } else {
        atomic_fetch_add(&l->decode_errors, 1);
    }
    post_note(l, c, image, image ? NULL : "not an image");
    free(c);
    mer_loader_wake(l);
}

bool mer_loader_submit(mer_loader *l, mer_sched_entry *e, uint8_t *data, size_t len, mer_tile_origin o,
                       bool stale_copy)
{
    dec_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        free(data);
        mer_loader_deliver(l, e, MER_TILE_FAILED, o, 0, "MEM", "out of memory");
        return false;
    }
    fill_result(l, e, &c->r, o, o == MER_ORIGIN_NETWORK ? e->last_status : 0);
    c->r.stale = stale_copy;
    c->serial = e->serial;
    c->stale_copy = stale_copy;
    if (!stale_copy)
        e->state = MER_TS_DECODING;
    l->pub_dirty = true;
    if (l->cfg.no_decode) {
        deliver_undecoded(l, c, data, len);
        return true;
    }
    mer_decode_pool_submit(l->pool, data, len, l->cfg.source.tile_px, c);
    return true;
}

/* The built-in world map: a render job on the decode workers, never the
 * network or the disk. */
void mer_loader_submit_render(mer_loader *l, mer_sched_entry *e)
{
    dec_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        mer_loader_deliver(l, e, MER_TILE_FAILED, MER_ORIGIN_LOCAL, 0, "MEM", "out of memory");
        return;
    }
    fill_result(l, e, &c->r, MER_ORIGIN_LOCAL, 0);
    c->serial = e->serial;
    e->state = MER_TS_DECODING;
    l->pub_dirty = true;
    mer_decode_pool_submit_render(l->pool, l->world, e->id, l->cfg.source.tile_px, c);
}

/* A new wanted tile: answer from the disk cache when it can. */
void mer_loader_tile_added(mer_loader *l, mer_sched_entry *e)
{
    if (l->world) {
        mer_loader_submit_render(l, e);
        return;
    }
    bool online = l->multi != NULL;
    mer_cache_entry ce;
    memset(&ce, 0, sizeof ce);
    mer_cache_result cr = l->cache ? mer_cache_get(l->cache, e->id, &ce) : MER_CACHE_MISS;
    if (cr != MER_CACHE_HIT) {
        if (cr == MER_CACHE_ERROR)
            l->st.cache_errors++;
        if (l->cache)
            l->st.cache_misses++;
        /* An MBTiles file is the whole source: a tile it lacks does not
         * exist (unless the file could not be read), rather than "missing". */
        if (!online && l->cfg.source.kind == MER_SOURCE_MBTILES && cr == MER_CACHE_MISS && l->cache)
            mer_loader_deliver(l, e, MER_TILE_NO_DATA, MER_ORIGIN_DISK, 0, "ND", "not in the MBTiles file");
        else if (!online)
            mer_loader_deliver(l, e, MER_TILE_NOT_CACHED, MER_ORIGIN_DISK, 0, "NC", "not in the cache");
        return; /* stays QUEUED for the network */
    }
    /* An MBTiles file has no expiry: everything in it is as fresh as it gets. */
    bool fresh = l->cfg.source.kind == MER_SOURCE_MBTILES || mer_cache_is_fresh(&ce.meta, (int64_t)time(NULL));
    bool revalidate = !fresh && online;
    if (fresh)
        l->st.cache_hits++;
    else
        l->st.cache_stale++;
    if (revalidate) {
        e->revalidate = true;
        snprintf(e->etag, sizeof e->etag, "%s", ce.meta.etag);
        snprintf(e->last_modified, sizeof e->last_modified, "%s", ce.meta.last_modified);
    }
    if (ce.meta.empty) {
        if (!revalidate)
            mer_loader_deliver(l, e, MER_TILE_EMPTY, MER_ORIGIN_DISK, 0, NULL, NULL);
        mer_cache_entry_free(&ce);
        return;
    }
    uint8_t *data = ce.data;
    ce.data = NULL;
    /* Stale: shown at once (stale=true) while the entry stays QUEUED for a
     * conditional request. */
    mer_loader_submit(l, e, data, ce.len, MER_ORIGIN_DISK, revalidate);
    mer_cache_entry_free(&ce);
}

static void post_note(mer_loader *l, const dec_ctx *c, bool ok, const char *reason)
{
    pthread_mutex_lock(&l->done_lock);
    if (l->done_n == l->done_cap) {
        size_t ncap = l->done_cap ? l->done_cap * 2 : 64;
        done_note *n = realloc(l->done, ncap * sizeof *n);
        if (n) {
            l->done = n;
            l->done_cap = ncap;
        }
    }
    if (l->done_n < l->done_cap) {
        done_note *d = &l->done[l->done_n++];
        d->serial = c->serial;
        d->id = c->r.id;
        d->ok = ok;
        d->stale_copy = c->stale_copy;
        snprintf(d->reason, sizeof d->reason, "%s", reason ? reason : "");
    }
    pthread_mutex_unlock(&l->done_lock);
}

/* Decode worker thread: a success goes straight to the client; either way
 * the loader hears about it. */
void mer_loader_decode_done(void *ud, void *ctx, uint8_t *rgba, int w, int h, const char *reason)
{
    mer_loader *l = ud;
    dec_ctx *c = ctx;
    if (rgba) {
        c->r.status = MER_TILE_OK;
        c->r.rgba = rgba;
        c->r.w = w;
        c->r.h = h;
        atomic_fetch_add(&l->tiles_ok, 1);
        mer_results_push(l->results, &c->r);
    } else {
        atomic_fetch_add(&l->decode_errors, 1);
    }
    post_note(l, c, rgba != NULL, reason);
    free(c);
    mer_loader_wake(l);
}

static mer_sched_entry *find_serial(mer_loader *l, uint64_t serial)
{
    for (size_t i = 0; i < mer_sched_count(l->sched); i++) {
        mer_sched_entry *e = mer_sched_at(l->sched, i);
        if (e->serial == serial)
            return e;
    }
    return NULL;
}

static void on_decode_failed(mer_loader *l, mer_sched_entry *e, const done_note *d, double now)
{
    char reason[96];
    if (d->stale_copy)
        return; /* the revalidation request is on its way anyway */
    bool network = e->t_first_ms > 0;
    /* The body was stored when it arrived (before decoding); a body that does
     * not decode must not stay in the cache, or it would be served again. */
    if (l->cache && mer_cache_forget(l->cache, e->id))
        l->cache_dirty = true;
    e->attempts++;
    /* A header declaring a huge image is deliberate, not a one-off: asking
     * again would only fetch the same bomb. */
    bool too_large = mer_decode_too_large(d->reason);
    if (network && l->multi && e->attempts < l->cfg.max_tries && !too_large) {
        /* A corrupt or cut body may be a one-off: ask again, after a pause. */
        e->state = MER_TS_RETRY_WAIT;
        e->t_ready_ms = now + MER_BACKOFF_BASE_MS * e->attempts;
        return;
    }
    if (!network && l->multi) {
        e->state = MER_TS_QUEUED; /* a bad copy on disk: fetch a new one */
        return;
    }
    snprintf(reason, sizeof reason, "%s", d->reason);
    mer_tile_origin o = l->world ? MER_ORIGIN_LOCAL : network ? MER_ORIGIN_NETWORK : MER_ORIGIN_DISK;
    mer_loader_deliver(l, e, MER_TILE_FAILED, o, e->last_status,
                       l->world ? "MAP" : too_large ? "DIM" : "IMG", reason);
}

void mer_loader_drain_done(mer_loader *l, double now)
{
    done_note *notes;
    size_t n;
    pthread_mutex_lock(&l->done_lock);
    notes = l->done;
    n = l->done_n;
    l->done = NULL;
    l->done_n = l->done_cap = 0;
    pthread_mutex_unlock(&l->done_lock);
    for (size_t i = 0; i < n; i++) {
        mer_sched_entry *e = find_serial(l, notes[i].serial);
        if (!e) {
            /* No longer wanted, but a body that did not decode must still
             * leave the cache (it was stored before decoding), unless a new
             * entry for the tile now owns what is cached. */
            if (!notes[i].ok && !notes[i].stale_copy && l->cache && !mer_sched_find(l->sched, notes[i].id) &&
                mer_cache_forget(l->cache, notes[i].id))
                l->cache_dirty = true;
            continue;
        }
        l->pub_dirty = true;
        if (notes[i].ok) {
            if (!notes[i].stale_copy && e->state == MER_TS_DECODING) {
                e->state = MER_TS_DONE;
                e->t_done_ms = now;
            }
        } else {
            on_decode_failed(l, e, &notes[i], now);
        }
    }
    free(notes);
}

/* At shutdown, after the last turn of the loop: bodies that failed to decode
 * leave the cache even though nobody will hear about the tile any more. Jobs
 * the pool never ran ("shutting down") post their notes after this and are
 * not failures of the body. */
void mer_loader_drain_final(mer_loader *l)
{
    pthread_mutex_lock(&l->done_lock);
    done_note *notes = l->done;
    size_t n = l->done_n;
    l->done = NULL;
    l->done_n = l->done_cap = 0;
    pthread_mutex_unlock(&l->done_lock);
    for (size_t i = 0; i < n; i++)
        if (!notes[i].ok && !notes[i].stale_copy && l->cache)
            mer_cache_forget(l->cache, notes[i].id);
    free(notes);
}

void mer_loader_cache_tick(mer_loader *l, double now, bool idle)
{
    if (!l->cache || !l->cache_dirty)
        return;
    if (idle || now - l->last_flush_ms >= CACHE_FLUSH_EVERY_MS) {
        mer_cache_flush(l->cache);
        l->cache_dirty = false;
        l->last_flush_ms = now;
    }
}
