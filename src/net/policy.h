/* The loader's HTTP policy as pure functions (any thread, no I/O), so each
 * rule can be unit-tested: response classification, full-jitter backoff,
 * Retry-After parsing, the token bucket and adaptive host limits. */
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

/* True for a CURLcode that says the server's certificate was not accepted
 * (untrusted issuer, wrong host name, unreadable CA file): retrying cannot
 * help, and every other tile from that host would fail the same way. */
bool mer_curl_cert_error(int curl_code);

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

/* Adaptive host limits: the loader discovers how many requests a server
 * takes at once (the cap) and how many per second (the rate), within
 * ceilings (a preset's or the user's values) it never exceeds.
 *
 * Why it works against a token-bucket limiter without Retry-After: a refusal
 * that lowers the rate means the server's budget was empty at that moment
 * (the "rate anchor"; a refusal that only lowered the cap is no such moment).
 * From the next one back to the anchor, the server accepted exactly what it
 * refilled, so requests sent and not refused since the anchor, divided by the
 * time since, measure its rate -- whatever its burst. The rate is then set
 * just under that figure, and the server's burst is never relied on again.
 * Before any such measurement (the first refusal), the rate is halved from
 * what was actually sent and grows multiplicatively (a probe) until the next
 * refusal gives a measurement; after one it grows additively (and
 * multiplicatively again once a long run without refusals says the server
 * changed its mind).
 *
 * Refusals that track the number in flight (the cap was full when the
 * refused request was sent, with more in flight than any recent success
 * proved the server takes) lower the cap to what got through instead (what
 * is still in flight as the refusals of one round come back, never below
 * what succeeded). With no recent success to compare with, both are
 * lowered. Only refusals of requests sent after the last decrease count:
 * earlier ones answer for the old limits (one decrease per round trip).
 *
 * Before the first refusal the cap grows by one per two successes sent
 * while the cap held tiles back (x1.5 per round: a slow start as TCP's,
 * gentler than its doubling); after it, by one per `cap` such successes (up
 * to a level that was refused: only after many more, and seconds later); the
 * rate grows only while the loader was waiting on it. Times in ms on any
 * monotonic clock. Pure: no clock, no I/O. */
#define MER_ADAPT_SENDS 256
#define MER_ADAPT_GROUPS 16

/* Requests sent together (one wave): did the server take them all? */
typedef struct mer_adapt_group {
    double first_ms, last_ms;
    int n, ok, refused;
    bool rated; /* sent under a rate limit: a lump the bucket allowed */
} mer_adapt_group;

typedef struct mer_adapt {
    int cap, cap_max;      /* current cap, its ceiling (>= 1) */
    double rate, rate_max; /* requests/s: 0 = unlimited; rate_max 0 = no ceiling */
    bool measured;         /* rate comes from a measurement (additive growth) */
    double anchor_ms;      /* the last refusal reacted to (< 0: none yet) */
    double rate_anchor_ms; /* the last one that lowered the rate: the server's budget was empty */
    double step_ms;        /* the last rate increase */
    int sent_since;        /* requests sent after the rate anchor */
    int cap_run;           /* successes sent with the cap full since the last cap change */
    int cap_bad;           /* the number in flight last refused (0: none); probed again rarely */
    double cap_bad_ms;
    int ok_inflight[2];    /* most in flight together a success proved: this epoch, the last */
    double epoch_ms;       /* start of this epoch (epochs of MER_ADAPT_EPOCH_MS) */
    double sends[MER_ADAPT_SENDS]; /* ring of recent send times */
    unsigned n_sends;
    double first_send_ms;  /* < 0: nothing sent yet */
    uint64_t decreases;    /* refusals that lowered a limit */
    int last_change;       /* mer_adapt_change of the last decrease */
    bool tracks_in_flight; /* the last refusal tracked the number in flight (see mer_throttle_pauses_host) */
    double wave_ms;        /* when the request whose refusal caused it was sent */
    double done_sent[MER_ADAPT_SENDS], done_at[MER_ADAPT_SENDS]; /* ring of finished requests */
    unsigned n_done;
    mer_adapt_group groups[MER_ADAPT_GROUPS]; /* ring of recent waves */
    unsigned n_groups;
    int lump;              /* the most requests sent together that all succeeded */
    bool host_paused;      /* set by the caller once a Retry-After paused the host */
} mer_adapt;

/* What a refusal changed. */
typedef enum mer_adapt_change {
    MER_ADAPT_NONE = 0,  /* old news: sent before the last decrease */
    MER_ADAPT_RATE = 1,
    MER_ADAPT_CAP = 2,
    MER_ADAPT_BOTH = 3,
} mer_adapt_change;

/* cap_start is clamped to 1..cap_max; the rate starts at rate_max (0: no
 * rate limit until the server refuses something). */
void mer_adapt_init(mer_adapt *a, int cap_start, int cap_max, double rate_max);
/* New ceilings (live controls): current values are clamped to them; a rate
 * ceiling given where none was starts the rate there. */
void mer_adapt_set_max(mer_adapt *a, int cap_max, double rate_max);
/* A request left at now_ms (mer_adapt_done when it finishes). */
void mer_adapt_sent(mer_adapt *a, double now_ms);
/* A request sent at sent_ms with inflight_at_send requests in flight (itself
 * included) got a non-refused answer, read at now_ms with the answers that
 * came with it. What it proves the server takes at once: itself and the
 * requests sent before it that were not answered in the first half of its
 * life (those may have left the server before it got there: a loaded client
 * reads answers late and sends more meanwhile). cap_full: the cap held back a ready tile when it was
 * sent; rate_waited: the loader has lately been waiting for the rate. */
void mer_adapt_success(mer_adapt *a, double now_ms, double sent_ms, int inflight_at_send, bool cap_full,
                       bool rate_waited);
/* Any request sent at sent_ms finished at now_ms (answered, failed,
 * cancelled), after its mer_adapt_success / mer_adapt_refused if any. Times
 * never decrease, and a request finishing at the time another is sent
 * finished before that one was sent. */
void mer_adapt_done(mer_adapt *a, double now_ms, double sent_ms);
/* A 429 or 503 for a request sent at sent_ms with inflight_at_send in flight;
 * inflight_now: requests still in flight besides this one. */
mer_adapt_change mer_adapt_refused(mer_adapt *a, double now_ms, double sent_ms, int inflight_at_send,
                                   int inflight_now);
/* Whether a 429/503 carrying Retry-After pauses every request to the host
 * (true) or delays only the refused request (false). A 503 whose refusal
 * tracks the number in flight (mer_adapt_refused classed it MER_ADAPT_CAP,
 * or it answers for the same too-high cap) is load shedding: the server is
 * serving the others, the cap has already come down to what it took, so the
 * refused request alone waits its Retry-After. A 429 ("too many requests":
 * a rate) and any refusal not tracking the number in flight pause the host,
 * as do all refusals with fixed limits (nothing was learnt from them). */
bool mer_throttle_pauses_host(long status, bool adaptive, bool tracks_in_flight);
/* The token bucket size for the current rate: the configured burst while the
 * rate sits at its ceiling, else a tenth of a second's worth (at least 1), so
 * a discovered rate is not spent in lumps on a server whose own bucket may be
 * small. Once a Retry-After has paused the host (host_paused), the largest
 * wave the server took whole, if more: the budget it refilled while it had
 * us wait is used after the pause instead of wasted, in a lump no bigger than
 * one it has been seen to take. A lump sent under a rate limit that meets
 * refusals shrinks it to what got through (the server's bucket is smaller
 * now than when the lump was proven). A configured burst is a ceiling here
 * too. */
int mer_adapt_burst(const mer_adapt *a, int configured_burst);
/* Requests per second actually sent over the last second (for tests, stats). */
double mer_adapt_send_rate(const mer_adapt *a, double now_ms);

#endif
