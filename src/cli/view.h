/* The viewer command (meridian-view; `meridian` with no subcommand execs it). */
#ifndef MER_CLI_VIEW_H
#define MER_CLI_VIEW_H

#include "core/options.h"

/* Returns the process exit status (see mer_app_run; 1 if --demo cannot start). */
int mer_cmd_view(const mer_options *o);

#endif
