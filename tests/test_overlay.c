/* GUI tests of the tile-state overlay (N) and the network panel (P): the
 * meridian binary in scripted mode under Xvfb against a rate-limited
 * meridian-tilesim that each test starts itself (its port, its seed).
 *
 * In a frame that saves a screenshot the overlay writes SHOT.tiles.txt: each
 * visible slot's rectangle and the state it drew (from the loader's tile
 * states). The tests check that the screenshot's pixels carry that state's
 * colour (overlay_colors.h) on the slot's outline, that the colours for in
 * flight and retry/paused really occur while a rate-limited server is
 * loading, that everything ends loaded with nothing failed, and that
 * adaptive concurrency gets fewer 429s than a fixed cap of 16 on the same
 * server, seed and tour. Skipped when there is no display. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/test_server.h"
#include "ui/overlay_colors.h"
#include "viewer_driver.h"

#define RUN_TIMEOUT_S 180
#define MAX_SLOTS 256
#define N_SHOTS 8

/* The --demo=rate-limit preset's server limits (src/core/demo_preset.c), with a
 * fixed seed so runs are comparable. */
static const char *const g_rate_limited[] = {"--latency", "150", "--rate", "8", "--burst", "4",
                                             "--max-concurrent", "4", "--seed", "7", NULL};
/* The same limits with slower answers, so that screenshots every 150 ms
 * surely catch requests in flight (at 150 ms they are out ~15% of the time
 * between Retry-After pauses). */
static const char *const g_rate_limited_slow[] = {"--latency", "500", "--rate", "8", "--burst", "4",
                                                  "--max-concurrent", "4", "--seed", "7", NULL};


typedef struct slot {
    int z, x, y;
    double sx, sy, sw, sh;
    char kind[16];
} slot;

typedef struct dump {
    int in_flight, cap;
    double paused_ms;
    int n;
    slot s[MAX_SLOTS];
} dump;

static int teardown(void **state)
{
    (void)state;
    vd_cleanup_all();
    return 0;
}

static bool read_dump(const char *png, dump *d)
{
    char path[600];
    snprintf(path, sizeof path, "%s.tiles.txt", png);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    memset(d, 0, sizeof *d);
    bool ok = fscanf(f, "# in_flight %d cap %d paused_ms %lf", &d->in_flight, &d->cap, &d->paused_ms) == 3;
    fscanf(f, "%*[^\n]\n");
    while (ok && d->n < MAX_SLOTS) {
        slot *s = &d->s[d->n];
        if (fscanf(f, "%d %d %d %lf %lf %lf %lf %15s", &s->z, &s->x, &s->y, &s->sx, &s->sy, &s->sw, &s->sh,
                   s->kind) != 8)
            break;
        d->n++;
    }
    fclose(f);
    return ok;
}

static bool is_rgb(const uint8_t *p, mer_ov_rgb c)
{
    return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

/* Pixels the overlay's legend (bottom-left) or the attribution (along the
 * bottom; always drawn, even with the HUD off) may cover. */
static bool covered(const vd_image *img, int x, int y)
{
    return (x < 240 && y > img->h - 230) || y >= img->h - 30;
}

/* Fraction of the slot's outline pixels (the middle of the border band,
 * inside the image, not covered) that have colour c; -1 if fewer than 64
 * such pixels are visible. The border is MER_OV_BORDER_PX wide at scale 1;
 * its middle row/column is sampled. */
static double outline_match(const vd_image *img, const slot *s, mer_ov_rgb c)
{
    int x0 = (int)floor(s->sx + 0.5), y0 = (int)floor(s->sy + 0.5);
    int x1 = (int)floor(s->sx + s->sw + 0.5), y1 = (int)floor(s->sy + s->sh + 0.5);
    int m = MER_OV_BORDER_PX / 2;
    long total = 0, hit = 0;
    for (int x = x0 + MER_OV_BORDER_PX; x < x1 - MER_OV_BORDER_PX; x++) {
        const int ys[2] = {y0 + m, y1 - 1 - m};
        for (int k = 0; k < 2; k++)
            if (x >= 0 && x < img->w && ys[k] >= 0 && ys[k] < img->h && !covered(img, x, ys[k])) {
                total++;
                hit += is_rgb(vd_px(img, x, ys[k]), c);
            }
    }
    for (int y = y0 + MER_OV_BORDER_PX; y < y1 - MER_OV_BORDER_PX; y++) {
        const int xs[2] = {x0 + m, x1 - 1 - m};
        for (int k = 0; k < 2; k++)
            if (y >= 0 && y < img->h && xs[k] >= 0 && xs[k] < img->w && !covered(img, xs[k], y)) {
                total++;
                hit += is_rgb(vd_px(img, xs[k], y), c);
            }
    }
    return total >= 64 ? (double)hit / (double)total : -1;
}

static bool kind_colour(const char *kind, mer_ov_rgb *c)
{
    static const struct {
        const char *name;
        mer_ov_rgb c;
    } k[] = {{"queued", MER_OV_QUEUED}, {"in_flight", MER_OV_IN_FLIGHT}, {"decoding", MER_OV_DECODING},
             {"retry", MER_OV_RETRY},   {"paused", MER_OV_PAUSED},       {"failed", MER_OV_FAILED},
             {"empty", MER_OV_EMPTY},   {"disk", MER_OV_DISK},           {"fresh", MER_OV_FRESH}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (strcmp(kind, k[i].name) == 0) {
            *c = k[i].c;
            return true;
        }
    return false;
}

static void load(const vd_run *r, const char *name, vd_image *img, dump *d)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    if (!vd_load_png(path, img))
        fail_msg("cannot read screenshot %s", path);
    if (!read_dump(path, d))
        fail_msg("no overlay dump beside %s", path);
}

/* During loading from a rate-limited server: every decorated slot carries its
 * state's colour on its outline, undecorated ones none of the state colours;
 * in-flight and retry/paused slots occur; at the end everything is loaded. */
static void test_overlay_colours_follow_states(void **state)
{
    VD_NEED_DISPLAY();
    mer_test_server srv;
    assert_true(mer_test_server_start(&srv, g_rate_limited_slow));
    char src[128];
    snprintf(src, sizeof src, "%s/{z}/{x}/{y}.png", srv.base_url);
    vd_run r;
    assert_true(vd_prepare(&r));
    /* The first view loads while the viewer warms up, which may take longer
     * than the whole load on a busy machine; so the shots are of a second
     * view the script asks for once the first is loaded, and each waits for
     * the loader to report what it should show (no guessed sleeps). Fixed
     * limits (6 in flight against the server's 4) keep refusals coming in
     * the second view too: adaptive limits would have learnt the server's. */
    char script[2048] = "key h\nwait-idle 90000\ngoto -15 130 5\n";
    for (int i = 0; i < N_SHOTS; i++) {
        size_t n = strlen(script);
        snprintf(script + n, sizeof script - n, "wait-tiles %s 60000\nscreenshot @/load%d.png\n",
                 i % 2 ? "retry,paused" : "in_flight", i);
    }
    strncat(script, "wait-idle 90000\nscreenshot @/end.png\n", sizeof script - strlen(script) - 1);
    const char *args[] = {"--source", src, "--overlay", "--max-concurrent", "6", "--rate", "0", "--no-adaptive",
                          "--size", "768x512", "--lat", "20", "--lon", "10", "--zoom", "4", NULL};
    bool ran = vd_run_script(&r, script, args, RUN_TIMEOUT_S);
    mer_test_server_stop(&srv);
    assert_true(ran);
    assert_int_equal(r.status, 0);

    int seen_flight = 0, seen_wait = 0, checked = 0;
    for (int i = 0; i < N_SHOTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "load%d.png", i);
        vd_image img;
        dump *d = calloc(1, sizeof *d);
        assert_non_null(d);
        load(&r, name, &img, d);
        int flights = 0;
        for (int k = 0; k < d->n; k++) {
            const slot *s = &d->s[k];
            if (s->sw < 64 || s->sh < 64)
                continue;
            mer_ov_rgb c;
            if (kind_colour(s->kind, &c)) {
                double f = outline_match(&img, s, c);
                if (f < 0)
                    continue; /* too little of it visible */
                if (f < 0.6)
                    fail_msg("%s: slot %d/%d/%d is %s but only %.0f%% of its outline has that colour", name, s->z,
                             s->x, s->y, s->kind, f * 100);
                checked++;
            } else {
                /* Not decorated: no state colour on its outline. */
                assert_string_equal(s->kind, "none");
                assert_true(outline_match(&img, s, MER_OV_IN_FLIGHT) < 0.05);
                assert_true(outline_match(&img, s, MER_OV_PAUSED) < 0.05);
                assert_true(outline_match(&img, s, MER_OV_RETRY) < 0.05);
            }
            flights += strcmp(s->kind, "in_flight") == 0;
            seen_wait += strcmp(s->kind, "retry") == 0 || strcmp(s->kind, "paused") == 0;
        }
        /* Visible slots in flight never exceed the client's cap. */
        assert_true(flights <= 6);
        seen_flight += flights;
        free(d);
        vd_image_free(&img);
    }
    fprintf(stderr, "overlay: %d decorated slots checked; in flight seen %d, retry/paused seen %d\n", checked,
            seen_flight, seen_wait);
    assert_true(seen_flight > 0);
    assert_true(seen_wait > 0);

    /* The end: every visible tile drawn exactly, none failed or waiting. */
    vd_image img;
    dump *d = calloc(1, sizeof *d);
    assert_non_null(d);
    load(&r, "end.png", &img, d);
    assert_true(d->n > 0);
    for (int k = 0; k < d->n; k++)
        if (strcmp(d->s[k].kind, "none") != 0 && strcmp(d->s[k].kind, "disk") != 0)
            fail_msg("end: slot %d/%d/%d still %s", d->s[k].z, d->s[k].x, d->s[k].y, d->s[k].kind);
    assert_int_equal(vd_count_placeholder(&img, 0, 0, img.w, img.h), 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_failed") == 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_ok") > 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "429") > 0); /* the limits were really hit */
    assert_true(vd_json_num(r.stats, "\"placeholder\"", "last") == 0);
    assert_true(vd_json_num(r.stats, "\"failed\": {", "last") == 0);
    free(d);
    vd_image_free(&img);
}

/* One run of the tour against a fresh rate-limited server; returns the
 * number of 429s the loader counted (and checks the server agrees). */
static long tour_429s(bool adaptive)
{
    mer_test_server srv;
    assert_true(mer_test_server_start(&srv, g_rate_limited));
    char src[128];
    snprintf(src, sizeof src, "%s/{z}/{x}/{y}.png", srv.base_url);
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *tour = "key h\nwait-idle 90000\npan 500 0 300\nwait-idle 90000\nzoom-at 384 256 1 300\n"
                       "wait-idle 90000\npan 0 400 300\nwait-idle 90000\n";
    const char *args[] = {"--source", src, "--max-concurrent", "16", "--rate", "0", "--size", "768x512", "--lat",
                          "20", "--lon", "10", "--zoom", "4", adaptive ? NULL : "--no-adaptive", NULL};
    bool ran = vd_run_script(&r, tour, args, RUN_TIMEOUT_S);
    char json[4096] = "";
    bool got = mer_test_server_get_stats(&srv, json, sizeof json);
    mer_test_server_stop(&srv);
    assert_true(ran);
    assert_int_equal(r.status, 0);
    assert_true(got);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_failed") == 0);
    double n = vd_json_num(r.stats, "\"loader\"", "429");
    assert_false(isnan(n));
    /* The server counted at least as many (it may count a 429 whose answer
     * the viewer never read before it quit, never fewer). */
    const char *st = strstr(json, "\"statuses\"");
    double server = st ? vd_json_num(st, NULL, "429") : NAN;
    if (isnan(server))
        server = 0;
    assert_true(server >= n);
    fprintf(stderr, "%s: %ld requests got 429 (server counted %.0f), %.0f requests in all\n",
            adaptive ? "adaptive (max 16)" : "fixed cap 16", (long)n, server,
            vd_json_num(r.stats, "\"loader\"", "requests"));
    return (long)n;
}

static void test_adaptive_gets_fewer_429s(void **state)
{
    VD_NEED_DISPLAY();
    long fixed = tour_429s(false);
    long adaptive = tour_429s(true);
    assert_true(fixed > 0);
    assert_true(adaptive < fixed);
}

/* The panel draws its box top-right; the live keys reach the loader
 * ([ lowers the cap, M turns adaptive limits off: they are on by default) as
 * --stats shows at the end. */
static void test_panel_keys(void **state)
{
    VD_NEED_DISPLAY();
    mer_test_server srv;
    assert_true(mer_test_server_start(&srv, NULL));
    char src[128];
    snprintf(src, sizeof src, "%s/{z}/{x}/{y}.png", srv.base_url);
    vd_run r;
    assert_true(vd_prepare(&r));
    const char *args[] = {"--source", src, "--max-concurrent", "6", "--rate", "0", "--size", "768x512",
                          "--lat", "20", "--lon", "10", "--zoom", "3", NULL};
    bool ran = vd_run_script(&r,
                             "key h\nwait-idle 60000\nscreenshot @/off.png\nkey p\nkey [\nkey [\nkey m\n"
                             "screenshot @/on.png\nkey p\nkey a\ngoto 40 60 3\nwait-idle 60000\nquit\n",
                             args, RUN_TIMEOUT_S);
    mer_test_server_stop(&srv);
    assert_true(ran);
    assert_int_equal(r.status, 0);
    vd_image off, on;
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/off.png", r.dir);
    snprintf(p2, sizeof p2, "%s/on.png", r.dir);
    assert_true(vd_load_png(p1, &off));
    assert_true(vd_load_png(p2, &on));
    /* The panel's box is dark: its area gets darker where the map was. */
    long darker = 0, total = 0;
    for (int y = 20; y < 300; y += 4)
        for (int x = on.w - 300; x < on.w - 20; x += 4) {
            const uint8_t *a = vd_px(&off, x, y), *b = vd_px(&on, x, y);
            darker += b[0] + b[1] + b[2] + 60 < a[0] + a[1] + a[2];
            total++;
        }
    assert_true(darker > total / 2);
    /* After the panel was hidden, A pans again (not a panel key): adaptive
     * stays off, and the cap maximum is 6 - 2 = 4. (The loader publishes
     * stats with the next want: the goto and wait-idle make sure of one.) */
    assert_true(vd_json_num(r.stats, "\"loader\"", "cap_max") == 4);
    const char *ad = strstr(r.stats, "\"adaptive\": ");
    assert_non_null(ad);
    assert_true(strncmp(ad + 12, "false", 5) == 0);
    vd_image_free(&off);
    vd_image_free(&on);
}

/* With --demo the panel's 2nd-row keys reach the demo server: 3 (strict:
 * 2 requests/s, 2 at once) turns a server without limits into one that
 * answers 429, which the loader counts on the next view. R clears the GPU
 * tile cache: the view reloads, from the disk cache. */
static void test_panel_demo_server_and_reload(void **state)
{
    VD_NEED_DISPLAY();
    vd_run r;
    assert_true(vd_prepare(&r));
    char script[2048] = "key h\nwait-idle 60000\nkey p\nkey 3\n";
    /* Poll the panel's report of the request (300 ms timeout) for up to 2 s. */
    for (int i = 0; i < 20; i++) {
        size_t n = strlen(script);
        snprintf(script + n, sizeof script - n, "sleep 100\nscreenshot @/p%d.png\n", i);
    }
    strncat(script, "goto 40 60 5\nwait-idle 90000\nscreenshot @/before-r.png\nkey r\nwait-idle 90000\nquit\n",
            sizeof script - strlen(script) - 1);
    const char *args[] = {"--demo", "--max-concurrent", "6", "--rate", "0", "--size", "768x512", "--lat", "20",
                          "--lon", "10", "--zoom", "4", NULL};
    assert_true(vd_run_script(&r, script, args, RUN_TIMEOUT_S));
    assert_int_equal(r.status, 0);
    int applied_at = -1;
    double before = -1;
    for (int i = 0; i < 20 && applied_at < 0; i++) {
        char path[600], line[256] = "";
        snprintf(path, sizeof path, "%s/p%d.png.panel.txt", r.dir, i);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        unsigned long long n429 = 0;
        if (fscanf(f, "cap %*d cap_max %*d adaptive %*d rate %*f in_flight %*d status_429 %llu", &n429) == 1 &&
            before < 0)
            before = (double)n429;
        fscanf(f, "%*[^\n]\n");
        if (fgets(line, sizeof line, f) && strncmp(line, "server strict applied", 21) == 0)
            applied_at = i;
        fclose(f);
    }
    if (applied_at < 0)
        fail_msg("the demo server did not confirm the strict preset within 2 s");
    assert_true(before == 0); /* the default preset has no limits */
    assert_true(vd_json_num(r.stats, "\"loader\"", "429") > 0);
    assert_true(vd_json_num(r.stats, "\"loader\"", "tiles_failed") == 0);
    /* After R the tiles on screen came back (from the disk cache). */
    char path[600];
    snprintf(path, sizeof path, "%s/before-r.png.panel.txt", r.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    unsigned long long hits = 0;
    int got = fscanf(f, "cap %*d cap_max %*d adaptive %*d rate %*f in_flight %*d status_429 %*u paused_ms %*f "
                        "cache_hits %llu", &hits);
    fclose(f);
    assert_int_equal(got, 1);
    assert_true(vd_json_num(r.stats, "\"loader\"", "cache_hits") >= (double)hits + 12); /* 768x512: 12+ slots */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_panel_keys),
        cmocka_unit_test(test_panel_demo_server_and_reload),
        cmocka_unit_test(test_overlay_colours_follow_states),
        cmocka_unit_test(test_adaptive_gets_fewer_429s),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
