#include "support/tile_code.h"

#include <math.h>
#include <stddef.h>

#define COLS 16
#define ROWS 4
#define CELL 8.0
#define MAGIC 0xB4u

static int luma(const uint8_t *p)
{
    return (p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8;
}

/* The level (0..3) of the cell centred at (cx, cy), or -1. */
static int read_cell(const uint8_t *rgba, int w, int h, int stride, double cx, double cy, double scale)
{
    double rad = 1.5 * scale;
    int i0 = (int)ceil(cx - rad - 0.5), i1 = (int)floor(cx + rad - 0.5);
    int j0 = (int)ceil(cy - rad - 0.5), j1 = (int)floor(cy + rad - 0.5);
    if (i1 < i0)
        i1 = i0;
    if (j1 < j0)
        j1 = j0;
    if (i0 < 0 || j0 < 0 || i1 >= w || j1 >= h)
        return -1;
    int sum = 0, n = 0, lo = 255, hi = 0;
    for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++) {
            int y = luma(rgba + ((size_t)j * stride + i) * 4);
            sum += y;
            n++;
            lo = y < lo ? y : lo;
            hi = y > hi ? y : hi;
        }
    double mean = (double)sum / n;
    if (mean - lo > 40 || hi - mean > 40)
        return -1;
    int level = (int)lround(mean / 85.0);
    return level < 0 ? 0 : level > 3 ? 3 : level;
}

static uint64_t take(const uint8_t *bits, int *pos, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 1 | bits[(*pos)++];
    return v;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

bool mer_test_decode_tile_id_at(const uint8_t *rgba, int w, int h, int stride_px, double x0,
                                double y0, double scale, mer_tile_id *out)
{
    if (!rgba || scale < 0.5 || stride_px < w)
        return false;
    uint8_t bits[2 * COLS * ROWS];
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) {
            double cx = x0 + (c * CELL + CELL / 2) * scale, cy = y0 + (r * CELL + CELL / 2) * scale;
            int level = read_cell(rgba, w, h, stride_px, cx, cy, scale);
            if (level < 0)
                return false;
            bits[2 * (r * COLS + c)] = (uint8_t)(level >> 1);
            bits[2 * (r * COLS + c) + 1] = (uint8_t)(level & 1);
        }
    int pos = 0;
    if (take(bits, &pos, 8) != MAGIC)
        return false;
    uint32_t z = (uint32_t)take(bits, &pos, 5);
    uint32_t x = (uint32_t)take(bits, &pos, 30), y = (uint32_t)take(bits, &pos, 30);
    uint32_t check = (uint32_t)take(bits, &pos, 32);
    if (take(bits, &pos, 23) != 0 || z > 30 || x >= (1u << z) || y >= (1u << z))
        return false;
    uint8_t bytes[9] = {(uint8_t)z};
    for (int i = 0; i < 4; i++) {
        bytes[1 + i] = (uint8_t)(x >> (8 * i));
        bytes[5 + i] = (uint8_t)(y >> (8 * i));
    }
    if (fnv1a(bytes, sizeof bytes) != check)
        return false;
    *out = (mer_tile_id){(int32_t)z, (int32_t)x, (int32_t)y};
    return true;
}

bool mer_test_decode_tile_id(const uint8_t *rgba, int w, int h, int stride_px, int x0, int y0,
                             double scale, mer_tile_id *out)
{
    return mer_test_decode_tile_id_at(rgba, w, h, stride_px, x0, y0, scale, out);
}
