/* bench/world_render: how long the built-in world map takes to draw a tile
 * (src/decode/world_render.c), per zoom, on one thread (CPU time); and, for
 * comparison,
 * how long decoding the same tile from PNG takes (what a disk-cache hit would
 * cost on top of the SQLite read). Run by bench/world.
 *
 *   world_render ASSET [TILES_PER_ZOOM]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo.h>

#include "decode/decode.h"
#include "decode/world.h"

/* CPU time of this thread: a render is single-threaded and CPU-bound, and on
 * a shared machine wall time mostly measures the neighbours. */
static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Tiles near places with coasts, borders and labels, and open sea. */
static const double ANCHORS[][2] = {
    {8.5, 47.4}, {2.35, 48.85}, {139.7, 35.7}, {-74.0, 40.7}, {-43.2, -22.9}, {151.2, -33.9},
    {36.8, -1.3}, {-150.0, -20.0},
};
#define N_ANCHORS (sizeof ANCHORS / sizeof ANCHORS[0])

static mer_tile_id pick(int z, int i)
{
    const double *a = ANCHORS[i % N_ANCHORS];
    mer_tile_id t = mer_tile_for_lonlat(a[0], a[1], z);
    int k = i / (int)N_ANCHORS, n = 1 << z;
    /* walk a small spiral of neighbours around the anchor */
    t.x = mer_tile_wrap_x((int64_t)t.x + (k % 3) - 1, z);
    int y = t.y + (k / 3) % 3 - 1;
    t.y = y < 0 ? 0 : y >= n ? n - 1 : y;
    return t;
}

typedef struct pngbuf {
    uint8_t *p;
    size_t len, cap;
} pngbuf;

static cairo_status_t png_write(void *ud, const unsigned char *d, unsigned int n)
{
    pngbuf *b = ud;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q)
            return CAIRO_STATUS_NO_MEMORY;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return CAIRO_STATUS_SUCCESS;
}

/* RGBA tile -> PNG bytes (via Cairo's encoder; the map is opaque). */
static pngbuf encode_png(const uint8_t *rgba, int px)
{
    pngbuf b = {0};
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, px, px);
    uint8_t *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < px; y++)
        for (int x = 0; x < px; x++) {
            const uint8_t *p = &rgba[(y * px + x) * 4];
            uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
            memcpy(d + y * stride + x * 4, &v, 4);
        }
    cairo_surface_mark_dirty(s);
    cairo_surface_write_to_png_stream(s, png_write, &b);
    cairo_surface_destroy(s);
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: world_render ASSET [TILES_PER_ZOOM]\n");
        return 2;
    }
    int per = argc > 2 ? atoi(argv[2]) : 48;
    if (per < 1 || per > 10000)
        per = 48;
    char err[256];
    double t0 = now_ms();
    mer_world *w = mer_world_load(argv[1], err, sizeof err);
    double load_ms = now_ms() - t0;
    if (!w) {
        fprintf(stderr, "world_render: %s\n", err);
        return 1;
    }
    mer_decode_init();
    printf("load %.1f ms (data version %u)\n", load_ms, mer_world_data_version(w));
    uint8_t *rgba = malloc(512 * 512 * 4);
    double *ms = malloc(sizeof *ms * (size_t)per);
    /* The first render creates Cairo's font caches: not part of the figures. */
    mer_world_render(w, (mer_tile_id){2, 2, 1}, 256, rgba);
    printf("%-8s %5s %8s %8s %8s %8s\n", "zoom", "tiles", "mean ms", "p50 ms", "p95 ms", "max ms");
    const int zooms[] = {0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16};
    for (size_t zi = 0; zi < sizeof zooms / sizeof zooms[0] + 1; zi++) {
        bool big = zi == sizeof zooms / sizeof zooms[0];
        int z = big ? 6 : zooms[zi], px = big ? 512 : 256;
        double sum = 0;
        for (int i = 0; i < per; i++) {
            mer_tile_id t = pick(z, i);
            double a = now_ms();
            if (!mer_world_render(w, t, px, rgba)) {
                fprintf(stderr, "render %d/%d/%d failed\n", t.z, t.x, t.y);
                return 1;
            }
            ms[i] = now_ms() - a;
            sum += ms[i];
        }
        qsort(ms, (size_t)per, sizeof *ms, cmp_double);
        char label[16];
        snprintf(label, sizeof label, big ? "z%d@512" : "z%d", z);
        printf("%-8s %5d %8.2f %8.2f %8.2f %8.2f\n", label, per, sum / per, ms[per / 2],
               ms[(int)(per * 0.95)], ms[per - 1]);
    }

    /* The same kind of tiles as PNG: decoding alone (a disk-cache hit would
     * add the SQLite read). */
    double dsum = 0, bytes = 0;
    int n = 0;
    for (int i = 0; i < per; i++) {
        mer_tile_id t = pick(6 + i % 4, i);
        mer_world_render(w, t, 256, rgba);
        pngbuf b = encode_png(rgba, 256);
        uint8_t *out = NULL;
        int ow, oh;
        char why[96];
        double a = now_ms();
        bool ok = mer_decode_image(b.p, b.len, 256, &out, &ow, &oh, why, sizeof why);
        dsum += now_ms() - a;
        bytes += (double)b.len;
        n += ok;
        free(out);
        free(b.p);
    }
    printf("png decode (z6-9 tiles, %.0f bytes on average): %.2f ms per tile (%d decoded)\n",
           bytes / per, dsum / per, n);
    free(ms);
    free(rgba);
    mer_world_free(w);
    return 0;
}
