#include "support/test_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/demo.h"


#define STOP_DEADLINE_MS 5000
#define FETCH_CAP (64u << 20)

static long long mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool mer_test_server_start(mer_test_server *s, const char *const *extra_args)
{
    memset(s, 0, sizeof *s);
    s->pid = -1;
    const char *dir = getenv("MER_BUILD_DIR");
    char exe[1024], err[1200];
    snprintf(exe, sizeof exe, "%s/meridian-tilesim", dir ? dir : ".");
    /* The server runs with --die-with-parent: a test that fails (cmocka
     * longjmps out) or crashes must not leave it holding CTest's output pipe.
     * --codes: the tests read each tile's z/x/y from its pixels. --map noise:
     * the synthetic map draws in the same time under any sanitizer, so tests
     * of limiters and latency measure the client, not the server's drawing;
     * tests of the real map pass --map world (the last --map wins). */
    const char *args[64] = {"--codes", "--map", "noise"};
    size_t n = 3;
    for (size_t i = 0; extra_args && extra_args[i] && n < 63; i++)
        args[n++] = extra_args[i];
    args[n] = NULL;
    s->pid = mer_tilesim_spawn(exe, args, &s->port, err, sizeof err);
    if (s->pid < 0) {
        fprintf(stderr, "test_server: %s\n", err);
        return false;
    }
    snprintf(s->base_url, sizeof s->base_url, "http://127.0.0.1:%d", s->port);
    return true;
}

typedef struct sink {
    char *buf;
    size_t len, used;
} sink;

static size_t sink_write(char *p, size_t size, size_t n, void *ud)
{
    sink *k = ud;
    size_t bytes = size * n;
    if (k->buf && k->used + bytes < k->len) {
        memcpy(k->buf + k->used, p, bytes);
        k->used += bytes;
        k->buf[k->used] = '\0';
    }
    return bytes;
}

static bool http(const mer_test_server *s, const char *path, bool post, char *out, size_t len)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", s->base_url, path);
    CURL *c = curl_easy_init();
    if (!c)
        return false;
    sink k = {out, len, 0};
    if (out && len)
        out[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    long code = 0;
    bool ok = curl_easy_perform(c) == CURLE_OK &&
              curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200;
    curl_easy_cleanup(c);
    return ok;
}

bool mer_test_server_get_stats(const mer_test_server *s, char *json, size_t len)
{
    return http(s, "/stats", false, json, len);
}

bool mer_test_server_control(const mer_test_server *s, const char *query, char *json, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "/control?%s", query);
    return http(s, path, true, json, len);
}

long mer_test_json_int(const char *json, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p)
        return -1;
    p += strlen(pat);
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p++ != ':')
        return -1;
    char *end;
    long v = strtol(p, &end, 10);
    return end == p ? -1 : v;
}

static size_t grow_write(char *p, size_t size, size_t n, void *ud)
{
    mer_test_response *r = ud;
    size_t bytes = size * n;
    if (r->len + bytes > FETCH_CAP)
        return 0; /* aborts the transfer */
    unsigned char *nb = realloc(r->body, r->len + bytes + 1);
    if (!nb)
        return 0;
    memcpy(nb + r->len, p, bytes);
    r->body = nb;
    r->len += bytes;
    r->body[r->len] = '\0';
    return bytes;
}

static void header_value(const char *line, size_t n, const char *name, char *dst, size_t dlen)
{
    size_t k = strlen(name);
    if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return;
    const char *v = line + k + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    snprintf(dst, dlen, "%.*s", (int)(end - v), v);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    mer_test_response *r = ud;
    size_t len = size * n;
    header_value(p, len, "Content-Type", r->content_type, sizeof r->content_type);
    header_value(p, len, "ETag", r->etag, sizeof r->etag);
    header_value(p, len, "Last-Modified", r->last_modified, sizeof r->last_modified);
    header_value(p, len, "Retry-After", r->retry_after, sizeof r->retry_after);
    header_value(p, len, "Cache-Control", r->cache_control, sizeof r->cache_control);
    return len;
}

static void setup_easy(CURL *c, const char *url, long timeout_ms, mer_test_response *out)
{
    memset(out, 0, sizeof *out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
}

bool mer_test_fetch_many(const char *const *urls, int n, int parallel, long timeout_ms, long max_body,
                         bool fresh, mer_test_response *out)
{
    CURLM *m = curl_multi_init();
    if (!m)
        return false;
    /* No CURLMOPT_MAX_TOTAL_CONNECTIONS: the loop below keeps at most
     * `parallel` transfers running, and curl's cap would park a new transfer
     * until its next timer instead of starting it when a connection closes. */
    int next = 0, running = 0, done = 0;
    /* Overall bound: every transfer times out on its own; this is a backstop. */
    long long deadline = mono_ms() + timeout_ms * ((n + parallel - 1) / parallel + 2);
    while (done < n && mono_ms() < deadline) {
        while (next < n && running < parallel) {
            CURL *c = curl_easy_init();
            if (!c)
                break;
            setup_easy(c, urls[next], timeout_ms, &out[next]);
            curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)&out[next]);
            curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(max_body > 0 ? max_body : FETCH_CAP));
            curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
            curl_easy_setopt(c, CURLOPT_FORBID_REUSE, fresh ? 1L : 0L);
            curl_multi_add_handle(m, c);
            next++;
            running++;
        }
        int still;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left, finished = 0;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            mer_test_response *r = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            r->curl_code = (int)msg->data.result;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
            curl_multi_remove_handle(m, msg->easy_handle);
            curl_easy_cleanup(msg->easy_handle);
            running--;
            done++;
            finished++;
        }
        if (done < n && !finished) /* else start the next transfers first */
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    curl_multi_cleanup(m); /* handles still attached, if any, were past the deadline */
    return done == n;
}

bool mer_test_fetch(const char *url, const char *const *headers, long timeout_ms, mer_test_response *out)
{
    CURL *c = curl_easy_init();
    memset(out, 0, sizeof *out);
    if (!c)
        return false;
    struct curl_slist *hl = NULL;
    for (int i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    setup_easy(c, url, timeout_ms, out);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    out->curl_code = (int)curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    return true;
}

void mer_test_response_free(mer_test_response *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

int mer_test_server_stop(mer_test_server *s)
{
    int result = mer_tilesim_stop(s->pid, STOP_DEADLINE_MS);
    s->pid = -1;
    return result;
}
