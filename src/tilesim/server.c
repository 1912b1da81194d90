/* strptime() is XSI. */
#define _XOPEN_SOURCE 700

#include "tilesim/server.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "core/clock.h"
#include "core/hash.h"
#include "core/tile.h"
#include "tilesim/bomb.h"
#include "tilesim/encode.h"
#include "tilesim/render.h"
#include "tilesim/tcache.h"

#define OVERSIZE_BYTES (50ull * 1024 * 1024)
#define TRICKLE_CHUNK 16   /* bytes per TRICKLE_EVERY_MS: a 20 KB tile takes ~20 min */
#define TRICKLE_EVERY_MS 1000
#define BLOCK_SIZE (64 * 1024)
#define MAX_STATUS 600

typedef struct counters {
    uint64_t requests;      /* tile requests (not /stats, /control) */
    uint64_t bytes;         /* body bytes sent for tile requests */
    uint64_t aborted;       /* tile requests the client dropped before the end */
    uint64_t connections;
    uint64_t cache_hits, rendered;
    uint64_t statuses[MAX_STATUS];
    uint64_t faults[TSIM_FAULT_COUNT];
    int in_flight, max_in_flight;
} counters;

struct tsim_server {
    struct MHD_Daemon *daemon;
    tsim_cache *cache;
    mer_world *world; /* --map world: read-only after start, freed after the daemon stops */
    tsim_style style; /* fixed at start-up */
    FILE *log; /* line-buffered; stdio locks it per fprintf */
    int port;
    double t0_ms; /* mer_clock_ms() at start */
    time_t last_modified;
    char last_modified_str[64];
    _Atomic unsigned long next_conn_id;

    pthread_mutex_t lock;
    pthread_cond_t wake; /* broadcast when stopping */
    /* Protected by lock: */
    tsim_config cfg;
    double tokens, tokens_at_ms;
    int admitted; /* tile requests past the limits, still in flight */
    uint64_t seq; /* random draws: one per admitted tile request */
    bool stopping;
    counters st;
};

typedef struct req {
    tsim_server *s;
    double start_ms;
    char path[192];
    unsigned long conn_id;
    int status;
    bool tile, admitted;
    tsim_fault fault;
    uint64_t bytes; /* written by the content reader, same thread as completion */
} req;

typedef enum { BODY_PLAIN, BODY_TRICKLE, BODY_OVERSIZE } body_mode;

typedef struct body {
    req *r;
    tsim_server *s;
    uint8_t *data;
    size_t len;
    uint64_t stop_at; /* < total: truncated fault */
    body_mode mode;
} body;

/* ---- time, randomness --------------------------------------------------- */

static double now_ms(const tsim_server *s)
{
    return mer_clock_ms() - s->t0_ms;
}

/* Uniform [0,1) from (seed, draw number, stream): the same seed gives the same
 * outcomes for the same sequence of requests, whatever the timing. */
static double rand01(uint64_t seed, uint64_t seq, uint64_t stream)
{
    uint64_t h = mer_mix64(seed * 0x9e3779b97f4a7c15ull ^ mer_mix64(seq * 4 + stream + 0x2545f4914f6cdd1dull));
    return (double)(h >> 11) / 9007199254740992.0;
}

/* Waits up to ms; false when the server is stopping. */
static bool wait_ms(tsim_server *s, double ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    long long ns = (long long)dl.tv_nsec + (long long)(ms * 1e6);
    dl.tv_sec += (time_t)(ns / 1000000000);
    dl.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &dl) == 0)
        ;
    bool ok = !s->stopping;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static void http_date(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static bool parse_http_date(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end)
        return false;
    *out = timegm(&tm);
    return true;
}

/* ---- responses ---------------------------------------------------------- */

/* Statuses are counted when queued, not when the transfer ends, so /stats
 * agrees with what a client has seen as soon as it has seen it. */
static enum MHD_Result queue(req *r, struct MHD_Connection *c, int status, struct MHD_Response *resp)
{
    r->status = status;
    if (r->tile) {
        pthread_mutex_lock(&r->s->lock);
        r->s->st.statuses[status]++;
        pthread_mutex_unlock(&r->s->lock);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_buf(req *r, struct MHD_Connection *c, int status, const char *type,
                                const char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    r->bytes = strlen(text);
    return queue(r, c, status, resp);
}

/* A tile that does not exist. Like real tile servers, the 404 may be cached
 * (clients remember empty tiles instead of asking again on every pan). */
static enum MHD_Result send_empty(req *r, struct MHD_Connection *c, const tsim_config *cfg)
{
    static const char text[] = "404 no such tile\n";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(sizeof text - 1, (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    char cc[64];
    snprintf(cc, sizeof cc, "public, max-age=%d", cfg->max_age);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
    r->bytes = sizeof text - 1;
    return queue(r, c, 404, resp);
}

/* A 429 or 503; secs = 0 sends no Retry-After. */
static enum MHD_Result send_retry(req *r, struct MHD_Connection *c, int status, int secs, bool as_date)
{
    char val[64] = "";
    if (secs > 0 && as_date)
        http_date(time(NULL) + secs, val, sizeof val);
    else if (secs > 0)
        snprintf(val, sizeof val, "%d", secs);
    const char *text = status == 429 ? "429 Too Many Requests\n" : "503 Service Unavailable\n";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    if (val[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, val);
    r->bytes = strlen(text);
    return queue(r, c, status, resp);
}

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    body *b = cls;
    uint64_t total = b->mode == BODY_OVERSIZE ? OVERSIZE_BYTES : b->len;
    if (pos >= b->stop_at)
        return pos >= total ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
    uint64_t n = b->stop_at - pos;
    if (n > max)
        n = max;
    if (b->mode == BODY_TRICKLE) {
        if (pos > 0 && !wait_ms(b->s, TRICKLE_EVERY_MS))
            return MHD_CONTENT_READER_END_WITH_ERROR;
        if (n > TRICKLE_CHUNK)
            n = TRICKLE_CHUNK;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t p = pos + i;
        buf[i] = (char)(p < b->len ? b->data[p] : (uint8_t)(mer_mix64(p) & 0xff));
    }
    b->r->bytes += n;
    return (ssize_t)n;
}

static void body_free(void *cls)
{
    body *b = cls;
    free(b->data);
    free(b);
}

/* Garbles the image bytes after the first 4 (the magic), so a sniffer still
 * says "image" but no decoder accepts it. */
static void corrupt(uint8_t *d, size_t len, uint64_t seed, uint64_t seq)
{
    for (size_t i = 4; i < len && i < 4 + 512; i++)
        d[i] = (uint8_t)(mer_mix64(seed ^ (seq << 20) ^ i) & 0xff);
}

/* ---- stats and log ------------------------------------------------------ */

static void stats_json(tsim_server *s, char *buf, size_t len)
{
    pthread_mutex_lock(&s->lock);
    counters c = s->st;
    pthread_mutex_unlock(&s->lock);
    int n = snprintf(buf, len,
                     "{\"requests\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"in_flight\": %d, "
                     "\"max_in_flight\": %d, \"aborted\": %" PRIu64 ", \"connections\": %" PRIu64
                     ", \"cache_hits\": %" PRIu64 ", \"rendered\": %" PRIu64 ", \"statuses\": {",
                     c.requests, c.bytes, c.in_flight, c.max_in_flight, c.aborted, c.connections,
                     c.cache_hits, c.rendered);
    bool first = true;
    for (int i = 0; i < MAX_STATUS && n > 0 && (size_t)n < len; i++)
        if (c.statuses[i]) {
            n += snprintf(buf + n, len - (size_t)n, "%s\"%d\": %" PRIu64, first ? "" : ", ", i, c.statuses[i]);
            first = false;
        }
    for (int i = 0; i < TSIM_FAULT_COUNT && n > 0 && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "%s\"%s\": %" PRIu64, i ? ", " : "}, \"faults\": {",
                      tsim_fault_name((tsim_fault)i), c.faults[i]);
    if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "}}\n");
}

static void log_request(tsim_server *s, const req *r, double end_ms, bool aborted)
{
    if (!s->log)
        return;
    fprintf(s->log, "start_ms=%.1f end_ms=%.1f conn=%lu status=%d bytes=%" PRIu64 " aborted=%d fault=%s path=%s\n",
            r->start_ms, end_ms, r->conn_id, r->status, r->bytes, aborted ? 1 : 0,
            tsim_fault_name(r->fault), r->path);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    tsim_server *s = cls;
    req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    /* Our own reset/truncation/shutdown is not the client's doing. */
    bool aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->fault != TSIM_FAULT_RESET &&
                   r->fault != TSIM_FAULT_TRUNCATED && toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN;
    if (r->tile) {
        pthread_mutex_lock(&s->lock);
        s->st.in_flight--;
        if (r->admitted)
            s->admitted--;
        s->st.bytes += r->bytes;
        if (aborted)
            s->st.aborted++;
        if (r->fault != TSIM_FAULT_NONE)
            s->st.faults[r->fault]++;
        pthread_mutex_unlock(&s->lock);
    }
    log_request(s, r, now_ms(s), aborted);
    free(r);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    tsim_server *s = cls;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    *socket_context = (void *)(uintptr_t)(atomic_fetch_add(&s->next_conn_id, 1) + 1);
    pthread_mutex_lock(&s->lock);
    s->st.connections++;
    pthread_mutex_unlock(&s->lock);
}

/* ---- /control ----------------------------------------------------------- */

typedef struct control_ctx {
    tsim_config cfg;
    char err[256];
    bool failed;
    bool reset_stats; /* reset-stats=1: zero the counters (not the settings) */
} control_ctx;

static enum MHD_Result control_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    control_ctx *x = cls;
    if (x->failed)
        return MHD_NO;
    if (strcmp(key, "reset-stats") == 0) {
        x->reset_stats = true;
        return MHD_YES;
    }
    if (!tsim_config_set_live(&x->cfg, key, value ? value : "", x->err, sizeof x->err))
        x->failed = true;
    return x->failed ? MHD_NO : MHD_YES;
}

/* A JSON string body: the message quotes what the client sent, which may
 * hold quotes, backslashes, control bytes or bytes that are not UTF-8. Every
 * byte outside printable ASCII becomes \u00XX, so the answer is valid JSON
 * (and valid UTF-8) whatever came in. */
static void json_escape(const char *in, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 7 < len; p++) {
        if (*p == '"' || *p == '\\') {
            out[n++] = '\\';
            out[n++] = (char)*p;
        } else if (*p < 0x20 || *p > 0x7e) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[*p >> 4];
            out[n + 5] = hex[*p & 15];
            n += 6;
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
}

static enum MHD_Result handle_control(tsim_server *s, req *r, struct MHD_Connection *c, bool apply)
{
    control_ctx x = {.failed = false};
    pthread_mutex_lock(&s->lock);
    x.cfg = s->cfg;
    pthread_mutex_unlock(&s->lock);
    if (apply)
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, control_arg, &x);
    if (x.failed) {
        char esc[6 * sizeof x.err + 1], msg[sizeof esc + 32];
        json_escape(x.err, esc, sizeof esc);
        snprintf(msg, sizeof msg, "{\"error\": \"%s\"}\n", esc);
        return send_buf(r, c, 400, "application/json", msg);
    }
    pthread_mutex_lock(&s->lock);
    if (apply) {
        /* A reconfigured bucket starts full, as nginx's limiter after a reload. */
        if (x.cfg.rate != s->cfg.rate || x.cfg.burst != s->cfg.burst) {
            s->tokens = x.cfg.burst;
            s->tokens_at_ms = now_ms(s);
        }
        s->cfg = x.cfg;
    }
    if (x.reset_stats) { /* requests still in flight stay counted as such */
        int in_flight = s->st.in_flight;
        memset(&s->st, 0, sizeof s->st);
        s->st.in_flight = s->st.max_in_flight = in_flight;
    }
    pthread_mutex_unlock(&s->lock);
    char json[768];
    tsim_config_live_json(&x.cfg, json, sizeof json);
    strncat(json, "\n", sizeof json - strlen(json) - 1);
    return send_buf(r, c, 200, "application/json", json);
}

/* ---- tiles -------------------------------------------------------------- */

typedef struct tile_req {
    mer_tile_id t;
    int scale;
    tsim_format fmt;
} tile_req;

static bool parse_tile_path(const char *url, tile_req *out)
{
    long z, x, y;
    int n = 0;
    char suffix[16];
    if (sscanf(url, "/%ld/%ld/%ld%15s%n", &z, &x, &y, suffix, &n) != 4 || url[n] != '\0')
        return false;
    const char *ext = suffix;
    out->scale = 1;
    if (strncmp(ext, "@2x", 3) == 0) {
        out->scale = 2;
        ext += 3;
    }
    if (strcmp(ext, ".png") == 0)
        out->fmt = TSIM_PNG;
    else if (strcmp(ext, ".webp") == 0)
        out->fmt = TSIM_WEBP;
    else if (strcmp(ext, ".jpg") == 0 || strcmp(ext, ".jpeg") == 0)
        out->fmt = TSIM_JPEG;
    else
        return false;
    if (z < 0 || z > MER_MAX_ZOOM || x < 0 || y < 0 || x >= (1L << z) || y >= (1L << z))
        out->t = (mer_tile_id){-1, -1, -1};
    else
        out->t = (mer_tile_id){(int32_t)z, (int32_t)x, (int32_t)y};
    return true;
}

static bool tile_is_empty(const tsim_server *s, const tsim_config *cfg, mer_tile_id t)
{
    switch (cfg->empty_rule) {
    case TSIM_EMPTY_SEA:
        return tsim_style_tile_is_sea(&s->style, t);
    case TSIM_EMPTY_HASH:
        return rand01(cfg->seed, mer_tile_key(t), 3) < cfg->empty_fraction;
    default:
        return false;
    }
}

/* Admission under the lock, as real servers refuse: load shedding first (503
 * when more than `overload` are in flight), then the concurrency cap and the
 * token bucket (429, at once, like nginx's limit_req with nodelay). Returns 0
 * when admitted, else the status to answer; *retry is the Retry-After seconds
 * (0 = send none). */
static int admit(tsim_server *s, req *r, tsim_config *cfg, uint64_t *seq, int *retry)
{
    int status = 0;
    *retry = 0;
    pthread_mutex_lock(&s->lock);
    *cfg = s->cfg;
    double now = now_ms(s);
    if (cfg->rate > 0) {
        s->tokens = fmin((double)cfg->burst, s->tokens + (now - s->tokens_at_ms) / 1000.0 * cfg->rate);
        s->tokens_at_ms = now;
    }
    if (cfg->overload > 0 && s->admitted >= cfg->overload) {
        status = 503;
        *retry = 1;
    } else if (cfg->max_concurrent > 0 && s->admitted >= cfg->max_concurrent) {
        status = 429;
        *retry = 1; /* one in-flight request ends well within a second at sane latencies */
    } else if (cfg->rate > 0 && s->tokens < 1.0) {
        status = 429;
        *retry = (int)ceil((1.0 - s->tokens) / cfg->rate);
        if (*retry < 1)
            *retry = 1;
    } else {
        if (cfg->rate > 0)
            s->tokens -= 1.0;
        s->admitted++;
        r->admitted = true;
        *seq = s->seq++;
    }
    if (status == 429 && cfg->no_retry_after)
        *retry = 0;
    pthread_mutex_unlock(&s->lock);
    return status;
}

static tsim_fault draw_fault(const tsim_config *cfg, uint64_t seq, bool *fail503)
{
    double u = rand01(cfg->seed, seq, 0), acc = cfg->fail_rate;
    *fail503 = u < acc;
    if (*fail503)
        return TSIM_FAULT_NONE;
    for (int i = 0; i < TSIM_FAULT_COUNT; i++) {
        acc += cfg->faults[i];
        if (u < acc)
            return (tsim_fault)i;
    }
    return TSIM_FAULT_NONE;
}

static bool get_tile(tsim_server *s, const tile_req *tr, uint8_t **data, size_t *len)
{
    tsim_cache_key k = {tr->t, (int)tr->fmt, tr->scale};
    if (tsim_cache_get(s->cache, k, data, len)) {
        pthread_mutex_lock(&s->lock);
        s->st.cache_hits++;
        pthread_mutex_unlock(&s->lock);
        return true;
    }
    uint8_t *rgb = tsim_render_style(&s->style, tr->t, tr->scale);
    if (!rgb)
        return false;
    int rc = tsim_encode(tr->fmt, rgb, TSIM_TILE_PX * tr->scale, data, len);
    free(rgb);
    if (rc != 0)
        return false;
    tsim_cache_put(s->cache, k, *data, *len);
    pthread_mutex_lock(&s->lock);
    s->st.rendered++;
    pthread_mutex_unlock(&s->lock);
    return true;
}

static bool not_modified(tsim_server *s, struct MHD_Connection *c, const char *etag)
{
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm)
        return strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL;
    const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
    time_t t;
    return ims && parse_http_date(ims, &t) && t >= s->last_modified;
}

/* fault: dupcc sends "no-store" on a line of its own before the usual one
 * (RFC 9110 5.3: one list; a client that keeps only the last line caches
 * what it must not); badetag puts control characters into the validators
 * (libmicrohttpd refuses CR and LF, so those are tested without HTTP). */
static void add_cache_headers(tsim_server *s, struct MHD_Response *resp, const tsim_config *cfg,
                              const char *etag, tsim_fault fault)
{
    char cc[64];
    snprintf(cc, sizeof cc, "public, max-age=%d", cfg->max_age);
    if (fault == TSIM_FAULT_DUPCC)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
    if (fault == TSIM_FAULT_BADETAG) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, "\"x\x01X-Injected: yes\x7f\"");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, "Sun, 06 Nov 1994 08:49:37 GMT\x1b[2J");
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, s->last_modified_str);
}

static enum MHD_Result send_tile(tsim_server *s, req *r, struct MHD_Connection *c,
                                 const tile_req *tr, const tsim_config *cfg, uint64_t seq)
{
    char etag[96];
    snprintf(etag, sizeof etag, "\"tsim1-%d-%d-%d-%d-%d\"", tr->t.z, tr->t.x, tr->t.y, tr->scale, (int)tr->fmt);
    if (r->fault == TSIM_FAULT_NONE && not_modified(s, c, etag)) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        add_cache_headers(s, resp, cfg, etag, r->fault);
        return queue(r, c, 304, resp);
    }
    body *b = calloc(1, sizeof *b);
    bool got = b && (r->fault == TSIM_FAULT_BOMB ? (b->data = tsim_bomb(tr->fmt, &b->len)) != NULL
                                                 : get_tile(s, tr, &b->data, &b->len));
    if (!got) {
        free(b);
        return send_buf(r, c, 500, "text/plain", "500 tile rendering failed\n");
    }
    b->r = r;
    b->s = s;
    b->stop_at = b->len;
    if (r->fault == TSIM_FAULT_TRUNCATED)
        b->stop_at = b->len / 2;
    else if (r->fault == TSIM_FAULT_CORRUPT)
        corrupt(b->data, b->len, cfg->seed, seq);
    else if (r->fault == TSIM_FAULT_TRICKLE)
        b->mode = BODY_TRICKLE;
    else if (r->fault == TSIM_FAULT_OVERSIZE) {
        b->mode = BODY_OVERSIZE;
        b->stop_at = OVERSIZE_BYTES;
    }
    uint64_t total = b->mode == BODY_OVERSIZE ? OVERSIZE_BYTES : b->len;
    struct MHD_Response *resp = MHD_create_response_from_callback(total, BLOCK_SIZE, body_read, b, body_free);
    if (!resp) {
        body_free(b);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, tsim_format_mime(tr->fmt));
    add_cache_headers(s, resp, cfg, etag, r->fault);
    return queue(r, c, 200, resp);
}

static enum MHD_Result reset_connection(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci) {
        /* linger 0: close() sends RST instead of FIN */
        struct linger lg = {1, 0};
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    return MHD_NO;
}

static const char g_html_error[] =
    "<!DOCTYPE html>\n<html><head><title>Service temporarily unavailable</title></head>\n"
    "<body><h1>Oops</h1><p>The tile backend is having a bad day (tilesim html200 fault).</p></body></html>\n";

static enum MHD_Result handle_tile(tsim_server *s, req *r, struct MHD_Connection *c, const tile_req *tr)
{
    r->tile = true;
    pthread_mutex_lock(&s->lock);
    s->st.requests++;
    if (++s->st.in_flight > s->st.max_in_flight)
        s->st.max_in_flight = s->st.in_flight;
    pthread_mutex_unlock(&s->lock);

    tsim_config cfg;
    uint64_t seq = 0;
    int retry;
    int refused = admit(s, r, &cfg, &seq, &retry);
    if (refused)
        return send_retry(r, c, refused, retry, cfg.retry_after_date);
    bool fail503;
    r->fault = draw_fault(&cfg, seq, &fail503);
    double delay = cfg.latency_ms + rand01(cfg.seed, seq, 1) * cfg.jitter_ms;
    if (delay > 0 && !wait_ms(s, delay))
        return MHD_NO;
    if (tr->t.z < 0 || tr->t.z > cfg.max_zoom || tile_is_empty(s, &cfg, tr->t)) {
        r->fault = TSIM_FAULT_NONE;
        return send_empty(r, c, &cfg);
    }
    if (fail503)
        return send_retry(r, c, 503, 1, cfg.retry_after_date);
    switch (r->fault) {
    case TSIM_FAULT_RESET:
        return reset_connection(c);
    case TSIM_FAULT_HTML200:
        return send_buf(r, c, 200, "text/html; charset=utf-8", g_html_error);
    default:
        return send_tile(s, r, c, tr, &cfg, seq);
    }
}

/* ---- dispatch ----------------------------------------------------------- */

static const char g_index[] =
    "<!DOCTYPE html>\n<html><head><title>meridian-tilesim</title>\n"
    "<style>body{font-family:sans-serif;margin:2em}img{display:block}"
    ".g{display:grid;grid-template-columns:repeat(4,256px)}</style></head><body>\n"
    "<h1>meridian-tilesim</h1><p>Tiles: /{z}/{x}/{y}.png, .webp, .jpg and @2x variants. "
    "<a href=\"/stats\">/stats</a>, <a href=\"/control\">/control</a>.</p>\n<div class=\"g\">"
    "<img src=\"/2/0/1.png\"><img src=\"/2/1/1.png\"><img src=\"/2/2/1.png\"><img src=\"/2/3/1.png\">"
    "<img src=\"/2/0/2.png\"><img src=\"/2/1/2.png\"><img src=\"/2/2/2.png\"><img src=\"/2/3/2.png\">"
    "</div></body></html>\n";

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    tsim_server *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->s = s;
        r->start_ms = now_ms(s);
        r->fault = TSIM_FAULT_NONE;
        snprintf(r->path, sizeof r->path, "%s", url);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        r->conn_id = ci ? (unsigned long)(uintptr_t)ci->socket_context : 0;
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size) { /* bodies are ignored */
        *upload_data_size = 0;
        return MHD_YES;
    }
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    if (strcmp(url, "/control") == 0 && (get || post))
        return handle_control(s, r, c, post);
    if (!get)
        return send_buf(r, c, 405, "text/plain", "405 method not allowed\n");
    if (strcmp(url, "/stats") == 0) {
        char json[4096];
        stats_json(s, json, sizeof json);
        return send_buf(r, c, 200, "application/json", json);
    }
    if (strcmp(url, "/") == 0)
        return send_buf(r, c, 200, "text/html; charset=utf-8", g_index);
    tile_req tr;
    if (!parse_tile_path(url, &tr))
        return send_buf(r, c, 404, "text/plain", "404 not found\n");
    return handle_tile(s, r, c, &tr);
}

/* ---- life cycle --------------------------------------------------------- */

static bool open_log(tsim_server *s, const char *path, char *err, size_t errlen)
{
    if (!path[0])
        return true;
    s->log = fopen(path, "a");
    if (!s->log) {
        snprintf(err, errlen, "cannot open log file %s", path);
        return false;
    }
    setvbuf(s->log, NULL, _IOLBF, 0);
    return true;
}

tsim_server *tsim_server_start(const tsim_config *cfg, char *err, size_t errlen)
{
    tsim_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->tokens = cfg->burst;
    s->t0_ms = mer_clock_ms();
    s->last_modified = time(NULL) - 60;
    http_date(s->last_modified, s->last_modified_str, sizeof s->last_modified_str);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    s->style.codes = cfg->codes;
    if (cfg->map == TSIM_MAP_WORLD) {
        char path[1024], why[256];
        if (cfg->world_path[0])
            snprintf(path, sizeof path, "%s", cfg->world_path);
        else if (!mer_world_find_asset(path, sizeof path)) {
            snprintf(err, errlen, "cannot find the world map data (assets/world.bin): give --world "
                                  "FILE or --map noise");
            tsim_server_stop(s);
            return NULL;
        }
        s->world = mer_world_load(path, why, sizeof why);
        if (!s->world) {
            snprintf(err, errlen, "cannot load the world map: %s", why);
            tsim_server_stop(s);
            return NULL;
        }
        s->style.world = s->world;
    }
    s->cache = tsim_cache_new((size_t)cfg->cache_mb * 1024 * 1024);
    if (!s->cache || !open_log(s, cfg->log_path, err, errlen)) {
        if (!s->cache)
            snprintf(err, errlen, "out of memory");
        tsim_server_stop(s);
        return NULL;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only, never 0.0.0.0 */
    s->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
        0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot listen on 127.0.0.1:%d", cfg->port);
        tsim_server_stop(s);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : cfg->port;
    return s;
}

int tsim_server_port(const tsim_server *s)
{
    return s->port;
}

void tsim_server_stop(tsim_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->log)
        fclose(s->log);
    tsim_cache_free(s->cache);
    mer_world_free(s->world); /* no connection thread renders any more */
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
