/* geo: URIs (RFC 5870) with the common "z" zoom parameter, e.g.
 * geo:48.8584,2.2945?z=16 or geo:48.8584,2.2945,30;crs=wgs84;u=12?z=16.
 *
 * Accepted: numbers as the RFC's grammar spells them ("-"? digits ("." digits)?),
 * latitude -90..90, longitude -180..180, an optional altitude, the crs (wgs84
 * only), u (uncertainty, metres) and other ";name[=value]" parameters in any
 * order, and after "?" the query keys z (zoom 0..22) and q. The q key follows
 * the Android convention geo:0,0?q=LAT,LON(label): when it holds coordinates
 * they are used; an address search (q=Paris) is refused, since Meridian has no
 * geocoder. Everything else (whitespace, "+1", "1e3", hex, a fragment) is
 * rejected with a reason. */
#ifndef MER_GEO_H
#define MER_GEO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mer_geo {
    double lat, lon;
    double alt;         /* metres, if have_alt */
    double uncertainty; /* metres (u=), if have_u */
    double zoom;        /* if have_zoom */
    bool have_alt, have_u, have_zoom;
} mer_geo;

/* The longest geo: URI accepted; a longer one is an error, never cut short. */
#define MER_GEO_URI_MAX 511

/* False with a one-line reason in err if the URI is not a geo: URI Meridian
 * can open (or is longer than MER_GEO_URI_MAX); *out is written only on success. */
bool mer_geo_parse(const char *uri, mer_geo *out, char *err, size_t errlen);

#endif
