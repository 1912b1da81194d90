#include "net/policy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

bool mer_curl_cert_error(int curl_code)
{
    switch (curl_code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return true;
    default:
        return false;
    }
}

mer_http_verdict mer_http_classify(int curl_code, long status)
{
    if (mer_curl_cert_error(curl_code))
        return MER_V_FAIL;
    switch (curl_code) {
    case CURLE_OK: break;
    /* Our own policies: retrying cannot help. (An over-size body is retried:
     * it is cut off before it costs much, and may be a server's hiccup.) */
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_URL_MALFORMAT:
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

/* ---- adaptive host limits (see policy.h) -------------------------------- */

#define ADAPT_EPOCH_MS 4000.0   /* successes remembered for 1-2 epochs */
#define ADAPT_RATE_FLOOR 0.2    /* requests/s: never stop asking altogether */
#define ADAPT_RATE_TOP 10000.0  /* beyond this without a ceiling: no limit at all */
#define ADAPT_MEASURE_MIN_MS 400.0
#define ADAPT_MEASURE_MAX_MS 3000.0 /* an older anchor: measure over the last 3 s of sends */
#define ADAPT_MEASURE_MIN_N 4
#define ADAPT_MARGIN 0.95       /* just under the measured rate: the server's bucket refills */
#define ADAPT_STEP_MS 500.0     /* at most one rate increase per step */
#define ADAPT_PROBE 1.5         /* growth per step before a measurement */
#define ADAPT_ADD 0.02          /* growth per step after one (at least ADAPT_ADD_MIN/s) */
#define ADAPT_ADD_MIN 0.25
#define ADAPT_QUIET_MS 6000.0   /* no refusal for this long: grow multiplicatively again */
#define ADAPT_REGROW 1.2
#define ADAPT_REPROBE_RUNS 32   /* rounds at the cap before trying a refused level again */
#define ADAPT_REPROBE_MS 10000.0
#define ADAPT_SLOW_START 2      /* successes per +1 before the first refusal: x1.5 per round */
#define ADAPT_WAVE_MS 5.0       /* requests sent this close together form one wave */

void mer_adapt_init(mer_adapt *a, int cap_start, int cap_max, double rate_max)
{
    memset(a, 0, sizeof *a);
    a->cap_max = cap_max >= 1 ? cap_max : 1;
    a->cap = cap_start < 1 ? 1 : cap_start > a->cap_max ? a->cap_max : cap_start;
    a->rate_max = rate_max > 0 ? rate_max : 0;
    a->rate = a->rate_max;
    a->anchor_ms = -1;
    a->rate_anchor_ms = -1;
    a->step_ms = -1e18;
    a->first_send_ms = -1;
}

void mer_adapt_set_max(mer_adapt *a, int cap_max, double rate_max)
{
    int old_cap_max = a->cap_max;
    a->cap_max = cap_max >= 1 ? cap_max : 1;
    /* A cap at its old ceiling follows the new one (the user asked for it). */
    if (a->cap > a->cap_max || a->cap == old_cap_max)
        a->cap = a->cap_max;
    double old_rate_max = a->rate_max;
    a->rate_max = rate_max > 0 ? rate_max : 0;
    if (a->rate == old_rate_max || (a->rate_max > 0 && (a->rate <= 0 || a->rate > a->rate_max))) {
        a->rate = a->rate_max;
        a->measured = false;
    }
}

void mer_adapt_sent(mer_adapt *a, double now_ms)
{
    mer_adapt_group *g = a->n_groups ? &a->groups[(a->n_groups - 1) % MER_ADAPT_GROUPS] : NULL;
    if (g && now_ms >= g->first_ms && now_ms - g->first_ms <= ADAPT_WAVE_MS) {
        g->n++;
        g->last_ms = now_ms;
    } else {
        g = &a->groups[a->n_groups++ % MER_ADAPT_GROUPS];
        *g = (mer_adapt_group){now_ms, now_ms, 1, 0, 0, a->rate > 0};
    }
    a->sends[a->n_sends++ % MER_ADAPT_SENDS] = now_ms;
    if (a->first_send_ms < 0)
        a->first_send_ms = now_ms;
    a->sent_since++;
}

/* Sends in the last window_ms (as far back as the ring goes); *span gets the
 * time they cover. After a long quiet spell, what was sent (and not refused)
 * lately is what the server took: a refusal now says it was just too much. */
static int sends_within(const mer_adapt *a, double now_ms, double window_ms, double *span)
{
    unsigned n = a->n_sends < MER_ADAPT_SENDS ? a->n_sends : MER_ADAPT_SENDS;
    int k = 0;
    double oldest = now_ms;
    for (unsigned i = 1; i <= n; i++) {
        double t = a->sends[(a->n_sends - i) % MER_ADAPT_SENDS];
        if (t < now_ms - window_ms)
            break;
        k++;
        oldest = t;
    }
    *span = k == MER_ADAPT_SENDS ? now_ms - oldest : window_ms;
    return k;
}

double mer_adapt_send_rate(const mer_adapt *a, double now_ms)
{
    if (a->first_send_ms < 0)
        return 0;
    double span;
    int k = sends_within(a, now_ms, 1000.0, &span);
    /* The last second, or less if sending began later (at least 100 ms, so a
     * first wave sent at once reads as a rate, not infinity). */
    if (span > now_ms - a->first_send_ms)
        span = now_ms - a->first_send_ms;
    if (span < 100.0)
        span = 100.0;
    return (double)k * 1000.0 / span;
}

/* The wave a request sent at sent_ms belonged to (NULL: too old). */
static mer_adapt_group *group_of(mer_adapt *a, double sent_ms)
{
    unsigned n = a->n_groups < MER_ADAPT_GROUPS ? a->n_groups : MER_ADAPT_GROUPS;
    for (unsigned i = 1; i <= n; i++) {
        mer_adapt_group *g = &a->groups[(a->n_groups - i) % MER_ADAPT_GROUPS];
        if (sent_ms >= g->first_ms && sent_ms <= g->last_ms)
            return g;
        if (sent_ms > g->last_ms)
            return NULL;
    }
    return NULL;
}

static void roll_epoch(mer_adapt *a, double now_ms)
{
    if (now_ms - a->epoch_ms < ADAPT_EPOCH_MS)
        return;
    a->ok_inflight[1] = now_ms - a->epoch_ms < 2 * ADAPT_EPOCH_MS ? a->ok_inflight[0] : 0;
    a->ok_inflight[0] = 0;
    a->epoch_ms = now_ms;
}

void mer_adapt_done(mer_adapt *a, double now_ms, double sent_ms)
{
    a->done_sent[a->n_done % MER_ADAPT_SENDS] = sent_ms;
    a->done_at[a->n_done++ % MER_ADAPT_SENDS] = now_ms;
}

/* How many requests a success sent at sent_ms with inflight_at_send in flight
 * proves the server took at once (see mer_adapt_success); 0 when the ring of
 * finished requests does not reach back to its send. */
static int proven_level(const mer_adapt *a, double now_ms, double sent_ms, int inflight_at_send)
{
    unsigned n = a->n_done < MER_ADAPT_SENDS ? a->n_done : MER_ADAPT_SENDS;
    /* An answer read in the first half of this request's life may have left
     * the server before this request got there (a loaded client reads late);
     * one read later was still being served while this one was. */
    double half = sent_ms + (now_ms - sent_ms) / 2;
    int gone = 0;
    unsigned i = 1;
    for (; i <= n; i++) {
        unsigned j = (a->n_done - i) % MER_ADAPT_SENDS;
        if (a->done_at[j] <= sent_ms)
            break; /* finished before it was sent (a finish at the same time came first) */
        if (a->done_at[j] < half && a->done_sent[j] <= sent_ms)
            gone++;
    }
    if (i > n && a->n_done > MER_ADAPT_SENDS)
        return 0;
    int level = inflight_at_send - gone;
    return level >= 1 ? level : 1;
}

void mer_adapt_success(mer_adapt *a, double now_ms, double sent_ms, int inflight_at_send, bool cap_full,
                       bool rate_waited)
{
    roll_epoch(a, now_ms);
    mer_adapt_group *g = group_of(a, sent_ms);
    if (g && ++g->ok == g->n && g->refused == 0 && g->n > a->lump)
        a->lump = g->n; /* the server's bucket held at least that many */
    /* What this success proves the server takes: itself and those sent
     * before it still unanswered when it was. Refused ones come back at once,
     * so they do not count; nor do ones answered earlier: a loaded client may
     * read an answer late and send more meanwhile, counting in flight what
     * the server had already finished. */
    int level = proven_level(a, now_ms, sent_ms, inflight_at_send);
    if (level > a->ok_inflight[0])
        a->ok_inflight[0] = level;
    /* A success sent before the last decrease answers for the old limits. */
    bool fresh = a->anchor_ms < 0 || sent_ms >= a->anchor_ms;
    if (fresh && a->cap_bad > 0 && level >= a->cap_bad)
        a->cap_bad = 0; /* that level works now */
    /* A level refused before costs a refusal (and maybe a Retry-After pause)
     * to try again: only after a long run and some seconds. */
    bool reprobe = a->cap_bad > 0 && a->cap + 1 >= a->cap_bad;
    /* Until the server first refuses, +1 per ADAPT_SLOW_START successes (x1.5
     * per round: a slow start as TCP's, gentler than its doubling, so the
     * round that overshoots a server's limit overshoots by less); then +1
     * per round. */
    int run = reprobe ? ADAPT_REPROBE_RUNS * a->cap : a->decreases ? a->cap : ADAPT_SLOW_START;
    if (fresh && cap_full && a->cap < a->cap_max && ++a->cap_run >= run &&
        (!reprobe || now_ms - a->cap_bad_ms >= ADAPT_REPROBE_MS)) {
        a->cap++;
        a->cap_run = 0;
    }
    /* (Any refusal holds growth back, not only those that lowered the rate:
     * a server refusing at all is no server to probe harder.) */
    if (a->rate <= 0 || !rate_waited || now_ms - a->step_ms < ADAPT_STEP_MS ||
        (a->anchor_ms >= 0 && now_ms - a->anchor_ms < ADAPT_STEP_MS))
        return;
    if (!a->measured)
        a->rate *= ADAPT_PROBE;
    else if (now_ms - a->anchor_ms >= ADAPT_QUIET_MS)
        a->rate *= ADAPT_REGROW;
    else
        a->rate += fmax(ADAPT_ADD_MIN, a->rate * ADAPT_ADD);
    if (a->rate_max > 0 && a->rate > a->rate_max)
        a->rate = a->rate_max;
    else if (a->rate_max <= 0 && a->rate > ADAPT_RATE_TOP)
        a->rate = 0;
    a->step_ms = now_ms;
}

mer_adapt_change mer_adapt_refused(mer_adapt *a, double now_ms, double sent_ms, int inflight_at_send,
                                   int inflight_now)
{
    roll_epoch(a, now_ms);
    mer_adapt_group *g = group_of(a, sent_ms);
    if (g && ++g->refused && g->rated && g->n > 1 && g->n - g->refused < a->lump)
        a->lump = g->n - g->refused; /* a lump the bucket allowed, not all taken */
    int ok_max = a->ok_inflight[0] > a->ok_inflight[1] ? a->ok_inflight[0] : a->ok_inflight[1];
    if (a->anchor_ms >= 0 && sent_ms < a->anchor_ms) {
        /* Sent under the old limits: it answers for the cap that was just
         * found too high, so it tracks the number in flight if that one did. */
        a->tracks_in_flight = a->last_change == MER_ADAPT_CAP;
        /* Refusals that come back together with the one that just lowered
         * the cap count what the server took at once (a wave meets the server
         * in any order): the cap is at most what is still in flight -- but
         * never below what successes proved (a token bucket running dry
         * refuses a whole wave, whatever the number in flight). */
        int c = inflight_now > ok_max ? inflight_now : ok_max;
        if ((a->last_change & MER_ADAPT_CAP) && fabs(sent_ms - a->wave_ms) <= ADAPT_WAVE_MS && c >= 1 && c < a->cap) {
            a->cap = c;
            a->cap_bad = c + 1;
        }
        return MER_ADAPT_NONE;
    }
    /* The load the server refused: requests sent together meet it in any
     * order, so the first of a wave may be the one refused; what is still in
     * flight as it comes back counts too. */
    int k = inflight_at_send > inflight_now + 1 ? inflight_at_send : inflight_now + 1;
    mer_adapt_change ch;
    if (k > 1 && ok_max > 0 && k > ok_max && k >= a->cap)
        ch = MER_ADAPT_CAP;  /* refusals track the number in flight (and it was full) */
    else if (k > 1 && ok_max == 0)
        ch = MER_ADAPT_BOTH; /* nothing to compare with yet */
    else
        ch = MER_ADAPT_RATE;
    a->tracks_in_flight = ch == MER_ADAPT_CAP;
    if (ch & MER_ADAPT_CAP) {
        /* What got through: what is still in flight, at least what succeeded. */
        int c = k - 1 < inflight_now ? k - 1 : inflight_now;
        if (c < ok_max)
            c = ok_max;
        if (c < 1)
            c = 1;
        if (c < a->cap)
            a->cap = c;
        a->cap_run = 0;
        a->cap_bad = k;
        a->cap_bad_ms = now_ms;
    }
    if (ch & MER_ADAPT_RATE) {
        /* Measured from the last refusal that lowered the rate: one that
         * only lowered the cap says nothing about the server's budget (a
         * concurrency limit refuses with tokens to spare). */
        double since = now_ms - a->rate_anchor_ms;
        int accepted = a->sent_since - 1; /* all but this one */
        if (a->rate_anchor_ms >= 0 && since > ADAPT_MEASURE_MAX_MS)
            accepted = sends_within(a, now_ms, ADAPT_MEASURE_MAX_MS, &since) - 1;
        bool valid = a->rate_anchor_ms >= 0 && since >= ADAPT_MEASURE_MIN_MS && accepted >= ADAPT_MEASURE_MIN_N;
        double r;
        if (valid) {
            r = ADAPT_MARGIN * accepted * 1000.0 / since;
        } else {
            double sent = mer_adapt_send_rate(a, now_ms);
            if (a->rate > 0 && sent > a->rate)
                sent = a->rate;
            r = 0.5 * sent;
        }
        if (a->rate > 0 && r > a->rate)
            r = a->rate;
        if (r < ADAPT_RATE_FLOOR)
            r = ADAPT_RATE_FLOOR;
        if (a->rate_max > 0 && r > a->rate_max)
            r = a->rate_max;
        a->rate = r;
        /* Once measured, the rate grows additively: a refusal that comes too
         * soon after the last to measure anything (the rate was too high)
         * halves it, but does not send it back to probing. */
        a->measured = a->measured || valid;
        a->rate_anchor_ms = now_ms;
        a->sent_since = 0;
    }
    a->anchor_ms = now_ms;
    a->wave_ms = sent_ms;
    a->decreases++;
    a->last_change = ch;
    return ch;
}

bool mer_throttle_pauses_host(long status, bool adaptive, bool tracks_in_flight)
{
    return !(adaptive && status == 503 && tracks_in_flight);
}

int mer_adapt_burst(const mer_adapt *a, int configured_burst)
{
    if (a->rate > 0 && a->rate == a->rate_max && configured_burst > 0)
        return configured_burst;
    int b = (int)(a->rate / 10.0);
    if (a->host_paused && b < a->lump)
        b = a->lump;
    if (configured_burst > 0 && b > configured_burst)
        b = configured_burst; /* a ceiling, as the cap's and the rate's */
    return b >= 1 ? b : 1;
}
