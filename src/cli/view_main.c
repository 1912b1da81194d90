/* meridian-view: the viewer's program. `meridian` execs it with its own
 * arguments once they have been checked; run directly it behaves the same. */
#include "cli/view.h"
#include "cli/view_args.h"

int main(int argc, char **argv)
{
    mer_options o;
    int code = mer_cli_view_args(argc, argv, &o);
    return code >= 0 ? code : mer_cmd_view(&o);
}
