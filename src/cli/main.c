/* meridian: dispatches subcommands (fetch, prefetch, export) and otherwise
 * parses the viewer's options and opens the window. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/options.h"
#include "core/log.h"

#ifdef MERIDIAN_HAVE_UI
#include "cli/view.h"
#endif

typedef int (*command_fn)(int argc, char **argv);

/* Subcommands: argv[0] of the callee is the subcommand's name. */
static const struct {
    const char *name;
    command_fn run;
} g_commands[] = {
    MER_COMMAND_TABLE
};

static int list_sources(void)
{
    const mer_source *s;
    for (size_t i = 0; (s = mer_source_at(i)) != NULL; i++)
        printf("%-14s z%d-%d  %s\n               %s\n", s->id, s->min_zoom, s->max_zoom, s->url,
               s->attribution);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < sizeof g_commands / sizeof g_commands[0]; i++)
            if (g_commands[i].name && strcmp(argv[1], g_commands[i].name) == 0)
                return g_commands[i].run(argc - 1, argv + 1);
    }
    mer_options o;
    char err[512];
    mer_options_defaults(&o);
    mer_opt_status st = mer_options_load_config(&o, argc, argv, err, sizeof err);
    if (st == MER_OPT_OK)
        st = mer_options_parse(&o, argc, argv, err, sizeof err);
    if (st == MER_OPT_OK)
        st = mer_options_finish(&o, err, sizeof err);
    if (st == MER_OPT_EXIT)
        return 0;
    if (st != MER_OPT_OK) {
        fprintf(stderr, "meridian: %s\nTry 'meridian --help' for more information.\n", err);
        return 2;
    }
    mer_log_set_level((mer_log_level)(MER_LOG_WARN + o.verbose));
    if (o.list_sources)
        return list_sources();
#ifdef MERIDIAN_HAVE_UI
    return mer_cmd_view(&o);
#else
    fprintf(stderr, "meridian: this build has no viewer\n");
    return 1;
#endif
}
