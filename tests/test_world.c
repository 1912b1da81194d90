/* The built-in world map (src/decode/world*.c) and the `world` source through
 * the loader: the data file is checked before use, land and sea are where
 * they are, neighbouring tiles agree along their edges (labels too), and
 * tiles come out of the loader rendered on its workers. */
#define _XOPEN_SOURCE 700 /* nftw, for support/tmpdir.h */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/source.h"
#include "core/tile.h"
#include "decode/world.h"
#include "decode/world_impl.h"
#include "decode/decode.h"
#include "net/loader.h"
#include "support/run.h"
#include "support/tmpdir.h"

#define ASSET MERIDIAN_SOURCE_DIR "/assets/world.bin"
#define PX 256

static uint8_t *g_file;
static size_t g_len;
static mer_world *g_world;

static int setup(void **state)
{
    FILE *f = fopen(ASSET, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    g_file = malloc((size_t)n);
    g_len = fread(g_file, 1, (size_t)n, f);
    fclose(f);
    char err[256];
    g_world = mer_world_load_mem(g_file, g_len, err, sizeof err);
    if (!g_world)
        fprintf(stderr, "load: %s\n", err);
    return g_world ? 0 : -1;
}

static int teardown(void **state)
{
    mer_world_free(g_world);
    free(g_file);
    return 0;
}

/* ---- loading ---------------------------------------------------------- */

static void expect_reject(const uint8_t *d, size_t len, const char *needle)
{
    char err[256] = "";
    mer_world *w = mer_world_load_mem(d, len, err, sizeof err);
    if (w) {
        mer_world_free(w);
        fail_msg("a corrupt file (%zu bytes) loaded", len);
    }
    assert_true(err[0] != '\0');
    if (needle && !strstr(err, needle))
        fail_msg("error '%s' does not say '%s'", err, needle);
}

static void test_load_file_and_version(void **state)
{
    char err[256] = "";
    mer_world *w = mer_world_load(ASSET, err, sizeof err);
    assert_non_null(w);
    assert_true(mer_world_data_version(w) >= 1);
    /* Labels in the bundled font (assets/fonts, beside the data) through
     * FreeType, also when loaded from memory. */
    assert_int_equal(cairo_font_face_get_type(w->font_country), CAIRO_FONT_TYPE_FT);
    assert_int_equal(cairo_font_face_get_type(w->font_city), CAIRO_FONT_TYPE_FT);
    assert_int_equal(cairo_font_face_get_type(g_world->font_country), CAIRO_FONT_TYPE_FT);
    uint8_t *img = malloc(PX * PX * 4);
    assert_true(mer_world_render(w, (mer_tile_id){4, 8, 5}, PX, img));
    free(img);
    mer_world_free(w);

    w = mer_world_load("/nonexistent/world.bin", err, sizeof err);
    assert_null(w);
    assert_non_null(strstr(err, "/nonexistent/world.bin"));
}

static void test_rejects_truncated(void **state)
{
    /* Every cut leaves some section running past the end of the file. */
    const size_t cuts[] = {0, 7, 23, 24, 40, 200, g_len / 3, g_len / 2, g_len - 100, g_len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        expect_reject(g_file, cuts[i], NULL);
    expect_reject(g_file, g_len - 1, "truncated");
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void test_rejects_corrupt(void **state)
{
    uint8_t *c = malloc(g_len);
    assert_non_null(c);

    memcpy(c, g_file, g_len);
    c[0] = 'X';
    expect_reject(c, g_len, "MERWORLD");

    memcpy(c, g_file, g_len);
    put32(c + 8, 99); /* format */
    expect_reject(c, g_len, "format");

    memcpy(c, g_file, g_len);
    put32(c + 20, 100000); /* section count */
    expect_reject(c, g_len, NULL);

    /* A section pointing past the end, and one whose offset + length wraps. */
    memcpy(c, g_file, g_len);
    put32(c + 24 + 12, (uint32_t)g_len - 4);
    expect_reject(c, g_len, "outside");
    memcpy(c, g_file, g_len);
    put32(c + 24 + 12, 0xfffffff0u);
    expect_reject(c, g_len, "outside");

    /* More items claimed than the section holds. */
    memcpy(c, g_file, g_len);
    put32(c + 24 + 8, get32(c + 24 + 8) + 1);
    expect_reject(c, g_len, NULL);

    /* A point count far beyond the section: the first item's varint. */
    memcpy(c, g_file, g_len);
    uint32_t off = get32(c + 24 + 12);
    c[off] = 0xff;
    c[off + 1] = 0xff;
    c[off + 2] = 0xff;
    c[off + 3] = 0x7f;
    expect_reject(c, g_len, "point count");

    /* A coordinate far outside the world: a huge first delta. */
    memcpy(c, g_file, g_len);
    c[off + 1] = 0xfe;
    c[off + 2] = 0xff;
    c[off + 3] = 0xff;
    c[off + 4] = 0x0f;
    expect_reject(c, g_len, NULL);

    /* Bytes flipped anywhere: loads or refuses, never reads out of bounds
     * (the sanitizers watch). Deterministic positions. */
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 12; i++) {
        memcpy(c, g_file, g_len);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t at = (size_t)(s >> 33) % g_len;
        c[at] ^= (uint8_t)(0x5a + i);
        char err[256];
        mer_world *w = mer_world_load_mem(c, g_len, err, sizeof err);
        if (w) {
            uint8_t *rgba = malloc(64 * 64 * 4);
            assert_true(mer_world_render(w, (mer_tile_id){1, 0, 0}, 64, rgba));
            free(rgba);
            mer_world_free(w);
        }
    }
    free(c);
}

/* ---- land and sea ------------------------------------------------------ */

typedef struct place {
    const char *name;
    double lon, lat;
} place;

/* Well inland (land at 1:110m too), and away from the cities the map marks. */
static const place LANDS[] = {
    {"central France", 2.5, 46.8},    {"Kenya", 38.5, 0.8},         {"Gansu, China", 103.0, 36.5},
    {"Kansas", -98.5, 38.5},          {"Mato Grosso", -55.0, -12.5}, {"New South Wales", 146.0, -31.0},
    {"Russia, Volga", 47.0, 57.5},    {"Greenland", -40.0, 74.0},   {"Antarctica", 30.0, -80.0},
};
static const place SEAS[] = {
    {"North Atlantic", -45.0, 45.0}, {"South Atlantic", -25.0, -45.0},
    {"South Pacific", -120.0, -35.0}, {"Indian Ocean", 88.0, -35.0},
    {"North Pacific", -165.0, 25.0},
};

static bool near(const uint8_t *p, const uint8_t *rgb, int tol)
{
    for (int i = 0; i < 3; i++)
        if (abs((int)p[i] - (int)rgb[i]) > tol)
            return false;
    return true;
}

/* Most of the 5x5 pixels around (lon, lat) at zoom z have colour rgb (a
 * border, a graticule line or a label may cross the point itself). */
static bool area_is(int z, double lon, double lat, const uint8_t *rgb)
{
    double px, py;
    mer_lonlat_to_pixel(lon, lat, z, PX, &px, &py);
    mer_tile_id t = {z, (int32_t)(px / PX), (int32_t)(py / PX)};
    int x = (int)px % PX, y = (int)py % PX;
    if (x < 2)
        x = 2;
    if (y < 2)
        y = 2;
    if (x > PX - 3)
        x = PX - 3;
    if (y > PX - 3)
        y = PX - 3;
    uint8_t *img = malloc(PX * PX * 4);
    assert_true(mer_world_render(g_world, t, PX, img));
    int hits = 0;
    for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++)
            hits += near(&img[((y + dy) * PX + x + dx) * 4], rgb, 24);
    free(img);
    return hits >= 13;
}

static void test_land_and_sea(void **state)
{
    uint8_t sea[3], land[3];
    mer_world_colors(sea, land);
    for (int z = 1; z <= 4; z++) {
        for (size_t i = 0; i < sizeof LANDS / sizeof LANDS[0]; i++)
            if (!area_is(z, LANDS[i].lon, LANDS[i].lat, land))
                fail_msg("z%d: %s is not land", z, LANDS[i].name);
        for (size_t i = 0; i < sizeof SEAS / sizeof SEAS[0]; i++)
            if (!area_is(z, SEAS[i].lon, SEAS[i].lat, sea))
                fail_msg("z%d: %s is not sea", z, SEAS[i].name);
    }
    /* Deep zooms use the finest data and stay land where land is. */
    assert_true(area_is(8, 2.5, 46.8, land));
    assert_true(area_is(12, 2.5, 46.8, land));
    assert_true(area_is(16, 2.5, 46.8, land));
}

/* Lakes are water, and the big cities are named once there is room. */
static void test_lakes_and_cities(void **state)
{
    uint8_t sea[3], land[3];
    mer_world_colors(sea, land);
    const place lakes[] = {{"Lake Victoria", 33.0, -1.0}, {"Lake Superior", -87.5, 47.7},
                           {"Caspian Sea", 51.0, 42.0}, {"Lake Baikal", 108.0, 53.5}};
    for (int z = 5; z <= 7; z++)
        for (size_t i = 0; i < sizeof lakes / sizeof lakes[0]; i++)
            if (!area_is(z, lakes[i].lon, lakes[i].lat, sea))
                fail_msg("z%d: %s is not water", z, lakes[i].name);
    const char *cities[] = {"Paris", "Tokyo", "Nairobi", "Buenos Aires"};
    for (size_t c = 0; c < sizeof cities / sizeof cities[0]; c++) {
        bool found = false;
        for (size_t i = 0; i < g_world->nlabels; i++) {
            const wlabel *l = &g_world->labels[i];
            if (l->kind != WL_CITY || strcmp(l->name, cities[c]) != 0)
                continue;
            found = true;
            /* not at the world's smallest scales, shown by zoom 7 */
            assert_int_equal(g_world->placed[(size_t)2 * g_world->nlabels + i], 0);
            bool shown = false;
            for (int z = 4; z <= 7; z++)
                shown = shown || g_world->placed[(size_t)z * g_world->nlabels + i] != 0;
            if (!shown)
                fail_msg("%s is never shown at zooms 4-7", cities[c]);
        }
        if (!found)
            fail_msg("no city label %s", cities[c]);
    }
}

static void test_render_arguments(void **state)
{
    uint8_t *img = malloc(512 * 512 * 4);
    assert_false(mer_world_render(g_world, (mer_tile_id){2, 0, 4}, PX, img)); /* y outside */
    assert_false(mer_world_render(g_world, (mer_tile_id){-1, 0, 0}, PX, img));
    assert_false(mer_world_render(g_world, (mer_tile_id){0, 0, 0}, 8, img));
    assert_false(mer_world_render(NULL, (mer_tile_id){0, 0, 0}, PX, img));
    /* x wraps: the world repeats east-west. */
    uint8_t *b = malloc(PX * PX * 4);
    assert_true(mer_world_render(g_world, (mer_tile_id){2, 5, 1}, PX, img));
    assert_true(mer_world_render(g_world, (mer_tile_id){2, 1, 1}, PX, b));
    assert_memory_equal(img, b, PX * PX * 4);
    /* A 512 px tile is the same map at twice the scale: mostly land where
     * the 256 px one is land. */
    assert_true(mer_world_render(g_world, (mer_tile_id){3, 4, 2}, 512, img));
    assert_true(mer_world_render(g_world, (mer_tile_id){3, 4, 2}, PX, b));
    uint8_t sea[3], land[3];
    mer_world_colors(sea, land);
    int agree = 0, total = 0;
    for (int y = 0; y < PX; y += 8)
        for (int x = 0; x < PX; x += 8) {
            const uint8_t *p = &b[(y * PX + x) * 4], *q = &img[(2 * y * 512 + 2 * x) * 4];
            if (near(p, land, 4) || near(p, sea, 4)) {
                total++;
                agree += near(p, land, 4) == near(q, land, 4);
            }
        }
    assert_true(total > 500);
    assert_true(agree * 100 >= total * 95);
    free(b);
    free(img);
}

/* ---- continuity -------------------------------------------------------- */

static int diff(const uint8_t *a, const uint8_t *b)
{
    int d = 0;
    for (int i = 0; i < 3; i++) {
        int v = abs((int)a[i] - (int)b[i]);
        d = v > d ? v : d;
    }
    return d;
}

/* Pixels of the tile img that differ from the window's pixels at (wx, wy)
 * (window ww pixels wide) by more than a rounding step. */
static int tile_vs_window(const uint8_t *img, const uint8_t *win, int ww, int wx, int wy)
{
    int bad = 0;
    for (int y = 0; y < PX; y++)
        for (int x = 0; x < PX; x++)
            bad += diff(&img[(y * PX + x) * 4], &win[((wy + y) * ww + wx + x) * 4]) > 8;
    return bad;
}

/* Tiles t, its east and its south neighbour each equal their part of one
 * window drawn across all of them: nothing is cut, doubled or shifted at a
 * seam (coasts, borders, the graticule, labels). */
static void check_joins(mer_tile_id t, uint8_t *win, uint8_t *img)
{
    int ww = 2 * PX;
    assert_true(mer_world_render_window(g_world, t.z, PX, (double)t.x * PX, (double)t.y * PX, ww,
                                        ww, win));
    const int dx[3] = {0, 1, 0}, dy[3] = {0, 0, 1};
    for (int k = 0; k < 3; k++) {
        mer_tile_id n = {t.z, t.x + dx[k], t.y + dy[k]};
        assert_true(mer_world_render(g_world, n, PX, img));
        int bad = tile_vs_window(img, win, ww, dx[k] * PX, dy[k] * PX);
        /* A few pixels may round differently along a clip edge. */
        if (bad > PX / 4)
            fail_msg("z%d/%d/%d differs from the map around it in %d pixels", n.z, n.x, n.y,
                     bad);
    }
}

static void test_neighbours_agree(void **state)
{
    uint8_t *win = malloc(4 * PX * PX * 4), *img = malloc(PX * PX * 4);
    /* Europe, Africa, Asia at several zooms: coasts, borders, labels. */
    const mer_tile_id tiles[] = {{1, 0, 0}, {2, 1, 1}, {3, 4, 2}, {3, 5, 3}, {4, 8, 5},
                                 {5, 16, 10}, {6, 33, 21}, {7, 64, 43}, {9, 262, 180}};
    for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++)
        check_joins(tiles[i], win, img);
    free(win);
    free(img);
}

static bool is_text(const uint8_t *p)
{
    return p[0] < 110 && p[1] < 110 && p[2] < 110;
}

/* A country label whose text straddles a tile edge is drawn by both tiles,
 * each showing its part of it. */
static void test_labels_cross_edges(void **state)
{
    uint8_t *win = malloc(4 * PX * PX * 4), *img = malloc(PX * PX * 4);
    int checked = 0;
    for (int z = 2; z <= 6 && checked < 4; z++) {
        const uint8_t *placed = &g_world->placed[(size_t)z * g_world->nlabels];
        for (size_t i = 0; i < g_world->nlabels && checked < 4; i++) {
            const wlabel *l = &g_world->labels[i];
            if (!placed[i] || l->kind != WL_COUNTRY)
                continue;
            double s = ldexp(PX, z - g_world->bits);
            double cx = l->x * s, cy = l->y * s;
            int tx = (int)((cx + l->tw / 2) / PX), ty = (int)(cy / PX);
            double edge = tx * (double)PX;
            /* The text's middle third straddles the edge. */
            if (cx - l->tw / 6 > edge || cx + l->tw / 6 < edge || tx < 1 || tx >= (1 << z) ||
                ty + 1 >= (1 << z))
                continue;
            /* Text pixels on both sides of the edge, then the join itself. */
            int row = (int)cy - ty * PX;
            assert_true(mer_world_render(g_world, (mer_tile_id){z, tx - 1, ty}, PX, img));
            int dark_a = 0, dark_b = 0;
            for (int y = row - 6; y <= row + 6; y++)
                for (int x = PX - 8; x < PX; x++)
                    if (y >= 0 && y < PX && is_text(&img[(y * PX + x) * 4]))
                        dark_a++;
            assert_true(mer_world_render(g_world, (mer_tile_id){z, tx, ty}, PX, img));
            for (int y = row - 6; y <= row + 6; y++)
                for (int x = 0; x < 8; x++)
                    if (y >= 0 && y < PX && is_text(&img[(y * PX + x) * 4]))
                        dark_b++;
            if (!dark_a || !dark_b)
                fail_msg("label '%s' at z%d is cut at the edge of tile %d/%d", l->name, z, tx, ty);
            check_joins((mer_tile_id){z, tx - 1, ty}, win, img);
            checked++;
        }
    }
    assert_true(checked >= 2);
    free(win);
    free(img);
}

/* ---- threads ----------------------------------------------------------- */

#define N_THREADS 4
#define N_TILES 6

typedef struct job {
    int id;
    uint8_t *out[N_TILES];
    bool ok;
} job;

static mer_tile_id thread_tile(int t, int i)
{
    /* the same tiles in a different order in each thread */
    static const mer_tile_id tiles[N_TILES] = {{2, 2, 1}, {4, 8, 5}, {5, 17, 11}, {6, 33, 22},
                                               {3, 6, 3}, {7, 112, 50}};
    return tiles[(i + t) % N_TILES];
}

static void *render_thread(void *arg)
{
    job *j = arg;
    j->ok = true;
    for (int i = 0; i < N_TILES; i++) {
        j->out[i] = malloc(PX * PX * 4);
        j->ok = j->ok && j->out[i] && mer_world_render(g_world, thread_tile(j->id, i), PX, j->out[i]);
    }
    return NULL;
}

/* One loaded map, several threads rendering at once: every tile comes out
 * as it does alone (ThreadSanitizer watches the shared data in the tsan run). */
static void test_concurrent_renders(void **state)
{
    pthread_t th[N_THREADS];
    job jobs[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        jobs[t] = (job){.id = t};
        assert_int_equal(pthread_create(&th[t], NULL, render_thread, &jobs[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++)
        pthread_join(th[t], NULL);
    uint8_t *alone = malloc(PX * PX * 4);
    for (int t = 0; t < N_THREADS; t++) {
        assert_true(jobs[t].ok);
        for (int i = 0; i < N_TILES; i++) {
            assert_true(mer_world_render(g_world, thread_tile(t, i), PX, alone));
            assert_memory_equal(alone, jobs[t].out[i], PX * PX * 4);
            free(jobs[t].out[i]);
        }
    }
    free(alone);
}

/* ---- the world source through the loader ------------------------------ */

static void test_loader_world_source(void **state)
{
    mer_source src;
    assert_true(mer_source_lookup("world", &src));
    assert_int_equal(src.kind, MER_SOURCE_WORLD);
    mer_loader_config c;
    mer_loader_config_defaults(&c, &src);
    snprintf(c.world_path, sizeof c.world_path, "%s", ASSET);
    snprintf(c.cache_dir, sizeof c.cache_dir, "/nonexistent-meridian-cache"); /* never used */
    c.decode_workers = 2;
    char err[256] = "";
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    assert_non_null(l);

    mer_want_tile want[6];
    for (int i = 0; i < 4; i++)
        want[i] = (mer_want_tile){{2, i, 1}, i};
    want[4] = (mer_want_tile){{0, 0, 0}, 4};
    want[5] = (mer_want_tile){{6, 32, 22}, 5};
    mer_loader_want(l, 1, want, 6);

    uint8_t sea[3], land[3];
    mer_world_colors(sea, land);
    int got = 0, ok = 0;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        mer_tile_result r[8];
        size_t n = mer_loader_poll_results(l, r, 8);
        for (size_t i = 0; i < n; i++) {
            got++;
            if (r[i].status == MER_TILE_OK && r[i].origin == MER_ORIGIN_LOCAL && r[i].rgba &&
                r[i].w == 256 && r[i].h == 256)
                ok++;
            /* z0: the middle of the Atlantic is sea, Brazil's middle is land. */
            if (r[i].id.z == 0 && r[i].rgba) {
                double px, py;
                mer_lonlat_to_pixel(-30, 20, 0, 256, &px, &py);
                assert_true(near(&r[i].rgba[((int)py * 256 + (int)px) * 4], sea, 24));
            }
            mer_tile_result_release(&r[i]);
        }
        if (got >= 6 && mer_loader_idle(l))
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 60)
            fail_msg("only %d of 6 world tiles after 60 s", got);
        usleep(2000);
    }
    assert_int_equal(ok, 6);
    mer_loader_stats st;
    mer_loader_get_stats(l, &st);
    assert_int_equal(st.requests, 0); /* nothing went to the network */
    mer_loader_destroy(l);

    /* A missing or corrupt data file fails at create, with a reason. */
    snprintf(c.world_path, sizeof c.world_path, "/nonexistent/world.bin");
    l = mer_loader_create(&c, err, sizeof err);
    assert_null(l);
    assert_non_null(strstr(err, "world map"));
}

/* `meridian fetch --source world`: the whole world at zoom 1 as one PNG,
 * rendered by the loader's workers, with land and sea where they are. */
static void test_fetch_world(void **state)
{
    char dir[256], out[320], log[320];
    assert_true(mer_test_mkdtemp(dir, sizeof dir, "world"));
    snprintf(out, sizeof out, "%s/w.png", dir);
    snprintf(log, sizeof log, "%s/log.txt", dir);
    const char *args[] = {"fetch", "--source", "world", "--zoom", "1", "--x", "0:1", "--y", "0:1",
                          "--out", out, "--quiet", NULL};
    int rc = mer_test_run_meridian(args, log, NULL);
    if (rc != 0)
        fail_msg("meridian fetch --source world exited %d (log in %s)", rc, log);
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    static uint8_t png[4 << 20];
    size_t len = fread(png, 1, sizeof png, f);
    fclose(f);
    uint8_t *rgba = NULL;
    int w = 0, h = 0;
    char why[128];
    assert_true(mer_decode_image(png, len, 512, &rgba, &w, &h, why, sizeof why));
    uint8_t sea[3], land[3];
    mer_world_colors(sea, land);
    for (size_t i = 0; i < sizeof LANDS / sizeof LANDS[0]; i++) {
        double px, py;
        mer_lonlat_to_pixel(LANDS[i].lon, LANDS[i].lat, 1, 256, &px, &py);
        if (!near(&rgba[((int)py * 512 + (int)px) * 4], land, 24))
            fail_msg("fetched z1: %s is not land", LANDS[i].name);
    }
    for (size_t i = 0; i < sizeof SEAS / sizeof SEAS[0]; i++) {
        double px, py;
        mer_lonlat_to_pixel(SEAS[i].lon, SEAS[i].lat, 1, 256, &px, &py);
        if (!near(&rgba[((int)py * 512 + (int)px) * 4], sea, 24))
            fail_msg("fetched z1: %s is not sea", SEAS[i].name);
    }
    free(rgba);
    mer_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_file_and_version),
        cmocka_unit_test(test_rejects_truncated),
        cmocka_unit_test(test_rejects_corrupt),
        cmocka_unit_test(test_land_and_sea),
        cmocka_unit_test(test_lakes_and_cities),
        cmocka_unit_test(test_render_arguments),
        cmocka_unit_test(test_neighbours_agree),
        cmocka_unit_test(test_labels_cross_edges),
        cmocka_unit_test(test_concurrent_renders),
        cmocka_unit_test(test_loader_world_source),
        cmocka_unit_test(test_fetch_world),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
