/* The viewer application: window, GL context, main loop, input, script mode.
 * Runs on the main thread (SDL's rule) and owns everything in src/ui. */
#ifndef MER_APP_H
#define MER_APP_H

#include "cli/options.h"

/* Opens the window and runs until quit. Returns the process exit status:
 * 0 ok, 1 runtime failure (window, GL, a script command failed), 2 bad script. */
int mer_app_run(const mer_options *o);

#endif
