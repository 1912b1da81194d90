#include "cli/demo.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/datadir.h"
#include "core/demo_preset.h"
#include "core/log.h"

extern char **environ;

#define START_DEADLINE_MS 10000
#define STOP_DEADLINE_MS 3000

struct mer_demo {
    pid_t pid;
    int port;
    char base_url[64];
};


static bool read_line(int fd, char *buf, size_t len, long long deadline)
{
    size_t n = 0;
    while (n + 1 < len) {
        long long left = deadline - (long long)mer_clock_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || read(fd, buf + n, 1) != 1)
            return false;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
    return true;
}

static pid_t spawn_child(const char *exe, const char *const *args, int *out_fd, char *err, size_t errlen)
{
    size_t n = 0;
    while (args && args[n])
        n++;
    char **argv = calloc(n + 5, sizeof *argv);
    int fds[2];
    if (!argv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    argv[0] = (char *)exe;
    argv[1] = "--port";
    argv[2] = "0";
    argv[3] = "--die-with-parent";
    for (size_t i = 0; i < n; i++)
        argv[4 + i] = (char *)args[i];
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        free(argv);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    close(fds[1]);
    if (rc != 0) {
        snprintf(err, errlen, "cannot run %s: %s", exe, strerror(rc));
        close(fds[0]);
        return -1;
    }
    *out_fd = fds[0];
    return pid;
}

pid_t mer_tilesim_spawn(const char *exe, const char *const *args, int *port, char *err, size_t errlen)
{
    int fd = -1;
    pid_t pid = spawn_child(exe, args, &fd, err, errlen);
    if (pid < 0)
        return -1;
    char line[256];
    bool ok = read_line(fd, line, sizeof line, (long long)mer_clock_ms() + START_DEADLINE_MS) &&
              sscanf(line, "listening on http://127.0.0.1:%d", port) == 1 && *port > 0;
    close(fd);
    if (!ok) {
        snprintf(err, errlen, "%s did not start listening within %d s", exe, START_DEADLINE_MS / 1000);
        mer_tilesim_stop(pid, STOP_DEADLINE_MS);
        return -1;
    }
    return pid;
}

int mer_tilesim_stop(pid_t pid, int stop_ms)
{
    if (pid <= 0)
        return -1;
    kill(pid, SIGTERM);
    long long deadline = (long long)mer_clock_ms() + stop_ms;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if ((r < 0 && errno != EINTR) || (long long)mer_clock_ms() > deadline)
            break;
        /* No portable wait-with-timeout for a child; poll every 5 ms. */
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MER_LOGW("demo", "tile server %d did not stop in %d ms; killing it", (int)pid, stop_ms);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* The demo's tile server stands in for a remote one, whose CPU is another
 * machine's, so it runs at a lower priority and takes what the viewer's frames
 * leave (as the viewer's own loader threads do, ui/app.c). On Linux the nice
 * value belongs to each thread, and new threads inherit their creator's: each
 * thread the server has once it listens (none has served a client yet) is
 * lowered, and the ones it makes for connections follow. (Spawning from a
 * short-lived low-priority thread would not do: --die-with-parent ends the
 * server when the thread that spawned it ends.) Where it fails, the server
 * runs at the normal priority. */
#define DEMO_NICE 10

static void lower_priority(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long tid = strtol(e->d_name, &end, 10);
        if (end != e->d_name && *end == '\0' && tid > 0 &&
            setpriority(PRIO_PROCESS, (id_t)tid, DEMO_NICE) != 0)
            MER_LOGD("demo", "tile server thread %ld at the normal priority: %s", tid, strerror(errno));
    }
    closedir(d);
}

mer_demo *mer_demo_start(const char *preset, int *port_out, char *err, size_t errlen)
{
    const mer_demo_preset *p = mer_demo_preset_find(preset);
    if (!p || !p->startable) {
        snprintf(err, errlen, "unknown demo preset '%s' (%s)", preset, MER_DEMO_PRESET_NAMES);
        return NULL;
    }
    char exe[PATH_MAX];
    if (!mer_find_program("meridian-tilesim", true, exe, sizeof exe)) {
        snprintf(err, errlen, "meridian-tilesim not found beside this program or in PATH");
        return NULL;
    }
    mer_demo *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    mer_demo_args args;
    mer_demo_preset_args(p, &args);
    d->pid = mer_tilesim_spawn(exe, args.argv, &d->port, err, errlen);
    if (d->pid < 0) {
        free(d);
        return NULL;
    }
    lower_priority(d->pid);
    snprintf(d->base_url, sizeof d->base_url, "http://127.0.0.1:%d", d->port);
    MER_LOGI("demo", "tile server %s (preset %s) at %s", exe, p->name, d->base_url);
    if (port_out)
        *port_out = d->port;
    return d;
}

const char *mer_demo_base_url(const mer_demo *d)
{
    return d->base_url;
}

void mer_demo_stop(mer_demo *d)
{
    if (!d)
        return;
    mer_tilesim_stop(d->pid, STOP_DEADLINE_MS);
    free(d);
}
