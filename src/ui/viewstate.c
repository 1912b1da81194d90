#include "ui/viewstate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/tile.h"

#define TAG "view"

static bool state_dir(char *out, size_t len)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, len, "%s/meridian", xdg);
    else if (home && *home)
        n = snprintf(out, len, "%s/.local/state/meridian", home);
    else
        return false;
    return n > 0 && (size_t)n < len;
}

/* mkdir -p for the state directory. */
static bool make_dirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        bool ok = mkdir(path, 0700) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok)
            return false;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST;
}

bool mer_viewstate_load(double *lat, double *lon, double *zoom)
{
    char dir[1024], path[1100];
    if (!state_dir(dir, sizeof dir))
        return false;
    snprintf(path, sizeof path, "%s/view", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    double a, b, z;
    int n = fscanf(f, "%lf %lf %lf", &a, &b, &z);
    fclose(f);
    if (n != 3 || !isfinite(a) || !isfinite(b) || !isfinite(z) || fabs(a) > 90 || fabs(b) > 180 || z < 0 ||
        z > MER_MAX_ZOOM) {
        MER_LOGW(TAG, "ignoring unreadable last view in %s", path);
        return false;
    }
    *lat = mer_clamp_lat(a);
    *lon = b;
    *zoom = z;
    return true;
}

bool mer_viewstate_save(double lat, double lon, double zoom)
{
    char dir[1024], path[1100], tmp[1120];
    if (!state_dir(dir, sizeof dir) || !make_dirs(dir)) {
        MER_LOGW(TAG, "cannot create the state directory to save the last view");
        return false;
    }
    snprintf(path, sizeof path, "%s/view", dir);
    snprintf(tmp, sizeof tmp, "%s/view.%ld.tmp", dir, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return false;
    bool ok = fprintf(f, "%.9f %.9f %.4f\n", lat, lon, zoom) > 0;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        unlink(tmp);
        MER_LOGW(TAG, "cannot save the last view to %s", path);
    }
    return ok;
}
