/* The viewer's main loop (main thread). It sleeps in SDL_WaitEvent while
 * nothing changes; the loader's on_ready callback (a loader or decode thread)
 * pushes one SDL user event per batch of results, guarded by wake_posted so
 * SDL's bounded queue never fills with wake-ups. A frame is drawn only when
 * something changed: input, an animation, a fling, tiles arriving or fading in,
 * or a screenshot request. */
#include "ui/app.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#endif

#include <SDL.h>
#include <epoxy/gl.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/tile.h"
#include "ui/app_priv.h"
#include "ui/viewstate.h"


#define TAG "app"
#define DEFAULT_LAT 30.0
#define DEFAULT_LON 10.0
#define DEFAULT_ZOOM 2.0
#define WARM_UP_PRESENTS 3
#define FAST_FLING_PX_S 1500.0
#define SPARE_SLICE_S 0.003
#define SPARE_MARGIN_S 0.001
/* Textures of the world beneath (taken from the texture budget): a screen of
 * world tiles and their parents at 1280x720. */
#define BASEMAP_BUDGET ((size_t)12 * 1024 * 1024)
#define MIB ((size_t)1024 * 1024)

double mer_app_now(void)
{
    return mer_clock_s();
}

void mer_app_quit(mer_app *a, int code)
{
    a->running = false;
    if (code > a->exit_code)
        a->exit_code = code;
}

void mer_app_stop_motion(mer_app *a)
{
    a->fling.active = false;
    a->zanim.active = false;
    a->panim.active = false;
}

void mer_app_home(mer_app *a)
{
    mer_app_stop_motion(a);
    mer_camera_set_lonlat(&a->cam, a->home_lon, a->home_lat, a->home_zoom);
    a->dirty = true;
}

/* Called on a loader or decode thread: push one wake-up, never data. */
static void on_ready(void *ud)
{
    mer_app *a = ud;
    if (atomic_exchange(&a->wake_posted, 1))
        return;
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = a->wake_type;
    if (SDL_PushEvent(&ev) != 1)
        atomic_store(&a->wake_posted, 0);
}

/* MERIDIAN_SCALE=S (1..4) makes the window act as a display of scale S: the
 * map is laid out in drawable pixels / S and HiDPI tiles are chosen, as on a
 * real HiDPI screen. For tests and screenshots (Xvfb has no scale); pointer
 * positions are taken as logical, as such window systems report them. */
static double forced_scale(void)
{
    const char *s = getenv("MERIDIAN_SCALE");
    double v;
    return s && *s && mer_parse_double(s, 1.0, 4.0, &v) ? v : 0.0;
}

/* Drawable pixels per logical pixel; *ww, *wh the logical window size. */
static double display_scale(mer_app *a, int *ww, int *wh)
{
    SDL_GetWindowSize(a->win, ww, wh);
    SDL_GL_GetDrawableSize(a->win, &a->dw, &a->dh);
    double fs = forced_scale();
    if (fs > 0) {
        *ww = (int)lround(a->dw / fs);
        *wh = (int)lround(a->dh / fs);
        return fs;
    }
    double s = *ww > 0 ? (double)a->dw / *ww : 1.0;
    return s > 0 ? s : 1.0;
}

void mer_app_update_sizes(mer_app *a)
{
    int ww, wh;
    a->scale = display_scale(a, &ww, &wh);
    mer_camera_resize(&a->cam, ww, wh);
    a->dirty = true;
}

static bool animating(const mer_app *a)
{
    return a->fling.active || a->zanim.active || a->panim.active;
}

static bool frame_needed(const mer_app *a)
{
    return a->dirty || a->fading || animating(a) || a->pend_n > 0 || a->results_maybe ||
           (a->basemap && mer_basemap_busy(a->basemap));
}

const char *mer_app_busy_with(mer_app *a)
{
    if (frame_needed(a) || a->in.dragging)
        return "frames to draw";
    if (a->loader && !mer_loader_idle(a->loader))
        return "the loader";
    if (a->basemap && !mer_basemap_complete(a->basemap))
        return "the world map beneath";
    if (!mer_mapview_complete(a->mv, &a->cam, a->scale, a->tc, mer_app_now()))
        return "tiles missing from the texture cache";
    return NULL;
}

bool mer_app_world_drawn(mer_app *a)
{
    return a->basemap && !frame_needed(a) && mer_basemap_complete(a->basemap);
}

/* ---- frames ---- */

static void step_animations(mer_app *a, double now)
{
    double dt = now - a->anim_t;
    if (dt < 0 || !animating(a))
        dt = 0; /* started after this frame's clock was read */
    else if (dt > 0.25)
        dt = 1.0 / 60.0; /* after a stall, step as one frame rather than jump */
    a->anim_t = now;
    mer_fling_step(&a->fling, &a->cam, dt);
    mer_zoom_anim_step(&a->zanim, &a->cam, dt);
    mer_pan_anim_step(&a->panim, &a->cam, dt);
}

static void send_wants(mer_app *a, double now)
{
    bool force = false;
    /* Safety net: the loader went idle but the view is still missing tiles
     * (e.g. evicted from the texture cache): ask again, at most once a second. */
    if (a->loader && now - a->last_force > 1.0 && a->pend_n == 0 && !a->results_maybe &&
        mer_loader_idle(a->loader) && !mer_mapview_complete(a->mv, &a->cam, a->scale, a->tc, 1e300)) {
        force = true;
        a->last_force = now;
    }
    /* During a fast fling the tiles flying past would be stale before they
     * arrive: ask only once the glide has slowed down (as libshumate does). */
    if (!force && a->fling.active && hypot(a->fling.vx, a->fling.vy) > FAST_FLING_PX_S)
        return;
    const mer_want_tile *w;
    size_t n;
    if (mer_mapview_wants(a->mv, &a->cam, a->scale, a->tc, force, &w, &n) && a->loader) {
        mer_loader_want(a->loader, ++a->generation, w, n);
        a->wants_sent++;
    }
}

#define OFFLINE_NOTICE "offline: showing the built-in world map; press C for cached areas"
#define NET_DOWN_ERRORS 3

/* A state line in plain words instead of a failure count: with --offline, or
 * when requests keep failing without a single response (no network), say so
 * once (a response clears it); when the server's certificate was refused,
 * say that. */
static const char *notice(mer_app *a, const mer_loader_stats *s)
{
    /* A refused certificate fails every tile of the source (no retries): it
     * is neither "offline" nor a count of failures, it is this. */
    if (s->tls_error[0]) {
        /* curl's detail is the part after the last ": " (short enough for the HUD). */
        const char *d = s->tls_error, *p;
        while ((p = strstr(d, ": ")) != NULL)
            d = p + 2;
        snprintf(a->tls_notice, sizeof a->tls_notice, "certificate not accepted: %.100s", d);
        return a->tls_notice;
    }
    if (s->responses != a->net_responses)
        a->net_errors_since = 0;
    else if (s->transport_errors > a->net_errors)
        a->net_errors_since += (int)(s->transport_errors - a->net_errors);
    a->net_responses = s->responses;
    a->net_errors = s->transport_errors;
    if (!a->cfg->offline && a->net_errors_since < NET_DOWN_ERRORS)
        return NULL;
    return a->basemap ? OFFLINE_NOTICE : "offline: press C for cached areas";
}

static int loading_count(mer_app *a, const mer_loader_stats *s)
{
    return s->queued + s->in_flight + s->decoding + s->results_pending + (int)a->pend_n;
}

static void draw_hud(mer_app *a)
{
    if (!a->hud)
        return;
    double lon, lat, clon, clat;
    mer_camera_get_lonlat(&a->cam, &clon, &clat);
    mer_loader_stats ls;
    memset(&ls, 0, sizeof ls);
    if (a->loader)
        mer_loader_get_stats(a->loader, &ls);
    a->notice = notice(a, &ls);
    mer_hud_info in = {.attribution = a->src.attribution, .zoom = a->cam.zoom, .centre_lat = clat,
                       .world_px = mer_camera_world_px(&a->cam), .loading = loading_count(a, &ls),
                       .failed = a->last_failed, .not_cached = a->last_not_cached, .no_data = a->last_no_data,
                       .empty = a->last_empty, .offline = a->cfg->offline, .notice = a->notice};
    /* The optional layers' keys, so nobody needs the README to find them. */
    char hint[160];
    mer_layers_hint(&a->layers, hint, sizeof hint);
    in.hint = hint;
    if (a->in.mouse_in) {
        double u, v;
        mer_camera_screen_to_world(&a->cam, a->in.mouse_x, a->in.mouse_y, &u, &v);
        if (v >= 0 && v <= 1) {
            mer_world_to_lonlat(u - floor(u), v, &lon, &lat);
            in.have_cursor = true;
            in.cursor_lat = lat;
            in.cursor_lon = lon;
        }
    }
    mer_hud_draw(a->hud, a->gfx, &in, a->dw, a->dh, a->scale, a->in.hud_on);
}

mer_layer_ctx mer_app_layer_ctx(const mer_app *a, double now, const char *shot_path)
{
    mer_layer_ctx ctx = {.gfx = a->gfx, .cam = &a->cam, .scale = a->scale, .dw = a->dw, .dh = a->dh,
                         .loader = a->loader, .tc = a->tc, .now = now, .mouse_x = a->in.mouse_x,
                         .mouse_y = a->in.mouse_y, .offline = a->cfg->offline,
                         .demo_url = a->cfg->demo_url[0] ? a->cfg->demo_url : NULL, .shot_path = shot_path};
    ctx.slots = mer_mapview_slots(a->mv, &ctx.n_slots);
    return ctx;
}

static bool draw_layers(mer_app *a, double now)
{
    mer_layer_ctx ctx = mer_app_layer_ctx(a, now, a->run.shot_path[0] ? a->run.shot_path : NULL);
    return mer_layers_draw(&a->layers, &ctx);
}

/* Moved to a display with another scale: the HUD's font follows. */
static void rescale_hud(mer_app *a)
{
    char err[256];
    mer_hud *h = mer_hud_create(a->scale, err, sizeof err);
    if (h) {
        mer_hud_destroy(a->hud);
        a->hud = h;
        a->hud_scale = a->scale;
    }
}

static void render_frame(mer_app *a, double t0)
{
    a->frame++;
    a->dirty = false;
    if (a->hud && a->scale != a->hud_scale)
        rescale_hud(a);
    step_animations(a, t0);
    mer_frame_sample fs;
    memset(&fs, 0, sizeof fs);
    mer_app_upload(a, animating(a) || a->in.dragging, &fs);
    double now = mer_app_now();
    send_wants(a, now);
    mer_gfx_begin(a->gfx, a->dw, a->dh);
    mer_draw_counts dc;
    mer_mapview_draw(a->mv, a->gfx, &a->cam, a->scale, a->tc, a->basemap, a->frame, now, &dc);
    fs.overdraw = mer_gfx_map_overdraw(a->gfx);
    if (a->basemap)
        mer_basemap_end_frame(a->basemap, a->frame);
    a->fading = dc.fading;
    a->last_failed = dc.failed;
    a->last_not_cached = dc.not_cached;
    a->last_no_data = dc.no_data;
    a->last_empty = dc.empty;
    if (draw_layers(a, now))
        a->dirty = true;
    draw_hud(a);
    if (a->run.shot_path[0]) {
        char err[1200];
        if (!mer_gfx_screenshot(a->dw, a->dh, a->run.shot_path, err, sizeof err)) {
            fprintf(stderr, "meridian: %s\n", err);
            a->run.shot_failed = true;
        }
        a->run.shot_path[0] = '\0';
        a->run.shot_done = true;
        fs.screenshot = true;
    }
    double t_swap = mer_app_now();
    fs.draw_ms = (t_swap - now) * 1000.0;
    SDL_GL_SwapWindow(a->win);
    fs.swap_ms = (mer_app_now() - t_swap) * 1000.0;
    if (a->frame == 1)
        a->t_first_frame = t_swap + fs.swap_ms / 1000.0;
    if (a->t_full_view == 0 && dc.exact > 0 && dc.standin + dc.world + dc.placeholder + dc.failed + dc.not_cached == 0)
        a->t_full_view = t_swap + fs.swap_ms / 1000.0;
    fs.frame_ms = (mer_app_now() - t0) * 1000.0;
    fs.frame = a->frame;
    const mer_script_cmd *cmd = a->run.script ? mer_script_at(a->run.script, a->run.idx) : NULL;
    fs.line = cmd ? cmd->line : 0;
    fs.exact = dc.exact;
    fs.standin = dc.standin;
    fs.world = dc.world;
    fs.placeholder = dc.placeholder;
    fs.failed = dc.failed;
    fs.not_cached = dc.not_cached;
    fs.empty = dc.empty;
    fs.no_data = dc.no_data;
    if (fs.frame_ms > 33.0)
        MER_LOGD(TAG, "slow frame %llu: %.1f ms (uploads %d in %.1f ms, draw %.1f, swap %.1f, %d tiles)",
                 (unsigned long long)a->frame, fs.frame_ms, fs.uploads, fs.upload_ms, fs.draw_ms, fs.swap_ms,
                 dc.exact + dc.standin + dc.world + dc.placeholder + dc.failed + dc.not_cached);
    mer_stats_frame(a->stats, &fs);
    mer_runner_frame_done(a);
}

/* Milliseconds until the next frame may start: frames are paced to the
 * display's refresh rate even where the swap interval is not honoured (Xvfb,
 * some compositors), so a software renderer never steals CPU from the decode
 * threads to draw frames nobody can see. 0 = now. */
static int pace_ms(const mer_app *a)
{
    double left = a->last_frame_t0 + a->frame_interval - mer_app_now();
    return left > 0.0005 ? (int)ceil(left * 1000.0) : 0;
}

static void main_loop(mer_app *a)
{
    SDL_Event ev;
    while (a->running) {
        int wait_ms = a->run.script ? mer_runner_step(a) : -1;
        if (!a->running)
            break;
        bool need = frame_needed(a);
        /* Time no frame needs makes spare textures for the tiles to come
         * (until full): a slice when idle, else what is left before the
         * next frame's slot. */
        if (!need)
            mer_app_make_spares(a, mer_app_now() + SPARE_SLICE_S);
        else if (pace_ms(a) > 1)
            mer_app_make_spares(a, a->last_frame_t0 + a->frame_interval - SPARE_MARGIN_S);
        int pace = need ? pace_ms(a) : 0;
        if (!need || pace > 0) {
            /* Idle: sleep until input or a loader wake-up (or a script
             * deadline, or the next frame slot). */
            int w = !need ? wait_ms : (wait_ms < 0 || pace < wait_ms ? pace : wait_ms);
            if (w != 0 && (w < 0 ? SDL_WaitEvent(&ev) : SDL_WaitEventTimeout(&ev, w)))
                mer_input_event(a, &ev);
        }
        double t0 = mer_app_now();
        while (SDL_PollEvent(&ev))
            mer_input_event(a, &ev);
        if (a->running && frame_needed(a) && pace_ms(a) == 0) {
            a->last_frame_t0 = t0;
            render_frame(a, t0);
        }
    }
}

/* ---- set-up ---- */

static bool create_window(mer_app *a, char *err, size_t len)
{
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
    if (a->cfg->fullscreen)
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    a->in.fullscreen = a->cfg->fullscreen;
    a->win = SDL_CreateWindow("Meridian", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, a->cfg->width,
                              a->cfg->height, flags);
    if (!a->win) {
        snprintf(err, len, "cannot open a window: %s", SDL_GetError());
        return false;
    }
    a->gl = SDL_GL_CreateContext(a->win);
    if (!a->gl) {
        snprintf(err, len, "cannot create an OpenGL 3.3 core context: %s", SDL_GetError());
        return false;
    }
    if (epoxy_gl_version() < 33) {
        snprintf(err, len, "OpenGL 3.3 is needed, the driver offers %d.%d", epoxy_gl_version() / 10,
                 epoxy_gl_version() % 10);
        return false;
    }
    SDL_DisplayMode mode;
    int hz = SDL_GetWindowDisplayMode(a->win, &mode) == 0 ? mode.refresh_rate : 0;
    a->frame_interval = 1.0 / (hz >= 30 && hz <= 500 ? hz : 60);
    /* Adaptive vsync if the driver has it, else plain vsync. */
    if (SDL_GL_SetSwapInterval(-1) != 0)
        SDL_GL_SetSwapInterval(1);
    MER_LOGI(TAG, "GL %s, %s", (const char *)glGetString(GL_VERSION), (const char *)glGetString(GL_RENDERER));
    return true;
}

/* --offline (or an MBTiles source) with no position and no last view: open
 * over the cached area, at the zoom where the cache has the most tiles. The
 * loader does not exist yet, so reading the cache here is allowed. */
static void cached_area_view(mer_app *a, double *lat, double *lon, double *zoom)
{
    int z;
    double w, s, e, n;
    if (!mer_loader_cache_extent(&a->cfg->loader, &z, &w, &s, &e, &n))
        return;
    double u0, v0, u1, v1;
    mer_lonlat_to_world(w, n, &u0, &v0);
    mer_lonlat_to_world(e, s, &u1, &v1);
    mer_world_to_lonlat((u0 + u1) / 2, (v0 + v1) / 2, lon, lat);
    *zoom = z;
    MER_LOGI(TAG, "no position given: opening over the cached area (z%d)", z);
}

static void start_view(mer_app *a)
{
    double lat = DEFAULT_LAT, lon = DEFAULT_LON, zoom = DEFAULT_ZOOM;
    const mer_view_config *o = a->cfg;
    if (!(o->have_lat || o->have_zoom) && !mer_viewstate_load(&lat, &lon, &zoom) &&
        (o->offline || a->src.kind == MER_SOURCE_MBTILES))
        cached_area_view(a, &lat, &lon, &zoom);
    if (o->have_lat) {
        lat = o->lat;
        lon = o->lon;
    }
    if (o->have_zoom)
        zoom = o->zoom;
    a->home_lat = lat;
    a->home_lon = lon;
    a->home_zoom = zoom;
    mer_camera_init(&a->cam, o->width, o->height, a->src.min_zoom, a->src.max_zoom);
    mer_app_update_sizes(a);
    mer_camera_set_lonlat(&a->cam, lon, lat, zoom);
}

static bool start_loader(mer_app *a, char *err, size_t len)
{
    mer_loader_config c = a->cfg->loader;
    mer_source_apply_scale(&c.source, a->scale); /* as a->src in setup (start_view set a->scale) */
    c.on_ready = on_ready;
    c.ud = a;
    a->loader = mer_loader_create(&c, err, len);
    return a->loader != NULL;
}

static bool will_have_basemap(const mer_app *a)
{
    mer_source w;
    return strcmp(a->src.id, "world") != 0 && mer_source_lookup("world", &w);
}

/* The texture budget. With software GL (llvmpipe) textures live in the
 * process's memory, and they are most of it (128 MB of a 255 MB peak after a
 * long tour, with 60 MB of LLVM's code): by default, twice what the window
 * can show at once (visible tiles at the worst fractional zoom, the margin,
 * two parent levels), at least 48 MB, the world map's share included. */
static size_t texture_budget(const mer_app *a)
{
    if (a->cfg->gpu_cache_mb > 0)
        return (size_t)a->cfg->gpu_cache_mb * MIB;
    int dw = 0, dh = 0;
    SDL_GL_GetDrawableSize(a->win, &dw, &dh);
    double t = MER_CAMERA_BASE_PX / M_SQRT2; /* tiles shown at 0.71x at worst */
    double cols = ceil(dw / t) + 3, rows = ceil(dh / t) + 3;
    size_t tiles = (size_t)(cols * rows * 1.34); /* parents and grandparents */
    size_t bytes = 2 * tiles * 256 * 256 * 4;
    if (bytes < 48 * MIB)
        bytes = 48 * MIB;
    return bytes > 1024 * MIB ? 1024 * MIB : bytes;
}

/* The world beneath missing tiles: a second loader on the built-in `world`
 * source (none when that is the source already). Not fatal: without it the
 * loading placeholder shows instead. */
static void start_basemap(mer_app *a)
{
    mer_source w;
    if (strcmp(a->src.id, "world") == 0 || !mer_source_lookup("world", &w))
        return;
    char err[512];
    a->basemap = mer_basemap_create(&w, &a->cfg->loader, a->basemap_budget, on_ready, a, err, sizeof err);
    if (!a->basemap)
        MER_LOGW(TAG, "no world map beneath: %s", err);
}

/* ---- background threads ---- */

/* With software GL a frame is a few ms of work for llvmpipe's rasteriser
 * threads, one per core: when a decode worker (a PNG, or a world tile drawn
 * by Cairo: up to 5 ms) holds one of the two cores, the frame waits for it,
 * and those were the slow frames while a view loaded. So the loaders' threads
 * (curl, disk, decoding, world rendering) run at a lower priority than the
 * main thread and the rasteriser threads: they take whatever the frames
 * leave, which is most of the time (frames are paced to the display).
 * On Linux the nice value belongs to each thread and new threads inherit
 * their creator's, so the loaders are created on a short-lived thread that
 * lowered its own priority first; the GL context (and with it llvmpipe's
 * threads) already exists. Raising a nice value needs no privilege; where it
 * fails, everything runs as before. */
#define BACKGROUND_NICE 10

typedef struct bg_start {
    mer_app *a;
    bool ok;
    char err[512];
} bg_start;

static void bg_start_run(bg_start *b)
{
    b->ok = start_loader(b->a, b->err, sizeof b->err);
    if (b->ok)
        start_basemap(b->a);
}

static void *bg_start_main(void *arg)
{
    errno = 0;
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), BACKGROUND_NICE) != 0)
        MER_LOGD(TAG, "background threads at the normal priority: %s", strerror(errno));
    bg_start_run(arg);
    return NULL;
}

static bool start_background(mer_app *a, char *err, size_t len)
{
    bg_start b = {.a = a};
    pthread_t th;
    if (pthread_create(&th, NULL, bg_start_main, &b) == 0)
        pthread_join(th, NULL);
    else
        bg_start_run(&b); /* no thread to spare: they run at our priority */
    if (!b.ok)
        snprintf(err, len, "%s", b.err);
    return b.ok;
}

static bool setup(mer_app *a, char *err, size_t len)
{
    if (a->cfg->script[0]) {
        a->run.script = mer_script_load(a->cfg->script, err, len);
        if (!a->run.script) {
            a->exit_code = 2;
            return false;
        }
    }
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        snprintf(err, len, "SDL: %s", SDL_GetError());
        return false;
    }
    a->wake_type = SDL_RegisterEvents(2);
    a->sync_type = a->wake_type + 1;
    if (a->wake_type == (Uint32)-1) {
        snprintf(err, len, "SDL: no user events left");
        return false;
    }
    if (!create_window(a, err, len))
        return false;
    a->gfx = mer_gfx_create(err, len);
    if (!a->gfx)
        return false;
    a->tex_budget = texture_budget(a);
    size_t world = will_have_basemap(a) ? BASEMAP_BUDGET : 0;
    if (world && world < a->tex_budget / 5) /* bigger windows need more world tiles */
        world = a->tex_budget / 5;
    if (world > a->tex_budget / 4)
        world = a->tex_budget / 4;
    a->basemap_budget = world;
    a->tc = mer_texcache_create(a->tex_budget - world, 4096);
    /* The window exists, so the display scale is known: @2x tiles for a
     * HiDPI source on a HiDPI display (drawn at 256 logical px). */
    int ww, wh;
    mer_source_apply_scale(&a->src, display_scale(a, &ww, &wh));
    a->mv = mer_mapview_create(a->src.tile_px, a->src.min_zoom, a->src.max_zoom);
    a->stats = mer_stats_create();
    if (!a->tc || !a->mv || !a->stats) {
        snprintf(err, len, "out of memory");
        return false;
    }
    a->hud = mer_hud_create(1.0, err, len);
    if (!a->hud)
        return false;
    start_view(a);
    a->hud_scale = 1.0;
    if (a->scale != 1.0) { /* HiDPI: the font at the drawable's resolution */
        mer_hud_destroy(a->hud);
        a->hud = mer_hud_create(a->scale, err, len);
        if (!a->hud)
            return false;
        a->hud_scale = a->scale;
    }
    mer_layers_start(&a->layers, a->cfg->overlay_on, a->cfg->panel_on);
    /* The loader starts, and is asked for the first view, before the warm-up:
     * disk reads and decoding then overlap shader compilation and the window
     * mapping instead of following them. */
    if (!start_background(a, err, len))
        return false;
    send_wants(a, mer_app_now());
    /* Compile shader variants, build the HUD's glyphs and present once (the
     * first presents map the window; the X server takes a while) before the
     * first counted frame. */
    mer_gfx_warm_up(a->gfx, a->dw, a->dh);
    for (int i = 0; i < WARM_UP_PRESENTS; i++) {
        mer_gfx_begin(a->gfx, a->dw, a->dh);
        mer_gfx_pattern(a->gfx, MER_PAT_PLACEHOLDER, 0, 0, (float)a->dw, (float)a->dh);
        draw_hud(a);
        SDL_GL_SwapWindow(a->win);
    }
    /* Spare textures for the first view's tiles (uploads.c). */
    mer_app_make_spares(a, mer_app_now() + 2 * SPARE_SLICE_S);
    return true;
}

static size_t peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (size_t)ru.ru_maxrss : 0;
}

static void write_stats(mer_app *a)
{
    if (!a->cfg->stats[0] || !a->stats)
        return;
    char *lj = NULL;
    if (a->loader) {
        mer_loader_stats ls;
        mer_loader_get_stats(a->loader, &ls);
        lj = malloc(16384);
        if (lj && mer_loader_stats_json(&ls, lj, 16384) == 0)
            lj[0] = '\0';
    }
    double lon, lat;
    mer_camera_get_lonlat(&a->cam, &lon, &lat);
    char extra[1024];
    snprintf(extra, sizeof extra,
             "\"view\": {\"lat\": %.9f, \"lon\": %.9f, \"zoom\": %.6f},\n"
             "  \"window\": {\"w\": %d, \"h\": %d, \"drawable_w\": %d, \"drawable_h\": %d, \"scale\": %.3f},\n"
             "  \"gpu_cache\": {\"bytes\": %zu, \"tiles\": %zu, \"evictions\": %llu, \"budget_mb\": %d, "
             "\"spares_used\": %llu},\n"
             "  \"wants_sent\": %llu,\n  \"startup_ms\": %.1f,\n  \"peak_rss_kb\": %zu,\n"
             "  \"first_frame_ms\": %.1f,\n  \"full_view_ms\": %.1f,\n"
             "  \"basemap\": {\"on\": %s, \"tiles_loaded\": %llu, \"tex_bytes\": %zu},\n"
             "  \"notice\": \"%s\"",
             lat, lon, a->cam.zoom, (int)a->cam.w, (int)a->cam.h, a->dw, a->dh, a->scale,
             mer_texcache_bytes(a->tc), mer_texcache_count(a->tc),
             (unsigned long long)mer_texcache_evictions(a->tc), (int)(a->tex_budget / MIB),
             (unsigned long long)mer_texcache_spares_used(a->tc),
             (unsigned long long)a->wants_sent, a->startup_ms, peak_rss_kb(),
             (a->t_first_frame - a->t_start) * 1000.0,
             a->t_full_view > 0 ? (a->t_full_view - a->t_first_frame) * 1000.0 : -1.0,
             a->basemap ? "true" : "false",
             (unsigned long long)(a->basemap ? mer_basemap_tiles_loaded(a->basemap) : 0),
             a->basemap ? mer_basemap_tex_bytes(a->basemap) : (size_t)0, a->notice ? a->notice : "");
    FILE *f = fopen(a->cfg->stats, "w");
    if (!f || !mer_stats_write(a->stats, f, lj, extra)) {
        fprintf(stderr, "meridian: cannot write --stats %s\n", a->cfg->stats);
        if (a->exit_code == 0)
            a->exit_code = 1;
    }
    if (f)
        fclose(f);
    free(lj);
}

static void teardown(mer_app *a)
{
    /* The loader first: its threads call on_ready, which needs SDL. */
    mer_loader_destroy(a->loader);
    a->loader = NULL;
    mer_basemap_destroy(a->basemap);
    a->basemap = NULL;
    while (a->pend_n > 0) {
        mer_tile_result_release(&a->pending[a->pend_head++]);
        a->pend_n--;
    }
    mer_layers_stop(&a->layers);
    mer_hud_destroy(a->hud);
    mer_texcache_destroy(a->tc);
    mer_gfx_destroy(a->gfx);
    mer_mapview_destroy(a->mv);
    mer_stats_destroy(a->stats);
    mer_script_free(a->run.script);
    if (a->gl)
        SDL_GL_DeleteContext(a->gl);
    if (a->win)
        SDL_DestroyWindow(a->win);
    SDL_Quit();
}

/* Tile-sized buffers (decoded tiles, rendered world tiles, and llvmpipe's
 * texture storage) come and go by the thousand. glibc raises its mmap
 * threshold after the first such buffer is freed, and from then on they live
 * in the heaps of whichever thread made them, where freed ones keep their
 * pages: 14 MB more peak RSS after a tour. A fixed threshold keeps each in its
 * own mapping, returned to the system when freed. Before any thread starts. */
static void tile_sized_buffers_unmapped(void)
{
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

int mer_app_run(const mer_view_config *cfg)
{
    tile_sized_buffers_unmapped();
    mer_app *a = calloc(1, sizeof *a);
    if (!a) {
        fprintf(stderr, "meridian: out of memory\n");
        return 1;
    }
    a->cfg = cfg;
    a->t_start = mer_app_now();
    a->src = cfg->source;
    a->in.hud_on = true;
    char err[1024] = "";
    int code;
    if (!setup(a, err, sizeof err)) {
        fprintf(stderr, "meridian: %s\n", err);
        code = a->exit_code ? a->exit_code : 1;
    } else {
        a->running = true;
        a->dirty = true;
        a->anim_t = mer_app_now();
        a->startup_ms = (a->anim_t - a->t_start) * 1000.0;
        main_loop(a);
        double lon, lat;
        mer_camera_get_lonlat(&a->cam, &lon, &lat);
        mer_viewstate_save(lat, lon, a->cam.zoom);
        write_stats(a);
        code = a->exit_code;
    }
    teardown(a);
    free(a);
    return code;
}
