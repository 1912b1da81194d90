#include "net/xfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    mer_xfer *x = ud;
    size_t n = size * nmemb;
    x->received += n;
    /* Cut a huge body off at the cap, long before it is all downloaded:
     * returning less than n aborts the transfer with CURLE_WRITE_ERROR. */
    if (n > x->max - x->len) {
        x->too_big = true;
        return 0;
    }
    if (x->len + n > x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 16384;
        while (ncap < x->len + n)
            ncap *= 2;
        if (ncap > x->max)
            ncap = x->max;
        uint8_t *b = realloc(x->body, ncap);
        if (!b)
            return 0;
        x->body = b;
        x->cap = ncap;
    }
    memcpy(x->body + x->len, ptr, n);
    x->len += n;
    return n;
}

/* The host of url, or of ref resolved against url when ref is not NULL. */
static bool url_host(const char *url, const char *ref, char *host, size_t len)
{
    CURLU *u = curl_url();
    char *h = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              (!ref || curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK) &&
              curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && strlen(h) < len;
    if (ok)
        strcpy(host, h);
    curl_free(h);
    curl_url_cleanup(u);
    return ok;
}

/* A redirect is followed only on the host the source names: another host's
 * connection cap, rate, bulk-download policy and terms were never asked for
 * (a loopback URL redirecting to tile.openstreetmap.org would bypass them).
 * Returns false to stop the transfer before curl follows. */
static bool redirect_allowed(mer_xfer *x, const char *line, size_t n)
{
    if (x->hdr.status < 300 || x->hdr.status > 399 || n < 9 || strncasecmp(line, "location:", 9) != 0)
        return true;
    char loc[1024], host[256];
    size_t i = 9, j = n;
    while (i < j && (line[i] == ' ' || line[i] == '\t'))
        i++;
    while (j > i && (line[j - 1] == '\r' || line[j - 1] == '\n' || line[j - 1] == ' '))
        j--;
    const char *cur = NULL;
    curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &cur);
    bool parsed = j - i < sizeof loc && cur;
    if (parsed) {
        memcpy(loc, line + i, j - i);
        loc[j - i] = '\0';
        parsed = url_host(cur, loc, host, sizeof host);
    }
    if (parsed && strcasecmp(host, x->host) == 0)
        return true;
    snprintf(x->offhost, sizeof x->offhost, "%.*s", (int)sizeof x->offhost - 1,
             parsed ? host : "an unreadable Location");
    return false;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
    mer_xfer *x = ud;
    size_t n = size * nmemb;
    if (!redirect_allowed(x, line, n))
        return 0; /* aborts the transfer (CURLE_WRITE_ERROR) */
    mer_resp_headers_line(&x->hdr, line, n);
    return n;
}

static bool add_header(mer_xfer *x, const char *name, const char *value, bool etag)
{
    char line[256];
    if (!value || !*value)
        return true;
    /* Never send back bytes a server could use to inject a header line. */
    if (etag ? !mer_http_etag_valid(value, strlen(value)) : !mer_http_last_modified_valid(value, strlen(value)))
        return true;
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(x->req_headers, line);
    if (!l)
        return false;
    x->req_headers = l;
    return true;
}

static bool set_limits(CURL *e, const mer_xfer_limits *lim)
{
    CURLcode rc = CURLE_OK;
    /* Only http and https, for the first request and every redirect. */
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, lim->connect_timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, lim->timeout_ms);
    /* Refused before the body starts when Content-Length says too much. */
    rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)lim->max_body_bytes);
    /* Verification is always on: there is deliberately no option to turn it
     * off. A private CA is trusted by naming its file instead. */
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (lim->ca_file && lim->ca_file[0])
        rc |= curl_easy_setopt(e, CURLOPT_CAINFO, lim->ca_file);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, lim->user_agent);
    rc |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* whatever curl can decode */
    rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_FAILONERROR, 0L); /* we want the status and Retry-After */
    if (lim->share)
        rc |= curl_easy_setopt(e, CURLOPT_SHARE, lim->share);
    return rc == CURLE_OK;
}

mer_xfer *mer_xfer_create(const char *url, const mer_xfer_limits *lim, const char *etag,
                          const char *last_modified, void *owner)
{
    mer_xfer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->owner = owner;
    x->max = lim->max_body_bytes;
    x->easy = curl_easy_init();
    if (!x->easy || !set_limits(x->easy, lim))
        goto fail;
    mer_resp_headers_reset(&x->hdr);
    if (!add_header(x, "If-None-Match", etag, true) || !add_header(x, "If-Modified-Since", last_modified, false))
        goto fail;
    if (!url_host(url, NULL, x->host, sizeof x->host))
        goto fail;
    CURLcode rc = curl_easy_setopt(x->easy, CURLOPT_URL, url);
    /* Over TLS, ALPN says at handshake time whether HTTP/2 multiplexing is
     * possible, so waiting for a connection in progress costs nothing and saves
     * new connections. Over plain http curl only learns from the first response
     * that a connection is HTTP/1.1: waiting would serialise the first wave. */
    if (strncasecmp(url, "https:", 6) == 0)
        rc |= curl_easy_setopt(x->easy, CURLOPT_PIPEWAIT, 1L);
    rc |= curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    rc |= curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    rc |= curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    rc |= curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->error);
    if (x->req_headers)
        rc |= curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->req_headers);
    if (rc != CURLE_OK)
        goto fail;
    return x;
fail:
    mer_xfer_destroy(x);
    return NULL;
}

uint8_t *mer_xfer_take_body(mer_xfer *x, size_t *len)
{
    uint8_t *b = x->body;
    *len = x->len;
    x->body = NULL;
    x->len = x->cap = 0;
    return b;
}

void mer_xfer_destroy(mer_xfer *x)
{
    if (!x)
        return;
    if (x->easy)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->req_headers);
    free(x->body);
    free(x);
}
