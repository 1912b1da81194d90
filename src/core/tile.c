#include "core/tile.h"

#include <math.h>
#include <string.h>

uint64_t mer_tile_key(mer_tile_id t)
{
    /* z < 64 in 6 bits, x and y < 2^29 each: enough for zoom 29. */
    return ((uint64_t)(uint32_t)t.z << 58) | ((uint64_t)(uint32_t)t.x << 29) | (uint64_t)(uint32_t)t.y;
}

mer_tile_id mer_tile_from_key(uint64_t key)
{
    mer_tile_id t = {(int32_t)(key >> 58), (int32_t)((key >> 29) & 0x1fffffffu),
                     (int32_t)(key & 0x1fffffffu)};
    return t;
}

bool mer_tile_valid(mer_tile_id t)
{
    if (t.z < 0 || t.z > MER_MAX_ZOOM - 1)
        return false;
    int64_t n = (int64_t)1 << t.z;
    return t.x >= 0 && t.x < n && t.y >= 0 && t.y < n;
}

bool mer_tile_equal(mer_tile_id a, mer_tile_id b)
{
    return a.z == b.z && a.x == b.x && a.y == b.y;
}

mer_tile_id mer_tile_parent(mer_tile_id t, int levels)
{
    if (levels > t.z)
        levels = t.z;
    if (levels < 0)
        levels = 0;
    mer_tile_id p = {t.z - levels, t.x >> levels, t.y >> levels};
    return p;
}

double mer_clamp_lat(double lat)
{
    if (isnan(lat))
        return 0.0;
    return lat > MER_MAX_LAT ? MER_MAX_LAT : lat < -MER_MAX_LAT ? -MER_MAX_LAT : lat;
}

double mer_wrap_lon(double lon)
{
    double w = fmod(lon + 180.0, 360.0);
    if (w < 0)
        w += 360.0;
    return w - 180.0;
}

int32_t mer_tile_wrap_x(int64_t x, int z)
{
    int64_t n = (int64_t)1 << z;
    int64_t m = x % n;
    return (int32_t)(m < 0 ? m + n : m);
}

int32_t mer_tms_y(int32_t y, int z)
{
    return (int32_t)(((int64_t)1 << z) - 1 - y);
}

void mer_lonlat_to_world(double lon, double lat, double *u, double *v)
{
    double phi = mer_clamp_lat(lat) * M_PI / 180.0;
    *u = (lon + 180.0) / 360.0;
    *v = (1.0 - log(tan(phi) + 1.0 / cos(phi)) / M_PI) / 2.0;
}

void mer_world_to_lonlat(double u, double v, double *lon, double *lat)
{
    *lon = u * 360.0 - 180.0;
    *lat = atan(sinh(M_PI * (1.0 - 2.0 * v))) * 180.0 / M_PI;
}

double mer_world_size_px(double zoom, int tile_px)
{
    return (double)tile_px * exp2(zoom);
}

void mer_lonlat_to_pixel(double lon, double lat, double zoom, int tile_px, double *px, double *py)
{
    double u, v, s = mer_world_size_px(zoom, tile_px);
    mer_lonlat_to_world(lon, lat, &u, &v);
    *px = u * s;
    *py = v * s;
}

void mer_pixel_to_lonlat(double px, double py, double zoom, int tile_px, double *lon, double *lat)
{
    double s = mer_world_size_px(zoom, tile_px);
    mer_world_to_lonlat(px / s, py / s, lon, lat);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

mer_tile_id mer_tile_for_lonlat(double lon, double lat, int z)
{
    double u, v;
    mer_lonlat_to_world(mer_wrap_lon(lon), lat, &u, &v);
    int64_t n = (int64_t)1 << z;
    mer_tile_id t = {z, (int32_t)clamp64((int64_t)floor(u * (double)n), 0, n - 1),
                     (int32_t)clamp64((int64_t)floor(v * (double)n), 0, n - 1)};
    return t;
}

void mer_tile_nw_corner(mer_tile_id t, double *lon, double *lat)
{
    double n = exp2(t.z);
    mer_world_to_lonlat(t.x / n, t.y / n, lon, lat);
}

void mer_tile_bounds(mer_tile_id t, double *west, double *south, double *east, double *north)
{
    mer_tile_id se = {t.z, t.x + 1, t.y + 1};
    mer_tile_nw_corner(t, west, north);
    mer_tile_nw_corner(se, east, south);
}

mer_tile_range mer_tiles_for_view_repeat(double cu, double cv, double zoom, int tile_px,
                                         double w, double h, int z, int margin)
{
    /* Size of one zoom-z tile on screen, in screen pixels. */
    double n = exp2(z);
    double tile_screen = (double)tile_px * exp2(zoom - z);
    double half_w = w / 2.0 / tile_screen, half_h = h / 2.0 / tile_screen;
    double tx = cu * n, ty = cv * n;
    mer_tile_range r;
    r.z = z;
    r.x0 = (int64_t)floor(tx - half_w) - margin;
    r.x1 = (int64_t)floor(tx + half_w) + margin;
    r.y0 = clamp64((int64_t)floor(ty - half_h) - margin, 0, (int64_t)n - 1);
    r.y1 = clamp64((int64_t)floor(ty + half_h) + margin, 0, (int64_t)n - 1);
    return r;
}

mer_tile_range mer_tiles_for_view(double cu, double cv, double zoom, int tile_px,
                                  double w, double h, int z, int margin)
{
    mer_tile_range r = mer_tiles_for_view_repeat(cu, cv, zoom, tile_px, w, h, z, margin);
    /* Never more than one copy of the world in x: each tile once. */
    int64_t n = (int64_t)1 << z;
    if (r.x1 - r.x0 + 1 > n)
        r.x1 = r.x0 + n - 1;
    return r;
}

mer_tile_range mer_tiles_for_bbox(double west, double south, double east, double north, int z)
{
    mer_tile_id nw = mer_tile_for_lonlat(west, north, z);
    mer_tile_id se = mer_tile_for_lonlat(east, south, z);
    mer_tile_range r = {z, nw.x, se.x, nw.y, se.y};
    if (r.x1 < r.x0) /* crosses the antimeridian */
        r.x1 += (int64_t)1 << z;
    if (east - west >= 360.0) {
        r.x0 = 0;
        r.x1 = ((int64_t)1 << z) - 1;
    }
    return r;
}

uint64_t mer_tile_range_count(mer_tile_range r)
{
    if (r.x1 < r.x0 || r.y1 < r.y0)
        return 0;
    return (uint64_t)(r.x1 - r.x0 + 1) * (uint64_t)(r.y1 - r.y0 + 1);
}

bool mer_quadkey(mer_tile_id t, char *buf, size_t len)
{
    if (!mer_tile_valid(t) || len < (size_t)t.z + 1)
        return false;
    for (int i = t.z; i > 0; i--) {
        int mask = 1 << (i - 1);
        buf[t.z - i] = (char)('0' + ((t.x & mask) ? 1 : 0) + ((t.y & mask) ? 2 : 0));
    }
    buf[t.z] = '\0';
    return true;
}

bool mer_quadkey_parse(const char *qk, mer_tile_id *out)
{
    size_t z = strlen(qk);
    if (z >= MER_MAX_ZOOM)
        return false;
    mer_tile_id t = {(int32_t)z, 0, 0};
    for (size_t i = 0; i < z; i++) {
        int d = qk[i] - '0';
        if (d < 0 || d > 3)
            return false;
        t.x = (t.x << 1) | (d & 1);
        t.y = (t.y << 1) | (d >> 1);
    }
    *out = t;
    return true;
}
