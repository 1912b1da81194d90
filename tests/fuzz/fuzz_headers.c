/* libFuzzer: response header lines as curl hands them over (status lines,
 * fields, obs-fold continuations, CRLF), through the loader's header parser
 * and everything that reads its results: freshness (Cache-Control, Expires,
 * Date), Retry-After, validators, the response classifier. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "net/policy.h"
#include "net/resp_headers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mer_resp_headers h;
    mer_resp_headers_reset(&h);
    /* One call per line, each ending in its '\n' as curl delivers them. */
    size_t start = 0;
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n' || i + 1 == size) {
            size_t n = i + 1 - start;
            char *line = malloc(n ? n : 1); /* exact size: ASan sees any overread */
            if (!line)
                return 0;
            memcpy(line, data + start, n);
            mer_resp_headers_line(&h, line, n);
            free(line);
            start = i + 1;
        }
    int64_t now = 1700000000;
    int64_t e = mer_http_expiry_cc(h.cc.present ? &h.cc : NULL, h.expires[0] ? h.expires : NULL,
                                   h.date[0] ? h.date : NULL, now, MER_CACHE_DEFAULT_FLOOR_S);
    if (e != MER_CACHE_NO_STORE && e < now)
        abort(); /* an expiry is never in the past */
    double secs;
    if (mer_retry_after_parse(h.retry_after, (time_t)now, &secs) && !(secs >= 0))
        abort();
    if (h.etag[0] && !mer_http_etag_valid(h.etag, strlen(h.etag)))
        abort(); /* kept validators are valid */
    if (h.last_modified[0] && !mer_http_last_modified_valid(h.last_modified, strlen(h.last_modified)))
        abort();
    for (const char *p = h.etag; *p; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            abort();
    (void)mer_http_classify(0, h.status);
    (void)mer_http_date(h.date);
    return 0;
}
