/* Drawing one world-map tile with Cairo. Thread-safe: reads the loaded data
 * only; every call has its own surface, context and scratch buffers.
 *
 * Speed: items are skipped by bounding box; polygons and lines are clipped to
 * the tile (plus a margin for line widths) before they reach Cairo, which
 * also keeps coordinates small (Cairo's fixed point overflows past about
 * 8 million pixels, and a world at zoom 19 is 134 million wide). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "decode/world.h"
#include "decode/world_impl.h"

typedef struct rgb {
    double r, g, b;
} rgb;

#define C(r, g, b) {(r) / 255.0, (g) / 255.0, (b) / 255.0}
static const uint8_t SEA[3] = {170, 203, 225};
static const uint8_t LAND[3] = {241, 238, 228};
static const rgb COAST = C(104, 144, 176);
static const rgb BORDER = C(160, 130, 160);
static const rgb GRATICULE = C(60, 100, 140);
static const rgb TEXT_COUNTRY = C(64, 58, 52);
static const rgb TEXT_OCEAN = C(70, 110, 150);
static const rgb TEXT_CITY = C(40, 40, 40);
static const rgb RIVER = C(120, 165, 205);

void mer_world_colors(uint8_t sea_rgb[3], uint8_t land_rgb[3])
{
    memcpy(sea_rgb, SEA, 3);
    memcpy(land_rgb, LAND, 3);
}

/* Cairo recycles contexts through a lock-free pool (its _freed_pool: atomics
 * inside an uninstrumented library, which ThreadSanitizer cannot see), and
 * cairo_create / cairo_destroy reach malloc and free by tail calls, so a
 * report of two threads taking turns with one pooled context shows no Cairo
 * frame. These wrappers stay on the stack (the empty asm stops the tail
 * call) and give tests/tsan.supp a frame to name; nothing else happens here. */
__attribute__((noinline)) static cairo_t *world_cairo_create(cairo_surface_t *s)
{
    cairo_t *cr = cairo_create(s);
    __asm__ volatile("" ::: "memory");
    return cr;
}

__attribute__((noinline)) static void world_cairo_destroy(cairo_t *cr)
{
    cairo_destroy(cr);
    __asm__ volatile("" ::: "memory");
}

/* Per-render state: where the tile is, in world units and pixels. */
typedef struct view {
    const mer_world *w;
    cairo_t *cr;
    int z;
    int width, height; /* output pixels */
    double ox, oy;     /* the window's north-west corner, world units */
    double s;          /* pixels per world unit */
    double k;          /* px / 256: line widths and fonts scale with it */
    double cx0, cy0, cx1, cy1; /* clip rectangle, world units (tile + margin) */
    double *buf[2];    /* clipping scratch, x,y pairs */
    size_t cap;
    bool oom;
} view;

static bool box_hits(const view *v, const wbox *b)
{
    return b->x1 >= v->cx0 && b->x0 <= v->cx1 && b->y1 >= v->cy0 && b->y0 <= v->cy1;
}

static bool box_inside(const view *v, const wbox *b)
{
    return b->x0 >= v->cx0 && b->x1 <= v->cx1 && b->y0 >= v->cy0 && b->y1 <= v->cy1;
}

/* Room for n points in each scratch buffer (realloc keeps what is there). */
static bool grow(view *v, size_t n)
{
    if (n <= v->cap)
        return true;
    size_t cap = v->cap ? v->cap : 1024;
    while (cap < n)
        cap *= 2;
    for (int i = 0; i < 2; i++) {
        double *nb = realloc(v->buf[i], cap * 2 * sizeof *nb);
        if (!nb) {
            v->oom = true;
            return false;
        }
        v->buf[i] = nb;
    }
    v->cap = cap;
    return true;
}

/* One Sutherland-Hodgman step: keep the side where coord (0 = x, 1 = y)
 * compared to lim has sign `keep`. Winding numbers inside are preserved. */
static size_t clip_edge(const double *in, size_t n, double *out, int axis, double lim, int keep)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const double *a = &in[((i + n - 1) % n) * 2], *b = &in[i * 2];
        bool ia = (a[axis] - lim) * keep >= 0, ib = (b[axis] - lim) * keep >= 0;
        if (ia != ib) {
            double t = (lim - a[axis]) / (b[axis] - a[axis]);
            out[m * 2 + axis] = lim;
            out[m * 2 + (1 - axis)] = a[1 - axis] + t * (b[1 - axis] - a[1 - axis]);
            m++;
        }
        if (ib) {
            out[m * 2] = b[0];
            out[m * 2 + 1] = b[1];
            m++;
        }
    }
    return m;
}

/* Points closer than this (px, on both axes) to the last one drawn add
 * nothing visible but cost Cairo's tessellator and stroker time: the 1:110m
 * coast has 5,000 points, drawn in 256 px at zoom 0. */
#define MIN_STEP_PX 0.5

/* Adds a ring (n world points at a) to the path, thinned. Points on the
 * piece's box edges stay: they are where the converter cut a ring into
 * pieces, and neighbouring pieces must keep meeting there exactly. */
static void path_ring(view *v, const double *a, size_t n, const wbox *b)
{
    double lx = 0, ly = 0;
    for (size_t i = 0; i < n; i++) {
        double wx = a[i * 2], wy = a[i * 2 + 1];
        double x = (wx - v->ox) * v->s, y = (wy - v->oy) * v->s;
        if (i == 0) {
            cairo_move_to(v->cr, x, y);
        } else {
            bool cut = wx == b->x0 || wx == b->x1 || wy == b->y0 || wy == b->y1;
            if (!cut && i + 1 < n && fabs(x - lx) < MIN_STEP_PX && fabs(y - ly) < MIN_STEP_PX)
                continue;
            cairo_line_to(v->cr, x, y);
        }
        lx = x;
        ly = y;
    }
    cairo_close_path(v->cr);
}

/* Copies ring `it` into v->buf[0] and clips it to the view: the result is
 * the first *n points of v->buf[0]. A step of Sutherland-Hodgman may double
 * the points (an edge in and out of the rectangle for every vertex), so
 * room is made before each step. False if out of memory. */
static bool clip_ring(view *v, const witem *it, bool clip, size_t *n_out)
{
    const int32_t *p = &v->w->pts[(size_t)it->off * 2];
    size_t n = it->n;
    if (!grow(v, n))
        return false;
    for (size_t i = 0; i < n * 2; i++)
        v->buf[0][i] = p[i];
    if (clip) {
        const double lim[4] = {v->cx0, v->cx1, v->cy0, v->cy1};
        for (int step = 0; step < 4 && n > 0; step++) {
            if (!grow(v, 2 * n))
                return false;
            int from = step % 2, to = 1 - from;
            n = clip_edge(v->buf[from], n, v->buf[to], step / 2, lim[step], step % 2 ? -1 : 1);
        }
        /* four steps: the result is back in buf[0] */
    }
    *n_out = n;
    return true;
}

/* Adds ring `it` to the current path, clipped to the view. */
static void add_ring(view *v, const witem *it)
{
    size_t n;
    if (clip_ring(v, it, !box_inside(v, &it->b), &n) && n >= 3)
        path_ring(v, v->buf[0], n, &it->b);
}

/* Liang-Barsky: clips segment a-b to the view; false if nothing is left. */
static bool clip_segment(const view *v, double *ax, double *ay, double *bx, double *by)
{
    double t0 = 0, t1 = 1, dx = *bx - *ax, dy = *by - *ay;
    double p[4] = {-dx, dx, -dy, dy};
    double q[4] = {*ax - v->cx0, v->cx1 - *ax, *ay - v->cy0, v->cy1 - *ay};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return false;
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0) {
            if (t > t1)
                return false;
            if (t > t0)
                t0 = t;
        } else {
            if (t < t0)
                return false;
            if (t < t1)
                t1 = t;
        }
    }
    double x0 = *ax + t0 * dx, y0 = *ay + t0 * dy;
    *bx = *ax + t1 * dx;
    *by = *ay + t1 * dy;
    *ax = x0;
    *ay = y0;
    return true;
}

/* Adds polyline `it`, clipped to the view and thinned (its ends stay, so
 * the chunks of one long line join). */
static void add_line(view *v, const witem *it)
{
    const int32_t *p = &v->w->pts[(size_t)it->off * 2];
    bool inside = box_inside(v, &it->b);
    bool pen = false; /* the path's current point is the previous vertex */
    double lx = 0, ly = 0;
    for (uint32_t i = 1; i < it->n; i++) {
        double ax = p[i * 2 - 2], ay = p[i * 2 - 1], bx = p[i * 2], by = p[i * 2 + 1];
        double cx = bx, cy = by;
        if (!inside && !clip_segment(v, &ax, &ay, &cx, &cy)) {
            pen = false;
            continue;
        }
        if (!pen || ax != p[i * 2 - 2] || ay != p[i * 2 - 1]) {
            lx = (ax - v->ox) * v->s;
            ly = (ay - v->oy) * v->s;
            cairo_move_to(v->cr, lx, ly);
        }
        double x = (cx - v->ox) * v->s, y = (cy - v->oy) * v->s;
        bool end = i + 1 == it->n || cx != bx || cy != by;
        pen = cx == bx && cy == by;
        if (!end && fabs(x - lx) < MIN_STEP_PX && fabs(y - ly) < MIN_STEP_PX)
            continue;
        cairo_line_to(v->cr, x, y);
        lx = x;
        ly = y;
    }
}

/* Lakes and rivers exist at fewer levels than the land: the finest level
 * at or below lod that has them. */
static const wlayer *water_layer(const mer_world *w, int kind, int lod)
{
    while (lod > 0 && w->layers[kind][lod].n == 0)
        lod--;
    return &w->layers[kind][lod];
}

static int pick_lod(int z, int px)
{
    double ez = z + log2(px / 256.0);
    return ez < 2.5 ? 0 : ez < 5.5 ? 1 : 2;
}

static void set_rgb(cairo_t *cr, rgb c, double a)
{
    cairo_set_source_rgba(cr, c.r, c.g, c.b, a);
}

/* Lakes smaller than this on both axes are not drawn. */
#define LAKE_MIN_PX 2.5

static bool speck(const view *v, const wbox *b, double min_px)
{
    return min_px > 0 && (b->x1 - b->x0) * v->s < min_px && (b->y1 - b->y0) * v->s < min_px;
}

/* Fills the rings of L that touch the view, in one path (pieces of one ring
 * meet without seams). Rings smaller than min_px on both axes are left out
 * (lakes: a speck of water reads as noise, not as a lake). */
static void draw_polygons(view *v, const wlayer *L, double min_px)
{
    cairo_new_path(v->cr);
    for (size_t i = 0; i < L->n; i++) {
        const wbox *b = &L->items[i].b;
        if (!box_hits(v, b))
            continue;
        if (speck(v, b, min_px))
            continue;
        add_ring(v, &L->items[i]);
    }
    cairo_fill(v->cr);
}

static void draw_lines(view *v, const wlayer *L)
{
    cairo_new_path(v->cr);
    for (size_t i = 0; i < L->n; i++)
        if (box_hits(v, &L->items[i].b))
            add_line(v, &L->items[i]);
    cairo_stroke(v->cr);
}

/* Graticule spacing in degrees: about one line per tile or two. */
static double graticule_step(int z)
{
    static const double steps[] = {30, 30, 10, 10, 5, 5, 2, 2, 1, 1, 0.5, 0.5, 0.25, 0.25};
    int n = (int)(sizeof steps / sizeof steps[0]);
    return z < n ? steps[z] : ldexp(0.25, -(z - n + 2) / 2);
}

static void draw_graticule(view *v)
{
    double step = graticule_step(v->z);
    double world = ldexp(1.0, v->w->bits);
    /* The window plus a pixel: a line just outside still tints the edge. */
    double m = 1.0 / v->s, x0 = v->ox - m, x1 = v->ox + v->width / v->s + m;
    double y0 = v->oy - m, y1 = v->oy + v->height / v->s + m;
    double w0 = x0 / world * 360.0 - 180.0, e0 = x1 / world * 360.0 - 180.0, s0, n0, lon_unused;
    mer_world_to_lonlat(0, y1 / world, &lon_unused, &s0);
    mer_world_to_lonlat(0, y0 / world, &lon_unused, &n0);
    cairo_new_path(v->cr);
    for (double lon = ceil(w0 / step) * step; lon <= e0 + 1e-9; lon += step) {
        double x = ((lon + 180.0) / 360.0 * world - v->ox) * v->s;
        cairo_move_to(v->cr, x, 0);
        cairo_line_to(v->cr, x, v->height);
    }
    for (double lat = ceil(s0 / step) * step; lat <= n0 + 1e-9; lat += step) {
        if (fabs(lat) > MER_MAX_LAT)
            continue;
        double u, vv;
        mer_lonlat_to_world(0, lat, &u, &vv);
        double y = (vv * world - v->oy) * v->s;
        cairo_move_to(v->cr, 0, y);
        cairo_line_to(v->cr, v->width, y);
    }
    set_rgb(v->cr, GRATICULE, 0.22);
    cairo_set_line_width(v->cr, 0.6 * v->k);
    cairo_stroke(v->cr);
}

static void draw_label(view *v, const wlabel *l, const wgeom *g, double dx)
{
    double sz = mer_world_font_size(l->kind) * v->k;
    double ax = (l->x - v->ox) * v->s + dx, ay = (l->y - v->oy) * v->s;
    double x = ax + g->tx * v->k, y = ay + (g->ty + l->ascent) * v->k;
    if (l->kind == WL_CITY) {
        cairo_new_path(v->cr);
        cairo_arc(v->cr, ax, ay, CITY_DOT * v->k, 0, 2 * M_PI);
        cairo_set_source_rgb(v->cr, 1, 1, 1);
        cairo_set_line_width(v->cr, 1.5 * v->k);
        cairo_stroke_preserve(v->cr);
        set_rgb(v->cr, TEXT_CITY, 1);
        cairo_fill(v->cr);
    }
    cairo_set_font_face(v->cr, mer_world_font(v->w, l->kind));
    cairo_set_font_size(v->cr, sz);
    cairo_new_path(v->cr);
    cairo_move_to(v->cr, x, y);
    cairo_text_path(v->cr, l->name);
    if (l->kind != WL_OCEAN) {
        cairo_set_source_rgba(v->cr, 1, 1, 1, 0.85);
        cairo_set_line_width(v->cr, LABEL_HALO * 2 * v->k);
        cairo_set_line_join(v->cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke_preserve(v->cr);
    }
    set_rgb(v->cr, l->kind == WL_OCEAN ? TEXT_OCEAN : l->kind == WL_CITY ? TEXT_CITY : TEXT_COUNTRY,
            1);
    cairo_fill(v->cr);
}

static void draw_labels(view *v)
{
    const mer_world *w = v->w;
    int zl = v->z < LABEL_ZMAX ? v->z : LABEL_ZMAX;
    const uint8_t *placed = &w->placed[(size_t)zl * w->nlabels];
    double world_px = ldexp(1.0, w->bits) * v->s;
    for (size_t i = 0; i < w->nlabels; i++) {
        if (!placed[i])
            continue;
        const wlabel *l = &w->labels[i];
        wgeom g;
        mer_world_label_geom(l, placed[i] - 1, &g);
        double pad = (LABEL_HALO + 1) * v->k;
        double cx = (l->x - v->ox) * v->s, cy = (l->y - v->oy) * v->s;
        if (cy + g.y1 * v->k + pad < 0 || cy + g.y0 * v->k - pad > v->height)
            continue;
        /* The world repeats east-west: a label near the antimeridian shows on both sides. */
        for (int wrap = -1; wrap <= 1; wrap++) {
            double dx = wrap * world_px;
            if (cx + dx + g.x1 * v->k + pad < 0 || cx + dx + g.x0 * v->k - pad > v->width)
                continue;
            draw_label(v, l, &g, dx);
        }
    }
}

/* Zoom 0..MER_MAX_ZOOM (30, as tile servers allow), y inside the world; x
 * wraps, as the world repeats east-west. */
static bool tile_ok(mer_tile_id *t)
{
    if (t->z < 0 || t->z > MER_MAX_ZOOM || t->y < 0 || (int64_t)t->y >= ((int64_t)1 << t->z))
        return false;
    t->x = mer_tile_wrap_x(t->x, t->z);
    return true;
}

double mer_world_land_fraction(const mer_world *w, mer_tile_id t)
{
    if (!w || !tile_ok(&t))
        return -1;
    double world = ldexp(1.0, w->bits), side = ldexp(world, -t.z);
    view v = {.w = w};
    v.cx0 = t.x * side;
    v.cy0 = t.y * side;
    v.cx1 = v.cx0 + side;
    v.cy1 = v.cy0 + side;
    const wlayer *L = &w->layers[WK_LAND][pick_lod(t.z, 256)];
    double area2 = 0; /* twice the signed area: outer rings count +, holes - */
    for (size_t i = 0; i < L->n && !v.oom; i++) {
        const witem *it = &L->items[i];
        size_t n;
        if (!box_hits(&v, &it->b) || !clip_ring(&v, it, true, &n) || n < 3)
            continue;
        const double *a = v.buf[0];
        for (size_t k = 0, j = n - 1; k < n; j = k++)
            area2 += (a[j * 2] - a[k * 2]) * (a[j * 2 + 1] + a[k * 2 + 1]);
    }
    free(v.buf[0]);
    free(v.buf[1]);
    double f = area2 / 2 / (side * side);
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

bool mer_world_render(const mer_world *w, mer_tile_id t, int px, uint8_t *rgba_out)
{
    if (!w || !rgba_out || px < 16 || px > 4096 || !tile_ok(&t))
        return false;
    return mer_world_render_window(w, t.z, px, (double)t.x * px, (double)t.y * px, px, px,
                                   rgba_out);
}

bool mer_world_render_window(const mer_world *w, int z, int tile_px, double x0, double y0,
                             int width, int height, uint8_t *rgba_out)
{
    if (!w || !rgba_out || tile_px < 16 || width < 1 || height < 1 || width > 8192 ||
        height > 8192 || z < 0 || z > MER_MAX_ZOOM)
        return false;
    cairo_surface_t *surf = cairo_image_surface_create_for_data(rgba_out, CAIRO_FORMAT_ARGB32,
                                                                width, height, width * 4);
    cairo_t *cr = world_cairo_create(surf);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        world_cairo_destroy(cr);
        cairo_surface_destroy(surf);
        return false;
    }
    double world = ldexp(1.0, w->bits);
    view v = {.w = w, .cr = cr, .z = z, .width = width, .height = height};
    v.s = ldexp((double)tile_px, z) / world;
    v.ox = x0 / v.s;
    v.oy = y0 / v.s;
    v.k = tile_px / 256.0;
    double m = 4.0 * v.k / v.s; /* 4 px: wider than any line */
    v.cx0 = v.ox - m;
    v.cy0 = v.oy - m;
    v.cx1 = v.ox + width / v.s + m;
    v.cy1 = v.oy + height / v.s + m;

    cairo_set_source_rgb(cr, SEA[0] / 255.0, SEA[1] / 255.0, SEA[2] / 255.0);
    cairo_paint(cr);
    int lod = pick_lod(z, tile_px);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    cairo_set_source_rgb(cr, LAND[0] / 255.0, LAND[1] / 255.0, LAND[2] / 255.0);
    draw_polygons(&v, &w->layers[WK_LAND][lod], 0);
    const wlayer *lakes = water_layer(w, WK_LAKE, lod), *rivers = water_layer(w, WK_RIVER, lod);
    if (lakes->n) {
        cairo_set_source_rgb(cr, SEA[0] / 255.0, SEA[1] / 255.0, SEA[2] / 255.0);
        draw_polygons(&v, lakes, LAKE_MIN_PX * v.k);
    }
    draw_graticule(&v);

    /* Lines are at most 1.3 px wide: round joins would cost the stroker time
     * and show nothing. */
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_BEVEL);
    double lw = z < 3 ? 0.7 : z < 6 ? 0.9 : 1.2;
    set_rgb(cr, COAST, 1);
    cairo_set_line_width(cr, lw * v.k);
    draw_lines(&v, &w->layers[WK_COAST][lod]);
    if (lakes->n) {
        /* Lake shores: the rings themselves, stroked. */
        cairo_new_path(cr);
        for (size_t i = 0; i < lakes->n; i++)
            if (box_hits(&v, &lakes->items[i].b) && !speck(&v, &lakes->items[i].b, LAKE_MIN_PX * v.k))
                add_ring(&v, &lakes->items[i]);
        cairo_set_line_width(cr, lw * 0.7 * v.k);
        cairo_stroke(cr);
    }
    if (z >= 4 && rivers->n) {
        set_rgb(cr, RIVER, 1);
        cairo_set_line_width(cr, (z < 6 ? 0.6 : z < 9 ? 0.9 : 1.2) * v.k);
        draw_lines(&v, rivers);
    }
    set_rgb(cr, BORDER, 1);
    cairo_set_line_width(cr, (z < 3 ? 0.6 : z < 6 ? 0.9 : 1.3) * v.k);
    draw_lines(&v, &w->layers[WK_BORDER][lod]);

    draw_labels(&v);
    bool ok = !v.oom && cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    world_cairo_destroy(cr);
    cairo_surface_flush(surf);
    cairo_surface_destroy(surf);
    free(v.buf[0]);
    free(v.buf[1]);

    /* Cairo's ARGB32 is a native-endian 0xAARRGGBB word; the map is opaque. */
    for (size_t i = 0; i < (size_t)width * height; i++) {
        uint32_t p;
        memcpy(&p, &rgba_out[i * 4], 4);
        rgba_out[i * 4 + 0] = (uint8_t)(p >> 16);
        rgba_out[i * 4 + 1] = (uint8_t)(p >> 8);
        rgba_out[i * 4 + 2] = (uint8_t)p;
        rgba_out[i * 4 + 3] = 255;
    }
    return ok;
}
