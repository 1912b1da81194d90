/* Input handling (main thread): mouse drag with inertia, wheel and
 * double-click zoom anchored at the cursor, keyboard, window events and the
 * loader's wake-up event. */
#include <math.h>

#include <SDL.h>

#include "ui/app_priv.h"

#define WHEEL_ZOOM_PER_CLICK 0.5
#define WHEEL_ANIM_S 0.18
#define KEY_ZOOM_ANIM_S 0.25
#define DBLCLICK_ANIM_S 0.3
#define KEY_PAN_FRACTION 0.25
#define KEY_PAN_S 0.2
/* Release velocity is measured over the last 100 ms of motion; a pointer that
 * stood still for 60 ms before release does not fling. */
#define FLING_WINDOW_S 0.1
#define FLING_STILL_S 0.06
#define FLING_SLOW_WINDOW_S 1.0
#define FLING_SAMPLE_S 0.008

static void add_sample(mer_app *a, double t, double x, double y)
{
    /* Events can come in bursts a fraction of a millisecond apart: keep the
     * samples at least FLING_SAMPLE_S apart so they span the velocity window. */
    if (a->in.n_samples >= 2 && t - a->in.samples[a->in.n_samples - 2].t < FLING_SAMPLE_S) {
        a->in.samples[a->in.n_samples - 1] = (drag_sample){t, x, y};
        return;
    }
    if (a->in.n_samples == MER_APP_DRAG_SAMPLES) {
        for (int i = 1; i < MER_APP_DRAG_SAMPLES; i++)
            a->in.samples[i - 1] = a->in.samples[i];
        a->in.n_samples--;
    }
    a->in.samples[a->in.n_samples++] = (drag_sample){t, x, y};
}

static void release_velocity(const mer_app *a, double now, double *vx, double *vy)
{
    *vx = *vy = 0;
    if (a->in.n_samples < 2)
        return;
    const drag_sample *last = &a->in.samples[a->in.n_samples - 1];
    if (now - last->t > FLING_STILL_S)
        return;
    int i = a->in.n_samples - 1;
    while (i > 0 && last->t - a->in.samples[i - 1].t <= FLING_WINDOW_S)
        i--;
    /* Slow frames may leave one sample in the window: use the one before it. */
    if (i == a->in.n_samples - 1 && last->t - a->in.samples[i - 1].t <= FLING_SLOW_WINDOW_S)
        i--;
    const drag_sample *first = &a->in.samples[i];
    double dt = last->t - first->t;
    if (dt < 0.008)
        return;
    *vx = (last->x - first->x) / dt;
    *vy = (last->y - first->y) / dt;
}

static void mouse_button(mer_app *a, const SDL_MouseButtonEvent *b, bool down)
{
    if (b->button != SDL_BUTTON_LEFT)
        return;
    double now = mer_app_now();
    if (down && b->clicks >= 2) {
        a->in.dragging = false;
        mer_app_stop_motion(a);
        mer_zoom_anim_start(&a->zanim, &a->cam, b->x, b->y, 1.0, DBLCLICK_ANIM_S);
        a->anim_t = now;
        return;
    }
    if (down) {
        mer_app_stop_motion(a);
        a->in.dragging = true;
        a->in.drag_x = b->x;
        a->in.drag_y = b->y;
        a->in.n_samples = 0;
        add_sample(a, now, b->x, b->y);
        return;
    }
    if (!a->in.dragging)
        return;
    a->in.dragging = false;
    double vx, vy;
    release_velocity(a, now, &vx, &vy);
    mer_fling_start(&a->fling, vx, vy);
    a->anim_t = now;
    a->dirty = true;
}

static void mouse_motion(mer_app *a, const SDL_MouseMotionEvent *m)
{
    a->in.mouse_x = m->x;
    a->in.mouse_y = m->y;
    a->in.mouse_in = true;
    if (a->in.dragging) {
        mer_camera_pan_px(&a->cam, m->x - a->in.drag_x, m->y - a->in.drag_y);
        a->in.drag_x = m->x;
        a->in.drag_y = m->y;
        add_sample(a, mer_app_now(), m->x, m->y);
    }
    a->dirty = true; /* the HUD shows the cursor position */
}

static void mouse_wheel(mer_app *a, const SDL_MouseWheelEvent *w)
{
    double clicks = w->preciseY;
    if (w->direction == SDL_MOUSEWHEEL_FLIPPED)
        clicks = -clicks;
    if (clicks == 0)
        return;
    a->fling.active = false;
    a->panim.active = false;
    mer_zoom_anim_start(&a->zanim, &a->cam, a->in.mouse_in ? a->in.mouse_x : a->cam.w / 2,
                        a->in.mouse_in ? a->in.mouse_y : a->cam.h / 2, clicks * WHEEL_ZOOM_PER_CLICK, WHEEL_ANIM_S);
    a->anim_t = mer_app_now();
}

static void key_pan(mer_app *a, double fx, double fy)
{
    a->fling.active = false;
    mer_pan_anim_start(&a->panim, fx * a->cam.w * KEY_PAN_FRACTION, fy * a->cam.h * KEY_PAN_FRACTION, KEY_PAN_S);
    a->anim_t = mer_app_now();
}

static void key_zoom(mer_app *a, double dz)
{
    a->fling.active = false;
    mer_zoom_anim_start(&a->zanim, &a->cam, a->cam.w / 2, a->cam.h / 2, dz, KEY_ZOOM_ANIM_S);
    a->anim_t = mer_app_now();
}

static void toggle_fullscreen(mer_app *a)
{
    a->in.fullscreen = !a->in.fullscreen;
    SDL_SetWindowFullscreen(a->win, a->in.fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
}

static bool layer_key(mer_app *a, SDL_Keycode k)
{
    mer_layer_ctx ctx = mer_app_layer_ctx(a, mer_app_now(), NULL);
    if (!mer_layers_key(&a->layers, &ctx, (int)k))
        return false;
    a->dirty = true;
    return true;
}

static void key_down(mer_app *a, const SDL_KeyboardEvent *k)
{
    SDL_Keycode c = k->keysym.sym;
    if (layer_key(a, c))
        return;
    switch (c) {
    case SDLK_LEFT: case SDLK_a: key_pan(a, 1, 0); break;
    case SDLK_RIGHT: case SDLK_d: key_pan(a, -1, 0); break;
    case SDLK_UP: case SDLK_w: key_pan(a, 0, 1); break;
    case SDLK_DOWN: case SDLK_s: key_pan(a, 0, -1); break;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: key_zoom(a, 1); break;
    case SDLK_MINUS: case SDLK_KP_MINUS: key_zoom(a, -1); break;
    case SDLK_HOME: mer_app_home(a); break;
    case SDLK_f: case SDLK_F11: toggle_fullscreen(a); break;
    case SDLK_h: a->in.hud_on = !a->in.hud_on; a->dirty = true; break;
    case SDLK_ESCAPE: case SDLK_q: mer_app_quit(a, 0); break;
    default: break;
    }
}

static void window_event(mer_app *a, const SDL_WindowEvent *w)
{
    switch (w->event) {
    case SDL_WINDOWEVENT_SIZE_CHANGED:
    case SDL_WINDOWEVENT_RESIZED:
    case SDL_WINDOWEVENT_DISPLAY_CHANGED:
        mer_app_update_sizes(a);
        a->dirty = true;
        break;
    case SDL_WINDOWEVENT_LEAVE:
        a->in.mouse_in = false;
        a->dirty = true;
        break;
    case SDL_WINDOWEVENT_EXPOSED:
    case SDL_WINDOWEVENT_SHOWN:
    case SDL_WINDOWEVENT_RESTORED:
        a->dirty = true;
        break;
    default:
        break;
    }
}

void mer_input_event(mer_app *a, const SDL_Event *ev)
{
    if (ev->type == a->wake_type) {
        atomic_store(&a->wake_posted, 0);
        a->results_maybe = true;
        return;
    }
    if (ev->type == a->sync_type) {
        a->run.synced = true;
        return;
    }
    switch (ev->type) {
    case SDL_QUIT: mer_app_quit(a, 0); break;
    case SDL_KEYDOWN: key_down(a, &ev->key); break;
    case SDL_MOUSEBUTTONDOWN: mouse_button(a, &ev->button, true); break;
    case SDL_MOUSEBUTTONUP: mouse_button(a, &ev->button, false); break;
    case SDL_MOUSEMOTION: mouse_motion(a, &ev->motion); break;
    case SDL_MOUSEWHEEL: mouse_wheel(a, &ev->wheel); break;
    case SDL_WINDOWEVENT: window_event(a, &ev->window); break;
    default: break;
    }
}
