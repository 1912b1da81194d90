/* Helpers for the hostile-input tests: running meridian with its peak
 * resident set size (support/run.h), reading and searching its output.
 * Header-only. */
#ifndef MER_TEST_RUN_RSS_H
#define MER_TEST_RUN_RSS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/run.h" /* mer_test_run_meridian */

/* As mer_test_run_meridian, killing the child after timeout_s seconds (then
 * -1); timeout_s <= 0: the default deadline. */
static inline int mer_test_run_meridian_for(const char *const *args, const char *out_path, long *max_rss_kb,
                                            double timeout_s)
{
    pid_t pid = mer_test_spawn_meridian(args, out_path, -1, NULL);
    return mer_test_wait(pid, timeout_s > 0 ? timeout_s : MER_TEST_RUN_TIMEOUT_S, max_rss_kb);
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
