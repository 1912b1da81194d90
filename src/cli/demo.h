/* --demo: runs meridian-tilesim as a child process for the viewer to show.
 * Call start and stop from the same long-lived thread (the main thread): the
 * server is started with --die-with-parent, so it also goes away if the
 * viewer crashes. */
#ifndef MER_DEMO_H
#define MER_DEMO_H

#include <stddef.h>
#include <sys/types.h>

typedef struct mer_demo mer_demo;

/* preset: "default" (or "" / NULL), "rate-limit", "slow" or "flaky".
 * Finds meridian-tilesim beside this program (/proc/self/exe), else in PATH,
 * spawns it on a free loopback port and waits up to 10 s for it to listen.
 * Returns NULL with a message in err on failure. */
mer_demo *mer_demo_start(const char *preset, int *port_out, char *err, size_t errlen);
/* "http://127.0.0.1:PORT", for the control endpoint (POST /control?rate=4&...). */
const char *mer_demo_base_url(const mer_demo *d);
/* SIGTERM, wait up to 3 s, then SIGKILL. NULL is fine. */
void mer_demo_stop(mer_demo *d);

/* The child-process part, shared with the tests' server helper:
 * runs `exe --port 0 --die-with-parent ARGS...` (args NULL-terminated, may be
 * NULL; posix_spawn, no shell) and waits up to 10 s for its "listening on"
 * line. Returns the pid and sets *port, or -1 with a message in err (the
 * child, if any, is stopped). */
pid_t mer_tilesim_spawn(const char *exe, const char *const *args, int *port, char *err, size_t errlen);
/* SIGTERM, wait up to stop_ms, then SIGKILL. Returns the exit status, or -1
 * if it had to be killed or did not exit normally. */
int mer_tilesim_stop(pid_t pid, int stop_ms);

#endif
