/* Loading the world map's data file (labels: world_labels.c).
 *
 * Everything in the file is treated as hostile until checked: the header,
 * every section's offset and length, every count against the bytes that
 * remain, every coordinate against the world's bounds, every name as UTF-8.
 * Points are decoded once into one array; items keep their bounding boxes so
 * a tile finds what touches it without reading the points. */
#include "decode/world.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/datadir.h"
#include "decode/world_impl.h"

#define HEADER_BYTES 24
#define SECTION_BYTES 20
#define MAX_SECTIONS 64
#define MAX_FILE_BYTES (64u << 20)
/* Coordinates may stray a little outside the world from rounding in the converter. */
#define COORD_SLACK 16

static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A bounded reader over one section. */
typedef struct rd {
    const uint8_t *p, *end;
    bool bad;
} rd;

static uint32_t rd_varint(rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (r->p >= r->end) {
            r->bad = true;
            return 0;
        }
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (v > UINT32_MAX)
                r->bad = true;
            return (uint32_t)v;
        }
    }
    r->bad = true;
    return 0;
}

static int64_t rd_zigzag(rd *r)
{
    uint32_t u = rd_varint(r);
    return (u & 1) ? -(int64_t)(u >> 1) - 1 : (int64_t)(u >> 1);
}

static uint8_t rd_u8(rd *r)
{
    if (r->p >= r->end) {
        r->bad = true;
        return 0;
    }
    return *r->p++;
}

typedef struct section {
    uint32_t kind, lod, count, offset, length;
} section;

static bool coord_ok(int64_t v, int bits)
{
    return v >= -COORD_SLACK && v <= ((int64_t)1 << bits) + COORD_SLACK;
}

/* Decodes one geometry section into w->pts and the layer's items. */
static bool load_geometry(mer_world *w, const section *s, const uint8_t *base, size_t *pts_cap,
                          char *err, size_t errlen)
{
    rd r = {base + s->offset, base + s->offset + s->length, false};
    wlayer *L = &w->layers[s->kind][s->lod];
    L->items = calloc(s->count ? s->count : 1, sizeof *L->items);
    if (!L->items) {
        fail(err, errlen, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < s->count; i++) {
        uint32_t n = rd_varint(&r);
        /* Each point takes at least two bytes. */
        if (r.bad || n < 2 || n > (size_t)(r.end - r.p) / 2) {
            fail(err, errlen, "section %u/%u: item %u has a bad point count", s->kind, s->lod, i);
            return false;
        }
        if (w->npts + n > *pts_cap) {
            size_t cap = *pts_cap ? *pts_cap * 2 : 65536;
            while (cap < w->npts + n)
                cap *= 2;
            int32_t *np = realloc(w->pts, cap * 2 * sizeof *np);
            if (!np) {
                fail(err, errlen, "out of memory");
                return false;
            }
            w->pts = np;
            *pts_cap = cap;
        }
        witem *it = &L->items[L->n];
        it->off = (uint32_t)w->npts;
        it->n = n;
        it->b = (wbox){INT32_MAX, INT32_MAX, INT32_MIN, INT32_MIN};
        int64_t x = 0, y = 0;
        for (uint32_t k = 0; k < n; k++) {
            x += rd_zigzag(&r);
            y += rd_zigzag(&r);
            if (r.bad || !coord_ok(x, w->bits) || !coord_ok(y, w->bits)) {
                fail(err, errlen, "section %u/%u: item %u: point %u is %s", s->kind, s->lod, i, k,
                     r.bad ? "truncated" : "outside the world");
                return false;
            }
            int32_t *p = &w->pts[(w->npts + k) * 2];
            p[0] = (int32_t)x;
            p[1] = (int32_t)y;
            if (p[0] < it->b.x0) it->b.x0 = p[0];
            if (p[0] > it->b.x1) it->b.x1 = p[0];
            if (p[1] < it->b.y0) it->b.y0 = p[1];
            if (p[1] > it->b.y1) it->b.y1 = p[1];
        }
        w->npts += n;
        L->n++;
    }
    if (r.p != r.end) {
        fail(err, errlen, "section %u/%u: %zu stray bytes after its items", s->kind, s->lod,
             (size_t)(r.end - r.p));
        return false;
    }
    return true;
}

/* Strict UTF-8 (no overlongs, no surrogates, no control characters). */
static bool utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        int len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 0 || i + (size_t)len > n)
            return false;
        uint32_t cp = c & (0x7f >> len);
        for (int k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += (size_t)len;
    }
    return true;
}

static bool load_labels(mer_world *w, const section *s, const uint8_t *base, char *err,
                        size_t errlen)
{
    rd r = {base + s->offset, base + s->offset + s->length, false};
    /* Each label takes at least 9 bytes. */
    if (s->count > s->length / 9) {
        fail(err, errlen, "labels: count %u does not fit in %u bytes", s->count, s->length);
        return false;
    }
    w->labels = calloc(s->count ? s->count : 1, sizeof *w->labels);
    if (!w->labels) {
        fail(err, errlen, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i < s->count; i++) {
        wlabel *l = &w->labels[i];
        uint32_t v[5];
        for (int k = 0; k < 5; k++)
            v[k] = rd_varint(&r);
        l->kind = rd_u8(&r);
        l->rank = rd_u8(&r);
        uint8_t len = rd_u8(&r);
        bool coords = true;
        for (int k = 0; k < 5; k++)
            coords = coords && coord_ok(v[k], w->bits);
        if (r.bad || !coords || l->kind < WL_COUNTRY || l->kind > WL_CITY || len == 0 ||
            len > (size_t)(r.end - r.p) || !utf8_ok(r.p, len)) {
            fail(err, errlen, "labels: label %u is corrupt", i);
            return false;
        }
        l->x = (int32_t)v[0];
        l->y = (int32_t)v[1];
        l->r = (int32_t)v[2];
        l->bw = (int32_t)v[3];
        l->bh = (int32_t)v[4];
        l->name = malloc((size_t)len + 1);
        if (!l->name) {
            fail(err, errlen, "out of memory");
            return false;
        }
        memcpy(l->name, r.p, len);
        l->name[len] = '\0';
        r.p += len;
        w->nlabels++;
    }
    if (r.p != r.end) {
        fail(err, errlen, "labels: %zu stray bytes", (size_t)(r.end - r.p));
        return false;
    }
    return true;
}

static bool check_sections(const uint8_t *d, size_t len, section *secs, uint32_t n, char *err,
                           size_t errlen)
{
    size_t head = HEADER_BYTES + (size_t)n * SECTION_BYTES;
    if (head > len) {
        fail(err, errlen, "truncated: the section table needs %zu bytes, the file has %zu", head,
             len);
        return false;
    }
    bool seen[WK_MAX + 1][WORLD_LODS] = {{false}};
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p = d + HEADER_BYTES + (size_t)i * SECTION_BYTES;
        section *s = &secs[i];
        *s = (section){rd32(p), rd32(p + 4), rd32(p + 8), rd32(p + 12), rd32(p + 16)};
        if (s->kind < WK_LAND || s->kind > WK_MAX || s->lod >= WORLD_LODS) {
            fail(err, errlen, "section %u has an unknown kind %u or level %u", i, s->kind, s->lod);
            return false;
        }
        if (seen[s->kind][s->lod]) {
            fail(err, errlen, "section %u repeats kind %u level %u", i, s->kind, s->lod);
            return false;
        }
        seen[s->kind][s->lod] = true;
        if (s->offset < head || (uint64_t)s->offset + s->length > len) {
            fail(err, errlen, "truncated or corrupt: section %u (bytes %u..%llu) is outside the "
                 "file's %zu bytes", i, s->offset, (unsigned long long)s->offset + s->length, len);
            return false;
        }
        if (s->count > s->length) {
            fail(err, errlen, "section %u: %u items cannot fit in %u bytes", i, s->count,
                 s->length);
            return false;
        }
    }
    for (int lod = 0; lod < WORLD_LODS; lod++) {
        if (!seen[WK_LAND][lod] || !seen[WK_COAST][lod]) {
            fail(err, errlen, "no land or coastline at level %d", lod);
            return false;
        }
    }
    if (!seen[WK_LABEL][0]) {
        fail(err, errlen, "no labels");
        return false;
    }
    return true;
}

/* Everything but reading the file; font_file may be NULL (mer_world_fonts). */
static mer_world *load(const uint8_t *d, size_t len, const char *font_file, char *err,
                       size_t errlen)
{
    if (!d || len < HEADER_BYTES || memcmp(d, "MERWORLD", 8) != 0) {
        fail(err, errlen, "not a world map file (no MERWORLD header)");
        return NULL;
    }
    uint32_t format = rd32(d + 8), bits = rd32(d + 16), n = rd32(d + 20);
    if (format != WORLD_FORMAT) {
        fail(err, errlen, "world map format %u, this build reads %d", format, WORLD_FORMAT);
        return NULL;
    }
    if (bits < 16 || bits > 28 || n == 0 || n > MAX_SECTIONS) {
        fail(err, errlen, "corrupt header (precision %u bits, %u sections)", bits, n);
        return NULL;
    }
    section secs[MAX_SECTIONS];
    if (!check_sections(d, len, secs, n, err, errlen))
        return NULL;
    mer_world *w = calloc(1, sizeof *w);
    if (!w) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    w->data_version = rd32(d + 12);
    w->bits = (int)bits;
    size_t cap = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool ok = secs[i].kind == WK_LABEL ? load_labels(w, &secs[i], d, err, errlen)
                                           : load_geometry(w, &secs[i], d, &cap, err, errlen);
        if (!ok) {
            mer_world_free(w);
            return NULL;
        }
    }
    if (!mer_world_fonts(w, font_file) || !mer_world_place_labels(w)) {
        fail(err, errlen, "cannot measure the labels (Cairo fonts)");
        mer_world_free(w);
        return NULL;
    }
    return w;
}

/* The bundled font sits beside the data: <dir of data>/fonts/DejaVuSans.ttf. */
static void font_beside(const char *data_path, char *out, size_t len)
{
    const char *slash = strrchr(data_path, '/');
    int dir_len = slash ? (int)(slash - data_path) : 1;
    snprintf(out, len, "%.*s/fonts/DejaVuSans.ttf", dir_len, slash ? data_path : ".");
}

mer_world *mer_world_load_mem(const uint8_t *d, size_t len, char *err, size_t errlen)
{
    char asset[PATH_MAX], font[PATH_MAX + 32];
    bool found = mer_world_find_asset(asset, sizeof asset);
    if (found)
        font_beside(asset, font, sizeof font);
    return load(d, len, found ? font : NULL, err, errlen);
}

mer_world *mer_world_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_BYTES) {
                fail(err, errlen, "%s: larger than %u bytes", path, MAX_FILE_BYTES);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap = cap ? cap * 2 : 1 << 20;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                fail(err, errlen, "out of memory");
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool read_err = ferror(f);
    fclose(f);
    if (read_err) {
        fail(err, errlen, "%s: read error", path);
        free(buf);
        return NULL;
    }
    char font[PATH_MAX + 32];
    font_beside(path, font, sizeof font);
    char why[192] = "";
    mer_world *w = load(buf, len, font, why, sizeof why);
    free(buf);
    if (!w)
        fail(err, errlen, "%s: %s", path, why);
    return w;
}

void mer_world_free(mer_world *w)
{
    if (!w)
        return;
    for (int k = 0; k <= WK_MAX; k++)
        for (int l = 0; l < WORLD_LODS; l++)
            free(w->layers[k][l].items);
    for (size_t i = 0; i < w->nlabels; i++)
        free(w->labels[i].name);
    free(w->labels);
    free(w->placed);
    free(w->pts);
    mer_world_fonts_free(w);
    free(w);
}

bool mer_world_find_asset(char *out, size_t len)
{
    return mer_data_find("assets/world.bin", out, len);
}

uint32_t mer_world_data_version(const mer_world *w)
{
    return w ? w->data_version : 0;
}
