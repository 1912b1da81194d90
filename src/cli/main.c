/* meridian: dispatches subcommands (fetch, prefetch, export); otherwise checks
 * the viewer's options and execs the viewer, meridian-view, with the same
 * arguments. The viewer is a program of its own so that the commands never
 * load SDL, GL and the font stack (about 45 libraries, 6 ms of every start). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/view_args.h"
#include "core/datadir.h"

typedef int (*command_fn)(int argc, char **argv);

/* Subcommands: argv[0] of the callee is the subcommand's name. */
static const struct {
    const char *name;
    command_fn run;
} g_commands[] = {
    MER_COMMAND_TABLE
};

static int exec_viewer(char **argv)
{
    char path[PATH_MAX];
    if (!mer_find_program("meridian-view", false, path, sizeof path)) {
        fprintf(stderr, "meridian: the viewer (meridian-view) is neither beside this program nor in %s; "
                        "fetch, prefetch and export work without it\n", MERIDIAN_LIBEXECDIR);
        return 1;
    }
    fflush(NULL);
    execv(path, argv);
    fprintf(stderr, "meridian: cannot start the viewer %s: %s\n", path, strerror(errno));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < sizeof g_commands / sizeof g_commands[0]; i++)
            if (g_commands[i].name && strcmp(argv[1], g_commands[i].name) == 0)
                return g_commands[i].run(argc - 1, argv + 1);
    }
    mer_options o;
    int code = mer_cli_view_args(argc, argv, &o);
    return code >= 0 ? code : exec_viewer(argv);
}
