/* meridian-tilesim: parses options, starts the server, prints
 * "listening on http://127.0.0.1:PORT" as the first stdout line and waits for
 * SIGINT or SIGTERM. Exit status: 0 after a signal, 1 if the server cannot
 * start, 2 for bad options. */
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tilesim/config.h"
#include "tilesim/server.h"

int main(int argc, char **argv)
{
    tsim_config cfg;
    char err[512];
    tsim_config_defaults(&cfg);
    tsim_cfg_status st = tsim_config_parse(&cfg, argc, argv, err, sizeof err);
    if (st == TSIM_CFG_EXIT)
        return 0;
    if (st != TSIM_CFG_OK) {
        fprintf(stderr, "meridian-tilesim: %s\nTry 'meridian-tilesim --help' for more information.\n", err);
        return 2;
    }
    /* Block the signals before any thread exists so that only sigwait below
     * sees them; a client that hangs up must not kill us with SIGPIPE. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (cfg.die_with_parent) {
        pid_t parent = getppid();
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* arrives through the sigwait below */
        if (getppid() != parent)
            return 0; /* the parent died before prctl */
    }

    tsim_server *s = tsim_server_start(&cfg, err, sizeof err);
    if (!s) {
        fprintf(stderr, "meridian-tilesim: %s\n", err);
        return 1;
    }
    printf("listening on http://127.0.0.1:%d\n", tsim_server_port(s));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    tsim_server_stop(s);
    return 0;
}
