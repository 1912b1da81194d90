#include "core/area.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"

#define KM_PER_DEG_LAT 111.32

bool mer_area_around(mer_area *a, double lat, double lon, double km)
{
    if (!(km > 0) || km > 20000 || lat < -90 || lat > 90 || lon < -180 || lon > 180)
        return false;
    double dlat = km / KM_PER_DEG_LAT;
    double c = cos(mer_clamp_lat(lat) * M_PI / 180.0);
    double dlon = c > 1e-6 ? km / (KM_PER_DEG_LAT * c) : 360.0;
    a->south = mer_clamp_lat(lat - dlat);
    a->north = mer_clamp_lat(lat + dlat);
    if (dlon >= 180.0) {
        a->west = -180.0;
        a->east = 180.0;
    } else {
        a->west = mer_wrap_lon(lon - dlon);
        a->east = mer_wrap_lon(lon + dlon);
    }
    a->have_box = true;
    return true;
}

int mer_area_option(mer_area *a, const char *name, const char *value, char *err, size_t errlen)
{
    if (strcmp(name, "bbox") == 0) {
        double v[4];
        if (!mer_parse_bbox(value, &v[0], &v[1], &v[2], &v[3])) {
            snprintf(err, errlen, "--bbox: expected WEST,SOUTH,EAST,NORTH in degrees (south < north), got '%s'",
                     value ? value : "");
            return -1;
        }
        a->west = v[0];
        a->east = v[2];
        a->south = mer_clamp_lat(v[1]);
        a->north = mer_clamp_lat(v[3]);
        a->have_box = true;
        return 1;
    }
    if (strcmp(name, "around") == 0) {
        static const double lo[3] = {-90, -180, 0.001}, hi[3] = {90, 180, 20000};
        double v[3];
        if (!mer_parse_doubles(value, 3, lo, hi, v) || !mer_area_around(a, v[0], v[1], v[2])) {
            snprintf(err, errlen, "--around: expected LAT,LON,KM (e.g. 48.85,2.35,5), got '%s'", value ? value : "");
            return -1;
        }
        return 1;
    }
    if (strcmp(name, "zoom") == 0) {
        if (!mer_parse_zoom_range(value, &a->zmin, &a->zmax)) {
            snprintf(err, errlen, "--zoom: expected A:B with 0 <= A <= B <= %d, got '%s'", MER_MAX_ZOOM - 1,
                     value ? value : "");
            return -1;
        }
        a->have_zoom = true;
        return 1;
    }
    return 0;
}

mer_tile_range mer_area_range(const mer_area *a, int z)
{
    return mer_tiles_for_bbox(a->west, a->south, a->east, a->north, z);
}

uint64_t mer_area_count(const mer_area *a)
{
    uint64_t n = 0;
    for (int z = a->zmin; z <= a->zmax; z++) {
        uint64_t k = mer_tile_range_count(mer_area_range(a, z));
        n = n + k < n ? UINT64_MAX : n + k;
    }
    return n;
}
