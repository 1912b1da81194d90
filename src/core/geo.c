#include "core/geo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool fail(char *err, size_t len, const char *why)
{
    if (err && len)
        snprintf(err, len, "invalid geo: URI: %s", why);
    return false;
}

/* Parses a decimal number ending at one of `stops` (or the end). */
static bool number(const char **p, const char *stops, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(*p, &end);
    if (end == *p || errno || !isfinite(v) || (*end && !strchr(stops, *end)))
        return false;
    *out = v;
    *p = end;
    return true;
}

bool mer_geo_parse(const char *uri, mer_geo *out, char *err, size_t errlen)
{
    if (!uri || strncasecmp(uri, "geo:", 4) != 0)
        return fail(err, errlen, "it must start with 'geo:'");
    const char *p = uri + 4;
    mer_geo g = {0};
    double alt;
    if (!number(&p, ",", &g.lat) || *p != ',')
        return fail(err, errlen, "expected geo:LAT,LON");
    p++;
    if (!number(&p, ",;?", &g.lon))
        return fail(err, errlen, "expected a longitude after the comma");
    if (*p == ',') {
        p++;
        if (!number(&p, ";?", &alt))
            return fail(err, errlen, "bad altitude");
    }
    if (g.lat < -90 || g.lat > 90)
        return fail(err, errlen, "latitude must be within -90..90");
    if (g.lon < -180 || g.lon > 180)
        return fail(err, errlen, "longitude must be within -180..180");
    /* ;crs=...;u=... parameters: only WGS-84 is meaningful here. */
    while (*p == ';') {
        p++;
        if (strncasecmp(p, "crs=", 4) == 0 && strncasecmp(p + 4, "wgs84", 5) != 0)
            return fail(err, errlen, "only crs=wgs84 is supported");
        p += strcspn(p, ";?");
    }
    if (*p == '?') {
        p++;
        while (*p) {
            size_t n = strcspn(p, "&");
            if (strncmp(p, "z=", 2) == 0) {
                char buf[32];
                snprintf(buf, sizeof buf, "%.*s", (int)(n - 2 < 31 ? n - 2 : 31), p + 2);
                char *end;
                double z = strtod(buf, &end);
                if (end == buf || *end || !(z >= 0 && z <= 22))
                    return fail(err, errlen, "z must be a zoom level within 0..22");
                g.zoom = z;
                g.have_zoom = true;
            }
            p += n;
            if (*p == '&')
                p++;
        }
    } else if (*p) {
        return fail(err, errlen, "unexpected text after the coordinates");
    }
    *out = g;
    return true;
}
