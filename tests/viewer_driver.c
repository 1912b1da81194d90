#define _XOPEN_SOURCE 700 /* nftw */
#include "viewer_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <SDL.h>
#include <SDL_image.h>

#include "support/run.h"
#include "support/tile_code.h"
#include "support/tmpdir.h"

bool vd_have_display(void)
{
    const char *d = getenv("DISPLAY"), *own = getenv("MER_OWN_DISPLAY");
    return d && *d && own && *own;
}

#define MAX_DIRS 64
static char g_dirs[MAX_DIRS][256];
static int g_ndirs;

bool vd_prepare(vd_run *r)
{
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (!mer_test_mkdtemp(r->dir, sizeof r->dir, "viewer"))
        return false;
    if (g_ndirs < MAX_DIRS)
        snprintf(g_dirs[g_ndirs++], sizeof g_dirs[0], "%s", r->dir);
    return true;
}

void vd_cleanup_all(void)
{
    for (int i = 0; i < g_ndirs; i++)
        mer_test_rmtree(g_dirs[i]);
    g_ndirs = 0;
}

static bool write_script(const vd_run *r, const char *script, char *path, size_t len)
{
    snprintf(path, len, "%s/script.txt", r->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    for (const char *p = script; *p; p++) {
        if (*p == '@')
            fputs(r->dir, f);
        else
            fputc(*p, f);
    }
    return fclose(f) == 0;
}

static void read_file(const char *path, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
}

bool vd_run_script(vd_run *r, const char *script, const char *const *args, int timeout_s)
{
    char script_path[512], stats_path[512], err_path[512], state[512], cache[512];
    if (!write_script(r, script, script_path, sizeof script_path))
        return false;
    snprintf(stats_path, sizeof stats_path, "%s/stats.json", r->dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", r->dir);
    snprintf(state, sizeof state, "%s/state", r->dir);
    snprintf(cache, sizeof cache, "%s/cache", r->dir);
    /* Each run starts with no saved view and an empty disk cache. */
    setenv("XDG_STATE_HOME", state, 1);
    setenv("XDG_CACHE_HOME", cache, 1);
    setenv("SDL_VIDEODRIVER", "x11", 0);
    setenv("LIBGL_ALWAYS_SOFTWARE", "1", 0);
    const char *argv[64];
    int n = 0;
    argv[n++] = "--no-config";
    argv[n++] = "--script";
    argv[n++] = script_path;
    argv[n++] = "--stats";
    argv[n++] = stats_path;
    for (int i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = mer_test_spawn_meridian(argv, "/dev/null", -1, err_path);
    if (pid < 0)
        return false;
    r->status = mer_test_wait(pid, timeout_s, NULL);
    read_file(stats_path, r->stats, sizeof r->stats);
    read_file(err_path, r->err, sizeof r->err);
    if (r->status != 0)
        fprintf(stderr, "meridian exited with %d; stderr:\n%s\n", r->status, r->err);
    return true;
}

bool vd_load_png(const char *path, vd_image *img)
{
    memset(img, 0, sizeof *img);
    SDL_Surface *s = IMG_Load(path);
    if (!s)
        return false;
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ABGR8888, 0); /* bytes R,G,B,A */
    SDL_FreeSurface(s);
    if (!c)
        return false;
    img->w = c->w;
    img->h = c->h;
    img->rgba = malloc((size_t)c->w * (size_t)c->h * 4);
    if (img->rgba)
        for (int y = 0; y < c->h; y++)
            memcpy(img->rgba + (size_t)y * (size_t)c->w * 4, (uint8_t *)c->pixels + (size_t)y * (size_t)c->pitch,
                   (size_t)c->w * 4);
    SDL_FreeSurface(c);
    return img->rgba != NULL;
}

void vd_image_free(vd_image *img)
{
    free(img->rgba);
    img->rgba = NULL;
}

const uint8_t *vd_px(const vd_image *img, int x, int y)
{
    return img->rgba + ((size_t)y * (size_t)img->w + (size_t)x) * 4;
}

bool vd_decode(const vd_image *img, int x0, int y0, mer_tile_id *out)
{
    return mer_test_decode_tile_id(img->rgba, img->w, img->h, img->w, x0, y0, 1.0, out);
}

static bool near(const uint8_t *p, int r, int g, int b)
{
    return abs(p[0] - r) <= 1 && abs(p[1] - g) <= 1 && abs(p[2] - b) <= 1;
}

/* Pixel (x, y) has grey g, and so has a horizontal and a vertical neighbour. */
static bool grey_patch(const vd_image *img, int x, int y, const int g[3])
{
    if (!near(vd_px(img, x, y), g[0], g[1], g[2]))
        return false;
    bool h = (x > 0 && near(vd_px(img, x - 1, y), g[0], g[1], g[2])) ||
             (x + 1 < img->w && near(vd_px(img, x + 1, y), g[0], g[1], g[2]));
    bool v = (y > 0 && near(vd_px(img, x, y - 1), g[0], g[1], g[2])) ||
             (y + 1 < img->h && near(vd_px(img, x, y + 1), g[0], g[1], g[2]));
    return h && v;
}

static bool is_background(const uint8_t *p)
{
    return abs(p[0] - 222) <= 1 && abs(p[1] - 222) <= 1 && abs(p[2] - 217) <= 1;
}

int vd_widest_background_band(const vd_image *img)
{
    int best = 0, run = 0, rows = img->h - 40;
    for (int x = 0; x < img->w; x++) {
        int n = 0;
        for (int y = 0; y < rows; y++)
            n += is_background(vd_px(img, x, y));
        run = 2 * n > rows ? run + 1 : 0;
        best = run > best ? run : best;
    }
    run = 0;
    for (int y = 0; y < rows; y++) {
        int n = 0;
        for (int x = 0; x < img->w; x++)
            n += is_background(vd_px(img, x, y));
        run = 2 * n > img->w ? run + 1 : 0;
        best = run > best ? run : best;
    }
    return best;
}

long vd_count_placeholder(const vd_image *img, int x0, int y0, int x1, int y1)
{
    /* The two greys of shaders/ui.frag's 16 px placeholder checkerboard. Every
     * pixel of the pattern has a same-grey neighbour across and down; a map's
     * antialiased or filtered pixel that happens to be one of the greys (the
     * world map's cream land blended with a line) has not. */
    static const int greys[2][3] = {{217, 215, 209}, {204, 202, 196}};
    long n = 0;
    for (int y = y0; y < y1 && y < img->h; y++)
        for (int x = x0; x < x1 && x < img->w; x++)
            n += grey_patch(img, x, y, greys[0]) || grey_patch(img, x, y, greys[1]);
    return n;
}

double vd_json_num(const char *json, const char *after, const char *key)
{
    const char *p = after ? strstr(json, after) : json;
    if (!p)
        return NAN;
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    p = strstr(p, pat);
    if (!p)
        return NAN;
    return strtod(p + strlen(pat), NULL);
}

const char *vd_json_line(const char *json, int n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "{\"line\": %d,", n);
    return strstr(json, pat);
}

void vd_corner(int z, double x, double y, char *lat, char *lon, size_t len)
{
    double n = exp2(z), lo, la;
    mer_world_to_lonlat(x / n, y / n, &lo, &la);
    snprintf(lat, len, "%.12f", la);
    snprintf(lon, len, "%.12f", lo);
}
