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
        static const char *const up[] = {MER_BIN_TO_DATA, MER_LIBEXEC_TO_DATA};
        for (size_t i = 0; i < sizeof up / sizeof up[0]; i++) {
            char share[PATH_MAX + 64];
            snprintf(share, sizeof share, "%s/%s", exe, up[i]);
            if (try_dir(share, rel, out, len))
                return true;
        }
    }
    return try_dir(MERIDIAN_DATADIR, rel, out, len);
}

static bool executable(const char *dir, const char *name, char *out, size_t len)
{
    int n = snprintf(out, len, "%s/%s", dir, name);
    return n > 0 && (size_t)n < len && is_file(out) && access(out, X_OK) == 0;
}

bool mer_find_program(const char *name, bool use_path, char *out, size_t len)
{
    char exe[PATH_MAX];
    if (mer_exe_dir(exe, sizeof exe)) {
        if (executable(exe, name, out, len))
            return true;
        static const char *const rel[] = {MER_LIBEXEC_TO_BIN, MER_BIN_TO_LIBEXEC};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char dir[PATH_MAX + 64];
            snprintf(dir, sizeof dir, "%s/%s", exe, rel[i]);
            if (executable(dir, name, out, len))
                return true;
        }
    }
    if (executable(MERIDIAN_BINDIR, name, out, len) || executable(MERIDIAN_LIBEXECDIR, name, out, len))
        return true;
    const char *path = use_path ? getenv("PATH") : NULL;
    while (path && *path) {
        const char *end = strchr(path, ':');
        size_t dl = end ? (size_t)(end - path) : strlen(path);
        char dir[PATH_MAX];
        if (dl > 0 && dl < sizeof dir) {
            memcpy(dir, path, dl);
            dir[dl] = '\0';
            if (executable(dir, name, out, len))
                return true;
        }
        path = end ? end + 1 : NULL;
    }
    return false;
}
