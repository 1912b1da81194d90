/* `meridian fetch`: the headless "load a tile grid concurrently and stitch
 * it" job. Runs a loader exactly as the viewer does (same limits, retries and
 * counters) with the grid's rows in priority order, so rows of tiles finish
 * one after another. Finished tiles are blitted into their row's band on this
 * (main) thread, and a complete band goes to the streaming PNG writer at once
 * (png_stream.c compresses it on its own threads while the network works), so
 * the mosaic is complete moments after the last tile. Exit status: 0 every
 * tile ok or empty, 1 any failed, 2 bad arguments. */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/configs.h"
#include "cli/fetch_out.h"
#include "decode/png_stream.h"
#include "core/clock.h"
#include "core/hostpolicy.h"
#include "core/options.h"
#include "core/log.h"
#include "core/tile.h"
#include "net/loader.h"

#define MAX_TILES 4096
#define MAX_SIDE_PX 16384

typedef struct fetch_args {
    char source[MER_URL_MAX];
    int zoom;
    bool have_zoom, have_x, have_y, have_bbox;
    int x0, x1, y0, y1;
    double west, south, east, north;
    char out[1024];
    char stats[1024];
    int max_concurrent, burst, max_tries, verbose;
    double rate;
    long timeout_ms;
    char user_agent[256];
    char cache_dir[1024];
    bool offline, no_adaptive, quiet;
    char ca_file[1024];
    double deadline_s;
} fetch_args;

/* One tile of the grid and what became of it. */
typedef struct cell {
    mer_tile_id id;
    int col, row;
    bool final, any;
    mer_tile_status status;
    double latency_ms;
    char reason[96];
} cell;

typedef struct fetch_job {
    fetch_args a;
    mer_source src;
    mer_tile_range range;
    cell *cells;
    size_t n, done;
    int cols, rows, px;
    uint8_t **band;       /* per row of tiles: its pixels until handed to png */
    int *row_left;        /* per row: cells not final yet */
    bool *band_given;     /* per row: handed to the PNG writer */
    mer_png_stream *png;
    mer_fetch_out out;
    pthread_mutex_t lock; /* on_ready -> main thread wake-up */
    pthread_cond_t cond;
    bool ready;           /* lock */
} fetch_job;

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: meridian fetch [--source S] --zoom Z (--x A:B --y C:D | --bbox W,S,E,N) --out FILE.png|-\n"
        "                      [--max-concurrent N] [--rate R] [--burst B] [--no-adaptive] [--stats FILE.json]\n"
        "                      [--ca-file FILE]\n"
        "                      [--user-agent UA] [--cache-dir DIR] [--offline] [--timeout MS]\n"
        "                      [--max-tries N] [--deadline S] [--quiet] [--verbose]\n"
        "                      [--config FILE | --no-config]\n"
        "Fetches a grid of tiles concurrently and stitches them into one PNG (missing\n"
        "and empty tiles transparent), written row by row while tiles arrive.\n"
        "--out - writes the PNG to stdout. Beside FILE.png goes FILE.pgw, a world\n"
        "file in EPSG:3857 (FILE.wld for other names); --stats gives the bounds.\n"
        "Exit status 0 if every tile is ok, empty or has no data (MBTiles),\n"
        "1 if any failed (listed with the reason), 2 on bad arguments.\n"
        "The config file (as for the viewer) supplies user sources ([source.NAME])\n"
        "and defaults for source, max-concurrent, rate, burst and user-agent.\n");
}

static int bad_arg(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, "meridian fetch: --%s '%s': %s\nTry 'meridian fetch --help'.\n", opt, val ? val : "", why);
    return 2;
}

static int parse_one(fetch_args *a, const char *name, const char *v)
{
    if (!strcmp(name, "source")) {
        if (strlen(v) >= sizeof a->source)
            return bad_arg(name, v, "too long");
        snprintf(a->source, sizeof a->source, "%s", v);
    } else if (!strcmp(name, "zoom")) {
        if (!mer_parse_int(v, 0, MER_MAX_ZOOM - 1, &a->zoom))
            return bad_arg(name, v, "expected an integer zoom 0..29");
        a->have_zoom = true;
    } else if (!strcmp(name, "x") || !strcmp(name, "y")) {
        bool x = name[0] == 'x';
        if (!mer_parse_int_range(v, 0, (1L << 29) - 1, x ? &a->x0 : &a->y0, x ? &a->x1 : &a->y1))
            return bad_arg(name, v, "expected A:B with 0 <= A <= B");
        *(x ? &a->have_x : &a->have_y) = true;
    } else if (!strcmp(name, "bbox")) {
        if (!mer_parse_bbox(v, &a->west, &a->south, &a->east, &a->north))
            return bad_arg(name, v, "expected W,S,E,N in degrees with S < N");
        a->have_bbox = true;
    } else if (!strcmp(name, "out") || !strcmp(name, "stats") || !strcmp(name, "cache-dir") ||
               !strcmp(name, "user-agent") || !strcmp(name, "ca-file")) {
        char *dst = !strcmp(name, "out") ? a->out : !strcmp(name, "stats") ? a->stats
                  : !strcmp(name, "cache-dir") ? a->cache_dir : !strcmp(name, "ca-file") ? a->ca_file
                  : a->user_agent;
        size_t cap = !strcmp(name, "user-agent") ? sizeof a->user_agent : sizeof a->out;
        if (!*v || strlen(v) >= cap)
            return bad_arg(name, v, "empty or too long");
        snprintf(dst, cap, "%s", v);
    } else if (!strcmp(name, "max-concurrent")) {
        if (!mer_parse_int(v, 1, 64, &a->max_concurrent))
            return bad_arg(name, v, "expected an integer 1..64");
    } else if (!strcmp(name, "burst")) {
        if (!mer_parse_int(v, 1, 1000, &a->burst))
            return bad_arg(name, v, "expected an integer 1..1000");
    } else if (!strcmp(name, "max-tries")) {
        if (!mer_parse_int(v, 1, 100, &a->max_tries))
            return bad_arg(name, v, "expected an integer 1..100");
    } else if (!strcmp(name, "rate")) {
        if (!mer_parse_double(v, 0, 1000, &a->rate))
            return bad_arg(name, v, "expected requests/s 0..1000 (0 = unlimited)");
    } else if (!strcmp(name, "timeout")) {
        int ms;
        if (!mer_parse_int(v, 100, 600000, &ms))
            return bad_arg(name, v, "expected milliseconds 100..600000");
        a->timeout_ms = ms;
    } else if (!strcmp(name, "deadline")) {
        if (!mer_parse_double(v, 0.1, 86400, &a->deadline_s))
            return bad_arg(name, v, "expected seconds 0.1..86400");
    }
    return 0;
}

static int parse_args(fetch_args *a, int argc, char **argv)
{
    static const struct option longs[] = {
        {"source", required_argument, 0, 's'}, {"zoom", required_argument, 0, 'z'},
        {"x", required_argument, 0, 0},        {"y", required_argument, 0, 0},
        {"bbox", required_argument, 0, 0},     {"out", required_argument, 0, 'o'},
        {"stats", required_argument, 0, 0},    {"max-concurrent", required_argument, 0, 'c'},
        {"rate", required_argument, 0, 'r'},   {"burst", required_argument, 0, 0},
        {"adaptive", no_argument, 0, 0},       {"user-agent", required_argument, 0, 0},
        {"no-adaptive", no_argument, 0, 0},    {"ca-file", required_argument, 0, 0},
        {"cache-dir", required_argument, 0, 0}, {"offline", no_argument, 0, 0},
        {"timeout", required_argument, 0, 0},  {"max-tries", required_argument, 0, 0},
        {"deadline", required_argument, 0, 0}, {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},      {"help", no_argument, 0, 'h'},
        {"config", required_argument, 0, 0},   {"no-config", no_argument, 0, 0},
        {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->rate = -1;
    optind = 0; /* full re-initialisation (glibc) */
    opterr = 0;
    int c, idx = 0;
    while ((c = getopt_long(argc, argv, ":s:z:o:c:r:qvh", longs, &idx)) != -1) {
        const char *name = NULL;
        switch (c) {
        case 0: name = longs[idx].name; break;
        case 's': name = "source"; break;
        case 'z': name = "zoom"; break;
        case 'o': name = "out"; break;
        case 'c': name = "max-concurrent"; break;
        case 'r': name = "rate"; break;
        case 'q': a->quiet = true; continue;
        case 'v': a->verbose++; continue;
        case 'h': usage(stdout); return -1;
        case ':': return bad_arg(argv[optind - 1] + 2, "", "needs a value");
        default: return bad_arg(argv[optind - 1] + (argv[optind - 1][1] == '-' ? 2 : 1), "", "unknown option");
        }
        if (!strcmp(name, "config") || !strcmp(name, "no-config"))
            continue; /* read by mer_options_load_config */
        if (!strcmp(name, "adaptive"))
            a->no_adaptive = false; /* the default; accepted for old scripts */
        else if (!strcmp(name, "no-adaptive"))
            a->no_adaptive = true;
        else if (!strcmp(name, "offline"))
            a->offline = true;
        else if (parse_one(a, name, optarg))
            return 2;
    }
    if (optind < argc)
        return bad_arg("", argv[optind], "unexpected argument");
    if (!a->have_zoom)
        return bad_arg("zoom", "", "is required");
    if (!a->out[0])
        return bad_arg("out", "", "is required");
    if (a->have_bbox == (a->have_x || a->have_y) || a->have_x != a->have_y)
        return bad_arg("x/--y/--bbox", "", "give either --x and --y, or --bbox");
    return 0;
}

/* Reads the config file like the viewer and prefetch do: it registers the
 * user's [source.NAME] sections (so --source NAME works) and gives defaults
 * the command line overrides. Its cache-dir is not used: fetch touches a
 * disk cache only when --cache-dir says so. 0 or the exit status. */
static int load_config(fetch_args *a, int argc, char **argv)
{
    mer_options o;
    char err[512] = "";
    mer_options_defaults(&o);
    if (mer_options_load_config(&o, argc, argv, err, sizeof err) != MER_OPT_OK) {
        fprintf(stderr, "meridian fetch: %s\n", err);
        return 2;
    }
    if (!a->source[0])
        snprintf(a->source, sizeof a->source, "%s", o.source_arg);
    if (a->max_concurrent <= 0 && o.max_concurrent > 0)
        a->max_concurrent = o.max_concurrent > 64 ? 64 : o.max_concurrent;
    if (a->rate < 0 && o.rate >= 0)
        a->rate = o.rate;
    if (a->burst <= 0 && o.burst > 0)
        a->burst = o.burst;
    if (!a->user_agent[0])
        snprintf(a->user_agent, sizeof a->user_agent, "%s", o.user_agent);
    a->no_adaptive |= o.no_adaptive;
    if (!a->ca_file[0])
        snprintf(a->ca_file, sizeof a->ca_file, "%s", o.ca_file);
    return 0;
}

/* Resolves the source and the grid; 0 or the exit status. */
static int plan(fetch_job *j)
{
    fetch_args *a = &j->a;
    char err[384];
    if (!mer_source_from_arg(a->source[0] ? a->source : "osm", &j->src, err, sizeof err))
        return bad_arg("source", a->source, err);
    if (a->zoom < j->src.min_zoom || a->zoom > j->src.max_zoom) {
        snprintf(err, sizeof err, "zoom %d is outside the source's %d..%d", a->zoom, j->src.min_zoom, j->src.max_zoom);
        return bad_arg("zoom", "", err);
    }
    int64_t n = (int64_t)1 << a->zoom;
    if (a->have_bbox) {
        j->range = mer_tiles_for_bbox(a->west, a->south, a->east, a->north, a->zoom);
    } else {
        if (a->x1 >= n || a->y1 >= n)
            return bad_arg("x/--y", "", "tile numbers beyond 2^zoom - 1");
        j->range = (mer_tile_range){a->zoom, a->x0, a->x1, a->y0, a->y1};
    }
    j->px = j->src.tile_px > 0 ? j->src.tile_px : 256;
    uint64_t count = mer_tile_range_count(j->range);
    j->cols = (int)(j->range.x1 - j->range.x0 + 1);
    j->rows = (int)(j->range.y1 - j->range.y0 + 1);
    if (count == 0 || count > MAX_TILES || (int64_t)j->cols * j->px > MAX_SIDE_PX ||
        (int64_t)j->rows * j->px > MAX_SIDE_PX) {
        snprintf(err, sizeof err, "the grid is %dx%d tiles; at most %d tiles and %d px per side",
                 j->cols, j->rows, MAX_TILES, MAX_SIDE_PX);
        return bad_arg("x/--y/--bbox", "", err);
    }
    /* Providers that forbid bulk downloads get a small grid at most. */
    /* By name (a preset or configured source) or by the parsed host of any
     * URL (a template pointing at tile.openstreetmap.org, however spelled). */
    mer_source preset;
    bool named = mer_source_lookup(j->src.id, &preset) && !j->src.allow_bulk;
    bool hosted = mer_source_provider(&j->src, &preset) && !mer_source_bulk_allowed(&j->src);
    if ((named || hosted) && count > 64) {
        fprintf(stderr, "meridian fetch: %s's tile policy forbids bulk downloading; "
                        "fetch at most 64 tiles from it (asked for %llu)\n",
                hosted ? preset.id : j->src.id, (unsigned long long)count);
        return 2;
    }
    j->n = (size_t)count;
    return 0;
}

static void on_ready(void *ud)
{
    fetch_job *j = ud;
    pthread_mutex_lock(&j->lock);
    j->ready = true;
    pthread_mutex_unlock(&j->lock);
    pthread_cond_signal(&j->cond);
}

static void wait_ready(fetch_job *j, long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += ms * 1000000L;
    t.tv_sec += t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&j->lock);
    while (!j->ready)
        if (pthread_cond_timedwait(&j->cond, &j->lock, &t) != 0)
            break;
    j->ready = false;
    pthread_mutex_unlock(&j->lock);
}

/* The want list, row by row from the top, centre-out within a row: rows of
 * tiles then finish in order, and each finished row can be written while the
 * next ones load. (Centre-out over the whole grid would finish no row until
 * the very end.) */
static mer_want_tile *make_want(fetch_job *j)
{
    mer_want_tile *w = calloc(j->n, sizeof *w);
    j->cells = calloc(j->n, sizeof *j->cells);
    if (!w || !j->cells) {
        free(w);
        return NULL;
    }
    double cc = (j->cols - 1) / 2.0;
    size_t i = 0;
    for (int r = 0; r < j->rows; r++)
        for (int c = 0; c < j->cols; c++, i++) {
            cell *e = &j->cells[i];
            e->col = c;
            e->row = r;
            e->id = (mer_tile_id){j->range.z, mer_tile_wrap_x(j->range.x0 + c, j->range.z),
                                  (int32_t)(j->range.y0 + r)};
            w[i].id = e->id;
            /* cols <= 64 (MAX_SIDE_PX / 256), so |c - cc| * 2 < 128 */
            w[i].priority = (int32_t)(r * 128 + (int)(fabs(c - cc) * 2.0));
        }
    return w;
}

static cell *find_cell(fetch_job *j, mer_tile_id id)
{
    int64_t c = id.x - j->range.x0;
    if (c < 0)
        c += (int64_t)1 << id.z;
    int64_t r = id.y - j->range.y0;
    if (id.z != j->range.z || c < 0 || c >= j->cols || r < 0 || r >= j->rows)
        return NULL;
    return &j->cells[r * j->cols + c];
}

static size_t band_bytes(const fetch_job *j)
{
    return (size_t)j->cols * (size_t)j->px * 4 * (size_t)j->px;
}

static void blit(fetch_job *j, const cell *c, const mer_tile_result *r)
{
    if (j->band_given[c->row])
        return; /* written already (a late copy after the deadline) */
    if (!j->band[c->row] && !(j->band[c->row] = calloc(1, band_bytes(j))))
        return; /* the tile stays transparent; hand_band reports the shortage */
    size_t stride = (size_t)j->cols * (size_t)j->px * 4;
    uint8_t *dst = j->band[c->row] + (size_t)c->col * (size_t)j->px * 4;
    for (int y = 0; y < r->h && y < j->px; y++)
        memcpy(dst + (size_t)y * stride, r->rgba + (size_t)y * (size_t)r->w * 4, (size_t)j->px * 4);
}

/* Gives row `row`'s band to the PNG writer (transparent where no tile landed). */
static void hand_band(fetch_job *j, int row)
{
    if (j->band_given[row])
        return;
    if (!j->band[row])
        j->band[row] = calloc(1, band_bytes(j));
    j->band_given[row] = true;
    if (j->band[row])
        mer_png_stream_put_band(j->png, row, j->band[row]); /* ownership moves */
    j->band[row] = NULL;
}

static void take_result(fetch_job *j, mer_tile_result *r)
{
    cell *c = find_cell(j, r->id);
    if (c && !c->final) {
        if (r->status == MER_TILE_OK && r->rgba && r->w == j->px && r->h == j->px)
            blit(j, c, r);
        c->any = true;
        c->status = r->status;
        c->latency_ms = r->latency_ms;
        snprintf(c->reason, sizeof c->reason, "%s", r->reason);
        if (!r->stale) {
            c->final = true;
            j->done++;
            if (--j->row_left[c->row] == 0)
                hand_band(j, c->row);
        }
    }
    mer_tile_result_release(r);
}

static void progress(const fetch_job *j, bool end)
{
    if (j->a.quiet || !isatty(2))
        return;
    int width = 40, fill = (int)(width * (double)j->done / (double)j->n);
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu tiles", fill, "########################################", width - fill, "",
            j->done, j->n);
    if (end)
        fputc('\n', stderr);
}

/* Runs the loader until every tile is final (or it has nothing left to do). */
static void run(fetch_job *j, mer_loader *l, double t0)
{
    mer_tile_result res[64];
    while (j->done < j->n) {
        size_t k = mer_loader_poll_results(l, res, 64);
        for (size_t i = 0; i < k; i++)
            take_result(j, &res[i]);
        if (k)
            continue;
        if (mer_loader_idle(l))
            break; /* e.g. stale copies whose revalidation failed */
        if (j->a.deadline_s > 0 && mer_clock_ms() - t0 > j->a.deadline_s * 1000) {
            fprintf(stderr, "meridian fetch: deadline of %.1f s reached\n", j->a.deadline_s);
            break;
        }
        progress(j, false);
        wait_ready(j, 100);
    }
    progress(j, true);
    /* Let the loader publish its final counters before --stats reads them. */
    double end = mer_clock_ms() + 2000;
    while (!mer_loader_idle(l) && mer_clock_ms() < end) {
        size_t k = mer_loader_poll_results(l, res, 64);
        for (size_t i = 0; i < k; i++)
            take_result(j, &res[i]);
        if (!k)
            wait_ready(j, 5);
    }
}

/* Opens the output and starts the PNG writer, before any tile is asked for. */
static bool start_png(fetch_job *j)
{
    char err[1200];
    j->band = calloc((size_t)j->rows, sizeof *j->band);
    j->row_left = calloc((size_t)j->rows, sizeof *j->row_left);
    j->band_given = calloc((size_t)j->rows, sizeof *j->band_given);
    if (!j->band || !j->row_left || !j->band_given) {
        fprintf(stderr, "meridian fetch: out of memory\n");
        return false;
    }
    for (int r = 0; r < j->rows; r++)
        j->row_left[r] = j->cols;
    if (!mer_fetch_out_open(&j->out, j->a.out, err, sizeof err)) {
        fprintf(stderr, "meridian fetch: %s\n", err);
        return false;
    }
    j->png = mer_png_stream_open(j->out.f, j->cols * j->px, j->rows * j->px, j->px, 0, err, sizeof err);
    if (!j->png) {
        fprintf(stderr, "meridian fetch: %s: %s\n", j->a.out, err);
        return false;
    }
    return true;
}

/* Hands over the rows that never completed, waits for the writer, puts the
 * file in place and writes the world file. */
static bool finish_png(fetch_job *j)
{
    char err[1200];
    for (int r = 0; r < j->rows; r++)
        hand_band(j, r);
    bool ok = mer_png_stream_finish(j->png, err, sizeof err) && mer_fetch_out_commit(&j->out, err, sizeof err);
    if (ok && !j->out.is_stdout) {
        mer_mosaic_bounds b;
        mer_mosaic_bounds_of(j->range, j->px, &b);
        ok = mer_world_file_write(j->a.out, &b, err, sizeof err);
    }
    if (!ok)
        fprintf(stderr, "meridian fetch: %s: %s\n", j->a.out, err);
    return ok;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool write_stats(const fetch_job *j, mer_loader *l, double wall_ms, double png_ms)
{
    mer_loader_stats s;
    mer_loader_get_stats(l, &s);
    char json[4096];
    mer_loader_stats_json(&s, json, sizeof json);
    double *lat = malloc(j->n * sizeof *lat);
    size_t m = 0;
    for (size_t i = 0; lat && i < j->n; i++)
        if (j->cells[i].final && j->cells[i].latency_ms > 0)
            lat[m++] = j->cells[i].latency_ms;
    if (lat)
        qsort(lat, m, sizeof *lat, cmp_double);
#define PCT(p) (m ? lat[(size_t)((double)(m - 1) * (p) + 0.5)] : 0.0)
    FILE *f = fopen(j->a.stats, "w");
    if (!f) {
        fprintf(stderr, "meridian fetch: cannot write %s\n", j->a.stats);
        free(lat);
        return false;
    }
    mer_mosaic_bounds b;
    mer_mosaic_bounds_of(j->range, j->px, &b);
    char bounds[512];
    mer_mosaic_bounds_json(&b, bounds, sizeof bounds);
    mer_png_stream_stats ps;
    mer_png_stream_get_stats(j->png, &ps);
    /* png.after_last_tile_ms: what writing the mosaic added to the wait. */
    fprintf(f, "{\"wall_ms\": %.1f, \"tiles\": %zu, \"finished\": %zu, \"grid\": [%d, %d], \"zoom\": %d, "
               "\"size_px\": [%d, %d], \"bounds\": %s, "
               "\"png\": {\"bytes\": %llu, \"after_last_tile_ms\": %.1f, \"compress_ms\": %.1f, \"threads\": %d}, "
               "\"tile_latency_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f}, \"loader\": %s}\n",
            wall_ms, j->n, j->done, j->cols, j->rows, j->range.z, j->cols * j->px, j->rows * j->px, bounds,
            (unsigned long long)ps.bytes_out, png_ms, ps.compress_ms, ps.threads, PCT(0.5), PCT(0.9), PCT(0.99),
            PCT(1.0), json);
#undef PCT
    free(lat);
    return fclose(f) == 0;
}

/* Prints the summary and the failures; the exit status. */
static int report(const fetch_job *j, double wall_ms, const char *limit_note)
{
    size_t ok = 0, empty = 0, failed = 0, missing = 0, no_data = 0;
    for (size_t i = 0; i < j->n; i++) {
        const cell *c = &j->cells[i];
        if (!c->any)
            missing++;
        else if (c->status == MER_TILE_OK)
            ok++;
        else if (c->status == MER_TILE_EMPTY)
            empty++;
        else if (c->status == MER_TILE_NO_DATA)
            no_data++; /* not in the MBTiles file: transparent, not a failure */
        else
            failed++;
    }
    char nd[48] = "";
    if (no_data)
        snprintf(nd, sizeof nd, ", %zu no data", no_data);
    for (size_t i = 0; i < j->n; i++) {
        const cell *c = &j->cells[i];
        if (c->any && (c->status == MER_TILE_FAILED || c->status == MER_TILE_NOT_CACHED))
            fprintf(stderr, "  %d/%d/%d: %s\n", c->id.z, c->id.x, c->id.y,
                    c->status == MER_TILE_NOT_CACHED ? "not cached (offline)" : c->reason);
        else if (!c->any)
            fprintf(stderr, "  %d/%d/%d: no result\n", c->id.z, c->id.x, c->id.y);
    }
    /* With the PNG on stdout, the summary goes to stderr. */
    fprintf(j->out.is_stdout ? stderr : stdout, "meridian fetch: %zu tiles (%dx%d at z%d) in %.2f s: %zu ok, %zu empty, %zu failed%s%s -> %s%s%s\n", j->n,
           j->cols, j->rows, j->range.z, wall_ms / 1000.0, ok, empty, failed + missing, nd,
           missing ? " (some never finished)" : "", j->a.out, limit_note[0] ? "; " : "", limit_note);
    return failed + missing ? 1 : 0;
}

static void fill_config(const fetch_job *j, mer_loader_config *c)
{
    const fetch_args *a = &j->a;
    mer_options o; /* fetch's own argument set, in the shared builder's terms */
    mer_options_defaults(&o);
    o.max_concurrent = a->max_concurrent;
    o.rate = a->rate;
    o.burst = a->burst;
    o.no_adaptive = a->no_adaptive;
    snprintf(o.ca_file, sizeof o.ca_file, "%s", a->ca_file);
    o.offline = a->offline;
    snprintf(o.user_agent, sizeof o.user_agent, "%s", a->user_agent);
    mer_cli_loader_config(c, &j->src, &o, a->cache_dir); /* a disk cache only with --cache-dir */
    if (a->max_tries > 0)
        c->max_tries = a->max_tries;
    if (a->timeout_ms > 0)
        c->timeout_ms = a->timeout_ms;
}

int mer_cmd_fetch(int argc, char **argv)
{
    fetch_job j;
    memset(&j, 0, sizeof j);
    int rc = parse_args(&j.a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    mer_log_set_level((mer_log_level)(MER_LOG_WARN + j.a.verbose));
    if ((rc = load_config(&j.a, argc, argv)) != 0 || (rc = plan(&j)) != 0)
        return rc;
    pthread_mutex_init(&j.lock, NULL);
    pthread_cond_init(&j.cond, NULL);
    rc = 1;
    mer_loader *l = NULL;
    mer_want_tile *want = make_want(&j);
    if (!want) {
        fprintf(stderr, "meridian fetch: out of memory\n");
        goto out;
    }
    mer_loader_config cfg;
    fill_config(&j, &cfg);
    cfg.on_ready = on_ready;
    cfg.ud = &j;
    char err[256];
    double t0 = mer_clock_ms();
    if (!(l = mer_loader_create(&cfg, err, sizeof err))) {
        fprintf(stderr, "meridian fetch: %s\n", err);
        goto out;
    }
    if (!start_png(&j))
        goto out;
    mer_loader_want(l, 1, want, j.n);
    run(&j, l, t0);
    double wall = mer_clock_ms() - t0;
    if (!finish_png(&j))
        goto out;
    double png_ms = mer_clock_ms() - t0 - wall;
    if (j.a.stats[0] && !write_stats(&j, l, wall, png_ms))
        goto out;
    mer_loader_stats ls;
    mer_loader_get_stats(l, &ls);
    char note[256];
    mer_loader_limit_note(&ls, wall, note, sizeof note);
    rc = report(&j, wall, note);
out:
    mer_loader_destroy(l);
    mer_png_stream_destroy(j.png);
    mer_fetch_out_abort(&j.out);
    for (int r = 0; j.band && r < j.rows; r++)
        free(j.band[r]);
    free(j.band);
    free(j.row_left);
    free(j.band_given);
    free(want);
    free(j.cells);
    pthread_cond_destroy(&j.cond);
    pthread_mutex_destroy(&j.lock);
    return rc;
}
