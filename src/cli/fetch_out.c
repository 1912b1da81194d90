#include "cli/fetch_out.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Half the width of the EPSG:3857 world: pi * 6378137 m. */
#define MERC_HALF 20037508.342789244

bool mer_fetch_out_open(mer_fetch_out *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (!strcmp(path, "-")) {
        if (isatty(STDOUT_FILENO)) {
            snprintf(err, errlen, "refusing to write a PNG to a terminal; redirect stdout or give a file name");
            return false;
        }
        o->f = stdout;
        o->is_stdout = true;
        return true;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is a directory", path);
        return false;
    }
    if (snprintf(o->path, sizeof o->path, "%s", path) >= (int)sizeof o->path ||
        snprintf(o->tmp, sizeof o->tmp, "%s.part-%ld", path, (long)getpid()) >= (int)sizeof o->tmp) {
        snprintf(err, errlen, "output path too long");
        return false;
    }
    /* O_EXCL: never follow or reuse whatever sits at the temporary name. */
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 || !(o->f = fdopen(fd, "wb"))) {
        snprintf(err, errlen, "cannot create %s: %s", o->tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        o->tmp[0] = '\0';
        return false;
    }
    return true;
}

bool mer_fetch_out_commit(mer_fetch_out *o, char *err, size_t errlen)
{
    if (o->is_stdout) {
        bool ok = fflush(stdout) == 0;
        o->f = NULL;
        if (!ok)
            snprintf(err, errlen, "cannot write to stdout: %s", strerror(errno));
        return ok;
    }
    bool ok = o->f && fclose(o->f) == 0;
    o->f = NULL;
    if (!ok) {
        snprintf(err, errlen, "cannot write %s: %s", o->tmp, strerror(errno));
        mer_fetch_out_abort(o);
        return false;
    }
    if (rename(o->tmp, o->path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", o->tmp, o->path, strerror(errno));
        mer_fetch_out_abort(o);
        return false;
    }
    o->tmp[0] = '\0';
    return true;
}

void mer_fetch_out_abort(mer_fetch_out *o)
{
    if (o->f && !o->is_stdout)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp[0])
        unlink(o->tmp);
    o->tmp[0] = '\0';
}

static double merc_lat(double y_norm)
{
    return atan(sinh(M_PI * (1.0 - 2.0 * y_norm))) * 180.0 / M_PI;
}

void mer_mosaic_bounds_of(mer_tile_range r, int tile_px, mer_mosaic_bounds *b)
{
    double n = ldexp(1.0, r.z);
    double u0 = (double)r.x0 / n, u1 = (double)(r.x1 + 1) / n;
    double v0 = (double)r.y0 / n, v1 = (double)(r.y1 + 1) / n;
    b->minx = -MERC_HALF + u0 * 2 * MERC_HALF;
    b->maxx = -MERC_HALF + u1 * 2 * MERC_HALF;
    b->maxy = MERC_HALF - v0 * 2 * MERC_HALF;
    b->miny = MERC_HALF - v1 * 2 * MERC_HALF;
    b->west = u0 * 360.0 - 180.0;
    b->east = u1 * 360.0 - 180.0;
    b->north = merc_lat(v0);
    b->south = merc_lat(v1);
    b->res_m = 2 * MERC_HALF / (n * (double)tile_px);
}

bool mer_world_file_name(const char *png, char *out, size_t len)
{
    size_t n = strlen(png);
    int w;
    if (n > 4 && !strcasecmp(png + n - 4, ".png"))
        w = snprintf(out, len, "%.*s.pgw", (int)(n - 4), png);
    else
        w = snprintf(out, len, "%s.wld", png);
    return w > 0 && (size_t)w < len;
}

bool mer_world_file_write(const char *png, const mer_mosaic_bounds *b, char *err, size_t errlen)
{
    char path[1100];
    if (!mer_world_file_name(png, path, sizeof path)) {
        snprintf(err, errlen, "world file name too long");
        return false;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return false;
    }
    /* x size, two rotation terms, y size (negative: rows go south), then the
     * centre of the top-left pixel. */
    fprintf(f, "%.10f\n0.0000000000\n0.0000000000\n%.10f\n%.10f\n%.10f\n", b->res_m, -b->res_m,
            b->minx + b->res_m / 2, b->maxy - b->res_m / 2);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

size_t mer_mosaic_bounds_json(const mer_mosaic_bounds *b, char *buf, size_t len)
{
    int n = snprintf(buf, len,
                     "{\"epsg3857\": [%.4f, %.4f, %.4f, %.4f], \"lonlat\": [%.8f, %.8f, %.8f, %.8f], "
                     "\"metres_per_pixel\": %.6f}",
                     b->minx, b->miny, b->maxx, b->maxy, b->west, b->south, b->east, b->north, b->res_m);
    return n < 0 ? 0 : (size_t)n;
}
