/* meridian export: writes the cached tiles of an area into a standalone MBTiles
 * file, which other tools (QGIS, tileserver-gl, MapLibre) and
 * `meridian --source FILE.mbtiles` can open.
 *
 *   meridian export --source S (--bbox W,S,E,N | --around LAT,LON,KM) --zoom A:B --out area.mbtiles
 *
 * No loader runs here, so this command opens the cache itself (one thread, two
 * connections: the source's cache, read, and the new file, written in batches).
 *
 * Like prefetch it prints the tile count and an estimate first, refuses areas
 * of more than --max-tiles, and shows a progress bar. The output is written
 * under a fresh mkstemp name beside it and linked into place at the end:
 * link() never replaces an existing file, so there is no window between a
 * check and an open (a file or symlink that appears meanwhile is not
 * overwritten), and a failed export leaves nothing behind. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cli/commands.h"
#include "cli/configs.h"
#include "core/area.h"
#include "core/clock.h"
#include "core/log.h"

#define BATCH 500

typedef struct ex_args {
    mer_options o;
    mer_area area;
    char out[1024];
    char cache_dir[1024];
    int max_tiles;
    bool quiet;
} ex_args;

typedef struct ex_counts {
    uint64_t tiles, bytes, empty, missing;
    int zmin, zmax; /* zooms that had tiles */
    uint64_t seen, total; /* cells of the area looked at, for the progress bar */
    double t0, last_bar;
    bool bar;
} ex_counts;

static void usage(FILE *f)
{
    fprintf(f, "Usage: meridian export --source S (--bbox W,S,E,N | --around LAT,LON,KM) --zoom A:B\n"
               "                       --out FILE.mbtiles [--cache-dir DIR] [--max-tiles N] [--quiet]\n"
               "Writes the cached tiles of an area into a new standalone MBTiles file.\n"
               "Prints the tile count first; FILE must not exist yet.\n"
               "  --max-tiles N   refuse areas of more than N tiles (default %d)\n"
               "  --quiet         no progress bar\n",
            MER_CLI_DEFAULT_MAX_TILES);
}

static bool ex_flag(const char *name)
{
    return strcmp(name, "no-config") == 0 || strcmp(name, "verbose") == 0 || strcmp(name, "quiet") == 0;
}

static int ex_set(void *ud, const char *name, const char *value, char *err, size_t errlen)
{
    ex_args *a = ud;
    int r = mer_area_option(&a->area, name, value, err, errlen);
    if (r != 0)
        return r < 0 ? 2 : 0;
    if (strcmp(name, "out") == 0) {
        if (!value || !*value || strlen(value) >= sizeof a->out - 64) {
            snprintf(err, errlen, "--out: expected a file name");
            return 2;
        }
        snprintf(a->out, sizeof a->out, "%s", value);
    } else if (strcmp(name, "max-tiles") == 0) {
        return mer_cli_max_tiles(value, &a->max_tiles, err, errlen) ? 0 : 2;
    } else if (strcmp(name, "quiet") == 0) {
        a->quiet = true;
    } else {
        static const char *const pass[] = {"source", "cache-dir", NULL};
        return mer_area_common_option(&a->o, name, value, pass, err, errlen);
    }
    return 0;
}

/* Copies one tile range; the coverage bitmap finds the cached tiles without a
 * lookup per tile. Rows are done in bands to keep the bitmap bounded. */
static bool copy_range(mer_cache *from, mer_cache *to, mer_tile_range r, ex_counts *k, uint8_t *bits)
{
    int64_t w = r.x1 - r.x0 + 1;
    int64_t band = (int64_t)(MER_CACHE_COVERAGE_MAX / (uint64_t)w);
    if (band < 1)
        return false;
    for (int64_t y0 = r.y0; y0 <= r.y1; y0 += band) {
        mer_tile_range b = r;
        b.y0 = y0;
        b.y1 = y0 + band - 1 < r.y1 ? y0 + band - 1 : r.y1;
        uint64_t cells = mer_tile_range_count(b);
        int64_t have = mer_cache_coverage(from, b, bits, (MER_CACHE_COVERAGE_MAX + 7) / 8);
        if (have < 0)
            return false;
        k->missing += cells - (uint64_t)have;
        k->seen += cells;
        if (k->bar && mer_clock_s() - k->last_bar > 0.2) {
            k->last_bar = mer_clock_s();
            mer_cli_progress(k->seen, k->total, k->t0, false);
        }
        for (uint64_t i = 0; i < cells; i++) {
            if (!(bits[i / 8] >> (i % 8) & 1))
                continue;
            mer_tile_id t = {r.z, mer_tile_wrap_x(b.x0 + (int64_t)(i % (uint64_t)w), r.z),
                             (int32_t)(b.y0 + (int64_t)(i / (uint64_t)w))};
            mer_cache_entry e;
            if (mer_cache_get(from, t, &e) != MER_CACHE_HIT)
                continue;
            if (e.meta.empty || !e.len) {
                k->empty++; /* a cached 404: MBTiles has no such thing; leave it out */
            } else if (mer_cache_put(to, t, e.data, e.len, NULL)) {
                k->tiles++;
                k->bytes += e.len;
                k->zmin = k->zmin < 0 || r.z < k->zmin ? r.z : k->zmin;
                k->zmax = r.z > k->zmax ? r.z : k->zmax;
                if (k->tiles % BATCH == 0)
                    mer_cache_flush(to);
            } else {
                mer_cache_entry_free(&e);
                return false;
            }
            mer_cache_entry_free(&e);
        }
    }
    return true;
}

static void write_metadata(mer_cache *from, mer_cache *to, const ex_args *a, const ex_counts *k)
{
    const mer_source *s = &a->o.source;
    char format[32] = "png", minz[16], maxz[16], bounds[128], center[96];
    mer_cache_get_metadata(from, "format", format, sizeof format);
    snprintf(minz, sizeof minz, "%d", k->zmin);
    snprintf(maxz, sizeof maxz, "%d", k->zmax);
    snprintf(bounds, sizeof bounds, "%.6f,%.6f,%.6f,%.6f", a->area.west, a->area.south, a->area.east,
             a->area.north);
    double cx = a->area.west <= a->area.east ? (a->area.west + a->area.east) / 2
                                             : mer_wrap_lon((a->area.west + a->area.east + 360) / 2);
    snprintf(center, sizeof center, "%.6f,%.6f,%d", cx, (a->area.south + a->area.north) / 2, k->zmin);
    const char *rows[][2] = {
        {"name", s->id}, {"format", format}, {"minzoom", minz}, {"maxzoom", maxz},
        {"bounds", bounds}, {"center", center}, {"attribution", s->attribution},
        {"type", "baselayer"}, {"version", "1"},
        {"description", "Exported from Meridian's tile cache"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        mer_cache_set_metadata(to, rows[i][0], rows[i][1]);
}

/* The count and an estimate, from the source cache's average tile size. */
static void print_plan(const ex_args *a, mer_cache *from, uint64_t total)
{
    mer_cache_totals t;
    double avg = mer_cache_get_totals(from, &t) && t.tiles ? (double)t.bytes / (double)t.tiles : 0;
    printf("export: the area holds %" PRIu64 " tiles at zoom %d-%d; at most about %.1f MB if all are cached\n",
           total, a->area.zmin, a->area.zmax, (double)total * avg / 1e6);
    fflush(stdout);
}

/* Moves the finished temporary file to its name without ever replacing a
 * file: link() fails with EEXIST. File systems without hard links get a
 * check-then-rename (a window, but only there). */
static int publish(const char *tmp, const char *out)
{
    int e = 0;
    if (link(tmp, out) != 0) {
        e = errno;
        if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EXDEV || e == EMLINK) {
            struct stat sb;
            if (lstat(out, &sb) == 0)
                e = EEXIST;
            else
                e = rename(tmp, out) == 0 ? 0 : errno;
        }
    }
    unlink(tmp); /* after link() the temporary name; after a failure the file */
    return e;
}

static int run_export(const ex_args *a)
{
    char path[1200], tmp[1100], err[512] = "";
    struct stat sb;
    if (!mer_cache_file_path(a->cache_dir, &a->o.source, path, sizeof path) || stat(path, &sb) != 0) {
        fprintf(stderr, "meridian export: nothing cached for source '%s' (no file %s)\n", a->o.source.id, path);
        return 1;
    }
    /* Early and friendly only; publish() is what guarantees it. */
    if (lstat(a->out, &sb) == 0) {
        fprintf(stderr, "meridian export: %s already exists; choose another name or remove it\n", a->out);
        return 2;
    }
    uint64_t total;
    if (!mer_cli_area_fits("export", &a->area, a->max_tiles, &total))
        return 2;
    mer_cache *from = mer_cache_open(a->cache_dir, &a->o.source, 0, err, sizeof err);
    if (!from) {
        fprintf(stderr, "meridian export: %s\n", err);
        return 1;
    }
    print_plan(a, from, total);
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", a->out);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "meridian export: cannot create a file beside %s: %s\n", a->out, strerror(errno));
        mer_cache_close(from);
        return 1;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask); /* mkstemp makes 0600; an export is meant to be shared */
    close(fd);                /* an empty file is an empty SQLite database */
    mer_cache *to = mer_cache_open_mbtiles(tmp, false, err, sizeof err);
    if (!to) {
        fprintf(stderr, "meridian export: %s\n", err);
        unlink(tmp);
        mer_cache_close(from);
        return 1;
    }
    ex_counts k = {.zmin = -1, .zmax = -1, .total = total, .t0 = mer_clock_s()};
    k.bar = !a->quiet && isatty(2);
    uint8_t *bits = malloc((MER_CACHE_COVERAGE_MAX + 7) / 8);
    bool ok = bits != NULL;
    for (int z = a->area.zmin; ok && z <= a->area.zmax; z++)
        ok = copy_range(from, to, mer_area_range(&a->area, z), &k, bits);
    free(bits);
    if (k.bar)
        mer_cli_progress(k.seen, k.total, k.t0, true);
    if (ok && k.tiles)
        write_metadata(from, to, a, &k);
    mer_cache_flush(to);
    ok = ok && mer_cache_usable(to);
    mer_cache_close(to);
    mer_cache_close(from);
    if (!ok || !k.tiles) {
        unlink(tmp);
        if (!ok)
            fprintf(stderr, "meridian export: writing %s failed\n", a->out);
        else
            fprintf(stderr, "meridian export: no cached tiles of '%s' in that area at zoom %d-%d; "
                            "browse or prefetch it first\n", a->o.source.id, a->area.zmin, a->area.zmax);
        return 1;
    }
    int e = publish(tmp, a->out);
    if (e == EEXIST) {
        fprintf(stderr, "meridian export: %s appeared while exporting; not replaced\n", a->out);
        return 2;
    }
    if (e) {
        fprintf(stderr, "meridian export: cannot create %s: %s\n", a->out, strerror(e));
        return 1;
    }
    printf("export: %" PRIu64 " tiles (%.1f kB) at zoom %d-%d written to %s; %" PRIu64
           " tiles of the area were not cached%s\n",
           k.tiles, (double)k.bytes / 1e3, k.zmin, k.zmax, a->out, k.missing + k.empty,
           k.empty ? " or empty" : "");
    return 0;
}

int mer_cmd_export(int argc, char **argv)
{
    ex_args a;
    memset(&a, 0, sizeof a);
    a.max_tiles = MER_CLI_DEFAULT_MAX_TILES;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    char err[512] = "";
    int st = mer_area_command_args(argc, argv, &a.o, &a.area, ex_set, ex_flag, &a, err, sizeof err);
    if (st < 0 && !a.out[0]) {
        snprintf(err, sizeof err, "give the output file with --out FILE.mbtiles");
        st = 2;
    }
    if (st >= 0) {
        fprintf(stderr, "meridian export: %s\n", err);
        usage(stderr);
        return st;
    }
    mer_log_set_level((mer_log_level)(MER_LOG_WARN + a.o.verbose));
    if (a.o.source.kind != MER_SOURCE_URL) {
        fprintf(stderr, "meridian export: --source must be a tile server source (preset, user source or URL)\n");
        return 2;
    }
    if (!mer_cli_cache_dir(&a.o, a.cache_dir, sizeof a.cache_dir)) {
        fprintf(stderr, "meridian export: no cache directory: set --cache-dir, XDG_CACHE_HOME or HOME\n");
        return 2;
    }
    return run_export(&a);
}
