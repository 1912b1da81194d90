#include "net/resp_headers.h"

#include <string.h>
#include <strings.h>

enum { F_NONE = 0, F_ETAG, F_LAST_MODIFIED, F_CACHE_CONTROL, F_OTHER };

void mer_resp_headers_reset(mer_resp_headers *h)
{
    memset(h, 0, sizeof *h);
    mer_cache_control_init(&h->cc);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "HTTP/1.1 200 OK", "HTTP/2 304": the three-digit code, 0 if malformed. */
static int parse_status(const char *p, size_t n)
{
    size_t i = 5;
    while (i < n && !is_ws(p[i]))
        i++;
    while (i < n && p[i] == ' ')
        i++;
    if (i + 3 > n)
        return 0;
    int code = 0;
    for (size_t k = 0; k < 3; k++) {
        if (p[i + k] < '0' || p[i + k] > '9')
            return 0;
        code = code * 10 + (p[i + k] - '0');
    }
    return i + 3 == n || is_ws(p[i + 3]) ? code : 0;
}

/* A copy for parsing: NUL-terminated, "" when it does not fit (a cut date
 * would parse as a different one). */
static void copy_whole(char *dst, size_t cap, const char *v, size_t n)
{
    if (n >= cap || memchr(v, '\0', n))
        n = 0;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static void set_validator(char *dst, size_t cap, const char *v, size_t n, bool etag)
{
    bool ok = n < cap && (etag ? mer_http_etag_valid(v, n) : mer_http_last_modified_valid(v, n));
    copy_whole(dst, cap, v, ok ? n : 0);
}

void mer_resp_headers_line(mer_resp_headers *h, const char *line, size_t n)
{
    if (!line)
        return;
    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        mer_resp_headers_reset(h);
        h->status = parse_status(line, n);
        return;
    }
    const char *end = line + n;
    while (end > line && (end[-1] == '\r' || end[-1] == '\n'))
        end--;
    if (end == line)
        return; /* the blank line after the fields */
    if (*line == ' ' || *line == '\t') {
        /* obs-fold (RFC 9112 5.2): the line continues the previous field. A
         * folded validator is not one we can send back; a folded
         * Cache-Control still counts, directive by directive. */
        if (h->last_field == F_ETAG)
            h->etag[0] = '\0';
        else if (h->last_field == F_LAST_MODIFIED)
            h->last_modified[0] = '\0';
        else if (h->last_field == F_CACHE_CONTROL)
            mer_cache_control_add(&h->cc, line, (size_t)(end - line));
        return;
    }
    const char *colon = memchr(line, ':', (size_t)(end - line));
    if (!colon)
        return;
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    const char *ve = end;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    size_t vn = (size_t)(ve - v);
#define NAME_IS(s) (name_len == sizeof(s) - 1 && strncasecmp(line, s, name_len) == 0)
    h->last_field = F_OTHER;
    if (NAME_IS("ETag")) {
        h->last_field = F_ETAG;
        set_validator(h->etag, sizeof h->etag, v, vn, true);
    } else if (NAME_IS("Last-Modified")) {
        h->last_field = F_LAST_MODIFIED;
        set_validator(h->last_modified, sizeof h->last_modified, v, vn, false);
    } else if (NAME_IS("Cache-Control")) {
        h->last_field = F_CACHE_CONTROL;
        mer_cache_control_add(&h->cc, v, vn);
    } else if (NAME_IS("Expires")) {
        copy_whole(h->expires, sizeof h->expires, v, vn);
    } else if (NAME_IS("Date")) {
        copy_whole(h->date, sizeof h->date, v, vn);
    } else if (NAME_IS("Retry-After")) {
        copy_whole(h->retry_after, sizeof h->retry_after, v, vn);
    }
#undef NAME_IS
}
