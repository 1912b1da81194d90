/* Running the meridian binary from tests: $MER_BUILD_DIR/meridian with an
 * argv array (posix_spawn, no shell), its output into files, and a wait with
 * a deadline. Header-only, so a test that spawns meridian needs no extra
 * source file. */
#ifndef MER_TEST_RUN_H
#define MER_TEST_RUN_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

/* Long enough for any command the suite runs under the sanitizers on a loaded
 * machine; a hung child is killed rather than holding the test up. */
#define MER_TEST_RUN_TIMEOUT_S 240

static inline void mer_test_meridian_path(char *buf, size_t len)
{
    const char *bd = getenv("MER_BUILD_DIR");
    snprintf(buf, len, "%s/meridian", bd && *bd ? bd : ".");
}

/* Starts `meridian ARGS...` (args NULL-terminated, without argv[0]). stdout
 * goes to out_path (truncated), or to out_fd when out_path is NULL (-1 =
 * inherited); stderr goes to err_path, or where stdout goes when err_path is
 * NULL. Returns the pid, or -1 if it could not start. */
static inline pid_t mer_test_spawn_meridian(const char *const *args, const char *out_path, int out_fd,
                                            const char *err_path)
{
    char exe[1024];
    mer_test_meridian_path(exe, sizeof exe);
    const char *argv[80] = {exe};
    size_t n = 1;
    for (; args && args[n - 1] && n < 79; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_path)
        posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    else if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    if (err_path)
        posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    else
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

/* Waits for pid, at most timeout_s seconds, then kills it. Returns its exit
 * status, 128 + the signal if one ended it, or -1 if it was killed at the
 * deadline (or pid < 0, or waiting failed). *max_rss_kb (may be NULL) gets
 * the child's peak resident set size. */
static inline int mer_test_wait(pid_t pid, double timeout_s, long *max_rss_kb)
{
    if (pid < 0)
        return -1;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double end = (double)t.tv_sec + (double)t.tv_nsec / 1e9 + timeout_s;
    int st = 0;
    struct rusage ru;
    for (;;) {
        pid_t w = wait4(pid, &st, WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)t.tv_sec + (double)t.tv_nsec / 1e9 > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        /* No portable wait-with-timeout for a child: look again in 5 ms. */
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (max_rss_kb)
        *max_rss_kb = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* meridian ARGS with stdout and stderr into out_path; see mer_test_wait. */
static inline int mer_test_run_meridian(const char *const *args, const char *out_path, long *max_rss_kb)
{
    return mer_test_wait(mer_test_spawn_meridian(args, out_path, -1, NULL), MER_TEST_RUN_TIMEOUT_S, max_rss_kb);
}

#endif
