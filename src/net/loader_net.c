/* The loader's network side (loader thread only): starting requests within
 * the cap, the token bucket and a host pause; turning finished transfers into
 * decode jobs, empty tiles, retries or failures; cancelling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "net/loader_impl.h"

#define TAG "loader"
/* A 429/503 carrying Retry-After is the server telling us when, not the tile
 * failing: allow many more of those than errors, but still a bounded number. */
#define THROTTLE_TRIES_FACTOR 8

static double rand01(mer_loader *l)
{
    /* xorshift64*: the loader thread's own generator for backoff jitter. */
    uint64_t x = l->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    l->rng = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static bool start_one(mer_loader *l, mer_sched_entry *e, double now)
{
    char url[MER_URL_MAX];
    mer_tile_id t = e->id;
    if (l->tls_error[0]) {
        /* The host's certificate was refused once: every tile would fail the
         * same way, so fail them now instead of a handshake each. */
        mer_loader_deliver(l, e, MER_TILE_FAILED, MER_ORIGIN_NETWORK, 0, "TLS", l->tls_error);
        return true;
    }
    if (!mer_source_tile_url(&l->cfg.source, t, url, sizeof url)) {
        mer_loader_deliver(l, e, MER_TILE_FAILED, MER_ORIGIN_NETWORK, 0, "URL", "cannot build the tile URL");
        return true;
    }
    mer_xfer *x = mer_xfer_create(url, &l->limits, e->revalidate ? e->etag : NULL,
                                  e->revalidate ? e->last_modified : NULL, e);
    if (!x || curl_multi_add_handle(l->multi, x->easy) != CURLM_OK) {
        mer_xfer_destroy(x);
        mer_loader_deliver(l, e, MER_TILE_FAILED, MER_ORIGIN_NETWORK, 0, "NET", "cannot start a request");
        return true;
    }
    e->xfer = x;
    e->state = MER_TS_IN_FLIGHT;
    e->t_start_ms = now;
    if (e->t_first_ms <= 0)
        e->t_first_ms = now;
    l->in_flight++;
    e->inflight_at_send = l->in_flight;
    e->cap_full = false; /* set by mer_loader_net_start if the cap held a tile back */
    mer_adapt_sent(&l->adapt, now);
    if (l->in_flight > l->st.max_in_flight)
        l->st.max_in_flight = l->in_flight;
    l->st.requests++;
    e->requests++;
    if (e->attempts + e->throttled > 0)
        l->st.retries++;
    l->pub_dirty = true;
    return true;
}

void mer_loader_net_sync_bucket(mer_loader *l, double now)
{
    mer_bucket_set(&l->bucket, l->adapt.rate, mer_adapt_burst(&l->adapt, l->burst_cfg), now);
}

/* Time ready tiles spent held back, by reason, for the stats (and the
 * summary lines that say when a client-side limit was the bottleneck). */
static void account_block(mer_loader *l, double now)
{
    double dt = now - l->block_mark_ms;
    l->block_mark_ms = now;
    if (dt <= 0)
        return;
    if (l->block == BLOCK_CAP) {
        l->st.limited_cap_ms += dt;
        if (l->adapt.cap >= l->adapt.cap_max)
            l->st.ceiling_cap_ms += dt;
    } else if (l->block == BLOCK_RATE) {
        l->st.limited_rate_ms += dt;
        if (l->adapt.rate_max > 0 && l->adapt.rate >= l->adapt.rate_max)
            l->st.ceiling_rate_ms += dt;
    } else if (l->block == BLOCK_PAUSE) {
        l->st.paused_total_ms += dt;
    }
}

#define START_BATCH 64

void mer_loader_net_start(mer_loader *l, double now)
{
    account_block(l, now);
    mer_sched_entry *e = NULL;
    /* The requests sent together here: if the cap then holds a ready tile
     * back, each of them was sent with the cap as the bottleneck, and their
     * successes may raise it (a first wave of 6 into a long queue is
     * cap-bound from its first request, not only its sixth). */
    mer_sched_entry *batch[START_BATCH];
    int nb = 0;
    for (;;) {
        e = mer_sched_next(l->sched, now);
        if (!e || now < l->paused_until_ms || l->in_flight >= l->adapt.cap)
            break;
        if (!mer_bucket_take(&l->bucket, now)) {
            l->rate_waited_ms = now;
            break;
        }
        start_one(l, e, now);
        if (e->state == MER_TS_IN_FLIGHT && nb < START_BATCH)
            batch[nb++] = e;
    }
    l->block = !e                         ? BLOCK_NONE
               : now < l->paused_until_ms ? BLOCK_PAUSE
               : l->in_flight >= l->adapt.cap ? BLOCK_CAP
                                              : BLOCK_RATE;
    if (l->block == BLOCK_CAP)
        for (int i = 0; i < nb; i++)
            batch[i]->cap_full = true;
}

static void finish_xfer(mer_loader *l, mer_sched_entry *e)
{
    mer_xfer *x = e->xfer;
    curl_off_t conns = 0;
    curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &conns);
    l->st.connections += (uint64_t)conns;
    l->st.bytes += x->received;
    curl_multi_remove_handle(l->multi, x->easy);
    mer_xfer_destroy(x);
    e->xfer = NULL;
    l->in_flight--;
    mer_adapt_done(&l->adapt, l->now_ms, e->t_start_ms);
    l->pub_dirty = true;
}

void mer_loader_net_cancel(mer_loader *l, mer_sched_entry *e)
{
    /* Removing an unfinished transfer closes its connection: the server sees
     * the abort and stops working on a tile nobody wants. */
    finish_xfer(l, e);
    l->st.cancelled++;
}

void mer_loader_net_cancel_all(mer_loader *l)
{
    for (size_t i = 0; i < mer_sched_count(l->sched); i++) {
        mer_sched_entry *e = mer_sched_at(l->sched, i);
        if (e->state == MER_TS_IN_FLIGHT) {
            mer_loader_net_cancel(l, e);
            e->state = MER_TS_QUEUED;
        }
    }
}

static void count_status(mer_loader *l, long status)
{
    l->st.responses++;
    if (status == 200)
        l->st.status_200++;
    else if (status == 304)
        l->st.status_304++;
    else if (status == 404)
        l->st.status_404++;
    else if (status == 429)
        l->st.status_429++;
    else if (status >= 500 && status <= 599)
        l->st.status_5xx++;
    else
        l->st.status_other++;
}

/* A short code for the overlay and a reason for people. */
static void describe_error(const mer_xfer *x, int cc, long status, size_t max, char *code, char *reason,
                           size_t rlen)
{
    if (mer_curl_cert_error(cc)) {
        snprintf(code, 8, "TLS");
        snprintf(reason, rlen, "certificate not accepted: %.69s", x->error[0] ? x->error : curl_easy_strerror((CURLcode)cc));
    } else if (x->offhost[0]) {
        snprintf(code, 8, "RDR");
        snprintf(reason, rlen, "redirected to another host (%.40s): not followed", x->offhost);
    } else if (x->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(code, 8, "BIG");
        snprintf(reason, rlen, "body larger than %zu bytes", max);
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(code, 8, "TMO");
        snprintf(reason, rlen, "timed out");
    } else if (cc != CURLE_OK) {
        snprintf(code, 8, cc == CURLE_COULDNT_CONNECT ? "CON" : "NET");
        snprintf(reason, rlen, "%s", curl_easy_strerror((CURLcode)cc));
    } else {
        snprintf(code, 8, "%ld", status);
        snprintf(reason, rlen, "HTTP %ld", status);
    }
}

static void schedule_retry(mer_loader *l, mer_sched_entry *e, double now, double delay_ms)
{
    e->state = MER_TS_RETRY_WAIT;
    e->t_ready_ms = now + delay_ms;
}

static void give_up(mer_loader *l, mer_sched_entry *e, long status, const char *code, const char *reason)
{
    if (e->revalidate) {
        /* The stale copy is already on screen and stays there. Its time is
         * noted so a later want waits the failure window before asking the
         * (failing) server again, instead of on every pan. */
        e->state = MER_TS_DONE;
        e->t_done_ms = mer_clock_ms();
        e->reval_failed = true;
        e->last_status = (int)status;
        snprintf(e->code, sizeof e->code, "%s", code ? code : "");
        return;
    }
    mer_loader_deliver(l, e, MER_TILE_FAILED, MER_ORIGIN_NETWORK, (int)status, code, reason);
}

static void on_throttled(mer_loader *l, mer_sched_entry *e, const mer_xfer *x, long status, double now)
{
    double ra_s;
    l->st.throttled++;
    if (l->adaptive && mer_adapt_refused(&l->adapt, now, e->t_start_ms, e->inflight_at_send, l->in_flight - 1) !=
                            MER_ADAPT_NONE) {
        l->st.limit_decreases++;
        mer_loader_net_sync_bucket(l, now);
        MER_LOGD(TAG, "+%.0f ms HTTP %ld: cap %d, rate %.2f/s%s", now - l->t0_ms, status, l->adapt.cap,
                 l->adapt.rate, l->adapt.tracks_in_flight ? " (tracks the number in flight)" : "");
    }
    e->throttled++;
    if (e->throttled > l->cfg.max_tries * THROTTLE_TRIES_FACTOR) {
        char reason[96];
        snprintf(reason, sizeof reason, "HTTP %ld on %d tries", status, e->throttled);
        give_up(l, e, status, status == 429 ? "429" : "503", reason);
        return;
    }
    if (mer_retry_after_parse(x->hdr.retry_after, time(NULL), &ra_s)) {
        if (!mer_throttle_pauses_host(status, l->adaptive, l->adapt.tracks_in_flight)) {
            /* Load shedding (see policy.h): the cap already came down to what
             * the server takes; this request alone waits its Retry-After. */
            l->st.shed_delayed++;
            schedule_retry(l, e, now, ra_s * 1000.0);
            return;
        }
        /* Retry-After speaks for the whole host: pause every request to it. */
        double until = now + ra_s * 1000.0;
        if (until > l->paused_until_ms)
            l->paused_until_ms = until;
        if (!l->adapt.host_paused) {
            l->adapt.host_paused = true; /* lumps after pauses (mer_adapt_burst) */
            mer_loader_net_sync_bucket(l, now);
        }
        schedule_retry(l, e, now, 0);
        return;
    }
    schedule_retry(l, e, now, mer_backoff_ms(e->throttled, MER_BACKOFF_BASE_MS, MER_BACKOFF_CAP_MS, rand01(l)));
}

static void on_retryable(mer_loader *l, mer_sched_entry *e, const mer_xfer *x, int cc, long status, double now)
{
    char code[8], reason[96];
    e->attempts++;
    if (e->attempts >= l->cfg.max_tries) {
        describe_error(x, cc, status, l->limits.max_body_bytes, code, reason, sizeof reason);
        char full[96];
        snprintf(full, sizeof full, "%.70s (after %d tries)", reason, e->attempts);
        give_up(l, e, status, code, full);
        return;
    }
    schedule_retry(l, e, now, mer_backoff_ms(e->attempts, MER_BACKOFF_BASE_MS, MER_BACKOFF_CAP_MS, rand01(l)));
}

static void store_response(mer_loader *l, mer_sched_entry *e, const mer_xfer *x, const uint8_t *body,
                           size_t len, bool empty)
{
    if (!l->cache)
        return;
    mer_cache_meta m;
    memset(&m, 0, sizeof m);
    int64_t now = (int64_t)time(NULL);
    snprintf(m.etag, sizeof m.etag, "%s", x->hdr.etag);
    snprintf(m.last_modified, sizeof m.last_modified, "%s", x->hdr.last_modified);
    m.fetched = now;
    m.expires = mer_http_expiry_cc(x->hdr.cc.present ? &x->hdr.cc : NULL, x->hdr.expires[0] ? x->hdr.expires : NULL,
                                   x->hdr.date[0] ? x->hdr.date : NULL, now, MER_CACHE_DEFAULT_FLOOR_S);
    /* A 404 without caching headers gets the cache's own (shorter) empty-tile
     * lifetime rather than the 7-day floor meant for images. */
    if (empty && !x->hdr.cc.present && !x->hdr.expires[0])
        m.expires = 0;
    m.empty = empty;
    if (mer_cache_put(l->cache, e->id, body, len, &m))
        l->st.cache_writes++;
    else
        l->st.cache_errors++;
    l->cache_dirty = true;
}

static void on_ok(mer_loader *l, mer_sched_entry *e, mer_xfer *x, double now)
{
    size_t len;
    uint8_t *body = mer_xfer_take_body(x, &len);
    store_response(l, e, x, body, len, false);
    double ms = now - e->t_start_ms;
    l->lat[l->lat_n++ % LAT_RING] = ms;
    mer_loader_submit(l, e, body, len, MER_ORIGIN_NETWORK, false);
}

static void on_not_modified(mer_loader *l, mer_sched_entry *e, const mer_xfer *x, double now)
{
    mer_cache_entry ce;
    memset(&ce, 0, sizeof ce);
    if (!e->revalidate || !l->cache || mer_cache_get(l->cache, e->id, &ce) != MER_CACHE_HIT) {
        on_retryable(l, e, x, CURLE_OK, 304, now);
        return;
    }
    mer_cache_meta m = ce.meta;
    int64_t t = (int64_t)time(NULL);
    if (x->hdr.etag[0])
        snprintf(m.etag, sizeof m.etag, "%s", x->hdr.etag);
    if (x->hdr.last_modified[0])
        snprintf(m.last_modified, sizeof m.last_modified, "%s", x->hdr.last_modified);
    m.fetched = t;
    m.expires = mer_http_expiry_cc(x->hdr.cc.present ? &x->hdr.cc : NULL, x->hdr.expires[0] ? x->hdr.expires : NULL,
                                   x->hdr.date[0] ? x->hdr.date : NULL, t, MER_CACHE_DEFAULT_FLOOR_S);
    if (mer_cache_refresh(l->cache, e->id, &m))
        l->st.revalidated++;
    l->cache_dirty = true;
    /* Deliver the now-fresh copy: the client may drop its "stale" mark. */
    e->revalidate = false;
    if (ce.meta.empty) {
        mer_cache_entry_free(&ce);
        mer_loader_deliver(l, e, MER_TILE_EMPTY, MER_ORIGIN_DISK, 304, NULL, NULL);
        return;
    }
    uint8_t *data = ce.data;
    ce.data = NULL;
    mer_loader_submit(l, e, data, ce.len, MER_ORIGIN_DISK, false);
    mer_cache_entry_free(&ce);
}

static void on_done(mer_loader *l, CURL *easy, CURLcode cc, double now)
{
    mer_xfer *x = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    if (!x)
        return;
    mer_sched_entry *e = x->owner;
    long status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_OK)
        count_status(l, status);
    else
        l->st.transport_errors++;
    e->last_status = (int)status;
    /* A refused redirect is our policy: no retry can change it. */
    int why = x->offhost[0] ? CURLE_TOO_MANY_REDIRECTS : x->too_big ? CURLE_FILESIZE_EXCEEDED : (int)cc;
    mer_http_verdict v = mer_http_classify(why, status);
    MER_LOGD(TAG, "+%.0f ms %d/%d/%d: curl %d, HTTP %ld, %zu bytes, sent at +%.0f with %d in flight", now - l->t0_ms,
             e->id.z, e->id.x, e->id.y, (int)cc, status, x->len, e->t_start_ms - l->t0_ms, e->inflight_at_send);
    /* Any answer that is not a refusal says the server took the request. */
    if (l->adaptive && (v == MER_V_OK || v == MER_V_NOT_MODIFIED || v == MER_V_EMPTY)) {
        double before = l->adapt.rate;
        int lump = l->adapt.lump;
        mer_adapt_success(&l->adapt, now, e->t_start_ms, e->inflight_at_send, e->cap_full,
                          now - l->rate_waited_ms < 1000.0);
        if (l->adapt.rate != before || l->adapt.lump != lump)
            mer_loader_net_sync_bucket(l, now);
    }
    char code[8], reason[96];
    switch (v) {
    case MER_V_OK: on_ok(l, e, x, now); break;
    case MER_V_NOT_MODIFIED: on_not_modified(l, e, x, now); break;
    case MER_V_EMPTY:
        store_response(l, e, x, NULL, 0, true);
        mer_loader_deliver(l, e, MER_TILE_EMPTY, MER_ORIGIN_NETWORK, (int)status, NULL, NULL);
        break;
    case MER_V_THROTTLED: on_throttled(l, e, x, status, now); break;
    case MER_V_RETRY: on_retryable(l, e, x, (int)cc, status, now); break;
    case MER_V_FAIL:
        describe_error(x, (int)cc, status, l->limits.max_body_bytes, code, reason, sizeof reason);
        if (mer_curl_cert_error((int)cc) && !l->tls_error[0]) {
            /* curl's text reaches the HUD and JSON files: printable ASCII only,
             * no quotes or backslashes. */
            for (char *p = reason; *p; p++)
                if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '"' || *p == '\\')
                    *p = '\'';
            snprintf(l->tls_error, sizeof l->tls_error, "%s", reason);
            snprintf(l->st.tls_error, sizeof l->st.tls_error, "%s", reason);
            MER_LOGE(TAG, "%s", reason);
        }
        give_up(l, e, status, code, reason);
        break;
    }
    /* The entry may have moved on (decoding, waiting); the transfer is over. */
    e->xfer = x;
    finish_xfer(l, e);
}

void mer_loader_net_drain(mer_loader *l, double now)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(l->multi, &left)) != NULL)
        if (m->msg == CURLMSG_DONE)
            on_done(l, m->easy_handle, m->data.result, now);
}
