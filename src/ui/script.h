/* Scripted mode (--script FILE): the whole file is parsed and checked before
 * the window opens, so a bad line fails at once with "FILE:LINE: reason".
 * The app runs the commands one by one from its main loop (script.c only
 * parses). One command per line; '#' starts a comment.
 *
 *   wait-idle [TIMEOUT_MS]    until every wanted tile is loaded and drawn (default 30000)
 *   pan DX DY [MS]            move the map by DX,DY logical pixels (over MS)
 *   zoom-at X Y DZ [MS]       zoom by DZ keeping the point X,Y fixed (over MS)
 *   zoom-pan X Y DZ DX DY MS  zoom at X,Y while panning by DX,DY, both over MS
 *   goto LAT LON Z            jump
 *   resize W H                resize the window (logical pixels)
 *   key NAME                  press and release a key (SDL key names: Left, H, Home, +)
 *   drag X Y DX DY MS         press at X,Y, move by DX,DY over MS, release (inertia applies)
 *   wheel X Y CLICKS          mouse wheel at X,Y (positive zooms in)
 *   sleep MS                  keep running for MS without input
 *   screenshot PATH.png       draw a frame and save it
 *   quit                      exit (also implied at the end of the script) */
#ifndef MER_SCRIPT_H
#define MER_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum mer_script_op {
    MER_SC_WAIT_IDLE,
    MER_SC_PAN,
    MER_SC_ZOOM_AT,
    MER_SC_ZOOM_PAN,
    MER_SC_GOTO,
    MER_SC_RESIZE,
    MER_SC_KEY,
    MER_SC_DRAG,
    MER_SC_WHEEL,
    MER_SC_SLEEP,
    MER_SC_SCREENSHOT,
    MER_SC_QUIT,
    MER_SC_WAIT_TILES,
    MER_SC_WAIT_WORLD,
} mer_script_op;

typedef struct mer_script_cmd {
    mer_script_op op;
    int line;
    double a[6];
    int keycode;     /* MER_SC_KEY: SDL_Keycode */
    unsigned states; /* MER_SC_WAIT_TILES: bit (1u << mer_tile_state) per state waited for */
    char path[1024]; /* MER_SC_SCREENSHOT */
} mer_script_cmd;

typedef struct mer_script mer_script;

/* NULL with "FILE:LINE: reason" (or "FILE: reason") in err. */
mer_script *mer_script_load(const char *path, char *err, size_t errlen);
/* Parses text as if it were the file named name (tests). */
mer_script *mer_script_parse(const char *name, const char *text, char *err, size_t errlen);
void mer_script_free(mer_script *s);
size_t mer_script_count(const mer_script *s);
const mer_script_cmd *mer_script_at(const mer_script *s, size_t i);
const char *mer_script_op_name(mer_script_op op);

#endif
