/* The loader's HTTP policy as pure functions (any thread, no I/O), so each
 * rule can be unit-tested: response classification, full-jitter backoff,
 * Retry-After parsing, the token bucket and AIMD adaptive concurrency. */
#ifndef MER_NET_POLICY_H
#define MER_NET_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define MER_BACKOFF_BASE_MS 250.0
#define MER_BACKOFF_CAP_MS 30000.0
/* A server's Retry-After is honoured up to this long; beyond it we still wait
 * this long (a broken header must not freeze the map for a day). */
#define MER_RETRY_AFTER_MAX_S 600.0

typedef enum mer_http_verdict {
    MER_V_OK = 0,       /* 200 with a body: decode it */
    MER_V_NOT_MODIFIED, /* 304: the cached copy is still good */
    MER_V_EMPTY,        /* 404/410: an empty tile, not an error */
    MER_V_THROTTLED,    /* 429/503: slow down (honour Retry-After, pause the host) */
    MER_V_RETRY,        /* other 5xx, transport errors, over-size bodies: back off and retry */
    MER_V_FAIL,         /* other 4xx, bad protocols, redirect loops: give up now */
} mer_http_verdict;

/* curl_code: a CURLcode (0 = the transfer completed and status is meaningful). */
mer_http_verdict mer_http_classify(int curl_code, long status);

/* Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^(attempt-1))].
 * attempt >= 1 counts failed tries so far; u01 is a uniform sample in [0,1). */
double mer_backoff_ms(int attempt, double base_ms, double cap_ms, double u01);

/* Retry-After value: delta-seconds or an HTTP-date. Returns the delay in
 * seconds from now (a date in the past gives 0), clamped to
 * MER_RETRY_AFTER_MAX_S; false if the value is not understood. */
bool mer_retry_after_parse(const char *value, time_t now, double *out_s);

/* A token bucket: `rate` tokens/s up to `burst`; rate <= 0 means unlimited. */
typedef struct mer_bucket {
    double rate, burst, tokens, last_ms;
} mer_bucket;

void mer_bucket_init(mer_bucket *b, double rate, int burst, double now_ms);
/* Changes the limits, keeping the fill (clamped to the new burst). */
void mer_bucket_set(mer_bucket *b, double rate, int burst, double now_ms);
void mer_bucket_refill(mer_bucket *b, double now_ms);
/* Takes one token if there is one. */
bool mer_bucket_take(mer_bucket *b, double now_ms);
/* Milliseconds until a token is available (0 if one is now). */
double mer_bucket_wait_ms(const mer_bucket *b, double now_ms);

/* AIMD concurrency: on a 429/503 the cap halves (at least 1); after `cap`
 * successes in a row it grows by one, never above max. */
typedef struct mer_aimd {
    int cap, max, run;
} mer_aimd;

void mer_aimd_init(mer_aimd *a, int max);
void mer_aimd_set_max(mer_aimd *a, int max);
void mer_aimd_throttled(mer_aimd *a);
void mer_aimd_success(mer_aimd *a);

#endif
