/* Temporary directories for tests: made under /tmp, removed with everything
 * in them (files, sub-directories, read-only ones). Header-only; it uses
 * nftw, so the test defines _XOPEN_SOURCE 700 before any system header. */
#ifndef MER_TEST_TMPDIR_H
#define MER_TEST_TMPDIR_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* buf gets "/tmp/mer_<tag>_XXXXXX" made unique by mkdtemp. */
static inline bool mer_test_mkdtemp(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "/tmp/mer_%s_XXXXXX", tag);
    return mkdtemp(buf) != NULL;
}

static inline int mer_test_rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Removes dir and everything below it; keeps it (and says so) when
 * MER_KEEP_TEST_DIRS is set, to look at what a failed test left. */
static inline void mer_test_rmtree(const char *dir)
{
    if (!dir[0])
        return;
    const char *keep = getenv("MER_KEEP_TEST_DIRS");
    if (keep && *keep) {
        fprintf(stderr, "kept %s\n", dir);
        return;
    }
    chmod(dir, 0700); /* a test may have made it read-only */
    nftw(dir, mer_test_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
