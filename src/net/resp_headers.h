/* The response header fields the loader needs, gathered from the lines
 * libcurl hands over (status lines included, CRLF at the end, one call per
 * line). Pure functions, any thread; the fuzz target feeds them raw lines.
 *
 * Values from a server are untrusted: validators (ETag, Last-Modified) are
 * kept only when they are well-formed visible ASCII that fits, never cut to
 * fit, since they are sent back in request headers; Cache-Control lines are
 * parsed as they come (all of them, whatever their length); the other dates
 * are copied for parsing and cut ones simply fail to parse. */
#ifndef MER_NET_RESP_HEADERS_H
#define MER_NET_RESP_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

#include "cache/cache.h"

typedef struct mer_resp_headers {
    int status;          /* from the last status line, 0 if none */
    char etag[128];      /* "" unless valid */
    char last_modified[64];
    mer_cache_control cc;
    char expires[64];
    char date[64];
    char retry_after[64];
    int last_field;      /* internal: the field an obs-fold continuation belongs to */
} mer_resp_headers;

void mer_resp_headers_reset(mer_resp_headers *h);
/* One header line as curl passes it to CURLOPT_HEADERFUNCTION (not
 * NUL-terminated). A status line ("HTTP/...") starts a new response: what an
 * earlier one (a redirect, a 100) said is forgotten. */
void mer_resp_headers_line(mer_resp_headers *h, const char *line, size_t n);

#endif
