/* One HTTP request for one tile: a curl easy handle with every limit set, a
 * capped body buffer and the response headers the policy needs. Loader thread
 * only. The transfer rides in CURLOPT_PRIVATE. */
#ifndef MER_NET_XFER_H
#define MER_NET_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "net/resp_headers.h"

typedef struct mer_xfer_limits {
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_body_bytes;
    const char *user_agent;
    CURLSH *share; /* may be NULL */
    const char *ca_file; /* CA bundle (CURLOPT_CAINFO), NULL = curl's default */
} mer_xfer_limits;

typedef struct mer_xfer {
    CURL *easy;
    void *owner; /* the scheduler entry */
    uint8_t *body;
    size_t len, cap, max;
    size_t received;      /* body bytes seen, kept or not */
    bool too_big;         /* the write callback cut the body off */
    char host[256];       /* the host the URL names: redirects stay on it */
    char offhost[128];    /* where a refused redirect pointed ("" if none) */
    struct curl_slist *req_headers;
    /* Response headers of the final response (reset on each status line). */
    mer_resp_headers hdr;
    char error[CURL_ERROR_SIZE]; /* curl's detail for a failed transfer ("" if none) */
} mer_xfer;

/* NULL if curl cannot make a handle. etag/last_modified (may be NULL or "")
 * make the request conditional (If-None-Match / If-Modified-Since); a value
 * that is not a valid validator (e.g. read from an old cache file) is not sent. */
mer_xfer *mer_xfer_create(const char *url, const mer_xfer_limits *lim, const char *etag,
                          const char *last_modified, void *owner);
/* Takes the body (malloc'ed, caller frees); the transfer keeps nothing. */
uint8_t *mer_xfer_take_body(mer_xfer *x, size_t *len);
/* The caller has removed the easy handle from its multi handle. NULL is fine. */
void mer_xfer_destroy(mer_xfer *x);

#endif
