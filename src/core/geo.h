/* geo: URIs (RFC 5870) with the common "z" zoom parameter, e.g.
 * geo:48.8584,2.2945?z=16 or geo:48.8584,2.2945,30;u=12;crs=wgs84?z=16. */
#ifndef MER_GEO_H
#define MER_GEO_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mer_geo {
    double lat, lon;
    double zoom;
    bool have_zoom;
} mer_geo;

/* False with a reason in err if the URI is not a geo: URI Meridian can open. */
bool mer_geo_parse(const char *uri, mer_geo *out, char *err, size_t errlen);

#endif
