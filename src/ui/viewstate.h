/* The last view (centre and zoom), saved at exit under
 * $XDG_STATE_HOME/meridian/view (default ~/.local/state/meridian/view) and
 * restored when no --lat/--lon/--zoom is given. Main thread. */
#ifndef MER_VIEWSTATE_H
#define MER_VIEWSTATE_H

#include <stdbool.h>

bool mer_viewstate_load(double *lat, double *lon, double *zoom);
/* Writes atomically (temporary file + rename); creates the directory. */
bool mer_viewstate_save(double lat, double lon, double zoom);

#endif
