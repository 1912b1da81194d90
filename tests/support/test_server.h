/* Starts and stops meridian-tilesim for tests. The binary is
 * $MER_BUILD_DIR/meridian-tilesim (CTest sets MER_BUILD_DIR); it listens on
 * 127.0.0.1 on a free port. Not thread-safe: call from the test's main thread.
 *
 *   mer_test_server s;
 *   const char *args[] = {"--latency", "100", NULL};
 *   assert_true(mer_test_server_start(&s, args));
 *   ... s.base_url is "http://127.0.0.1:PORT" ...
 *   mer_test_server_stop(&s);
 */
#ifndef MER_TEST_SERVER_H
#define MER_TEST_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct mer_test_server {
    pid_t pid;
    int port;
    char base_url[64]; /* "http://127.0.0.1:PORT" */
} mer_test_server;

/* Spawns meridian-tilesim --port 0 [extra_args...] (NULL-terminated, may be
 * NULL) and waits up to 10 s for its "listening on" line. False on failure
 * (the child, if any, is killed). */
bool mer_test_server_start(mer_test_server *s, const char *const *extra_args);
/* GET /stats into json (NUL-terminated). */
bool mer_test_server_get_stats(const mer_test_server *s, char *json, size_t len);
/* POST /control?query (e.g. "rate=4&burst=2"); the answer (new settings as
 * JSON) goes into json if not NULL. False unless the server answered 200. */
bool mer_test_server_control(const mer_test_server *s, const char *query, char *json, size_t len);
/* The integer after the first "key": in json, or -1 if absent. */
long mer_test_json_int(const char *json, const char *key);
/* One blocking GET with libcurl (no proxy, timeout_ms total). headers: extra
 * request header lines, NULL-terminated, may be NULL. Fills out; free its
 * body with mer_test_response_free. Returns false only if curl could not even
 * start; transport errors are in out->curl_code (a CURLcode). Bodies are
 * capped at 64 MB. */
typedef struct mer_test_response {
    int curl_code;
    long status;
    unsigned char *body;
    size_t len;
    char content_type[128];
    char etag[128];
    char last_modified[64];
    char retry_after[64];
    char cache_control[128];
} mer_test_response;
bool mer_test_fetch(const char *url, const char *const *headers, long timeout_ms, mer_test_response *out);
void mer_test_response_free(mer_test_response *r);
/* Fetches n URLs with up to `parallel` transfers at once (curl multi, one
 * connection per transfer, reused when free). Each transfer has timeout_ms and
 * a body cap of max_body bytes (0 = 64 MB; a larger Content-Length fails at
 * once with CURLE_FILESIZE_EXCEEDED). fresh: a new connection per request
 * (curl silently retries a request whose reused connection was reset, which
 * would hide faults). out[i] belongs to urls[i]; free each. */
bool mer_test_fetch_many(const char *const *urls, int n, int parallel, long timeout_ms, long max_body,
                         bool fresh, mer_test_response *out);

/* SIGTERM, then waitpid up to 5 s, then SIGKILL. Returns the exit status
 * (0 after a clean shutdown), or -1 if it had to be killed. */
int mer_test_server_stop(mer_test_server *s);

#endif
