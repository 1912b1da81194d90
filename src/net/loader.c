/* The tile loader.
 *
 * Threads and ownership:
 *  - The loader thread (loader_main) owns the curl multi and share handles,
 *    the scheduler, the token bucket, adaptive limits, retry timers and the disk
 *    cache connection. It sleeps in curl_multi_poll (or, offline, on a
 *    condition variable, because offline no curl handle exists at all) with a
 *    timeout equal to the next retry / refill / pause / publish deadline.
 *  - Client calls (any one thread) only touch the inbox under in_lock and wake
 *    the loader with curl_multi_wakeup: mer_loader_want never waits for the
 *    loader to do anything.
 *  - Decode workers (decode/pool.c) turn bytes into RGBA (or, for the
 *    built-in world source, render the tile from the loaded map data); a success goes
 *    straight into the completion queue (net/results.c, which calls on_ready
 *    once per burst), and a note goes back to the loader (done list) so it can
 *    mark the tile done, or retry / fail it when the bytes were not an image.
 *  - Readers of stats and tile states copy a snapshot under pub_lock; the
 *    loader only trylocks it, so a slow reader can never stall the network.
 *  - Coverage questions (loader_cov.c) come in through the inbox too; the
 *    loader thread answers them from the disk cache and publishes the bitmap
 *    under cov_lock, then calls on_ready.
 *
 * Buffers move with messages: want lists are copied in, bodies move to the
 * pool, RGBA moves to the completion queue and then to whoever polls it. */
#include "net/loader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/loader_impl.h"

#define TAG "loader"
#define IDLE_WAIT_MS 1000
#define REDELIVER_DONE_MS 2000.0
#define REDELIVER_FAILED_MS 10000.0

void mer_loader_config_defaults(mer_loader_config *c, const mer_source *src)
{
    memset(c, 0, sizeof *c);
    if (src)
        c->source = *src;
    c->max_concurrent = src && src->max_concurrent > 0 ? src->max_concurrent : 6;
    c->start_concurrent = src && src->start_concurrent > 0 ? src->start_concurrent : 0;
    c->rate = src ? src->rate : 0;
    c->burst = src && src->burst > 0 ? src->burst : 0;
    c->adaptive = true;
    c->max_tries = 5;
    c->connect_timeout_ms = 5000;
    c->timeout_ms = 20000;
    c->max_body_bytes = 4u << 20;
    c->cache_max_bytes = (size_t)1024 << 20;
    if (src && src->user_agent[0])
        snprintf(c->user_agent, sizeof c->user_agent, "%s", src->user_agent);
}

void mer_loader_wake(mer_loader *l)
{
    if (l->multi) {
        curl_multi_wakeup(l->multi);
        return;
    }
    pthread_mutex_lock(&l->in_lock);
    l->in_signal = true;
    pthread_mutex_unlock(&l->in_lock);
    pthread_cond_signal(&l->in_cond);
}

/* ---- loader thread ---------------------------------------------------- */

static void hook_dropped(void *ud, mer_sched_entry *e)
{
    mer_loader *l = ud;
    if (e->state == MER_TS_IN_FLIGHT)
        mer_loader_net_cancel(l, e);
    else if (e->state == MER_TS_QUEUED || e->state == MER_TS_RETRY_WAIT)
        l->st.dropped++;
}

static void hook_added(void *ud, mer_sched_entry *e)
{
    mer_loader_tile_added(ud, e);
}

/* A want that still lists a tile delivered a while ago means the client
 * lacks it again (e.g. its texture was evicted): start over. Within the
 * window it is most likely waiting to be polled or uploaded, so it stays done.
 * Failures wait longer, so a broken tile is not hammered. */
static void requeue_old_deliveries(mer_loader *l, double now)
{
    for (size_t i = 0; i < mer_sched_count(l->sched); i++) {
        mer_sched_entry *e = mer_sched_at(l->sched, i);
        double age = now - e->t_done_ms;
        /* A failed revalidation counts as a failure: its stale copy is shown. */
        bool failed = e->state == MER_TS_FAILED || (e->state == MER_TS_DONE && e->reval_failed);
        if (!((e->state == MER_TS_DONE && !failed && age > REDELIVER_DONE_MS) ||
              (failed && age > REDELIVER_FAILED_MS)))
            continue;
        e->state = MER_TS_QUEUED;
        e->attempts = e->throttled = e->requests = 0;
        e->t_first_ms = e->t_start_ms = e->t_ready_ms = e->t_done_ms = 0;
        e->revalidate = e->reval_failed = false;
        e->code[0] = '\0';
        mer_loader_tile_added(l, e);
    }
}

static void apply_limits(mer_loader *l, int cap, double rate, int burst, double now)
{
    if (burst > 0)
        l->burst_cfg = burst;
    mer_adapt_set_max(&l->adapt, cap > 0 ? cap : l->adapt.cap_max, rate >= 0 ? rate : l->adapt.rate_max);
    if (!l->adaptive) {
        l->adapt.cap = l->adapt.cap_max;
        l->adapt.rate = l->adapt.rate_max;
    }
    mer_loader_net_sync_bucket(l, now);
}

/* Takes what the client posted. Returns false when asked to stop. */
static bool take_inbox(mer_loader *l, double now)
{
    mer_want_tile *tiles = NULL;
    size_t n = 0;
    uint64_t gen = 0, posted;
    bool has_want, limits, stop, cov;
    int cap, burst, adaptive;
    double rate;
    mer_tile_range cov_r;
    uint64_t cov_serial;
    pthread_mutex_lock(&l->in_lock);
    stop = l->stop;
    cov = l->cov_req_pending;
    cov_r = l->cov_req;
    cov_serial = l->cov_req_serial;
    l->cov_req_pending = false;
    has_want = l->in_has_want;
    if (has_want) {
        tiles = l->in_tiles;
        n = l->in_n;
        gen = l->in_gen;
        l->in_tiles = NULL;
        l->in_has_want = false;
    }
    posted = l->wants_posted;
    limits = l->ctl_limits;
    cap = l->ctl_cap;
    rate = l->ctl_rate;
    burst = l->ctl_burst;
    adaptive = l->ctl_adaptive;
    l->ctl_limits = false;
    l->ctl_adaptive = -1;
    pthread_mutex_unlock(&l->in_lock);
    if (cov && !stop)
        mer_loader_cov_answer(l, cov_r, cov_serial);
    if (limits)
        apply_limits(l, cap, rate, burst, now);
    if (adaptive >= 0) {
        l->adaptive = adaptive;
        if (!l->adaptive) {
            l->adapt.cap = l->adapt.cap_max;
            l->adapt.rate = l->adapt.rate_max;
            mer_loader_net_sync_bucket(l, now);
        }
    }
    if (limits || adaptive >= 0)
        l->pub_dirty = true; /* an idle loader must still show the new limits */
    if (has_want) {
        mer_sched_hooks hooks = {hook_dropped, hook_added, l};
        mer_sched_want(l->sched, gen, tiles, n, &hooks);
        free(tiles);
        requeue_old_deliveries(l, now);
        l->pub_dirty = true;
    }
    /* Everything this want added is now counted in the scheduler; publish the
     * count before saying the want was consumed (mer_loader_idle relies on it). */
    int busy = mer_sched_outstanding(l->sched);
    if (has_want)
        atomic_store(&l->outstanding, busy > 0 ? busy : 1); /* 1: stats not yet published */
    atomic_store(&l->wants_done, posted);
    return !stop;
}

static long next_timeout(mer_loader *l, double now)
{
    double t = IDLE_WAIT_MS;
    bool work = mer_sched_outstanding(l->sched) > 0;
    if (l->pub_dirty)
        t = PUBLISH_EVERY_MS;
    if (l->cache_dirty && CACHE_FLUSH_EVERY_MS < t)
        t = CACHE_FLUSH_EVERY_MS;
    double retry = mer_sched_next_retry_ms(l->sched);
    if (retry >= 0 && retry - now < t)
        t = retry - now;
    if (work && l->paused_until_ms > now && l->paused_until_ms - now < t)
        t = l->paused_until_ms - now;
    if (work && l->in_flight < l->adapt.cap) {
        double w = mer_bucket_wait_ms(&l->bucket, now);
        if (w > 0 && w < t)
            t = w;
    }
    if (t < 1)
        t = 1;
    return (long)(t + 0.999);
}

static void wait_for_work(mer_loader *l, long timeout_ms)
{
    if (l->multi) {
        curl_multi_poll(l->multi, NULL, 0, (int)timeout_ms, NULL);
        return;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&l->in_lock);
    while (!l->in_signal && !l->stop)
        if (pthread_cond_timedwait(&l->in_cond, &l->in_lock, &until) != 0)
            break;
    l->in_signal = false;
    pthread_mutex_unlock(&l->in_lock);
}

static void open_cache(mer_loader *l)
{
    char err[256] = "";
    if (l->cfg.source.kind == MER_SOURCE_WORLD) {
        /* No disk cache: rendering a tile (about 1 ms) costs no more than
         * reading and decoding a cached PNG; the viewer keeps textures. */
        return;
    }
    if (l->cfg.source.kind == MER_SOURCE_MBTILES) {
        l->cache = mer_cache_open_mbtiles(l->cfg.source.url, true, err, sizeof err);
        if (!l->cache)
            MER_LOGE(TAG, "cannot open %s: %s", l->cfg.source.url, err);
    } else if (l->cfg.cache_dir[0]) {
        l->cache = mer_cache_open(l->cfg.cache_dir, &l->cfg.source, l->cfg.cache_max_bytes, err,
                                  sizeof err);
        if (!l->cache)
            MER_LOGW(TAG, "disk cache off: %s", err);
    }
}

static void *loader_main(void *arg)
{
    mer_loader *l = arg;
    open_cache(l);
    for (;;) {
        double now = mer_clock_ms();
        l->now_ms = now;
        if (!take_inbox(l, now))
            break;
        mer_loader_drain_done(l, now);
        if (l->multi) {
            int running;
            curl_multi_perform(l->multi, &running);
            /* Answers read just now, and requests sent right after them, are
             * stamped with the time they were read (the adaptive limits tell
             * concurrent answers from earlier ones by these times). */
            now = mer_clock_ms();
            l->now_ms = now;
            mer_loader_net_drain(l, now);
            mer_loader_net_start(l, now);
        }
        int outstanding = mer_sched_outstanding(l->sched);
        mer_loader_cache_tick(l, now, outstanding == 0);
        /* The count may only drop after the stats saying so are out. */
        bool published = mer_loader_publish(l, now);
        if (published || outstanding > 0)
            atomic_store(&l->outstanding, outstanding);
        wait_for_work(l, published || outstanding > 0 ? next_timeout(l, now) : 1);
    }
    if (l->multi)
        mer_loader_net_cancel_all(l);
    mer_loader_drain_final(l);
    mer_cache_close(l->cache);
    l->cache = NULL;
    return NULL;
}

/* ---- client API -------------------------------------------------------- */

static bool init_net(mer_loader *l, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return false;
    }
    l->multi = curl_multi_init();
    l->share = curl_share_init();
    if (!l->multi || !l->share) {
        snprintf(err, errlen, "cannot create curl handles");
        return false;
    }
    /* DNS answers and TLS sessions are shared by all transfers; connections
     * are already pooled by the multi handle (and reused: keep-alive). */
    curl_share_setopt(l->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(l->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_multi_setopt(l->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    /* Keep enough idle connections for the largest cap (options allow 64). */
    curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, 64L);
    return true;
}

static bool check_config(const mer_loader_config *c, char *err, size_t errlen)
{
    if (c->source.kind == MER_SOURCE_URL) {
        char why[256];
        if (!mer_template_validate(c->source.url, c->source.subdomains, why, sizeof why)) {
            snprintf(err, errlen, "bad source: %s", why);
            return false;
        }
    } else if (c->source.kind == MER_SOURCE_WORLD) {
        if (c->source.tile_px < 16 || c->source.tile_px > 4096) {
            snprintf(err, errlen, "bad tile size %d for the world map", c->source.tile_px);
            return false;
        }
    } else if (!c->source.url[0]) {
        snprintf(err, errlen, "MBTiles source without a file name");
        return false;
    }
    if (c->ca_file[0] && access(c->ca_file, R_OK) != 0) {
        snprintf(err, errlen, "cannot read the CA file %.900s", c->ca_file);
        return false;
    }
    if (c->max_concurrent < 1 || c->max_concurrent > 1024 || c->rate < 0 || c->max_tries < 1) {
        snprintf(err, errlen, "bad loader limits (max_concurrent %d, rate %g, max_tries %d)",
                 c->max_concurrent, c->rate, c->max_tries);
        return false;
    }
    return true;
}

static void init_thread_state(mer_loader *l)
{
    double now = mer_clock_ms();
    const mer_loader_config *c = &l->cfg;
    l->t0_ms = l->last_flush_ms = now;
    l->last_publish_ms = now - PUBLISH_EVERY_MS;
    l->pub_dirty = true;
    l->adaptive = c->adaptive;
    int start = c->adaptive && c->start_concurrent > 0 ? c->start_concurrent : c->max_concurrent;
    mer_adapt_init(&l->adapt, start, c->max_concurrent, c->rate);
    l->burst_cfg = c->burst > 0 ? c->burst : (c->rate >= 1 ? (int)c->rate : 0);
    mer_bucket_init(&l->bucket, l->adapt.rate, mer_adapt_burst(&l->adapt, l->burst_cfg), now);
    l->block_mark_ms = now;
    l->rng = (uint64_t)(now * 1000.0) ^ (uint64_t)(uintptr_t)l ^ 0x9e3779b97f4a7c15ULL;
    snprintf(l->ua, sizeof l->ua, "%s", c->user_agent[0] ? c->user_agent : mer_default_user_agent());
    l->limits.connect_timeout_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 5000;
    l->limits.timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 20000;
    l->limits.max_body_bytes = c->max_body_bytes ? c->max_body_bytes : (4u << 20);
    l->limits.user_agent = l->ua;
    /* libcurl, unlike the curl tool, reads no environment for its CA bundle:
     * honour the same variables the tool does, so a private CA set up for curl
     * works here too. */
    const char *ca = c->ca_file[0] ? c->ca_file : getenv("CURL_CA_BUNDLE");
    if (!ca || !ca[0])
        ca = getenv("SSL_CERT_FILE");
    snprintf(l->ca_file, sizeof l->ca_file, "%s", ca ? ca : "");
    l->limits.ca_file = l->ca_file[0] ? l->ca_file : NULL;
    l->limits.share = l->share;
    l->ctl_adaptive = -1;
}

mer_loader *mer_loader_create(const mer_loader_config *c, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    if (!check_config(c, err, errlen))
        return NULL;
    mer_loader *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->cfg = *c;
    pthread_mutex_init(&l->in_lock, NULL);
    pthread_cond_init(&l->in_cond, NULL);
    pthread_mutex_init(&l->done_lock, NULL);
    pthread_mutex_init(&l->pub_lock, NULL);
    pthread_mutex_init(&l->cov_lock, NULL);
    l->cov_bits = malloc(COV_BYTES);
    /* Offline (and MBTiles): no network handle of any kind is ever created. */
    bool online = !c->offline && c->source.kind == MER_SOURCE_URL;
    l->sched = mer_sched_create();
    l->results = mer_results_create(c->on_ready, c->ud);
    l->pool = mer_decode_pool_create(c->decode_workers, mer_loader_decode_done, l);
    if (!l->sched || !l->results || !l->pool || !l->cov_bits) {
        snprintf(err, errlen, "cannot start the decode workers");
        goto fail;
    }
    if (online && !init_net(l, err, errlen))
        goto fail;
    if (c->source.kind == MER_SOURCE_WORLD) {
        char path[1024], why[256];
        if (c->world_path[0])
            snprintf(path, sizeof path, "%s", c->world_path);
        else if (!mer_world_find_asset(path, sizeof path)) {
            snprintf(err, errlen, "cannot find the world map data (assets/world.bin); set "
                                  "MERIDIAN_DATADIR");
            goto fail;
        }
        l->world = mer_world_load(path, why, sizeof why);
        if (!l->world) {
            snprintf(err, errlen, "cannot load the world map: %s", why);
            goto fail;
        }
    }
    init_thread_state(l);
    mer_loader_publish(l, mer_clock_ms());
    if (pthread_create(&l->thread, NULL, loader_main, l) != 0) {
        snprintf(err, errlen, "cannot start the loader thread");
        goto fail;
    }
    l->thread_started = true;
    return l;
fail:
    mer_loader_destroy(l);
    return NULL;
}

void mer_loader_want(mer_loader *l, uint64_t generation, const mer_want_tile *tiles, size_t n)
{
    mer_want_tile *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) {
        MER_LOGE(TAG, "out of memory: want of %zu tiles ignored", n);
        return;
    }
    if (n)
        memcpy(copy, tiles, n * sizeof *copy);
    pthread_mutex_lock(&l->in_lock);
    free(l->in_tiles); /* an unconsumed older want is simply replaced */
    l->in_tiles = copy;
    l->in_n = n;
    l->in_gen = generation;
    l->in_has_want = true;
    l->wants_posted++;
    pthread_mutex_unlock(&l->in_lock);
    mer_loader_wake(l);
}

size_t mer_loader_poll_results(mer_loader *l, mer_tile_result *out, size_t max)
{
    return mer_results_poll(l->results, out, max);
}

void mer_tile_result_release(mer_tile_result *r)
{
    if (!r)
        return;
    free(r->rgba);
    r->rgba = NULL;
}

void mer_loader_set_limits(mer_loader *l, int max_concurrent, double rate, int burst)
{
    pthread_mutex_lock(&l->in_lock);
    if (!l->ctl_limits) {
        l->ctl_cap = 0;
        l->ctl_rate = -1;
        l->ctl_burst = 0;
    }
    if (max_concurrent > 0)
        l->ctl_cap = max_concurrent > 1024 ? 1024 : max_concurrent;
    if (rate >= 0)
        l->ctl_rate = rate;
    if (burst > 0)
        l->ctl_burst = burst;
    l->ctl_limits = true;
    pthread_mutex_unlock(&l->in_lock);
    mer_loader_wake(l);
}

void mer_loader_set_adaptive(mer_loader *l, bool on)
{
    pthread_mutex_lock(&l->in_lock);
    l->ctl_adaptive = on;
    pthread_mutex_unlock(&l->in_lock);
    mer_loader_wake(l);
}

bool mer_loader_idle(mer_loader *l)
{
    pthread_mutex_lock(&l->in_lock);
    uint64_t posted = l->wants_posted;
    uint64_t cov_asked = l->cov_req_serial;
    pthread_mutex_unlock(&l->in_lock);
    /* A coverage question not answered yet is work too (scripts wait for it). */
    pthread_mutex_lock(&l->cov_lock);
    bool cov_busy = l->cov_serial != cov_asked;
    pthread_mutex_unlock(&l->cov_lock);
    if (cov_busy)
        return false;
    /* Read in the direction tiles flow (loader -> pool -> results): a tile
     * cannot slip past unseen, as only this (the client) thread polls. */
    if (atomic_load(&l->wants_done) != posted || atomic_load(&l->outstanding) > 0)
        return false;
    return mer_decode_pool_busy(l->pool) == 0 && mer_results_pending(l->results) == 0;
}

void mer_loader_destroy(mer_loader *l)
{
    if (!l)
        return;
    if (l->thread_started) {
        pthread_mutex_lock(&l->in_lock);
        l->stop = true;
        pthread_mutex_unlock(&l->in_lock);
        mer_loader_wake(l);
        pthread_join(l->thread, NULL);
    }
    /* The workers may still post notes and wake-ups: stop them before the
     * multi handle goes. */
    mer_decode_pool_destroy(l->pool);
    mer_world_free(l->world); /* no worker renders any more */
    if (l->multi)
        curl_multi_cleanup(l->multi);
    if (l->share)
        curl_share_cleanup(l->share);
    if (l->multi || l->share)
        curl_global_cleanup();
    mer_results_destroy(l->results);
    mer_sched_destroy(l->sched);
    free(l->in_tiles);
    free(l->done);
    free(l->pub_states);
    free(l->states);
    pthread_mutex_destroy(&l->in_lock);
    pthread_cond_destroy(&l->in_cond);
    pthread_mutex_destroy(&l->done_lock);
    pthread_mutex_destroy(&l->pub_lock);
    pthread_mutex_destroy(&l->cov_lock);
    free(l->cov_bits);
    free(l);
}
