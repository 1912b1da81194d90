/* libFuzzer: geo: URIs (RFC 5870 plus z and q), as a desktop handler passes them. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *uri = malloc(size + 5);
    if (!uri)
        return 0;
    /* Most inputs should reach the grammar: prefix "geo:" unless it is there. */
    size_t off = size >= 4 && memcmp(data, "geo:", 4) == 0 ? 0 : 4;
    memcpy(uri, "geo:", 4);
    memcpy(uri + off, data, size);
    uri[off + size] = '\0';
    mer_geo g;
    char err[128];
    if (mer_geo_parse(uri, &g, err, sizeof err)) {
        if (!(g.lat >= -90 && g.lat <= 90 && g.lon >= -180 && g.lon <= 180))
            abort();
        if (g.have_zoom && !(g.zoom >= 0 && g.zoom <= 30))
            abort();
        if (strlen(uri) > MER_GEO_URI_MAX)
            abort();
    }
    free(uri);
    return 0;
}
