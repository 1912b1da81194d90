/* The viewer's command line, shared by `meridian` (which checks the arguments
 * before it execs the viewer, so a mistake is reported without loading the
 * window system) and `meridian-view` (which runs the window). */
#ifndef MER_CLI_VIEW_ARGS_H
#define MER_CLI_VIEW_ARGS_H

#include "core/options.h"

/* Reads the config file and argv into *o and sets the log level. Returns -1
 * when the viewer should run, else the exit status: 0 after --help, --version
 * or --list-sources (printed here), 2 after a bad argument (reported). */
int mer_cli_view_args(int argc, char **argv, mer_options *o);

#endif
