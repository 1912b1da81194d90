/* HTTP freshness for the tile cache (RFC 9111, as far as a tile client needs
 * it). Pure functions, any thread.
 *
 * Meridian is a private cache, so s-maxage (for shared caches, RFC 9111
 * 5.2.2.10) is ignored; max-age wins over Expires (5.3); no-cache means "store
 * but revalidate before use" (expiry = now); no-store means "do not store".
 * With no caching headers at all the tile lives floor_s seconds (OpenStreetMap
 * asks clients to keep tiles 7 days). */
#include "cache/cache.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_LIFETIME_S ((int64_t)10 * 365 * 24 * 3600)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_index(const char *s)
{
    static const char *const names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int i = 0; i < 12; i++)
        if (strncasecmp(s, names[i], 3) == 0 && s[3] == '\0')
            return i + 1;
    return 0;
}

static int64_t make_time(int year, const char *mon, int day, int h, int mi, int s)
{
    int m = month_index(mon);
    if (!m || day < 1 || day > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60 ||
        year < 1900 || year > 9999)
        return -1;
    return days_from_civil(year, m, day) * 86400 + h * 3600 + mi * 60 + s;
}

int64_t mer_http_date(const char *str)
{
    if (!str)
        return -1;
    while (*str == ' ' || *str == '\t')
        str++;
    char mon[4] = "", wday[16] = "", tz[4] = "";
    int d, y, h, mi, s, n = 0;
    /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
    if (sscanf(str, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", wday, &d, mon, &y, &h, &mi,
               &s, tz, &n) == 8 && strcmp(tz, "GMT") == 0)
        return make_time(y, mon, d, h, mi, s);
    /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit years: RFC 9110 5.6.7, simplified) */
    if (sscanf(str, "%15[A-Za-z], %2d-%3[A-Za-z]-%4d %2d:%2d:%2d %3[A-Z]%n", wday, &d, mon, &y, &h, &mi,
               &s, tz, &n) == 8 && strcmp(tz, "GMT") == 0)
        return make_time(y < 100 ? (y < 70 ? 2000 + y : 1900 + y) : y, mon, d, h, mi, s);
    /* asctime: Sun Nov  6 08:49:37 1994 */
    if (sscanf(str, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wday, mon, &d, &h, &mi, &s, &y, &n) == 7)
        return make_time(y, mon, d, h, mi, s);
    return -1;
}

/* Parses a delta-seconds value (optionally quoted); -1 if malformed. Caps huge values. */
static int64_t parse_seconds(const char *p, const char *end)
{
    if (p < end && *p == '"')
        p++;
    if (p >= end || !isdigit((unsigned char)*p))
        return -1;
    int64_t v = 0;
    for (; p < end && isdigit((unsigned char)*p); p++) {
        v = v * 10 + (*p - '0');
        if (v > MAX_LIFETIME_S)
            v = MAX_LIFETIME_S;
    }
    return v;
}

static bool token_is(const char *p, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

void mer_cache_control_init(mer_cache_control *cc)
{
    memset(cc, 0, sizeof *cc);
    cc->max_age = -1;
}

/* One field line's value, parsed in full whatever its length (nothing is
 * copied into a fixed buffer, so nothing can be cut off). Directives from
 * every line add up: a no-store on any line wins (RFC 9110 5.3: repeated
 * lines are one comma-separated list). Two different max-age values make
 * the freshness invalid, so the response is stale (RFC 9111 4.2.1). */
void mer_cache_control_add(mer_cache_control *cc, const char *v, size_t n)
{
    const char *p = v, *lim = v + n;
    cc->present = true;
    while (p < lim) {
        while (p < lim && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        const char *end = p;
        bool quoted = false;
        while (end < lim && (quoted || *end != ',')) {
            if (*end == '"')
                quoted = !quoted;
            end++;
        }
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *name_end = eq ? eq : end;
        while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        size_t k = (size_t)(name_end - p);
        if (token_is(p, k, "no-store")) {
            cc->no_store = true;
        } else if (token_is(p, k, "no-cache")) {
            cc->no_cache = true; /* with or without a field list: revalidate every time */
        } else if (token_is(p, k, "max-age") && eq) {
            int64_t s = parse_seconds(eq + 1, end);
            if (s >= 0) {
                if (cc->max_age >= 0 && cc->max_age != s)
                    cc->conflict = true;
                cc->max_age = s;
            }
        }
        p = end;
    }
}

int64_t mer_http_expiry_cc(const mer_cache_control *cc, const char *expires, const char *date, int64_t now,
                           int64_t floor_s)
{
    if (cc && cc->no_store)
        return MER_CACHE_NO_STORE;
    if (cc && (cc->no_cache || cc->conflict))
        return now;
    if (cc && cc->max_age >= 0)
        return now + cc->max_age;
    if (expires) {
        int64_t e = mer_http_date(expires);
        if (e < 0)
            return now; /* an invalid Expires (e.g. "0") means already expired */
        int64_t d = date ? mer_http_date(date) : -1;
        if (d < 0)
            d = now;
        int64_t life = e - d;
        if (life > MAX_LIFETIME_S)
            life = MAX_LIFETIME_S;
        return life > 0 ? now + life : now;
    }
    return now + (floor_s > 0 ? floor_s : 0);
}

int64_t mer_http_expiry(const char *cache_control, const char *expires, const char *date,
                        int64_t now, int64_t floor_s)
{
    mer_cache_control cc;
    mer_cache_control_init(&cc);
    if (cache_control)
        mer_cache_control_add(&cc, cache_control, strlen(cache_control));
    return mer_http_expiry_cc(cache_control ? &cc : NULL, expires, date, now, floor_s);
}

/* RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 /
 * %x23-7E (obs-text refused too: only visible ASCII is ever sent back). */
bool mer_http_etag_valid(const char *s, size_t n)
{
    if (n >= 2 && s[0] == 'W' && s[1] == '/') {
        s += 2;
        n -= 2;
    }
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return false;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x21 || ch > 0x7e || ch == '"')
            return false;
    }
    return true;
}

/* Visible ASCII and spaces only, and an HTTP date we can read: it is sent
 * back verbatim in If-Modified-Since. */
bool mer_http_last_modified_valid(const char *s, size_t n)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return mer_http_date(buf) >= 0;
}

bool mer_cache_is_fresh(const mer_cache_meta *m, int64_t now)
{
    return m && m->expires > now;
}
