#include "core/geo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest number we read; RFC 5870 sets no limit, but 40 digits is already far
 * beyond double precision and keeps the digit loop bounded. */
#define NUM_MAX_CHARS 40

static bool fail(char *err, size_t len, const char *why)
{
    if (err && len)
        snprintf(err, len, "invalid geo: URI: %s", why);
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 5870 num = [ "-" ] 1*DIGIT [ "." 1*DIGIT ]. The syntax is checked by
 * hand because strtod also takes whitespace, "+", exponents, hex and "inf".
 * The value: digits / 10^fraction_digits is one correctly rounded division
 * (the same double strtod gives) while both are exact doubles, which covers
 * every coordinate anyone writes; longer numbers go to strtod. Advances *p. */
static bool scan_num(const char **p, bool allow_minus, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15};
    const char *s = *p;
    bool neg = *s == '-' && allow_minus;
    if (neg)
        s++;
    if (!is_digit(*s))
        return false;
    unsigned long long mant = 0;
    int digits = 0, frac = 0;
    for (; is_digit(*s); s++, digits++)
        mant = digits < 19 ? mant * 10 + (unsigned)(*s - '0') : mant;
    if (*s == '.') {
        s++;
        if (!is_digit(*s))
            return false;
        for (; is_digit(*s); s++, digits++, frac++)
            mant = digits < 19 ? mant * 10 + (unsigned)(*s - '0') : mant;
    }
    if (s - *p > NUM_MAX_CHARS)
        return false;
    double v;
    if (digits <= 15) {
        v = (double)mant / pow10[frac];
    } else {
        char buf[NUM_MAX_CHARS + 1];
        snprintf(buf, sizeof buf, "%.*s", (int)(s - *p), *p);
        v = fabs(strtod(buf, NULL));
    }
    *out = neg ? -v : v;
    *p = s;
    return true;
}

static bool coords_in_range(double lat, double lon, char *err, size_t len)
{
    if (lat < -90.0 || lat > 90.0)
        return fail(err, len, "latitude must be within -90..90");
    if (lon < -180.0 || lon > 180.0)
        return fail(err, len, "longitude must be within -180..180");
    return true;
}

/* pname = 1*( alphanum / "-" ) */
static size_t pname_len(const char *p)
{
    size_t n = 0;
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') || is_digit(p[n]) || p[n] == '-')
        n++;
    return n;
}

/* Characters that may appear in a parameter or query value: printable ASCII
 * other than the delimiters that end it. */
static size_t value_len(const char *p, const char *stops)
{
    size_t n = 0;
    while (p[n] > ' ' && p[n] < 0x7f && !strchr(stops, p[n]))
        n++;
    return n;
}

/* ;crs=wgs84 ;u=12 ;other[=value] ... after the coordinates. */
static bool parse_params(const char **pp, mer_geo *g, char *err, size_t len)
{
    const char *p = *pp;
    while (*p == ';') {
        p++;
        size_t n = pname_len(p);
        if (n == 0)
            return fail(err, len, "empty parameter name after ';'");
        const char *name = p;
        p += n;
        const char *val = NULL;
        size_t vn = 0;
        if (*p == '=') {
            val = ++p;
            vn = value_len(p, ";?#");
            if (vn == 0)
                return fail(err, len, "empty parameter value after '='");
            p += vn;
        }
        if (n == 3 && strncasecmp(name, "crs", 3) == 0) {
            if (!val || vn != 5 || strncasecmp(val, "wgs84", 5) != 0)
                return fail(err, len, "only crs=wgs84 is supported");
        } else if (n == 1 && (*name == 'u' || *name == 'U')) {
            const char *q = val;
            if (!q || !scan_num(&q, false, &g->uncertainty) || q != val + vn)
                return fail(err, len, "u= must be a non-negative number of metres");
            g->have_u = true;
        }
    }
    *pp = p;
    return true;
}

/* q=LAT,LON or q=LAT,LON(label), the comma possibly written %2C.
 * Returns true and sets lat/lon only if the value holds coordinates. */
static bool query_coords(const char *v, size_t n, double *lat, double *lon)
{
    const char *p = v, *end = v + n;
    double a, b;
    if (!scan_num(&p, true, &a))
        return false;
    if (*p == ',')
        p++;
    else if (end - p >= 3 && strncasecmp(p, "%2C", 3) == 0)
        p += 3;
    else
        return false;
    if (!scan_num(&p, true, &b))
        return false;
    if (p != end && *p != '(')
        return false;
    *lat = a;
    *lon = b;
    return true;
}

static bool parse_query(const char *p, mer_geo *g, char *err, size_t len)
{
    while (*p) {
        size_t n = value_len(p, "&#");
        if (p[n] && p[n] != '&')
            return fail(err, len, "unexpected character in the query");
        if (n >= 2 && strncmp(p, "z=", 2) == 0) {
            const char *q = p + 2;
            if (!scan_num(&q, false, &g->zoom) || q != p + n || g->zoom > 22.0)
                return fail(err, len, "z must be a zoom level within 0..22");
            g->have_zoom = true;
        } else if (n > 2 && strncmp(p, "q=", 2) == 0) {
            double lat, lon;
            if (query_coords(p + 2, n - 2, &lat, &lon)) {
                if (!coords_in_range(lat, lon, err, len))
                    return false;
                g->lat = lat;
                g->lon = lon;
            } else if (g->lat == 0.0 && g->lon == 0.0) {
                /* geo:0,0?q=Paris: the position is in the search text. */
                return fail(err, len, "place search (q=) is not supported; give coordinates");
            }
        }
        p += n;
        if (*p == '&')
            p++;
    }
    return true;
}

bool mer_geo_parse(const char *uri, mer_geo *out, char *err, size_t errlen)
{
    if (!uri || strncasecmp(uri, "geo:", 4) != 0)
        return fail(err, errlen, "it must start with 'geo:'");
    _Static_assert(MER_GEO_URI_MAX == 511, "the message below says 511");
    if (strnlen(uri, MER_GEO_URI_MAX + 1) > MER_GEO_URI_MAX)
        return fail(err, errlen, "longer than 511 characters");
    const char *p = uri + 4;
    mer_geo g = {0};
    if (!scan_num(&p, true, &g.lat) || *p != ',')
        return fail(err, errlen, "expected geo:LAT,LON with plain decimal numbers");
    p++;
    if (!scan_num(&p, true, &g.lon))
        return fail(err, errlen, "expected a longitude after the comma");
    if (*p == ',') {
        p++;
        if (!scan_num(&p, true, &g.alt))
            return fail(err, errlen, "bad altitude");
        g.have_alt = true;
    }
    if (!coords_in_range(g.lat, g.lon, err, errlen))
        return false;
    if (*p == ';' && !parse_params(&p, &g, err, errlen))
        return false;
    if (*p == '?') {
        if (!parse_query(p + 1, &g, err, errlen))
            return false;
    } else if (*p) {
        return fail(err, errlen, "unexpected text after the coordinates");
    }
    *out = g;
    return true;
}
