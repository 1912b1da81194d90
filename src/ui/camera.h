/* The camera: what part of the world the window shows. Pure math, main thread.
 *
 * The centre is kept in double-precision world units (u east, v south, both in
 * [0,1), see core/tile.h) and the zoom is continuous: at zoom z the world is
 * 256 * 2^z logical pixels wide (window points, not drawable pixels). Screen
 * coordinates are logical pixels with (0,0) at the window's top-left. */
#ifndef MER_CAMERA_H
#define MER_CAMERA_H

#include <stdbool.h>

typedef struct mer_camera {
    double u, v;       /* centre, world units */
    double zoom;       /* continuous */
    double min_zoom, max_zoom;
    double w, h;       /* viewport in logical pixels */
} mer_camera;

#define MER_CAMERA_BASE_PX 256.0

void mer_camera_init(mer_camera *c, double w, double h, double min_zoom, double max_zoom);
/* Sets centre and zoom from degrees; clamps and wraps. */
void mer_camera_set_lonlat(mer_camera *c, double lon, double lat, double zoom);
void mer_camera_get_lonlat(const mer_camera *c, double *lon, double *lat);
void mer_camera_resize(mer_camera *c, double w, double h);

/* World width in logical pixels at the current zoom. */
double mer_camera_world_px(const mer_camera *c);
/* Moves the map content by (dx, dy) logical pixels (a drag to the right moves
 * the map right, the centre west). */
void mer_camera_pan_px(mer_camera *c, double dx, double dy);
/* Changes zoom by dz keeping the world point under screen point (sx, sy) fixed. */
void mer_camera_zoom_at(mer_camera *c, double sx, double sy, double dz);

void mer_camera_screen_to_world(const mer_camera *c, double sx, double sy, double *u, double *v);

/* The lowest zoom the view may take: the source's minimum, or the zoom at
 * which the world is as tall as the window if that is higher (the world
 * repeats east-west, so only its height can leave a band). */
double mer_camera_lowest_zoom(const mer_camera *c);

/* Wraps u into [0,1) and clamps v so that the view does not run past the
 * poles when the world is taller than the window; clamps zoom. */
void mer_camera_normalize(mer_camera *c);

/* Drag inertia: after a release the map glides with velocity (px/s) that
 * decays exponentially. */
typedef struct mer_fling {
    double vx, vy; /* logical px/s */
    bool active;
} mer_fling;

/* Starts a fling if the release velocity is above a threshold. */
void mer_fling_start(mer_fling *f, double vx, double vy);
/* Advances by dt seconds, panning the camera; false once it has stopped. */
bool mer_fling_step(mer_fling *f, mer_camera *c, double dt);

/* Animated zoom around an anchor point, with an ease-out over a duration.
 * A new request while running retargets from the current zoom. */
typedef struct mer_zoom_anim {
    double from, to;   /* zoom levels */
    double sx, sy;     /* anchor, logical px */
    double t, dur;     /* elapsed and total seconds */
    bool active;
} mer_zoom_anim;

void mer_zoom_anim_start(mer_zoom_anim *a, const mer_camera *c, double sx, double sy, double dz,
                         double dur_s);
bool mer_zoom_anim_step(mer_zoom_anim *a, mer_camera *c, double dt);

/* Linear pan over a duration (scripted pans): moves by exactly (dx, dy) in total. */
typedef struct mer_pan_anim {
    double dx, dy, done_x, done_y;
    double t, dur;
    bool active;
} mer_pan_anim;

void mer_pan_anim_start(mer_pan_anim *a, double dx, double dy, double dur_s);
bool mer_pan_anim_step(mer_pan_anim *a, mer_camera *c, double dt);

#endif
