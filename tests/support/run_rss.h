/* Runs $MER_BUILD_DIR/meridian with an argv array (posix_spawn, no shell),
 * stdout and stderr into one file, and reports the child's exit status and
 * peak resident set size (wait4's rusage). Header-only, for the hostile-input
 * tests. */
#ifndef MER_TEST_RUN_RSS_H
#define MER_TEST_RUN_RSS_H

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

extern char **environ;

/* args: NULL-terminated, without argv[0]. Returns the exit status, 128 + the
 * signal when killed, -1 when it could not start. *max_rss_kb may be NULL. */
static inline int mer_test_run_meridian(const char *const *args, const char *out_path, long *max_rss_kb)
{
    char exe[1024];
    snprintf(exe, sizeof exe, "%s/meridian", getenv("MER_BUILD_DIR") ? getenv("MER_BUILD_DIR") : ".");
    const char *argv[64] = {exe};
    size_t n = 1;
    for (; args[n - 1] && n < 63; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st = 0;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid)
        return -1;
    if (max_rss_kb)
        *max_rss_kb = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* The whole file as a NUL-terminated malloc'ed string (NULL if unreadable). */
static inline char *mer_test_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + len, 1, cap - len - 1, f)) > 0) {
        len += k;
        if (cap - len < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    fclose(f);
    if (b)
        b[len] = '\0';
    return b;
}

/* Occurrences of needle in hay. */
static inline int mer_test_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

#endif
