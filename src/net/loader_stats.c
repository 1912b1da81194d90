/* Published snapshots: the loader thread copies its counters and the per-tile
 * states out under pub_lock, which it only ever trylocks (a reader holding it
 * delays a publish by one loop turn, never a transfer). Readers copy out under
 * the same lock. Also the stats JSON for --stats files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/loader_impl.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void latency_percentiles(const mer_loader *l, double *p50, double *p95)
{
    double v[LAT_RING];
    size_t n = l->lat_n < LAT_RING ? l->lat_n : LAT_RING;
    *p50 = *p95 = 0;
    if (!n)
        return;
    memcpy(v, l->lat, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_double);
    *p50 = v[(n - 1) / 2];
    *p95 = v[(size_t)((double)(n - 1) * 0.95 + 0.5)];
}

static void fill_stats(mer_loader *l, double now, mer_loader_stats *s)
{
    *s = l->st;
    s->uptime_ms = now - l->t0_ms;
    s->in_flight = l->in_flight;
    s->queued = 0;
    for (size_t i = 0; i < mer_sched_count(l->sched); i++) {
        mer_tile_state st = mer_sched_at(l->sched, i)->state;
        s->queued += st == MER_TS_QUEUED || st == MER_TS_RETRY_WAIT;
    }
    s->cap = l->adapt.cap;
    s->cap_max = l->adapt.cap_max;
    s->rate_max = l->adapt.rate_max;
    s->adaptive = l->adaptive;
    mer_bucket b = l->bucket;
    mer_bucket_refill(&b, now);
    s->rate = b.rate;
    s->burst = (int)b.burst;
    s->tokens = b.rate > 0 ? b.tokens : b.burst;
    s->paused_ms = l->paused_until_ms > now ? l->paused_until_ms - now : 0;
    latency_percentiles(l, &s->latency_p50_ms, &s->latency_p95_ms);
    s->offline = l->multi == NULL;
}

static void fill_state(mer_loader *l, const mer_sched_entry *e, double now, mer_tile_state_info *o)
{
    memset(o, 0, sizeof *o);
    o->id = e->id;
    o->state = e->state;
    o->attempts = e->requests;
    o->last_status = e->last_status;
    snprintf(o->code, sizeof o->code, "%s", e->code);
    bool waiting = e->state == MER_TS_QUEUED || e->state == MER_TS_RETRY_WAIT;
    if (waiting && l->paused_until_ms > now) {
        o->state = MER_TS_PAUSED;
        double until = e->t_ready_ms > l->paused_until_ms ? e->t_ready_ms : l->paused_until_ms;
        o->wait_ms = until - now;
    } else if (e->state == MER_TS_RETRY_WAIT) {
        o->wait_ms = e->t_ready_ms > now ? e->t_ready_ms - now : 0;
    } else if (e->state == MER_TS_IN_FLIGHT) {
        o->elapsed_ms = now - e->t_start_ms;
    } else if (e->state == MER_TS_QUEUED) {
        o->queue_pos = e->queue_pos;
    }
}

static size_t build_states(mer_loader *l, double now)
{
    size_t n = mer_sched_count(l->sched);
    if (n > l->states_cap) {
        mer_tile_state_info *s = realloc(l->states, n * sizeof *s);
        if (!s)
            n = l->states_cap;
        else {
            l->states = s;
            l->states_cap = n;
        }
    }
    mer_sched_number_queue(l->sched);
    for (size_t i = 0; i < n; i++)
        fill_state(l, mer_sched_at(l->sched, i), now, &l->states[i]);
    return n;
}

bool mer_loader_publish(mer_loader *l, double now)
{
    if (!l->pub_dirty && now - l->last_publish_ms < 250)
        return true;
    if (now - l->last_publish_ms < PUBLISH_EVERY_MS && mer_sched_outstanding(l->sched) > 0)
        return false;
    size_t n = build_states(l, now);
    mer_loader_stats s;
    fill_stats(l, now, &s);
    if (pthread_mutex_trylock(&l->pub_lock) != 0)
        return false;
    l->pub = s;
    /* Swap buffers: the old published array becomes the next scratch. */
    mer_tile_state_info *old = l->pub_states;
    size_t old_cap = l->pub_cap;
    l->pub_states = l->states;
    l->pub_cap = l->states_cap;
    l->pub_n = n;
    pthread_mutex_unlock(&l->pub_lock);
    l->states = old;
    l->states_cap = old_cap;
    l->pub_dirty = false;
    l->last_publish_ms = now;
    return true;
}

void mer_loader_get_stats(mer_loader *l, mer_loader_stats *out)
{
    pthread_mutex_lock(&l->pub_lock);
    *out = l->pub;
    pthread_mutex_unlock(&l->pub_lock);
    /* Counters kept by the decode workers are read directly. */
    out->tiles_ok = atomic_load(&l->tiles_ok);
    out->decode_errors = atomic_load(&l->decode_errors);
    out->decoding = mer_decode_pool_busy(l->pool);
    out->results_pending = (int)mer_results_pending(l->results);
}

size_t mer_loader_get_tile_states(mer_loader *l, mer_tile_state_info *out, size_t max)
{
    pthread_mutex_lock(&l->pub_lock);
    size_t n = l->pub_n < max ? l->pub_n : max;
    if (n)
        memcpy(out, l->pub_states, n * sizeof *out);
    pthread_mutex_unlock(&l->pub_lock);
    return n;
}

size_t mer_loader_stats_json(const mer_loader_stats *s, char *buf, size_t len)
{
    /* The TLS reason holds curl's text: keep it JSON-safe (no quotes, no
     * backslashes, no control characters). */
    char tls[sizeof s->tls_error];
    size_t k = 0;
    for (const char *p = s->tls_error; *p && k + 1 < sizeof tls; p++)
        tls[k++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '\'' : *p;
    tls[k] = '\0';
    int n = snprintf(buf, len,
        "{\"uptime_ms\": %.1f, \"requests\": %llu, \"responses\": %llu, \"bytes\": %llu, "
        "\"status\": {\"200\": %llu, \"304\": %llu, \"404\": %llu, \"429\": %llu, \"5xx\": %llu, \"other\": %llu}, "
        "\"transport_errors\": %llu, \"retries\": %llu, \"cancelled\": %llu, \"dropped\": %llu, "
        "\"tiles_ok\": %llu, \"tiles_empty\": %llu, \"tiles_failed\": %llu, \"tiles_not_cached\": %llu, "
        "\"tiles_no_data\": %llu, \"decode_errors\": %llu, \"cache_hits\": %llu, \"cache_stale\": %llu, \"cache_misses\": %llu, "
        "\"cache_writes\": %llu, \"cache_errors\": %llu, \"revalidated\": %llu, \"connections\": %llu, "
        "\"in_flight\": %d, \"max_in_flight\": %d, \"queued\": %d, \"decoding\": %d, \"results_pending\": %d, "
        "\"cap\": %d, \"cap_max\": %d, \"adaptive\": %s, \"rate\": %.3f, \"tokens\": %.3f, \"burst\": %d, "
        "\"paused_ms\": %.1f, \"latency_p50_ms\": %.2f, \"latency_p95_ms\": %.2f, \"offline\": %s, "
        "\"rate_max\": %.3f, \"throttled\": %llu, \"limit_decreases\": %llu, \"shed_delayed\": %llu, "
        "\"limited_ms\": {\"cap\": %.1f, \"rate\": %.1f, \"cap_ceiling\": %.1f, \"rate_ceiling\": %.1f, "
        "\"paused\": %.1f}, \"tls_error\": \"%s\"}",
        s->uptime_ms, (unsigned long long)s->requests, (unsigned long long)s->responses,
        (unsigned long long)s->bytes, (unsigned long long)s->status_200, (unsigned long long)s->status_304,
        (unsigned long long)s->status_404, (unsigned long long)s->status_429, (unsigned long long)s->status_5xx,
        (unsigned long long)s->status_other, (unsigned long long)s->transport_errors,
        (unsigned long long)s->retries, (unsigned long long)s->cancelled, (unsigned long long)s->dropped,
        (unsigned long long)s->tiles_ok, (unsigned long long)s->tiles_empty, (unsigned long long)s->tiles_failed,
        (unsigned long long)s->tiles_not_cached, (unsigned long long)s->tiles_no_data,
        (unsigned long long)s->decode_errors,
        (unsigned long long)s->cache_hits, (unsigned long long)s->cache_stale, (unsigned long long)s->cache_misses,
        (unsigned long long)s->cache_writes, (unsigned long long)s->cache_errors,
        (unsigned long long)s->revalidated, (unsigned long long)s->connections, s->in_flight, s->max_in_flight,
        s->queued, s->decoding, s->results_pending, s->cap, s->cap_max, s->adaptive ? "true" : "false", s->rate,
        s->tokens, s->burst, s->paused_ms, s->latency_p50_ms, s->latency_p95_ms, s->offline ? "true" : "false",
        s->rate_max, (unsigned long long)s->throttled, (unsigned long long)s->limit_decreases,
        (unsigned long long)s->shed_delayed, s->limited_cap_ms,
        s->limited_rate_ms, s->ceiling_cap_ms, s->ceiling_rate_ms, s->paused_total_ms, tls);
    if (n < 0)
        return 0;
    return (size_t)n < len ? (size_t)n : (len ? len - 1 : 0);
}

void mer_loader_limit_note(const mer_loader_stats *s, double wall_ms, char *buf, size_t len)
{
    if (!len)
        return;
    buf[0] = '\0';
    if (wall_ms <= 0)
        return;
    /* Time at a ceiling is the user's to lift; a discovered limit is the
     * server's, and lifting ours would only bring 429s back. */
    double rate = s->ceiling_rate_ms / wall_ms, cap = s->ceiling_cap_ms / wall_ms;
    if (rate >= 0.2 && rate >= cap)
        snprintf(buf, len,
                 "held back %.0f %% of the time by the client-side limit of %g requests/s: "
                 "--rate raises it (0 = none) if the server allows",
                 100.0 * rate, s->rate_max);
    else if (cap >= 0.2)
        snprintf(buf, len,
                 "held back %.0f %% of the time by the client-side limit of %d requests in flight: "
                 "--max-concurrent raises it if the server allows",
                 100.0 * cap, s->cap_max);
}
