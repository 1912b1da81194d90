/* Headless subcommands of the meridian binary. Each takes argv starting at the
 * subcommand name and returns the process exit status (0 ok, 1 failure, 2 bad
 * arguments). Add a command: declare it here and add it to MER_COMMAND_TABLE. */
#ifndef MER_COMMANDS_H
#define MER_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/options.h"

/* Reads the config file (unless --no-config) into o before argv is parsed,
 * so command-line options override it. Looks at argv only for --config and
 * --no-config. Bad lines are warned about (file:line) and skipped. */
mer_opt_status mer_options_load_config(mer_options *o, int argc, char **argv, char *err, size_t errlen);
/* The parser behind it, on an open stream (name is used in messages); the
 * fuzz target feeds it memory through fmemopen. Adds [source.NAME] sections
 * as user sources. */
mer_opt_status mer_options_read_config(mer_options *o, FILE *f, const char *name, char *err, size_t errlen);

/* meridian fetch: stitch a tile grid into one PNG (src/cli/fetch.c). */
int mer_cmd_fetch(int argc, char **argv);

/* meridian prefetch / export: fill the disk cache for an area; write the
 * cached tiles of an area to an MBTiles file (src/cli/prefetch.c, export.c). */
int mer_cmd_prefetch(int argc, char **argv);
int mer_cmd_export(int argc, char **argv);
/* Their shared argument parser (prefetch.c): -1 to go on, else an exit status. */
struct mer_area;
int mer_area_command_args(int argc, char **argv, mer_options *o, struct mer_area *area,
                          int (*set)(void *ud, const char *name, const char *value, char *err, size_t errlen),
                          bool (*flag)(const char *name), void *ud, char *err, size_t errlen);

/* The options prefetch and export share: --verbose, --config / --no-config
 * (already read), and the viewer options named in pass (NULL-terminated),
 * set into o. 0 if taken; 2 on a bad value or an unknown option (err). */
int mer_area_common_option(mer_options *o, const char *name, const char *value, const char *const *pass, char *err,
                           size_t errlen);

/* Shared by prefetch and export (prefetch.c): the --max-tiles guard and the
 * progress bar on stderr ("\r[####   ] done/total pct tiles/s"; t0 from
 * mer_clock_s). */
#define MER_CLI_DEFAULT_MAX_TILES 100000
#define MER_CLI_LIMIT_MAX_TILES 5000000
bool mer_cli_max_tiles(const char *value, int *out, char *err, size_t errlen);
/* The area's tile count in *total; false (with a message naming cmd) when it
 * is more than max_tiles. */
bool mer_cli_area_fits(const char *cmd, const struct mer_area *area, int max_tiles, uint64_t *total);
void mer_cli_progress(uint64_t done, uint64_t total, double t0, bool final);

#define MER_COMMAND_TABLE {"fetch", mer_cmd_fetch}, {"prefetch", mer_cmd_prefetch}, \
    {"export", mer_cmd_export}, {NULL, NULL},

#endif
