#include "cli/configs.h"

#include <stdio.h>

#include "cache/cache.h"
#include "decode/world.h"

bool mer_cli_cache_dir(const mer_options *o, char *out, size_t len)
{
    if (o->cache_dir[0]) {
        int w = snprintf(out, len, "%s", o->cache_dir);
        return w > 0 && (size_t)w < len;
    }
    if (mer_cache_default_dir(out, len))
        return true;
    if (len > 0)
        out[0] = '\0';
    return false;
}

void mer_cli_loader_config(mer_loader_config *c, const mer_source *src, const mer_options *o,
                           const char *cache_dir)
{
    mer_loader_config_defaults(c, src);
    if (o->max_concurrent > 0) {
        c->max_concurrent = o->max_concurrent;
        c->start_concurrent = 0; /* start where the user said, not at the source's start */
    }
    if (o->rate >= 0)
        c->rate = o->rate;
    if (o->burst > 0)
        c->burst = o->burst;
    c->adaptive = !o->no_adaptive;
    snprintf(c->ca_file, sizeof c->ca_file, "%s", o->ca_file);
    c->offline = o->offline;
    if (o->user_agent[0])
        snprintf(c->user_agent, sizeof c->user_agent, "%s", o->user_agent);
    snprintf(c->cache_dir, sizeof c->cache_dir, "%s", cache_dir ? cache_dir : "");
    c->cache_max_bytes = (size_t)o->cache_size_mb << 20;
    /* The built-in world map's data, found like the other data files. Set for
     * every source: the viewer may start a world loader from this config. */
    if (!mer_world_find_asset(c->world_path, sizeof c->world_path))
        c->world_path[0] = '\0';
}
