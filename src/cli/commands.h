/* Headless subcommands of the meridian binary. Each takes argv starting at the
 * subcommand name and returns the process exit status (0 ok, 1 failure, 2 bad
 * arguments). Add a command: declare it here and add it to MER_COMMAND_TABLE. */
#ifndef MER_COMMANDS_H
#define MER_COMMANDS_H

#include "cli/options.h"

/* Reads the config file (unless --no-config) into o before argv is parsed,
 * so command-line options override it. Looks at argv only for --config and
 * --no-config. Bad lines are warned about (file:line) and skipped. */
mer_opt_status mer_options_load_config(mer_options *o, int argc, char **argv, char *err, size_t errlen);

/* meridian fetch: stitch a tile grid into one PNG (src/cli/fetch.c). */
int mer_cmd_fetch(int argc, char **argv);

#define MER_COMMAND_TABLE {"fetch", mer_cmd_fetch}, {NULL, NULL},

#endif
