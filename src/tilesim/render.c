#include "tilesim/render.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "tilesim/font.h"

/* The height field is sampled every GRID_STEP pixels and interpolated: the
 * finest noise octave has a wavelength of >= 8 px, so nothing is lost, and a
 * tile costs ~4k noise samples instead of 65k. */
#define GRID_STEP 4
#define BASE_FREQ 4 /* continents: 4 noise cells around the world */

typedef struct rgb {
    uint8_t r, g, b;
} rgb;

typedef struct canvas {
    uint8_t *px; /* RGB */
    int size;    /* width = height */
    int scale;
} canvas;

/* ---- noise ------------------------------------------------------------ */

static double lattice(int64_t ix, int64_t iy, int oct)
{
    uint64_t h = mer_mix64((uint64_t)ix * 0x9e3779b97f4a7c15ull ^ mer_mix64((uint64_t)iy + 0x632be59bd9b4e019ull) ^
                       (uint64_t)oct * 0xd6e8feb86659fd93ull);
    return (double)(h >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static double smooth(double t)
{
    return t * t * (3.0 - 2.0 * t);
}

/* Value noise, periodic in x with `period` cells so the world wraps east-west. */
static double vnoise(double x, double y, int64_t period, int oct)
{
    double fx = floor(x), fy = floor(y);
    int64_t ix = (int64_t)fx, iy = (int64_t)fy;
    double tx = smooth(x - fx), ty = smooth(y - fy);
    int64_t x0 = ((ix % period) + period) % period, x1 = (x0 + 1) % period;
    double a = lattice(x0, iy, oct), b = lattice(x1, iy, oct);
    double c = lattice(x0, iy + 1, oct), d = lattice(x1, iy + 1, oct);
    return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

/* Height at world point (u, v) in [0,1)^2: > 0 is land. *fine gets the
 * finest FINE_OCTAVES octaves alone, rescaled to about -1..1, so every zoom has
 * texture to shade with even where the overall height barely changes. */
#define FINE_OCTAVES 5
static double height(double u, double v, int octaves, double *fine)
{
    double h = 0, amp = 0.6, f_acc = 0, f_amp = 1.0;
    int64_t f = BASE_FREQ;
    for (int k = 0; k < octaves; k++, f *= 2, amp *= 0.5) {
        double nv = vnoise(u * (double)f, v * (double)f, f, k);
        h += amp * nv;
        if (k >= octaves - FINE_OCTAVES) {
            f_acc += f_amp * nv;
            f_amp *= 0.5;
        }
    }
    *fine = f_acc;
    return h + 0.03;
}

static int octaves_for(int z, int scale)
{
    int n = z + 4 + (scale > 1);
    return n > 26 ? 26 : n;
}

/* Heights on a (n x n) grid every GRID_STEP px, then the fine parts on a
 * second n x n grid right after; caller frees. */
static double *height_grid(mer_tile_id t, int scale, int *n_out)
{
    int size = TSIM_TILE_PX * scale, n = size / GRID_STEP + 2;
    double *g = malloc(sizeof *g * (size_t)n * (size_t)n * 2);
    if (!g)
        return NULL;
    double tiles = ldexp(1.0, t.z);
    int oct = octaves_for(t.z, scale);
    for (int j = 0; j < n; j++) {
        double v = ((double)t.y + (double)(j * GRID_STEP) / size) / tiles;
        for (int i = 0; i < n; i++) {
            double u = ((double)t.x + (double)(i * GRID_STEP) / size) / tiles;
            g[j * n + i] = height(u, v, oct, &g[n * n + j * n + i]);
        }
    }
    *n_out = n;
    return g;
}

bool tsim_tile_is_sea(mer_tile_id t)
{
    int n;
    double *g = height_grid(t, 1, &n);
    bool sea = true;
    for (int i = 0; g && i < n * n && sea; i++)
        sea = g[i] < 0;
    free(g);
    return sea;
}

/* ---- colours ---------------------------------------------------------- */

static const rgb g_sea[3] = {{158, 196, 222}, {170, 211, 223}, {192, 224, 234}};
static const rgb g_land[5] = {{234, 240, 212}, {214, 232, 188}, {228, 218, 180}, {212, 190, 158}, {246, 246, 242}};
static const rgb g_ice = {236, 242, 247};

static int band(double h)
{
    if (h < -0.22)
        return 0;
    if (h < -0.07)
        return 1;
    if (h < 0)
        return 2;
    if (h < 0.07)
        return 3;
    if (h < 0.16)
        return 4;
    if (h < 0.26)
        return 5;
    if (h < 0.36)
        return 6;
    return 7;
}

static rgb band_colour(int b)
{
    return b < 3 ? g_sea[b] : g_land[b - 3];
}

static void blend(uint8_t *p, rgb c, int alpha /* 0..256 */)
{
    p[0] = (uint8_t)((p[0] * (256 - alpha) + c.r * alpha) >> 8);
    p[1] = (uint8_t)((p[1] * (256 - alpha) + c.g * alpha) >> 8);
    p[2] = (uint8_t)((p[2] * (256 - alpha) + c.b * alpha) >> 8);
}

/* Bilinear height at pixel (x, y) from the grid. */
static double grid_at(const double *g, int n, int x, int y)
{
    int i = x / GRID_STEP, j = y / GRID_STEP;
    double fx = (double)(x % GRID_STEP) / GRID_STEP, fy = (double)(y % GRID_STEP) / GRID_STEP;
    const double *r0 = g + j * n + i, *r1 = r0 + n;
    double top = r0[0] + (r0[1] - r0[0]) * fx, bot = r1[0] + (r1[1] - r1[0]) * fx;
    return top + (bot - top) * fy;
}

static rgb lerp_rgb(rgb a, rgb b, double t)
{
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return (rgb){(uint8_t)(a.r + (b.r - a.r) * t), (uint8_t)(a.g + (b.g - a.g) * t),
                 (uint8_t)(a.b + (b.b - a.b) * t)};
}

static uint8_t clamp8(double v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Sea: depth tint, continuous in h. Land: hypsometric band with hill shading
 * from the local slope, normalised per zoom so every zoom looks as rugged. */
static rgb terrain_colour(double h, double fine, double dx, double dy, double norm, bool ice)
{
    if (ice)
        return h < 0 ? (rgb){222, 234, 244} : g_ice;
    int b = band(h);
    if (b < 3)
        /* quantised tints: posterised like a printed map, and they keep PNGs small */
        return lerp_rgb(g_sea[0], g_sea[2], round(((h + 0.45) / 0.45 + 0.10 * fine) * 20) / 20);
    double shade = -(dx + dy) * norm * 0.9;
    shade = shade < -0.6 ? -0.6 : shade > 0.6 ? 0.6 : shade;
    rgb c = band_colour(b);
    double f = 1.0 + round((0.22 * shade + 0.04 * fine) * 25) / 25;
    return (rgb){clamp8(c.r * f), clamp8(c.g * f), clamp8(c.b * f)};
}

static void paint_terrain(canvas *cv, mer_tile_id t, const double *g, int n)
{
    int s = cv->size;
    double tiles = ldexp(1.0, t.z);
    double norm = (double)s * tiles / (2.4 * octaves_for(t.z, cv->scale));
    for (int y = 0; y < s; y++) {
        double lat = atan(sinh(M_PI * (1.0 - 2.0 * ((double)t.y + (y + 0.5) / s) / tiles))) * 180.0 / M_PI;
        for (int x = 0; x < s; x++) {
            uint8_t *p = cv->px + ((size_t)y * s + x) * 3;
            double h = grid_at(g, n, x, y), hr = grid_at(g, n, x + 1, y), hd = grid_at(g, n, x, y + 1);
            /* polar ice, its edge made wavy by the (zoom-independent) height */
            bool ice = fabs(lat) + 12.0 * h > 78.0;
            rgb c = terrain_colour(h, grid_at(g + n * n, n, x, y), hr - h, hd - h, norm, ice);
            p[0] = c.r, p[1] = c.g, p[2] = c.b;
            int b = band(h), r = band(hr), d = band(hd);
            if ((b >= 3) != (r >= 3) || (b >= 3) != (d >= 3))
                blend(p, (rgb){70, 110, 150}, 200); /* coastline */
            else if (b != r || b != d)
                blend(p, (rgb){120, 110, 90}, 40); /* contour between bands */
        }
    }
}

/* ---- graticule -------------------------------------------------------- */

/* The smallest "nice" step (degrees) whose meridians are >= min_px apart. */
static double graticule_step(double world_px, double min_px)
{
    static const double coarse[] = {1, 2, 5, 10, 15, 30, 45, 90};
    static const double fine[] = {1, 2, 2.5, 5};
    for (int e = -7; e < 0; e++)
        for (int i = 0; i < 4; i++) {
            double step = fine[i] * pow(10, e);
            if (step / 360.0 * world_px >= min_px)
                return step;
        }
    for (int i = 0; i < 8; i++)
        if (coarse[i] / 360.0 * world_px >= min_px)
            return coarse[i];
    return 90;
}

static int decimals_for(double step)
{
    int d = 0;
    while (d < 8 && fabs(step * pow(10, d) - round(step * pow(10, d))) > 1e-6)
        d++;
    return d;
}

static void format_deg(char *buf, size_t len, double v, int dec, char pos, char neg)
{
    double a = fabs(v);
    if (a < 1e-9)
        snprintf(buf, len, "%.*f*", dec, 0.0);
    else
        snprintf(buf, len, "%.*f*%c", dec, a, v > 0 ? pos : neg);
}

static double lat_to_py(double lat, double world_px)
{
    double r = lat * M_PI / 180.0;
    return (1.0 - log(tan(r) + 1.0 / cos(r)) / M_PI) / 2.0 * world_px;
}

static double py_to_lat(double py, double world_px)
{
    return atan(sinh(M_PI * (1.0 - 2.0 * py / world_px))) * 180.0 / M_PI;
}

static void line_v(canvas *cv, int x, rgb c, int alpha)
{
    if (x < 0 || x >= cv->size)
        return;
    for (int y = 0; y < cv->size; y++)
        blend(cv->px + ((size_t)y * cv->size + x) * 3, c, alpha);
}

static void line_h(canvas *cv, int y, rgb c, int alpha)
{
    if (y < 0 || y >= cv->size)
        return;
    for (int x = 0; x < cv->size; x++)
        blend(cv->px + ((size_t)y * cv->size + x) * 3, c, alpha);
}

static void paint_graticule(canvas *cv, mer_tile_id t)
{
    const rgb ink = {60, 72, 96};
    int s = cv->size, fs = cv->scale; /* font pixel size */
    double world = ldexp((double)s, t.z);
    double step = graticule_step(world, 110.0 * cv->scale);
    int dec = decimals_for(step);
    double x0 = (double)t.x * s, y0 = (double)t.y * s;
    double step_px = step / 360.0 * world;
    /* Labels start right/below an intersection; look one label box beyond the
     * tile's west and north edges so labels continue across tile boundaries. */
    double lab_w = 24.0 * 6 * fs, lab_h = 20.0 * fs;
    long k0 = (long)floor((x0 - lab_w) / step_px), k1 = (long)floor((x0 + s) / step_px);
    double lat_n = py_to_lat(fmax(0, y0 - lab_h), world), lat_s = py_to_lat(fmin(world, y0 + s), world);
    long j0 = (long)floor(lat_s / step), j1 = (long)ceil(lat_n / step);
    for (long k = k0; k <= k1; k++) {
        double lon = -180.0 + (double)k * step;
        int lx = (int)floor((double)k * step_px - x0);
        bool main_line = fabs(fmod(lon, 360.0)) < 1e-9;
        line_v(cv, lx, ink, main_line ? 150 : 80);
    }
    for (long j = j0; j <= j1; j++) {
        double lat = (double)j * step;
        if (fabs(lat) > MER_MAX_LAT)
            continue;
        int ly = (int)floor(lat_to_py(lat, world) - y0);
        line_h(cv, ly, ink, j == 0 ? 150 : 80);
    }
    for (long k = k0; k <= k1; k++) {
        double lon = -180.0 + (double)k * step;
        lon = lon - 360.0 * floor((lon + 180.0) / 360.0);
        int lx = (int)floor((double)k * step_px - x0);
        for (long j = j0; j <= j1; j++) {
            double lat = (double)j * step;
            if (fabs(lat) > MER_MAX_LAT)
                continue;
            int ly = (int)floor(lat_to_py(lat, world) - y0);
            char a[32], b[32];
            format_deg(a, sizeof a, lat, dec, 'N', 'S');
            format_deg(b, sizeof b, lon, dec, 'E', 'W');
            tsim_font_draw(cv->px, s, lx + 4 * fs, ly + 4 * fs, a, fs, ink.r, ink.g, ink.b, true);
            tsim_font_draw(cv->px, s, lx + 4 * fs, ly + 13 * fs, b, fs, ink.r, ink.g, ink.b, true);
        }
    }
}

/* ---- labels, border, code --------------------------------------------- */

static void paint_border(canvas *cv)
{
    const rgb c = {40, 50, 70};
    for (int i = 0; i < cv->size; i++) {
        if ((i / (4 * cv->scale)) % 2)
            continue;
        blend(cv->px + (size_t)i * 3, c, 60);                    /* top row */
        blend(cv->px + (size_t)i * cv->size * 3, c, 60);         /* left column */
    }
}

static void paint_id_label(canvas *cv, mer_tile_id t)
{
    char text[64];
    snprintf(text, sizeof text, "%d/%d/%d", t.z, t.x, t.y);
    int fs = 2 * cv->scale, w = (int)strlen(text) * 6 * fs + 6 * fs, h = 7 * fs + 6 * fs;
    int x0 = 6 * cv->scale, y0 = cv->size - h - 6 * cv->scale;
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w && x < cv->size; x++) {
            bool edge = y == y0 || y == y0 + h - 1 || x == x0 || x == x0 + w - 1;
            blend(cv->px + ((size_t)y * cv->size + x) * 3, edge ? (rgb){60, 72, 96} : (rgb){255, 255, 255},
                  edge ? 200 : 215);
        }
    tsim_font_draw(cv->px, cv->size, x0 + 3 * fs, y0 + 3 * fs, text, fs, 30, 36, 52, false);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void put_bits(uint8_t *bits, int *pos, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        bits[(*pos)++] = (uint8_t)((v >> i) & 1);
}

void tsim_code_levels(mer_tile_id t, uint8_t levels[TSIM_CODE_COLS * TSIM_CODE_ROWS])
{
    uint8_t bits[2 * TSIM_CODE_COLS * TSIM_CODE_ROWS] = {0};
    uint8_t bytes[9] = {(uint8_t)t.z};
    for (int i = 0; i < 4; i++) {
        bytes[1 + i] = (uint8_t)((uint32_t)t.x >> (8 * i));
        bytes[5 + i] = (uint8_t)((uint32_t)t.y >> (8 * i));
    }
    int pos = 0;
    put_bits(bits, &pos, TSIM_CODE_MAGIC, 8);
    put_bits(bits, &pos, (uint64_t)t.z, 5);
    put_bits(bits, &pos, (uint64_t)t.x, 30);
    put_bits(bits, &pos, (uint64_t)t.y, 30);
    put_bits(bits, &pos, fnv1a(bytes, sizeof bytes), 32);
    for (int i = 0; i < TSIM_CODE_COLS * TSIM_CODE_ROWS; i++)
        levels[i] = (uint8_t)(bits[2 * i] << 1 | bits[2 * i + 1]);
}

static void paint_code(canvas *cv, mer_tile_id t)
{
    uint8_t lv[TSIM_CODE_COLS * TSIM_CODE_ROWS];
    tsim_code_levels(t, lv);
    int cell = TSIM_CODE_CELL * cv->scale;
    for (int r = 0; r < TSIM_CODE_ROWS; r++)
        for (int c = 0; c < TSIM_CODE_COLS; c++) {
            uint8_t g = (uint8_t)(lv[r * TSIM_CODE_COLS + c] * 85);
            for (int y = r * cell; y < (r + 1) * cell; y++)
                memset(cv->px + ((size_t)y * cv->size + (size_t)c * cell) * 3, g, (size_t)cell * 3);
        }
}

/* The real world map, RGBA from the renderer packed down to RGB. */
static bool paint_world(canvas *cv, const mer_world *w, mer_tile_id t)
{
    size_t n = (size_t)cv->size * cv->size;
    uint8_t *rgba = malloc(n * 4);
    bool ok = rgba && mer_world_render(w, t, cv->size, rgba);
    for (size_t i = 0; ok && i < n; i++)
        memcpy(cv->px + i * 3, rgba + i * 4, 3);
    free(rgba);
    return ok;
}

static bool near_rgb(const uint8_t *p, const uint8_t *c, int tol)
{
    return abs(p[0] - c[0]) <= tol && abs(p[1] - c[1]) <= tol && abs(p[2] - c[2]) <= tol;
}

/* Relief on the real map: hill shading on land and depth tints at sea from
 * the same noise heights as the synthetic map (continuous across tiles and
 * zooms). Real tiles carry terrain, so this also gives the demo realistic
 * tile sizes where Natural Earth has no more detail to draw. Lines and
 * labels (any colour but land or sea) are left alone. Quantised steps keep
 * PNGs near real tile sizes. */
static bool paint_relief(canvas *cv, mer_tile_id t)
{
    if (t.z < 4)
        return true; /* small scales have enough detail of their own */
    int n;
    double *g = height_grid(t, cv->scale, &n);
    if (!g)
        return false;
    uint8_t sea[3], land[3];
    mer_world_colors(sea, land);
    int s = cv->size;
    double strength = t.z < 6 ? 0.5 : 1.0;
    double norm = (double)s * ldexp(1.0, t.z) / (2.4 * octaves_for(t.z, cv->scale));
    for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++) {
            uint8_t *p = cv->px + ((size_t)y * s + x) * 3;
            bool is_land = near_rgb(p, land, 3);
            if (!is_land && !near_rgb(p, sea, 3))
                continue;
            double h = grid_at(g, n, x, y), fine = grid_at(g + n * n, n, x, y);
            double f;
            if (is_land) {
                double dx = grid_at(g, n, x + 1, y) - h, dy = grid_at(g, n, x, y + 1) - h;
                double shade = -(dx + dy) * norm * 0.9;
                shade = shade < -0.6 ? -0.6 : shade > 0.6 ? 0.6 : shade;
                f = 1.0 + strength * round((0.20 * shade + 0.05 * fine) * 25) / 25;
            } else {
                f = 1.0 + strength * round((0.10 * h + 0.02 * fine) * 40) / 40;
            }
            p[0] = clamp8(p[0] * f);
            p[1] = clamp8(p[1] * f);
            p[2] = clamp8(p[2] * f);
        }
    free(g);
    return true;
}

static bool paint_noise(canvas *cv, mer_tile_id t)
{
    int n;
    double *g = height_grid(t, cv->scale, &n);
    if (!g)
        return false;
    paint_terrain(cv, t, g, n);
    free(g);
    paint_graticule(cv, t);
    return true;
}

uint8_t *tsim_render_style(const tsim_style *s, mer_tile_id t, int scale)
{
    canvas cv = {NULL, TSIM_TILE_PX * scale, scale};
    cv.px = malloc((size_t)cv.size * cv.size * 3);
    if (!cv.px)
        return NULL;
    bool ok = s->world ? paint_world(&cv, s->world, t) && paint_relief(&cv, t) : paint_noise(&cv, t);
    if (!ok) {
        free(cv.px);
        return NULL;
    }
    if (s->codes) {
        paint_border(&cv);
        paint_id_label(&cv, t);
        paint_code(&cv, t);
    }
    return cv.px;
}

uint8_t *tsim_render(mer_tile_id t, int scale)
{
    const tsim_style noise_codes = {NULL, true};
    return tsim_render_style(&noise_codes, t, scale);
}

bool tsim_style_tile_is_sea(const tsim_style *s, mer_tile_id t)
{
    return s->world ? mer_world_land_fraction(s->world, t) <= 0.0 : tsim_tile_is_sea(t);
}
