/* Runs script commands from the main loop, one at a time. Commands that act
 * like a user (key, drag, wheel) push real SDL events so they take the same
 * path as input; the others act on the camera directly. Each finished line is
 * recorded in the stats with the frames it rendered and the view after it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <SDL.h>

#include "ui/app_priv.h"

#define RESIZE_TIMEOUT_S 5.0
#define POLL_MS 10
#define DRAG_STEP_MS 4 /* a motion event about every 4 ms, like a 250 Hz mouse */

static void fail(mer_app *a, const mer_script_cmd *c, const char *why)
{
    fprintf(stderr, "meridian: %s:%d: %s: %s\n", a->cfg->script, c->line, mer_script_op_name(c->op), why);
    mer_app_quit(a, 1);
}

static void push_mouse_button(int x, int y, bool down)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = down ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
    ev.button.button = SDL_BUTTON_LEFT;
    ev.button.state = down ? SDL_PRESSED : SDL_RELEASED;
    ev.button.clicks = 1;
    ev.button.x = x;
    ev.button.y = y;
    SDL_PushEvent(&ev);
}

static void push_motion(mer_app *a, double x, double y)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEMOTION;
    ev.motion.x = (int)lround(x);
    ev.motion.y = (int)lround(y);
    ev.motion.xrel = ev.motion.x - (int)lround(a->run.last_x);
    ev.motion.yrel = ev.motion.y - (int)lround(a->run.last_y);
    a->run.last_x = x;
    a->run.last_y = y;
    SDL_PushEvent(&ev);
}

static void push_key(SDL_Keycode k)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.key.keysym.sym = k;
    ev.key.keysym.scancode = SDL_GetScancodeFromKey(k);
    ev.type = SDL_KEYDOWN;
    ev.key.state = SDL_PRESSED;
    SDL_PushEvent(&ev);
    ev.type = SDL_KEYUP;
    ev.key.state = SDL_RELEASED;
    SDL_PushEvent(&ev);
}

static void push_wheel(mer_app *a, const mer_script_cmd *c)
{
    push_motion(a, c->a[0], c->a[1]);
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = SDL_MOUSEWHEEL;
    ev.wheel.y = (int)c->a[2];
    ev.wheel.preciseY = (float)c->a[2];
    ev.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
    SDL_PushEvent(&ev);
}

/* Pushed after synthetic input: the command is done once the app has
 * handled everything before it. */
static void push_sync(mer_app *a)
{
    SDL_Event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = a->sync_type;
    a->run.synced = false;
    SDL_PushEvent(&ev);
}

/* Starts a command. Returns true if it is already complete. */
static bool start(mer_app *a, const mer_script_cmd *c)
{
    switch (c->op) {
    case MER_SC_PAN:
        mer_app_stop_motion(a);
        if (c->a[2] <= 0) {
            mer_camera_pan_px(&a->cam, c->a[0], c->a[1]);
            a->dirty = true;
            return true;
        }
        mer_pan_anim_start(&a->panim, c->a[0], c->a[1], c->a[2] / 1000.0);
        a->anim_t = mer_app_now();
        return false;
    case MER_SC_ZOOM_AT:
        mer_app_stop_motion(a);
        if (c->a[3] <= 0) {
            mer_camera_zoom_at(&a->cam, c->a[0], c->a[1], c->a[2]);
            a->dirty = true;
            return true;
        }
        mer_zoom_anim_start(&a->zanim, &a->cam, c->a[0], c->a[1], c->a[2], c->a[3] / 1000.0);
        a->anim_t = mer_app_now();
        return false;
    case MER_SC_ZOOM_PAN: /* both animations run together */
        mer_app_stop_motion(a);
        mer_zoom_anim_start(&a->zanim, &a->cam, c->a[0], c->a[1], c->a[2], c->a[5] / 1000.0);
        mer_pan_anim_start(&a->panim, c->a[3], c->a[4], c->a[5] / 1000.0);
        a->anim_t = mer_app_now();
        return false;
    case MER_SC_GOTO:
        mer_app_stop_motion(a);
        mer_camera_set_lonlat(&a->cam, c->a[1], c->a[0], c->a[2]);
        a->dirty = true;
        return true;
    case MER_SC_RESIZE:
        SDL_SetWindowSize(a->win, (int)c->a[0], (int)c->a[1]);
        return false;
    case MER_SC_KEY:
        push_key((SDL_Keycode)c->keycode);
        push_sync(a);
        return false;
    case MER_SC_DRAG:
        a->run.last_x = c->a[0];
        a->run.last_y = c->a[1];
        push_motion(a, c->a[0], c->a[1]);
        push_mouse_button((int)c->a[0], (int)c->a[1], true);
        return false;
    case MER_SC_WHEEL:
        push_wheel(a, c);
        push_sync(a);
        return false;
    case MER_SC_SCREENSHOT:
        snprintf(a->run.shot_path, sizeof a->run.shot_path, "%s", c->path);
        a->run.shot_done = a->run.shot_failed = false;
        a->dirty = true;
        return false;
    case MER_SC_QUIT:
        mer_app_quit(a, 0);
        return true;
    case MER_SC_WAIT_IDLE:
    case MER_SC_WAIT_TILES:
    case MER_SC_WAIT_WORLD:
    case MER_SC_SLEEP:
        return false;
    }
    return true;
}

/* wait-tiles: whether the loader's latest published snapshot holds a tile in
 * one of the states asked for. Lets a test catch "in flight" or "waiting to
 * retry" by the loader's own account instead of guessing a sleep. */
static bool tiles_in_states(mer_app *a, unsigned states)
{
    enum { MAX_STATES = 4096 };
    static mer_tile_state_info info[MAX_STATES]; /* main thread only */
    if (!a->loader)
        return false;
    size_t n = mer_loader_get_tile_states(a->loader, info, MAX_STATES);
    for (size_t i = 0; i < n; i++)
        if (states & (1u << info[i].state))
            return true;
    return false;
}

/* A wait-* command whose condition does not hold yet: after its timeout
 * (c->a[0] ms) it fails, saying what it waited for; until then it polls. */
static bool keep_waiting(mer_app *a, const mer_script_cmd *c, double el, int *wait_ms, const char *what)
{
    if (el * 1000.0 < c->a[0]) {
        *wait_ms = POLL_MS;
        return false;
    }
    char why[200];
    snprintf(why, sizeof why, "%s after %.0f ms", what, c->a[0]);
    fail(a, c, why);
    return true;
}

/* Advances a running command; true once complete. *wait_ms: how long the loop may sleep. */
static bool progress(mer_app *a, const mer_script_cmd *c, double el, int *wait_ms)
{
    switch (c->op) {
    case MER_SC_PAN:
    case MER_SC_ZOOM_AT:
    case MER_SC_ZOOM_PAN:
        return !a->panim.active && !a->zanim.active;
    case MER_SC_RESIZE: {
        int w, h;
        SDL_GetWindowSize(a->win, &w, &h);
        if (w == (int)c->a[0] && h == (int)c->a[1] && (int)a->cam.w == w && (int)a->cam.h == h)
            return true;
        if (el > RESIZE_TIMEOUT_S) {
            fail(a, c, "the window manager did not apply the new size");
            return true;
        }
        *wait_ms = POLL_MS;
        return false;
    }
    case MER_SC_DRAG: {
        double ms = c->a[4];
        double p = ms > 0 ? el * 1000.0 / ms : 1.0;
        if (p > 1)
            p = 1;
        if (a->run.phase == 1) /* released: done once the app has seen it */
            return !a->in.dragging;
        push_motion(a, c->a[0] + c->a[2] * p, c->a[1] + c->a[3] * p);
        if (p < 1) {
            *wait_ms = DRAG_STEP_MS;
            return false;
        }
        push_mouse_button((int)lround(c->a[0] + c->a[2]), (int)lround(c->a[1] + c->a[3]), false);
        a->run.phase = 1;
        *wait_ms = 0;
        return false;
    }
    case MER_SC_KEY:
    case MER_SC_WHEEL:
        return a->run.synced;
    case MER_SC_SCREENSHOT:
        if (!a->run.shot_done)
            return false;
        if (a->run.shot_failed)
            fail(a, c, "could not save the screenshot");
        return true;
    case MER_SC_SLEEP: {
        double left = c->a[0] - el * 1000.0;
        if (left <= 0)
            return true;
        *wait_ms = (int)ceil(left);
        return false;
    }
    case MER_SC_WAIT_TILES:
        if (tiles_in_states(a, c->states)) {
            a->dirty = true; /* the next frame shows them */
            return true;
        }
        return keep_waiting(a, c, el, wait_ms, "no tile in the states asked for");
    case MER_SC_WAIT_WORLD:
        return mer_app_world_drawn(a) || keep_waiting(a, c, el, wait_ms, "the world map beneath not complete");
    case MER_SC_WAIT_IDLE: {
        const char *busy = mer_app_busy_with(a);
        if (!busy)
            return true;
        char what[96];
        snprintf(what, sizeof what, "not idle (waiting for %s)", busy);
        return keep_waiting(a, c, el, wait_ms, what);
    }
    default:
        return true;
    }
}

static void finish(mer_app *a, const mer_script_cmd *c, double el)
{
    double view[3];
    mer_camera_get_lonlat(&a->cam, &view[1], &view[0]);
    view[2] = a->cam.zoom;
    mer_stats_script_line(a->stats, c->line, mer_script_op_name(c->op),
                          mer_stats_frames(a->stats) - a->run.frames0, el * 1000.0, view);
    a->run.idx++;
    a->run.started = false;
}

int mer_runner_step(mer_app *a)
{
    for (;;) {
        const mer_script_cmd *c = mer_script_at(a->run.script, a->run.idx);
        if (!c) {
            mer_app_quit(a, 0); /* the end of a script is an implicit quit */
            return 0;
        }
        double now = mer_app_now();
        if (!a->run.started) {
            a->run.started = true;
            a->run.phase = 0;
            a->run.t0 = now;
            a->run.frames0 = mer_stats_frames(a->stats);
            if (start(a, c)) {
                finish(a, c, 0);
                if (!a->running)
                    return 0;
                continue;
            }
        }
        int wait_ms = -1;
        if (!progress(a, c, now - a->run.t0, &wait_ms))
            return wait_ms;
        finish(a, c, now - a->run.t0);
        if (!a->running)
            return 0;
    }
}

void mer_runner_frame_done(mer_app *a)
{
    (void)a;
}
