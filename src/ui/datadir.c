#include "ui/datadir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <SDL.h>

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

bool mer_data_find(const char *rel, char *out, size_t len)
{
    if (try_dir(getenv("MERIDIAN_DATADIR"), rel, out, len))
        return true;
    bool found = false;
    char *base = SDL_GetBasePath(); /* ends with '/' */
    if (base) {
        char probe[4096];
        snprintf(probe, sizeof probe, "%sCMakeCache.txt", base);
        if (is_file(probe))
            found = try_dir(MERIDIAN_SOURCE_DIR, rel, out, len);
        if (!found) {
            snprintf(probe, sizeof probe, "%s../share/meridian", base);
            found = try_dir(probe, rel, out, len);
        }
        SDL_free(base);
    }
    return found || try_dir(MERIDIAN_DATADIR, rel, out, len);
}

char *mer_read_text_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = !buf || ferror(f) || n > max;
    fclose(f);
    if (bad) {
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}
