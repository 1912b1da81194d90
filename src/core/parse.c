#include "core/parse.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tile.h"

bool mer_parse_double(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool mer_parse_int(const char *s, long lo, long hi, int *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < lo || v > hi || v < INT_MIN || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

bool mer_parse_size(const char *s, int *w, int *h)
{
    char buf[64];
    if (!s || strlen(s) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", s);
    char *x = strpbrk(buf, "xX");
    if (!x)
        return false;
    *x = '\0';
    int ww, hh;
    if (!mer_parse_int(buf, 64, 16384, &ww) || !mer_parse_int(x + 1, 64, 16384, &hh))
        return false;
    *w = ww;
    *h = hh;
    return true;
}

bool mer_parse_int_range(const char *s, long lo, long hi, int *a, int *b)
{
    char buf[64];
    if (!s || strlen(s) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", s);
    int x, y;
    char *colon = strchr(buf, ':');
    if (!colon) {
        if (!mer_parse_int(buf, lo, hi, &x))
            return false;
        y = x;
    } else {
        *colon = '\0';
        if (!mer_parse_int(buf, lo, hi, &x) || !mer_parse_int(colon + 1, lo, hi, &y) || x > y)
            return false;
    }
    *a = x;
    *b = y;
    return true;
}

bool mer_parse_zoom_range(const char *s, int *a, int *b)
{
    return mer_parse_int_range(s, 0, MER_MAX_ZOOM - 1, a, b);
}

bool mer_parse_doubles(const char *s, int n, const double *lo, const double *hi, double *out)
{
    char buf[256];
    double v[8];
    if (!s || n < 1 || n > 8 || strlen(s) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", s);
    char *p = buf;
    for (int i = 0; i < n; i++) {
        char *comma = strchr(p, ',');
        if ((comma != NULL) != (i + 1 < n))
            return false; /* too few or too many fields */
        if (comma)
            *comma = '\0';
        if (!mer_parse_double(p, lo[i], hi[i], &v[i]))
            return false;
        p = comma ? comma + 1 : p;
    }
    memcpy(out, v, (size_t)n * sizeof *v);
    return true;
}

bool mer_parse_bbox(const char *s, double *west, double *south, double *east, double *north)
{
    static const double lo[4] = {-180, -90, -180, -90}, hi[4] = {180, 90, 180, 90};
    double v[4];
    if (!mer_parse_doubles(s, 4, lo, hi, v) || v[1] >= v[3])
        return false;
    *west = v[0];
    *south = v[1];
    *east = v[2];
    *north = v[3];
    return true;
}
