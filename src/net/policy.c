#include "net/policy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

mer_http_verdict mer_http_classify(int curl_code, long status)
{
    switch (curl_code) {
    case CURLE_OK: break;
    /* Our own policies: retrying cannot help. (An over-size body is retried:
     * it is cut off before it costs much, and may be a server's hiccup.) */
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return MER_V_FAIL;
    default:
        return MER_V_RETRY; /* timeouts, resets, refused, partial bodies */
    }
    if (status == 200 || status == 203)
        return MER_V_OK;
    if (status == 304)
        return MER_V_NOT_MODIFIED;
    if (status == 204 || status == 404 || status == 410)
        return MER_V_EMPTY;
    if (status == 429 || status == 503)
        return MER_V_THROTTLED;
    if (status >= 500 || status == 408)
        return MER_V_RETRY;
    return MER_V_FAIL;
}

double mer_backoff_ms(int attempt, double base_ms, double cap_ms, double u01)
{
    if (attempt < 1)
        attempt = 1;
    double ceiling = attempt > 40 ? cap_ms : base_ms * ldexp(1.0, attempt - 1);
    if (ceiling > cap_ms)
        ceiling = cap_ms;
    if (u01 < 0)
        u01 = 0;
    if (u01 >= 1)
        u01 = 0.999999;
    return ceiling * u01;
}

bool mer_retry_after_parse(const char *value, time_t now, double *out_s)
{
    if (!value)
        return false;
    while (isspace((unsigned char)*value))
        value++;
    if (!*value)
        return false;
    double s;
    if (isdigit((unsigned char)*value)) {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (*end)
            return false;
        s = errno ? MER_RETRY_AFTER_MAX_S : (double)v;
    } else {
        time_t t = curl_getdate(value, NULL);
        if (t == (time_t)-1)
            return false;
        s = difftime(t, now);
    }
    if (s < 0)
        s = 0;
    if (s > MER_RETRY_AFTER_MAX_S)
        s = MER_RETRY_AFTER_MAX_S;
    *out_s = s;
    return true;
}

void mer_bucket_init(mer_bucket *b, double rate, int burst, double now_ms)
{
    b->rate = rate > 0 ? rate : 0;
    b->burst = burst >= 1 ? burst : 1;
    b->tokens = b->burst; /* start full: the first screenful goes at once */
    b->last_ms = now_ms;
}

void mer_bucket_set(mer_bucket *b, double rate, int burst, double now_ms)
{
    mer_bucket_refill(b, now_ms);
    b->rate = rate > 0 ? rate : 0;
    b->burst = burst >= 1 ? burst : 1;
    if (b->tokens > b->burst)
        b->tokens = b->burst;
}

void mer_bucket_refill(mer_bucket *b, double now_ms)
{
    if (now_ms > b->last_ms && b->rate > 0) {
        b->tokens += (now_ms - b->last_ms) * b->rate / 1000.0;
        if (b->tokens > b->burst)
            b->tokens = b->burst;
    }
    if (now_ms > b->last_ms)
        b->last_ms = now_ms;
}

bool mer_bucket_take(mer_bucket *b, double now_ms)
{
    if (b->rate <= 0)
        return true;
    mer_bucket_refill(b, now_ms);
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

double mer_bucket_wait_ms(const mer_bucket *b, double now_ms)
{
    if (b->rate <= 0)
        return 0;
    double tokens = b->tokens;
    if (now_ms > b->last_ms)
        tokens += (now_ms - b->last_ms) * b->rate / 1000.0;
    if (tokens >= 1.0)
        return 0;
    return (1.0 - tokens) * 1000.0 / b->rate;
}

void mer_aimd_init(mer_aimd *a, int max)
{
    a->max = max >= 1 ? max : 1;
    a->cap = a->max;
    a->run = 0;
}

void mer_aimd_set_max(mer_aimd *a, int max)
{
    a->max = max >= 1 ? max : 1;
    if (a->cap > a->max)
        a->cap = a->max;
}

void mer_aimd_throttled(mer_aimd *a)
{
    a->cap = a->cap / 2 >= 1 ? a->cap / 2 : 1;
    a->run = 0;
}

void mer_aimd_success(mer_aimd *a)
{
    if (++a->run >= a->cap) {
        a->run = 0;
        if (a->cap < a->max)
            a->cap++;
    }
}
