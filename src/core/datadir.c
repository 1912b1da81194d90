#include "core/datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool try_dir(const char *dir, const char *rel, char *out, size_t len)
{
    if (!dir || !*dir)
        return false;
    int n = snprintf(out, len, "%s/%s", dir, rel);
    return n > 0 && (size_t)n < len && is_file(out);
}

bool mer_exe_dir(char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return false;
    *slash = '\0';
    int w = snprintf(out, len, "%s", self);
    return w > 0 && (size_t)w < len;
}

/* A build tree: the program itself, or a test one level below it. */
static bool in_build_tree(const char *exe)
{
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/CMakeCache.txt", exe);
    if (is_file(probe))
        return true;
    snprintf(probe, sizeof probe, "%s/../CMakeCache.txt", exe);
    return is_file(probe);
}

bool mer_data_find(const char *rel, char *out, size_t len)
{
    if (try_dir(getenv("MERIDIAN_DATADIR"), rel, out, len))
        return true;
    char exe[PATH_MAX];
    if (mer_exe_dir(exe, sizeof exe)) {
        if (in_build_tree(exe) && try_dir(MERIDIAN_SOURCE_DIR, rel, out, len))
            return true;
        char share[PATH_MAX + 32];
        snprintf(share, sizeof share, "%s/../share/meridian", exe);
        if (try_dir(share, rel, out, len))
            return true;
    }
    return try_dir(MERIDIAN_DATADIR, rel, out, len);
}
