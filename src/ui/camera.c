#include "ui/camera.h"

#include <math.h>

#include "core/tile.h"

/* Fling: velocity halves about every 0.2 s; below 15 px/s it is invisible. */
#define FLING_TAU_S 0.29
#define FLING_MIN_START 60.0
#define FLING_MIN_KEEP 15.0
#define FLING_MAX 6000.0

void mer_camera_init(mer_camera *c, double w, double h, double min_zoom, double max_zoom)
{
    c->u = 0.5;
    c->v = 0.5;
    c->zoom = min_zoom;
    c->min_zoom = min_zoom;
    c->max_zoom = max_zoom;
    c->w = w;
    c->h = h;
}

double mer_camera_world_px(const mer_camera *c)
{
    return MER_CAMERA_BASE_PX * exp2(c->zoom);
}

double mer_camera_lowest_zoom(const mer_camera *c)
{
    /* The world repeats east-west but not north-south: below this zoom it
     * would be shorter than the window and leave bands above and below. */
    double fill = c->h > MER_CAMERA_BASE_PX ? log2(c->h / MER_CAMERA_BASE_PX) : -INFINITY;
    double lo = c->min_zoom > fill ? c->min_zoom : fill;
    return lo < c->max_zoom ? lo : c->max_zoom;
}

void mer_camera_normalize(mer_camera *c)
{
    double lo = mer_camera_lowest_zoom(c);
    if (!(c->zoom >= lo))
        c->zoom = lo;
    if (c->zoom > c->max_zoom)
        c->zoom = c->max_zoom;
    if (!isfinite(c->u))
        c->u = 0.5;
    if (!isfinite(c->v))
        c->v = 0.5;
    c->u -= floor(c->u);
    if (c->u >= 1.0)
        c->u = 0.0;
    double ws = mer_camera_world_px(c);
    double half = c->h / 2.0 / ws;
    if (half >= 0.5) {
        c->v = 0.5;
    } else {
        if (c->v < half)
            c->v = half;
        if (c->v > 1.0 - half)
            c->v = 1.0 - half;
    }
}

void mer_camera_set_lonlat(mer_camera *c, double lon, double lat, double zoom)
{
    mer_lonlat_to_world(mer_wrap_lon(lon), lat, &c->u, &c->v);
    c->zoom = zoom;
    mer_camera_normalize(c);
}

void mer_camera_get_lonlat(const mer_camera *c, double *lon, double *lat)
{
    mer_world_to_lonlat(c->u, c->v, lon, lat);
    *lon = mer_wrap_lon(*lon);
}

void mer_camera_resize(mer_camera *c, double w, double h)
{
    c->w = w;
    c->h = h;
    mer_camera_normalize(c);
}

void mer_camera_pan_px(mer_camera *c, double dx, double dy)
{
    double ws = mer_camera_world_px(c);
    c->u -= dx / ws;
    c->v -= dy / ws;
    mer_camera_normalize(c);
}

void mer_camera_screen_to_world(const mer_camera *c, double sx, double sy, double *u, double *v)
{
    double ws = mer_camera_world_px(c);
    *u = c->u + (sx - c->w / 2.0) / ws;
    *v = c->v + (sy - c->h / 2.0) / ws;
}

void mer_camera_zoom_at(mer_camera *c, double sx, double sy, double dz)
{
    double nz = c->zoom + dz;
    if (nz < mer_camera_lowest_zoom(c))
        nz = mer_camera_lowest_zoom(c);
    if (nz > c->max_zoom)
        nz = c->max_zoom;
    double u, v;
    mer_camera_screen_to_world(c, sx, sy, &u, &v);
    c->zoom = nz;
    /* Put world point (u, v) back under (sx, sy). */
    double ws = mer_camera_world_px(c);
    c->u = u - (sx - c->w / 2.0) / ws;
    c->v = v - (sy - c->h / 2.0) / ws;
    mer_camera_normalize(c);
}

void mer_fling_start(mer_fling *f, double vx, double vy)
{
    double speed = hypot(vx, vy);
    f->active = isfinite(speed) && speed >= FLING_MIN_START;
    if (!f->active)
        return;
    if (speed > FLING_MAX) {
        vx *= FLING_MAX / speed;
        vy *= FLING_MAX / speed;
    }
    f->vx = vx;
    f->vy = vy;
}

bool mer_fling_step(mer_fling *f, mer_camera *c, double dt)
{
    if (!f->active)
        return false;
    if (dt > 0.1)
        dt = 0.1; /* a stalled frame must not teleport the map */
    /* Exact integral of v0 * exp(-t/tau) over dt. */
    double k = exp(-dt / FLING_TAU_S);
    double move = FLING_TAU_S * (1.0 - k);
    mer_camera_pan_px(c, f->vx * move, f->vy * move);
    f->vx *= k;
    f->vy *= k;
    if (hypot(f->vx, f->vy) < FLING_MIN_KEEP)
        f->active = false;
    return f->active;
}

void mer_zoom_anim_start(mer_zoom_anim *a, const mer_camera *c, double sx, double sy, double dz,
                         double dur_s)
{
    double target = (a->active ? a->to : c->zoom) + dz;
    if (target < mer_camera_lowest_zoom(c))
        target = mer_camera_lowest_zoom(c);
    if (target > c->max_zoom)
        target = c->max_zoom;
    a->from = c->zoom;
    a->to = target;
    a->sx = sx;
    a->sy = sy;
    a->t = 0;
    a->dur = dur_s > 0 ? dur_s : 0;
    a->active = true;
}

/* Advances an animation clock; returns its progress in 0..1 and clears
 * *active once it has reached the end. */
static double anim_advance(double *t, double dur, double dt, bool *active)
{
    *t += dt;
    double p = dur > 0 ? *t / dur : 1.0;
    if (p >= 1.0) {
        p = 1.0;
        *active = false;
    }
    return p;
}

bool mer_zoom_anim_step(mer_zoom_anim *a, mer_camera *c, double dt)
{
    if (!a->active)
        return false;
    double p = anim_advance(&a->t, a->dur, dt, &a->active);
    double e = 1.0 - (1.0 - p) * (1.0 - p) * (1.0 - p); /* ease-out cubic */
    double z = a->from + (a->to - a->from) * e;
    mer_camera_zoom_at(c, a->sx, a->sy, z - c->zoom);
    return a->active;
}

void mer_pan_anim_start(mer_pan_anim *a, double dx, double dy, double dur_s)
{
    a->dx = dx;
    a->dy = dy;
    a->done_x = a->done_y = 0;
    a->t = 0;
    a->dur = dur_s > 0 ? dur_s : 0;
    a->active = true;
}

bool mer_pan_anim_step(mer_pan_anim *a, mer_camera *c, double dt)
{
    if (!a->active)
        return false;
    double p = anim_advance(&a->t, a->dur, dt, &a->active);
    double tx = a->dx * p, ty = a->dy * p;
    mer_camera_pan_px(c, tx - a->done_x, ty - a->done_y);
    a->done_x = tx;
    a->done_y = ty;
    return a->active;
}
