/* The world map's labels: fonts, measuring, and one global placement per
 * zoom, at load time (then read-only; world_render.c draws them).
 *
 * Fonts: the bundled DejaVu Sans (assets/fonts, beside the data) through
 * FreeType, so labels look the same on every machine and need no system
 * font; Cairo's toy faces through fontconfig when the file is not there
 * (mer_world_load_mem). One FreeType library serves every map in the
 * process; a mutex serialises opening and closing faces on it, which
 * FreeType requires, while Cairo locks each face when it draws with it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include "decode/world_impl.h"

static pthread_once_t g_ft_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_ft_lock = PTHREAD_MUTEX_INITIALIZER;
static FT_Library g_ft; /* g_ft_lock for faces; never freed (Cairo may drop a face late) */
static bool g_ft_ok;
static const cairo_user_data_key_t g_face_key;

static void ft_init(void)
{
    g_ft_ok = FT_Init_FreeType(&g_ft) == 0;
}

/* Cairo calls this when it drops the face, on whichever thread that is. */
static void done_face(void *face)
{
    pthread_mutex_lock(&g_ft_lock);
    FT_Done_Face(face);
    pthread_mutex_unlock(&g_ft_lock);
}

/* A Cairo face for the font file, with synthetic bold or oblique. One FT_Face
 * per Cairo face: Cairo shares its settings among faces of one FT_Face. */
static cairo_font_face_t *file_face(const char *file, unsigned synth)
{
    pthread_once(&g_ft_once, ft_init);
    if (!g_ft_ok)
        return NULL;
    FT_Face f;
    pthread_mutex_lock(&g_ft_lock);
    FT_Error e = FT_New_Face(g_ft, file, 0, &f);
    pthread_mutex_unlock(&g_ft_lock);
    if (e)
        return NULL;
    cairo_font_face_t *cf = cairo_ft_font_face_create_for_ft_face(f, 0);
    if (cairo_font_face_status(cf) != CAIRO_STATUS_SUCCESS ||
        cairo_font_face_set_user_data(cf, &g_face_key, f, done_face) != CAIRO_STATUS_SUCCESS) {
        cairo_font_face_destroy(cf);
        done_face(f);
        return NULL;
    }
    cairo_ft_font_face_set_synthesize(cf, synth);
    return cf;
}

static void set_fonts(mer_world *w, const char *file)
{
    if (file) {
        w->font_country = file_face(file, CAIRO_FT_SYNTHESIZE_BOLD);
        w->font_ocean = file_face(file, CAIRO_FT_SYNTHESIZE_OBLIQUE);
        w->font_city = file_face(file, 0);
        if (w->font_country && w->font_ocean && w->font_city)
            return;
        mer_world_fonts_free(w);
    }
    w->font_country = cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                                                 CAIRO_FONT_WEIGHT_BOLD);
    w->font_ocean = cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_ITALIC,
                                               CAIRO_FONT_WEIGHT_NORMAL);
    w->font_city = cairo_toy_font_face_create("DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                                              CAIRO_FONT_WEIGHT_NORMAL);
}

void mer_world_fonts_free(mer_world *w)
{
    cairo_font_face_t **faces[3] = {&w->font_country, &w->font_ocean, &w->font_city};
    for (int i = 0; i < 3; i++) {
        if (*faces[i])
            cairo_font_face_destroy(*faces[i]);
        *faces[i] = NULL;
    }
}

double mer_world_font_size(int kind)
{
    return kind == WL_CITY ? FONT_CITY : kind == WL_OCEAN ? FONT_OCEAN : FONT_COUNTRY;
}

cairo_font_face_t *mer_world_font(const mer_world *w, int kind)
{
    return kind == WL_CITY ? w->font_city : kind == WL_OCEAN ? w->font_ocean : w->font_country;
}

void mer_world_label_geom(const wlabel *l, int side, wgeom *g)
{
    double tw = l->tw, th = l->th, dot = CITY_DOT + 1;
    if (l->kind != WL_CITY) {
        *g = (wgeom){-tw / 2, -th / 2, tw / 2, th / 2, -tw / 2, -th / 2};
        return;
    }
    switch (side) {
    case 1: g->tx = -CITY_GAP - tw, g->ty = -th / 2; break;
    case 2: g->tx = -tw / 2, g->ty = -dot - th; break;
    case 3: g->tx = -tw / 2, g->ty = dot; break;
    default: g->tx = CITY_GAP, g->ty = -th / 2; break;
    }
    /* the box holds the dot and the text */
    g->x0 = g->tx < -dot ? g->tx : -dot;
    g->x1 = g->tx + tw > dot ? g->tx + tw : dot;
    g->y0 = g->ty < -dot ? g->ty : -dot;
    g->y1 = g->ty + th > dot ? g->ty + th : dot;
}

/* Box of label l on side `side` at zoom z in world pixels (256 px tiles),
 * halo and a pixel of air included. */
static void label_box(const wlabel *l, int side, int z, int bits, double b[4])
{
    double s = ldexp(256.0, z - bits), pad = LABEL_HALO + 1;
    wgeom g;
    mer_world_label_geom(l, side, &g);
    b[0] = l->x * s + g.x0 - pad;
    b[1] = l->y * s + g.y0 - pad;
    b[2] = l->x * s + g.x1 + pad;
    b[3] = l->y * s + g.y1 + pad;
}

/* May label l show at zoom z? Oceans at small scales, cities from their
 * rank's zoom on, countries where their name fits inside them. */
static bool label_fits(const wlabel *l, int z, int bits)
{
    if (l->kind == WL_OCEAN)
        return z >= 1 && z <= 5;
    if (l->kind == WL_CITY)
        return z >= l->rank;
    double s = ldexp(256.0, z - bits);
    double bw = l->bw * s, bh = l->bh * s, r = l->r * s;
    return l->tw <= bw * 0.9 && l->th <= bh * 0.8 && r * 2.0 >= l->th * 1.2;
}

/* The boxes kept at one zoom, filed by horizontal band (BAND px tall) so a
 * new box is compared only with boxes near its height: 1,100 labels over 13
 * zooms would otherwise cost most of the load time. */
#define BAND 32.0

typedef struct kept_boxes {
    double *box;     /* 4 per kept box */
    size_t n;
    int *head;       /* first entry of each band, -1 = none */
    int n_bands;
    int *next, *which; /* entries: next entry of the band, the box it files */
    size_t n_entries, cap_entries;
} kept_boxes;

static int band_of(const kept_boxes *k, double y)
{
    int b = (int)floor(y / BAND);
    return b < 0 ? 0 : b >= k->n_bands ? k->n_bands - 1 : b;
}

/* Does box b overlap a kept box, here or one world east or west? */
static bool clashes(const kept_boxes *k, const double b[4], double world)
{
    for (int band = band_of(k, b[1]); band <= band_of(k, b[3]); band++)
        for (int e = k->head[band]; e >= 0; e = k->next[e]) {
            const double *o = &k->box[(size_t)k->which[e] * 4];
            for (int wrap = -1; wrap <= 1; wrap++) {
                double dx = wrap * world;
                if (b[0] < o[2] + dx && o[0] + dx < b[2] && b[1] < o[3] && o[1] < b[3])
                    return true;
            }
        }
    return false;
}

static bool keep(kept_boxes *k, const double b[4])
{
    int b0 = band_of(k, b[1]), b1 = band_of(k, b[3]);
    if (k->n_entries + (size_t)(b1 - b0 + 1) > k->cap_entries) {
        size_t cap = (k->cap_entries + (size_t)(b1 - b0 + 1)) * 2;
        int *nn = realloc(k->next, cap * sizeof *nn);
        if (!nn)
            return false;
        k->next = nn;
        int *nw = realloc(k->which, cap * sizeof *nw);
        if (!nw)
            return false;
        k->which = nw;
        k->cap_entries = cap;
    }
    memcpy(&k->box[k->n * 4], b, 4 * sizeof *b);
    for (int band = b0; band <= b1; band++) {
        k->which[k->n_entries] = (int)k->n;
        k->next[k->n_entries] = k->head[band];
        k->head[band] = (int)k->n_entries++;
    }
    k->n++;
    return true;
}

/* Places the labels for zoom z (order: priority) into w->placed. */
static bool place_zoom(mer_world *w, const size_t *order, int z, kept_boxes *k)
{
    size_t n = w->nlabels;
    double world = ldexp(256.0, z);
    int bands = (int)ceil(world / BAND);
    int *head = realloc(k->head, (size_t)bands * sizeof *head);
    if (!head)
        return false;
    k->head = head;
    k->n_bands = bands;
    for (int i = 0; i < bands; i++)
        head[i] = -1;
    k->n = k->n_entries = 0;
    for (size_t j = 0; j < n; j++) {
        const wlabel *l = &w->labels[order[j]];
        if (!label_fits(l, z, w->bits))
            continue;
        /* A city tries each side of its dot in turn; the first free one wins. */
        int sides = l->kind == WL_CITY ? CITY_SIDES : 1;
        for (int side = 0; side < sides; side++) {
            double b[4];
            label_box(l, side, z, w->bits, b);
            if (clashes(k, b, world))
                continue;
            if (!keep(k, b))
                return false;
            w->placed[(size_t)z * n + order[j]] = (uint8_t)(1 + side);
            break;
        }
    }
    return true;
}

/* One global, deterministic placement per zoom: oceans, then the rest in
 * file order (countries by area, capitals, cities by population), each label
 * kept if it may show and its box overlaps no box kept before it (boxes
 * compared across the antimeridian too). */
bool mer_world_place_labels(mer_world *w)
{
    size_t n = w->nlabels;
    w->placed = calloc((size_t)(LABEL_ZMAX + 1) * (n ? n : 1), 1);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    kept_boxes k = {0};
    k.box = malloc((n ? n : 1) * 4 * sizeof *k.box);
    bool ok = w->placed && order && k.box;
    if (ok) {
        size_t m = 0;
        for (int pass = 0; pass < 2; pass++) /* oceans first, then the rest in file order */
            for (size_t i = 0; i < n; i++)
                if ((w->labels[i].kind == WL_OCEAN) == (pass == 0))
                    order[m++] = i;
        for (int z = 0; ok && z <= LABEL_ZMAX; z++)
            ok = place_zoom(w, order, z, &k);
    }
    free(order);
    free(k.box);
    free(k.head);
    free(k.next);
    free(k.which);
    return ok;
}

bool mer_world_fonts(mer_world *w, const char *font_file)
{
    set_fonts(w, font_file);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(s);
    bool ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    for (size_t i = 0; ok && i < w->nlabels; i++) {
        wlabel *l = &w->labels[i];
        cairo_set_font_face(cr, mer_world_font(w, l->kind));
        cairo_set_font_size(cr, mer_world_font_size(l->kind));
        cairo_font_extents_t fe;
        cairo_text_extents_t te;
        cairo_font_extents(cr, &fe);
        cairo_text_extents(cr, l->name, &te);
        l->tw = te.x_advance;
        l->th = fe.ascent + fe.descent;
        l->ascent = fe.ascent;
        ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return ok;
}

