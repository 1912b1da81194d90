#include "cli/view_args.h"

#include <stdio.h>

#include "cli/commands.h"
#include "core/log.h"

static int list_sources(void)
{
    const mer_source *s;
    for (size_t i = 0; (s = mer_source_at(i)) != NULL; i++)
        printf("%-14s z%d-%d  %s\n               %s\n", s->id, s->min_zoom, s->max_zoom, s->url,
               s->attribution);
    return 0;
}

int mer_cli_view_args(int argc, char **argv, mer_options *o)
{
    char err[512];
    mer_options_defaults(o);
    mer_opt_status st = mer_options_load_config(o, argc, argv, err, sizeof err);
    if (st == MER_OPT_OK)
        st = mer_options_parse(o, argc, argv, err, sizeof err);
    if (st == MER_OPT_OK)
        st = mer_options_finish(o, err, sizeof err);
    if (st == MER_OPT_EXIT)
        return 0;
    if (st != MER_OPT_OK) {
        fprintf(stderr, "meridian: %s\nTry 'meridian --help' for more information.\n", err);
        return 2;
    }
    mer_log_set_level((mer_log_level)(MER_LOG_WARN + o->verbose));
    return o->list_sources ? list_sources() : -1;
}
