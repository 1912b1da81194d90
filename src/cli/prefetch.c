/* meridian prefetch: downloads the tiles of an area into the disk cache for
 * offline use.
 *
 *   meridian prefetch [--source S] (--bbox W,S,E,N | --around LAT,LON,KM) --zoom A:B
 *                     [--max-tiles N] [--dry-run] [--cache-dir DIR] [--cache-size MB]
 *
 * Threads: this (main) thread plans and reports; the loader (mer_loader) does
 * the downloading and owns the cache connection while it runs. The plan is
 * made first, on our own read-only look at the cache (closed before the loader
 * starts): only missing or stale tiles go to the loader, so an interrupted run
 * resumes where it stopped. The loader gets a sliding window of wanted tiles
 * (a want replaces the previous one; tiles still wanted keep their transfer)
 * and wakes us through on_ready; we wait on a condition variable with a short
 * timeout so that Ctrl-C and the progress bar stay responsive.
 *
 * Politeness: the source's limits (connections, rate) apply as in the viewer,
 * and sources whose policy forbids bulk downloads (OpenStreetMap) are refused. */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cli/commands.h"
#include "cli/configs.h"
#include "core/area.h"
#include "core/clock.h"
#include "core/hostpolicy.h"
#include "core/log.h"
#include "net/loader.h"

#define GUESS_TILE_BYTES 20000 /* for the estimate when the cache has no tiles yet */
#define MAX_FAILURES_LISTED 10

typedef struct pf_args {
    mer_options o;
    mer_area area;
    int max_tiles;
    bool dry_run;
    bool quiet;
    char cache_dir[1024];
} pf_args;

typedef struct pf_wake {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool ready; /* guarded by lock */
} pf_wake;

typedef struct pf_counts {
    uint64_t stored, empty, failed, kept_stale, done;
    char limit_note[256]; /* mer_loader_limit_note, "" if no client-side limit held tiles back */
} pf_counts;

static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: meridian prefetch [--source S] (--bbox W,S,E,N | --around LAT,LON,KM) --zoom A:B\n"
            "                         [--max-tiles N] [--dry-run] [--cache-dir DIR] [--cache-size MB]\n"
            "                         [--max-concurrent N] [--rate R] [--burst N] [--user-agent UA]\n"
            "Downloads the missing or stale tiles of an area into the disk cache, for --offline use.\n"
            "Prints the tile count and estimated size first; run it again to resume.\n"
            "  --max-tiles N   refuse areas of more than N tiles (default %d)\n"
            "  --dry-run       only print the count and estimate\n",
            MER_CLI_DEFAULT_MAX_TILES);
}

/* Options that take no value. */
static bool is_flag(const char *name)
{
    return strcmp(name, "dry-run") == 0 || strcmp(name, "no-config") == 0 || strcmp(name, "verbose") == 0 ||
           strcmp(name, "help") == 0 || strcmp(name, "quiet") == 0 || strcmp(name, "no-adaptive") == 0;
}

static int set_option(pf_args *a, const char *name, const char *value, char *err, size_t errlen)
{
    int r = mer_area_option(&a->area, name, value, err, errlen);
    if (r != 0)
        return r < 0 ? 2 : 0;
    if (strcmp(name, "max-tiles") == 0)
        return mer_cli_max_tiles(value, &a->max_tiles, err, errlen) ? 0 : 2;
    if (strcmp(name, "dry-run") == 0)
        a->dry_run = true;
    else if (strcmp(name, "quiet") == 0)
        a->quiet = true;
    else {
        static const char *const pass[] = {"source", "cache-dir", "cache-size", "max-concurrent", "rate", "burst",
                                           "user-agent", "no-adaptive", "ca-file", NULL};
        return mer_area_common_option(&a->o, name, value, pass, err, errlen);
    }
    return 0;
}

int mer_area_common_option(mer_options *o, const char *name, const char *value, const char *const *pass, char *err,
                           size_t errlen)
{
    if (strcmp(name, "verbose") == 0) {
        o->verbose++;
        return 0;
    }
    if (strcmp(name, "config") == 0 || strcmp(name, "no-config") == 0)
        return 0; /* read by mer_options_load_config */
    for (size_t i = 0; pass[i]; i++)
        if (strcmp(name, pass[i]) == 0)
            return mer_options_set(o, name, value, err, errlen) == MER_OPT_OK ? 0 : 2;
    snprintf(err, errlen, "unknown option --%s", name);
    return 2;
}

/* Parses "--name value" and "--name=value" (shared with export). */
int mer_area_command_args(int argc, char **argv, mer_options *o, mer_area *area,
                          int (*set)(void *ud, const char *name, const char *value, char *err, size_t errlen),
                          bool (*flag)(const char *name), void *ud, char *err, size_t errlen)
{
    mer_options_defaults(o);
    if (mer_options_load_config(o, argc, argv, err, errlen) != MER_OPT_OK)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            snprintf(err, errlen, "unexpected argument '%s'", arg);
            return 2;
        }
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (n >= sizeof name) {
            snprintf(err, errlen, "unknown option '%.60s'", arg);
            return 2;
        }
        memcpy(name, arg + 2, n);
        name[n] = '\0';
        const char *value = eq ? eq + 1 : NULL;
        if (!eq && !flag(name)) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "--%s needs a value", name);
                return 2;
            }
            value = argv[++i];
        }
        int st = set(ud, name, value, err, errlen);
        if (st)
            return st;
    }
    if (!area->have_box) {
        snprintf(err, errlen, "give the area with --bbox W,S,E,N or --around LAT,LON,KM");
        return 2;
    }
    if (!area->have_zoom) {
        snprintf(err, errlen, "give the zoom levels with --zoom A:B");
        return 2;
    }
    if (mer_options_finish(o, err, errlen) != MER_OPT_OK)
        return 2;
    return -1;
}

static int pf_set(void *ud, const char *name, const char *value, char *err, size_t errlen)
{
    return set_option(ud, name, value, err, errlen);
}

/* By the parsed host (core/hostpolicy.c): a provider that forbids bulk
 * downloads however its URL is spelled; a server on this machine is the
 * user's own. */
static bool bulk_allowed(const mer_source *s)
{
    return mer_source_bulk_allowed(s);
}

static void explain_refusal(const mer_source *s)
{
    if (s->kind == MER_SOURCE_MBTILES) {
        fprintf(stderr, "meridian prefetch: %s is an MBTiles file; it is already on disk and needs no prefetch\n",
                s->url);
        return;
    }
    if (s->kind == MER_SOURCE_WORLD) {
        fprintf(stderr, "meridian prefetch: the world source is drawn on this machine from its built-in "
                        "data; it needs no prefetch and works offline\n");
        return;
    }
    mer_source provider;
    if (mer_source_provider(s, &provider) && strcmp(provider.id, "osm") == 0)
        fprintf(stderr, "meridian prefetch: OpenStreetMap's tile usage policy forbids bulk downloading "
                        "(https://operations.osmfoundation.org/policies/tiles/), so Meridian will not prefetch "
                        "from the osm source.\n");
    else
        fprintf(stderr, "meridian prefetch: the source '%s' does not allow bulk downloads.\n", s->id);
    fprintf(stderr, "  Browse the area in the viewer instead (tiles you look at are cached), or prefetch from:\n"
                    "  - the demo source (meridian --demo, then --source demo),\n"
                    "  - your own tile server on this machine (--source 'http://127.0.0.1:PORT/{z}/{x}/{y}.png'),\n"
                    "  - or use an MBTiles file made by your own tile server (--source area.mbtiles).\n");
}

/* Plans the download: every tile of the area that is not cached and fresh. */
static mer_tile_id *plan(const pf_args *a, mer_cache *c, uint64_t total, size_t *n_fetch)
{
    mer_tile_id *fetch = malloc((size_t)(total ? total : 1) * sizeof *fetch);
    if (!fetch)
        return NULL;
    size_t n = 0;
    int64_t now = (int64_t)time(NULL);
    for (int z = a->area.zmin; z <= a->area.zmax; z++) {
        mer_tile_range r = mer_area_range(&a->area, z);
        for (int64_t y = r.y0; y <= r.y1; y++)
            for (int64_t x = r.x0; x <= r.x1; x++) {
                mer_tile_id t = {z, mer_tile_wrap_x(x, z), (int32_t)y};
                mer_cache_meta m;
                if (c && mer_cache_get_meta(c, t, &m) == MER_CACHE_HIT && mer_cache_is_fresh(&m, now))
                    continue;
                if (n < total)
                    fetch[n++] = t;
            }
    }
    *n_fetch = n;
    return fetch;
}

static void wake_cb(void *ud)
{
    pf_wake *w = ud;
    pthread_mutex_lock(&w->lock);
    w->ready = true;
    pthread_mutex_unlock(&w->lock);
    pthread_cond_signal(&w->cond);
}

static void wait_wake(pf_wake *w, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&w->lock);
    while (!w->ready && !g_interrupted)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) != 0)
            break;
    w->ready = false;
    pthread_mutex_unlock(&w->lock);
}

bool mer_cli_max_tiles(const char *value, int *out, char *err, size_t errlen)
{
    if (!mer_parse_int(value, 1, MER_CLI_LIMIT_MAX_TILES, out)) {
        snprintf(err, errlen, "--max-tiles: expected a number from 1 to %d, got '%s'", MER_CLI_LIMIT_MAX_TILES,
                 value ? value : "");
        return false;
    }
    return true;
}

bool mer_cli_area_fits(const char *cmd, const mer_area *area, int max_tiles, uint64_t *total)
{
    *total = mer_area_count(area);
    if (*total <= (uint64_t)max_tiles)
        return true;
    fprintf(stderr, "meridian %s: the area holds %" PRIu64 " tiles, more than --max-tiles %d; "
                    "narrow the area or the zoom range, or raise --max-tiles\n", cmd, *total, max_tiles);
    return false;
}

void mer_cli_progress(uint64_t done, uint64_t total, double t0, bool final)
{
    double el = mer_clock_s() - t0;
    double rate = el > 0 ? (double)done / el : 0;
    int width = 30, fill = total ? (int)((double)done / (double)total * width) : width;
    char bar[40];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : ' ';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %" PRIu64 "/%" PRIu64 " %3d%% %.0f tiles/s ", bar, done, total,
            total ? (int)(100.0 * (double)done / (double)total) : 100, rate);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

typedef struct pf_run {
    mer_loader *l;
    mer_want_tile *win; /* the wanted window, in plan order */
    bool *win_stale;    /* a stale copy came back; the fresh result may follow */
    size_t n_win, cap;
    uint64_t gen;
    pf_counts k;
    int failures_listed;
} pf_run;

static void send_want(pf_run *r)
{
    for (size_t i = 0; i < r->n_win; i++)
        r->win[i].priority = (int32_t)i;
    mer_loader_want(r->l, ++r->gen, r->win, r->n_win);
}

static void remove_tile(pf_run *r, size_t i)
{
    r->n_win--;
    memmove(&r->win[i], &r->win[i + 1], (r->n_win - i) * sizeof *r->win);
    memmove(&r->win_stale[i], &r->win_stale[i + 1], (r->n_win - i) * sizeof *r->win_stale);
}

/* Handles one result; returns true if it finished a tile of the window. */
static bool take_result(pf_run *r, const mer_tile_result *res)
{
    size_t i = 0;
    while (i < r->n_win && !mer_tile_equal(r->win[i].id, res->id))
        i++;
    if (i == r->n_win)
        return false;
    if (res->stale) {
        /* A stale copy while it is revalidated; the fresh result follows. A
         * second stale copy means the revalidation failed and the loader
         * tried again: the copy stays cached as it is, and we move on. */
        if (!r->win_stale[i]) {
            r->win_stale[i] = true;
            return false;
        }
        r->k.kept_stale++;
        r->k.done++;
        remove_tile(r, i);
        return true;
    }
    if (res->status == MER_TILE_OK)
        r->k.stored++;
    else if (res->status == MER_TILE_EMPTY)
        r->k.empty++;
    else {
        r->k.failed++;
        if (r->failures_listed++ < MAX_FAILURES_LISTED)
            fprintf(stderr, "%stile %d/%d/%d failed: %s\n", isatty(2) ? "\n" : "", res->id.z, res->id.x,
                    res->id.y, res->reason[0] ? res->reason : "unknown reason");
    }
    r->k.done++;
    remove_tile(r, i);
    return true;
}

static int download(const pf_args *a, const mer_tile_id *fetch, size_t n_fetch, pf_counts *out, double *secs)
{
    mer_loader_config cfg;
    mer_cli_loader_config(&cfg, &a->o.source, &a->o, a->cache_dir);
    cfg.offline = false; /* prefetch exists to download (an offline = true config default is the viewer's) */
    /* Nothing is drawn: decoding every tile would be prefetch's main cost
     * (zlib and libpng, ~1 ms a tile), so the loader only checks the bytes. */
    cfg.no_decode = true;
    cfg.decode_workers = 1;
    pf_wake w = {.ready = false};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    cfg.on_ready = wake_cb;
    cfg.ud = &w;
    char err[256];
    pf_run r = {.cap = (size_t)(cfg.max_concurrent > 0 ? cfg.max_concurrent : 6) * 8};
    if (r.cap < 64)
        r.cap = 64;
    r.win = malloc(r.cap * sizeof *r.win);
    r.win_stale = calloc(r.cap, sizeof *r.win_stale);
    r.l = r.win && r.win_stale ? mer_loader_create(&cfg, err, sizeof err) : NULL;
    if (!r.l) {
        fprintf(stderr, "meridian prefetch: %s\n", r.win ? err : "out of memory");
        free(r.win);
        free(r.win_stale);
        return 1;
    }
    bool tty = isatty(2) && !a->quiet;
    double t0 = mer_clock_s(), last_bar = 0;
    size_t next = 0;
    mer_tile_result res[64];
    while (!g_interrupted) {
        /* Refill at half empty, so that a want (which the loader reconciles
         * in full) goes out per half window rather than per finished tile. */
        if (r.n_win <= r.cap / 2 && next < n_fetch) {
            while (r.n_win < r.cap && next < n_fetch) {
                r.win_stale[r.n_win] = false;
                r.win[r.n_win++] = (mer_want_tile){fetch[next++], 0};
            }
            send_want(&r);
        }
        if (r.n_win == 0)
            break;
        size_t got = mer_loader_poll_results(r.l, res, 64);
        for (size_t i = 0; i < got; i++) {
            take_result(&r, &res[i]);
            mer_tile_result_release(&res[i]);
        }
        if (tty && mer_clock_s() - last_bar > 0.1) {
            mer_cli_progress(r.k.done, n_fetch, t0, false);
            last_bar = mer_clock_s();
        }
        if (got)
            continue;
        if (mer_loader_idle(r.l)) {
            /* Nothing more will come for what is left: stale copies whose
             * revalidation failed (they stay cached, as they were). */
            r.k.kept_stale += r.n_win;
            r.k.done += r.n_win;
            r.n_win = 0;
            continue;
        }
        wait_wake(&w, 100);
    }
    *secs = mer_clock_s() - t0;
    if (tty)
        mer_cli_progress(r.k.done, n_fetch, t0, true);
    mer_loader_stats ls;
    mer_loader_get_stats(r.l, &ls);
    mer_loader_limit_note(&ls, *secs * 1000.0, r.k.limit_note, sizeof r.k.limit_note);
    mer_loader_destroy(r.l); /* flushes the cache: everything finished is stored */
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    free(r.win);
    free(r.win_stale);
    *out = r.k;
    return 0;
}

static void print_plan(const pf_args *a, uint64_t total, size_t n_fetch, mer_cache *c)
{
    mer_cache_totals tot = {0};
    double avg = GUESS_TILE_BYTES;
    if (c && mer_cache_get_totals(c, &tot) && tot.tiles >= 10)
        avg = (double)tot.bytes / (double)tot.tiles;
    printf("prefetch: %" PRIu64 " tiles at zoom %d-%d from '%s' (about %.1f MB); %" PRIu64
           " already cached and fresh, %zu to download\n",
           total, a->area.zmin, a->area.zmax, a->o.source.id, (double)total * avg / 1e6,
           total - (uint64_t)n_fetch, n_fetch);
    double limit = (double)a->o.cache_size_mb * 1048576.0;
    if (limit > 0 && (double)total * avg > limit)
        fprintf(stderr, "meridian prefetch: warning: the area (about %.0f MB) is larger than the cache limit "
                        "(--cache-size %d MB); the least recently used tiles will be evicted\n",
                (double)total * avg / 1e6, a->o.cache_size_mb);
    fflush(stdout);
}

static int run_prefetch(pf_args *a)
{
    const mer_source *s = &a->o.source;
    if (!bulk_allowed(s)) {
        explain_refusal(s);
        return 2;
    }
    if (a->area.zmax > s->max_zoom || a->area.zmin < s->min_zoom) {
        fprintf(stderr, "meridian prefetch: --zoom %d:%d is outside the source's zoom levels %d-%d\n",
                a->area.zmin, a->area.zmax, s->min_zoom, s->max_zoom);
        return 2;
    }
    uint64_t total;
    if (!mer_cli_area_fits("prefetch", &a->area, a->max_tiles, &total))
        return 2;
    char err[512] = "";
    mer_cache *c = mer_cache_open(a->cache_dir, s, 0, err, sizeof err);
    if (!c || !mer_cache_usable(c)) {
        fprintf(stderr, "meridian prefetch: cannot use the cache in %s%s%s\n", a->cache_dir, err[0] ? ": " : "",
                err);
        mer_cache_close(c);
        return 1;
    }
    size_t n_fetch = 0;
    mer_tile_id *fetch = plan(a, c, total, &n_fetch);
    print_plan(a, total, n_fetch, c);
    mer_cache_close(c);
    if (!fetch) {
        fprintf(stderr, "meridian prefetch: out of memory\n");
        return 1;
    }
    if (a->dry_run || n_fetch == 0) {
        free(fetch);
        return 0;
    }
    struct sigaction sa = {.sa_handler = on_sigint}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    pf_counts k = {0};
    double secs = 0;
    int st = download(a, fetch, n_fetch, &k, &secs);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(fetch);
    if (st != 0)
        return st;
    printf("prefetch: %" PRIu64 " tiles stored, %" PRIu64 " empty (404), %" PRIu64 " failed, %" PRIu64
           " kept stale, in %.2f s (%.0f tiles/s)%s%s\n",
           k.stored, k.empty, k.failed, k.kept_stale, secs, secs > 0 ? (double)k.done / secs : 0.0,
           k.limit_note[0] ? "; " : "", k.limit_note);
    if (g_interrupted) {
        printf("prefetch: interrupted after %" PRIu64 " of %zu tiles; run the same command again to resume\n",
               k.done, n_fetch);
        return 1;
    }
    return k.failed ? 1 : 0;
}

static bool pf_flag(const char *name)
{
    return is_flag(name);
}

int mer_cmd_prefetch(int argc, char **argv)
{
    pf_args a;
    memset(&a, 0, sizeof a);
    a.max_tiles = MER_CLI_DEFAULT_MAX_TILES;
    char err[512] = "";
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    int st = mer_area_command_args(argc, argv, &a.o, &a.area, pf_set, pf_flag, &a, err, sizeof err);
    if (st >= 0) {
        fprintf(stderr, "meridian prefetch: %s\n", err);
        usage(stderr);
        return st;
    }
    mer_log_set_level((mer_log_level)(MER_LOG_WARN + a.o.verbose));
    if (!mer_cli_cache_dir(&a.o, a.cache_dir, sizeof a.cache_dir)) {
        fprintf(stderr, "meridian prefetch: no cache directory: set --cache-dir, XDG_CACHE_HOME or HOME\n");
        return 2;
    }
    g_interrupted = 0;
    return run_prefetch(&a);
}
