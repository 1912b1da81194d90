/* Helpers for the viewer's GUI tests: run the meridian binary in scripted mode
 * against meridian-tilesim, read its screenshots and --stats JSON. */
#ifndef MER_VIEWER_DRIVER_H
#define MER_VIEWER_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tile.h"

typedef struct vd_run {
    int status;           /* exit status, 128 + signal, or -1 if killed at the deadline / not started */
    char dir[256];        /* a fresh temporary directory for this run */
    char stats[4096 * 8]; /* the --stats JSON ("" if none) */
    char err[8192];       /* the child's stderr */
} vd_run;

typedef struct vd_image {
    int w, h;
    uint8_t *rgba; /* w * h * 4 */
} vd_image;

/* True if this test has an X display of its own (tests/support/own_display.sh). */
bool vd_have_display(void);

/* Makes a fresh directory for a run (XDG dirs, script, stats, screenshots). */
bool vd_prepare(vd_run *r);
/* Removes every directory vd_prepare made (kept if MER_KEEP_TEST_DIRS is set). */
void vd_cleanup_all(void);
/* Runs meridian with the script text (written to DIR/script.txt) and
 * NULL-terminated extra arguments; "@" in the script is replaced by DIR.
 * Waits at most timeout_s, then kills it. Reads stats and stderr. */
bool vd_run_script(vd_run *r, const char *script, const char *const *args, int timeout_s);

bool vd_load_png(const char *path, vd_image *img);
void vd_image_free(vd_image *img);
const uint8_t *vd_px(const vd_image *img, int x, int y);
bool vd_decode(const vd_image *img, int x0, int y0, mer_tile_id *out);
/* Pixels of the placeholder pattern in the rectangle [x0, x1) x [y0, y1):
 * equal (within 1) to either of its greys, as are a horizontal and a vertical
 * neighbour (so a stray map pixel of that colour does not count). */
long vd_count_placeholder(const vd_image *img, int x0, int y0, int x1, int y1);
/* The widest band with no map: the most adjacent columns (or rows), above
 * the bottom 40 rows (attribution), in which over half the pixels have the
 * window's clear colour (gfx.c: 0.87, 0.87, 0.85). A band where nothing was
 * drawn is many pixels wide; a map may have the colour here and there, even
 * along a 1-pixel graticule line over land. */
int vd_widest_background_band(const vd_image *img);

/* Number after "key": at or after the first occurrence of `after` (or the
 * start when NULL) in json; NAN if absent. */
double vd_json_num(const char *json, const char *after, const char *key);
/* The object of script line n: a pointer into json at "line": n, or NULL. */
const char *vd_json_line(const char *json, int n);

/* lat/lon of the north-west corner of tile (z, x, y), as text with full precision. */
void vd_corner(int z, double x, double y, char *lat, char *lon, size_t len);

/* GUI tests need a display of their own: CTest starts each on a private Xvfb
 * (tests/support/own_display.sh), so a missing one is a failure, not a skip.
 * A shared display would let other tests' windows send ours events. */
#define VD_NEED_DISPLAY()                                                       \
    do {                                                                        \
        if (!vd_have_display())                                                 \
            fail_msg("no display of its own: run GUI tests through ctest"); \
    } while (0)

#endif
