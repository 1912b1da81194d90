/* Options -> the plain configuration structs the layers below take. The
 * viewer, fetch and prefetch all build their loader configuration here, so a
 * network option means the same thing in every command. */
#ifndef MER_CLI_CONFIGS_H
#define MER_CLI_CONFIGS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/options.h"
#include "net/loader.h"

/* --cache-dir, else the default ($XDG_CACHE_HOME/meridian or
 * ~/.cache/meridian). False (out = "") when there is neither. */
bool mer_cli_cache_dir(const mer_options *o, char *out, size_t len);

/* The loader configuration for src: the source's defaults, overridden by
 * --max-concurrent, --rate, --burst, --adaptive, --offline, --user-agent and
 * --cache-size. cache_dir is used as given ("" = no disk cache): each command
 * decides whether it wants the default one. world_path is resolved
 * (mer_world_find_asset) for any source. on_ready/ud are left NULL. */
void mer_cli_loader_config(mer_loader_config *c, const mer_source *src, const mer_options *o,
                           const char *cache_dir);

#endif
