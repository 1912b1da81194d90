/* Disk cache: round trip, MBTiles layout (TMS rows, read with raw SQL),
 * freshness parsing, LRU eviction, corrupt files, read-only directories, a full
 * disk, two processes on one file, kill -9 during heavy writes, coverage and
 * standalone MBTiles files. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <ftw.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/tmpdir.h"
#include <sqlite3.h>

#include "core/area.h"
#include "cache/cache.h"
#include "core/source.h"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    assert_true(mer_test_mkdtemp(g_dir, sizeof g_dir, "test_cache"));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

static mer_source test_source(void)
{
    mer_source s;
    assert_true(mer_source_lookup("demo", &s));
    return s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Tile bytes that carry their own checksum: n-8 bytes derived from (seed, t),
 * then the FNV-1a hash of those bytes. */
static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void make_tile(uint8_t *buf, size_t n, mer_tile_id t, uint32_t seed)
{
    uint32_t s = seed * 2654435761u ^ (uint32_t)(t.z * 31 + t.x * 7919 + t.y * 104729);
    for (size_t i = 0; i + 8 < n; i++) {
        s = s * 1103515245u + 12345u;
        buf[i] = (uint8_t)(s >> 16);
    }
    uint64_t h = fnv(buf, n - 8);
    memcpy(buf + n - 8, &h, 8);
}

static bool tile_ok(const uint8_t *buf, size_t n)
{
    if (n < 8)
        return false;
    uint64_t h;
    memcpy(&h, buf + n - 8, 8);
    return h == fnv(buf, n - 8);
}

static mer_cache *open_cache(size_t max_bytes)
{
    mer_source s = test_source();
    char err[256] = "";
    mer_cache *c = mer_cache_open(g_dir, &s, max_bytes, err, sizeof err);
    if (!c)
        fprintf(stderr, "open failed: %s\n", err);
    return c;
}

static void cache_file(char *buf, size_t len)
{
    mer_source s = test_source();
    assert_true(mer_cache_file_path(g_dir, &s, buf, len));
}

static int64_t sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

static void test_round_trip(void **state)
{
    (void)state;
    mer_cache *c = open_cache(0);
    assert_non_null(c);
    assert_true(mer_cache_usable(c));
    uint8_t data[1000];
    mer_tile_id t = {5, 10, 12};
    make_tile(data, sizeof data, t, 1);
    mer_cache_meta m = {.expires = 2000000000, .fetched = 1700000000};
    snprintf(m.etag, sizeof m.etag, "\"abc\"");
    snprintf(m.last_modified, sizeof m.last_modified, "Tue, 24 Nov 2026 10:00:00 GMT");
    assert_true(mer_cache_put(c, t, data, sizeof data, &m));
    mer_cache_entry e;
    /* Visible to this connection before the batch is committed. */
    assert_int_equal(mer_cache_get(c, t, &e), MER_CACHE_HIT);
    mer_cache_entry_free(&e);
    mer_tile_id empty = {5, 11, 12};
    mer_cache_meta em = {.empty = true, .expires = (int64_t)time(NULL) + 7 * 86400};
    assert_true(mer_cache_put(c, empty, NULL, 0, &em)); /* kept a day, not a week */
    mer_cache_close(c);

    c = open_cache(0);
    assert_non_null(c);
    assert_int_equal(mer_cache_get(c, t, &e), MER_CACHE_HIT);
    assert_int_equal(e.len, sizeof data);
    assert_memory_equal(e.data, data, sizeof data);
    assert_string_equal(e.meta.etag, "\"abc\"");
    assert_string_equal(e.meta.last_modified, "Tue, 24 Nov 2026 10:00:00 GMT");
    assert_int_equal(e.meta.expires, 2000000000);
    assert_int_equal(e.meta.fetched, 1700000000);
    assert_false(e.meta.empty);
    mer_cache_entry_free(&e);
    assert_null(e.data);

    /* The cached 404: a hit with no bytes, remembered for a day by default. */
    assert_int_equal(mer_cache_get(c, empty, &e), MER_CACHE_HIT);
    assert_true(e.meta.empty);
    assert_null(e.data);
    int64_t now = (int64_t)time(NULL);
    assert_true(e.meta.expires >= now + MER_CACHE_EMPTY_TTL_S - 60);
    assert_true(e.meta.expires <= now + MER_CACHE_EMPTY_TTL_S + 60);
    mer_cache_entry_free(&e);

    mer_tile_id other = {5, 1, 1};
    mer_cache_meta ns = {.expires = MER_CACHE_NO_STORE};
    assert_true(mer_cache_put(c, other, data, sizeof data, &ns)); /* no-store: not kept */
    assert_int_equal(mer_cache_get(c, other, &e), MER_CACHE_MISS);
    mer_tile_id bad = {3, 9, 0};
    assert_int_equal(mer_cache_get(c, bad, &e), MER_CACHE_MISS);
    assert_false(mer_cache_put(c, bad, data, sizeof data, &m));

    /* A 304 refreshes expiry and, when sent, the validators; keeps the bytes. */
    mer_cache_meta r = {.expires = 2100000000, .fetched = 1800000000};
    snprintf(r.etag, sizeof r.etag, "\"def\"");
    assert_true(mer_cache_refresh(c, t, &r));
    assert_false(mer_cache_refresh(c, other, &r)); /* nothing to refresh */
    mer_cache_flush(c);
    assert_int_equal(mer_cache_get(c, t, &e), MER_CACHE_HIT);
    assert_int_equal(e.meta.expires, 2100000000);
    assert_string_equal(e.meta.etag, "\"def\"");
    assert_string_equal(e.meta.last_modified, "Tue, 24 Nov 2026 10:00:00 GMT");
    assert_memory_equal(e.data, data, sizeof data);
    mer_cache_entry_free(&e);

    mer_cache_meta mm;
    assert_int_equal(mer_cache_get_meta(c, t, &mm), MER_CACHE_HIT);
    assert_int_equal(mm.expires, 2100000000);
    assert_int_equal(mer_cache_get_meta(c, other, &mm), MER_CACHE_MISS);

    mer_cache_totals tot;
    assert_true(mer_cache_get_totals(c, &tot));
    assert_int_equal(tot.tiles, 1);
    assert_int_equal(tot.empty, 1);
    assert_int_equal(tot.bytes, sizeof data);
    mer_cache_close(c);
    mer_cache_close(NULL);
}

static void test_mbtiles_layout(void **state)
{
    (void)state;
    mer_cache *c = open_cache(0);
    assert_non_null(c);
    uint8_t data[64];
    mer_tile_id t = {3, 2, 1}; /* XYZ row 1 at z3 is TMS row 8-1-1 = 6 */
    make_tile(data, sizeof data, t, 2);
    assert_true(mer_cache_put(c, t, data, sizeof data, NULL));
    mer_cache_close(c);

    char path[1200];
    cache_file(path, sizeof path);
    assert_non_null(strstr(path, "/demo.mbtiles")); /* a preset: named by its id */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sql_int(db, "SELECT tile_row FROM tiles WHERE zoom_level=3 AND tile_column=2"), 6);
    assert_int_equal(sql_int(db, "SELECT length(tile_data) FROM tiles WHERE zoom_level=3"), 64);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM metadata WHERE name='type' AND value='baselayer'"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM metadata WHERE name='name' AND value='demo'"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM metadata WHERE name='format' AND value='png'"), 1);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM metadata WHERE name IN "
                                 "('minzoom','maxzoom','bounds','attribution','version')"), 5);
    assert_int_equal(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type='index' AND "
                                 "tbl_name='tiles' AND sql LIKE '%UNIQUE%'"), 1);
    assert_int_equal(sql_int(db, "SELECT size FROM mer_tile_info WHERE zoom_level=3 AND tile_row=6"), 64);
    sqlite3_close(db);
}

static void test_http_date(void **state)
{
    (void)state;
    assert_int_equal(mer_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    assert_int_equal(mer_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
    assert_int_equal(mer_http_date("Sun Nov  6 08:49:37 1994"), 784111777);
    assert_int_equal(mer_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    assert_int_equal(mer_http_date("Tue, 24 Nov 2026 16:00:00 GMT"), 1795536000);
    assert_int_equal(mer_http_date("0"), -1);
    assert_int_equal(mer_http_date(""), -1);
    assert_int_equal(mer_http_date(NULL), -1);
    assert_int_equal(mer_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), -1);
    assert_int_equal(mer_http_date("Sun, 32 Nov 1994 08:49:37 GMT"), -1);
    assert_int_equal(mer_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), -1);
}

static void test_freshness(void **state)
{
    (void)state;
    const int64_t now = 1795536000; /* Tue, 24 Nov 2026 16:00:00 GMT */
    const int64_t fl = MER_CACHE_DEFAULT_FLOOR_S;
    assert_int_equal(mer_http_expiry("max-age=3600", NULL, NULL, now, fl), now + 3600);
    assert_int_equal(mer_http_expiry("public, max-age=60, must-revalidate", NULL, NULL, now, fl), now + 60);
    assert_int_equal(mer_http_expiry("MAX-AGE=\"120\"", NULL, NULL, now, fl), now + 120);
    assert_int_equal(mer_http_expiry("max-age=0", NULL, NULL, now, fl), now);
    /* no-cache: stored, but stale at once (revalidate before use). */
    assert_int_equal(mer_http_expiry("no-cache", NULL, NULL, now, fl), now);
    assert_int_equal(mer_http_expiry("max-age=600, no-cache=\"Set-Cookie\"", NULL, NULL, now, fl), now);
    assert_int_equal(mer_http_expiry("no-store", NULL, NULL, now, fl), MER_CACHE_NO_STORE);
    assert_int_equal(mer_http_expiry("max-age=600, no-store", NULL, NULL, now, fl), MER_CACHE_NO_STORE);
    /* s-maxage is for shared caches; a private cache falls back to the floor. */
    assert_int_equal(mer_http_expiry("s-maxage=30", NULL, NULL, now, fl), now + fl);
    assert_int_equal(mer_http_expiry("s-maxage=30, max-age=90", NULL, NULL, now, fl), now + 90);
    /* max-age wins over Expires. */
    assert_int_equal(mer_http_expiry("max-age=10", "Tue, 24 Nov 2026 18:00:00 GMT", NULL, now, fl), now + 10);
    /* Expires is measured against Date (clock skew between us and the server). */
    assert_int_equal(mer_http_expiry(NULL, "Tue, 24 Nov 2026 18:00:00 GMT", "Tue, 24 Nov 2026 17:00:00 GMT",
                                     now, fl), now + 3600);
    assert_int_equal(mer_http_expiry(NULL, "Tue, 24 Nov 2026 18:00:00 GMT", NULL, now, fl), now + 7200);
    assert_int_equal(mer_http_expiry(NULL, "Tue, 24 Nov 2026 15:00:00 GMT", NULL, now, fl), now);
    assert_int_equal(mer_http_expiry(NULL, "0", NULL, now, fl), now);
    /* Nothing (or nothing about lifetime): the floor. */
    assert_int_equal(mer_http_expiry(NULL, NULL, NULL, now, fl), now + fl);
    assert_int_equal(mer_http_expiry("public", NULL, "Tue, 24 Nov 2026 17:00:00 GMT", now, fl), now + fl);
    assert_int_equal(mer_http_expiry("max-age=abc", NULL, NULL, now, 100), now + 100);
    assert_int_equal(mer_http_expiry("", NULL, NULL, now, 0), now);
    /* Huge values are capped rather than overflowing. */
    int64_t big = mer_http_expiry("max-age=99999999999999999999999", NULL, NULL, now, fl);
    assert_true(big > now + 365 * 86400 && big < now + (int64_t)20 * 365 * 86400);

    mer_cache_meta m = {.expires = now + 1};
    assert_true(mer_cache_is_fresh(&m, now));
    assert_false(mer_cache_is_fresh(&m, now + 1));
    assert_false(mer_cache_is_fresh(NULL, now));
}

static void put_n(mer_cache *c, int z, int x0, int n, size_t size, uint32_t seed)
{
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    for (int i = 0; i < n; i++) {
        mer_tile_id t = {z, x0 + i, 0};
        make_tile(buf, size, t, seed);
        assert_true(mer_cache_put(c, t, buf, size, NULL));
    }
    free(buf);
}

static void test_lru_eviction(void **state)
{
    (void)state;
    mer_cache *c = open_cache(10000); /* room for 10 tiles of 1000 bytes */
    assert_non_null(c);
    put_n(c, 6, 0, 10, 1000, 3);
    mer_cache_flush(c);
    mer_cache_totals tot;
    assert_true(mer_cache_get_totals(c, &tot));
    assert_int_equal(tot.tiles, 10);
    /* Use tiles 0 and 1, so 2, 3, ... are now the least recently used. */
    mer_cache_entry e;
    assert_int_equal(mer_cache_get(c, (mer_tile_id){6, 1, 0}, &e), MER_CACHE_HIT);
    mer_cache_entry_free(&e);
    assert_int_equal(mer_cache_get(c, (mer_tile_id){6, 0, 0}, &e), MER_CACHE_HIT);
    mer_cache_entry_free(&e);
    mer_cache_meta m; /* a question, not a use: tile 2 stays least recently used */
    assert_int_equal(mer_cache_get_meta(c, (mer_tile_id){6, 2, 0}, &m), MER_CACHE_HIT);
    mer_cache_flush(c);
    put_n(c, 6, 10, 3, 1000, 3); /* 13000 bytes > 10000: evict down to 90% */
    mer_cache_flush(c);
    assert_true(mer_cache_get_totals(c, &tot));
    assert_true(tot.bytes <= 9000);
    assert_int_equal(tot.tiles, 9);
    for (int x = 0; x < 13; x++) {
        bool expect = x < 2 || x >= 6;
        mer_cache_result r = mer_cache_get_meta(c, (mer_tile_id){6, x, 0}, &m);
        assert_int_equal(r, expect ? MER_CACHE_HIT : MER_CACHE_MISS);
    }
    mer_cache_close(c);
    /* Expiry plays no part: an expired tile is kept while there is room. */
    c = open_cache(10000);
    mer_cache_meta old = {.expires = 1};
    uint8_t buf[100];
    make_tile(buf, sizeof buf, (mer_tile_id){7, 0, 0}, 9);
    assert_true(mer_cache_put(c, (mer_tile_id){7, 0, 0}, buf, sizeof buf, &old));
    mer_cache_flush(c);
    assert_int_equal(mer_cache_get(c, (mer_tile_id){7, 0, 0}, &e), MER_CACHE_HIT);
    assert_false(mer_cache_is_fresh(&e.meta, (int64_t)time(NULL)));
    mer_cache_entry_free(&e);
    mer_cache_close(c);
}

/* Runs fn in a child process with stderr sent to a file; returns the exit
 * status and the number of warning lines the child logged about the cache. */
static int run_child(void (*fn)(void *), void *arg, uid_t uid, int *warnings)
{
    char log[300];
    snprintf(log, sizeof log, "%s.log", g_dir);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 2);
        if (uid != (uid_t)-1 && (setgid(uid) != 0 || setuid(uid) != 0))
            _exit(90);
        fn(arg);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    *warnings = 0;
    FILE *f = fopen(log, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        fputs(line, stderr);
        if (strstr(line, "meridian[cache] warning"))
            (*warnings)++;
    }
    if (f)
        fclose(f);
    unlink(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void test_corrupt_moved_aside(void **state)
{
    (void)state;
    char path[1200];
    cache_file(path, sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database, just some text. ", f);
    fclose(f);
    mer_cache *c = open_cache(0);
    assert_non_null(c);
    assert_true(mer_cache_usable(c));
    uint8_t data[100];
    make_tile(data, sizeof data, (mer_tile_id){1, 0, 0}, 4);
    assert_true(mer_cache_put(c, (mer_tile_id){1, 0, 0}, data, sizeof data, NULL));
    mer_cache_close(c);
    /* The old file is kept beside, with its content, named .corrupt-<time>. */
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char full[600];
        struct stat sb;
        snprintf(full, sizeof full, "%s/%s", g_dir, de->d_name);
        if (strstr(de->d_name, ".mbtiles.corrupt-") && stat(full, &sb) == 0 && sb.st_size > 1000)
            n++;
    }
    closedir(d);
    assert_int_equal(n, 1);
    c = open_cache(0);
    mer_cache_entry e;
    assert_int_equal(mer_cache_get(c, (mer_tile_id){1, 0, 0}, &e), MER_CACHE_HIT);
    mer_cache_entry_free(&e);
    mer_cache_close(c);
}

static uid_t nobody_uid(void)
{
    if (geteuid() != 0)
        return (uid_t)-1; /* not root: chmod alone makes the directory read-only to us */
    struct passwd *pw = getpwnam("nobody");
    return pw ? pw->pw_uid : 65534;
}

static void readonly_child(void *arg)
{
    (void)arg;
    mer_cache *c = open_cache(0);
    if (!c)
        _exit(1);
    if (mer_cache_usable(c))
        _exit(2);
    mer_cache_entry e;
    if (mer_cache_get(c, (mer_tile_id){4, 3, 2}, &e) != MER_CACHE_HIT || !tile_ok(e.data, e.len))
        _exit(3);
    mer_cache_entry_free(&e);
    uint8_t data[100];
    make_tile(data, sizeof data, (mer_tile_id){4, 3, 3}, 5);
    for (int i = 0; i < 5; i++)
        if (mer_cache_put(c, (mer_tile_id){4, 3, 3}, data, sizeof data, NULL))
            _exit(4);
    mer_cache_flush(c);
    mer_cache_close(c);
    /* Another source: no file exists and none can be made. */
    mer_source s = test_source();
    snprintf(s.id, sizeof s.id, "other");
    char err[256] = "";
    c = mer_cache_open(g_dir, &s, 0, err, sizeof err);
    if (c || !strstr(err, g_dir))
        _exit(5);
    _exit(0);
}

static void test_readonly_dir(void **state)
{
    (void)state;
    mer_cache *c = open_cache(0);
    assert_non_null(c);
    uint8_t data[500];
    make_tile(data, sizeof data, (mer_tile_id){4, 3, 2}, 5);
    assert_true(mer_cache_put(c, (mer_tile_id){4, 3, 2}, data, sizeof data, NULL));
    mer_cache_close(c);
    uid_t uid = nobody_uid();
    if (uid != (uid_t)-1) {
        char path[1200];
        cache_file(path, sizeof path);
        assert_int_equal(chown(path, uid, uid), 0);
        assert_int_equal(chown(g_dir, uid, uid), 0);
    }
    assert_int_equal(chmod(g_dir, 0555), 0);
    int warnings = 0;
    assert_int_equal(run_child(readonly_child, NULL, uid, &warnings), 0);
    assert_int_equal(warnings, 1);
    chmod(g_dir, 0700);
    /* Nothing was lost. */
    c = open_cache(0);
    mer_cache_entry e;
    assert_int_equal(mer_cache_get(c, (mer_tile_id){4, 3, 2}, &e), MER_CACHE_HIT);
    assert_memory_equal(e.data, data, sizeof data);
    mer_cache_entry_free(&e);
    mer_cache_close(c);
}

static void full_disk_child(void *arg)
{
    (void)arg;
    mer_cache *c = open_cache(0);
    if (!c)
        _exit(1);
    char path[1200];
    cache_file(path, sizeof path);
    struct stat sb;
    if (stat(path, &sb) != 0)
        _exit(2);
    /* A disk that is full: files may not grow past 1 MiB beyond their current size. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {(rlim_t)sb.st_size + (1 << 20), (rlim_t)sb.st_size + (1 << 20)};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        _exit(3);
    uint8_t buf[20000];
    for (int i = 0; i < 4000 && mer_cache_usable(c); i++) {
        mer_tile_id t = {12, i, 7};
        make_tile(buf, sizeof buf, t, 6);
        mer_cache_put(c, t, buf, sizeof buf, NULL);
        if (i % 20 == 19)
            mer_cache_flush(c);
    }
    if (mer_cache_usable(c))
        _exit(4);
    /* Off means off: no more writes, no more warnings, lookups still answer. */
    for (int i = 0; i < 10; i++)
        if (mer_cache_put(c, (mer_tile_id){12, i, 8}, buf, sizeof buf, NULL))
            _exit(5);
    mer_cache_flush(c);
    mer_cache_entry e;
    if (mer_cache_get(c, (mer_tile_id){10, 0, 0}, &e) != MER_CACHE_HIT)
        _exit(6);
    mer_cache_entry_free(&e);
    mer_cache_close(c);
    _exit(0);
}

static void test_full_disk(void **state)
{
    (void)state;
    mer_cache *c = open_cache(0);
    assert_non_null(c);
    put_n(c, 10, 0, 50, 3000, 7);
    mer_cache_close(c);
    int warnings = 0;
    assert_int_equal(run_child(full_disk_child, NULL, (uid_t)-1, &warnings), 0);
    assert_int_equal(warnings, 1);
    /* What was stored before the disk filled up is all still there and whole. */
    c = open_cache(0);
    assert_non_null(c);
    for (int x = 0; x < 50; x++) {
        mer_cache_entry e;
        assert_int_equal(mer_cache_get(c, (mer_tile_id){10, x, 0}, &e), MER_CACHE_HIT);
        assert_true(tile_ok(e.data, e.len));
        mer_cache_entry_free(&e);
    }
    mer_cache_close(c);
}

/* Writes 300 tiles in batches of 10, at its own zoom level, then reads the
 * other process's tiles as well. */
static void writer_child(void *arg)
{
    int z = *(int *)arg;
    mer_cache *c = open_cache(0);
    if (!c)
        _exit(1);
    uint8_t buf[2000];
    for (int i = 0; i < 300; i++) {
        mer_tile_id t = {z, i, 1};
        make_tile(buf, sizeof buf, t, 8);
        if (!mer_cache_put(c, t, buf, sizeof buf, NULL))
            _exit(2);
        if (i % 10 == 9)
            mer_cache_flush(c);
        mer_cache_entry e;
        if (mer_cache_get(c, t, &e) != MER_CACHE_HIT || !tile_ok(e.data, e.len))
            _exit(3);
        mer_cache_entry_free(&e);
    }
    bool ok = mer_cache_usable(c);
    mer_cache_close(c);
    _exit(ok ? 0 : 4);
}

static void test_two_processes(void **state)
{
    (void)state;
    /* Two handles in one process first: one sees what the other committed. */
    mer_cache *a = open_cache(0), *b = open_cache(0);
    assert_non_null(a);
    assert_non_null(b);
    uint8_t buf[300];
    make_tile(buf, sizeof buf, (mer_tile_id){2, 1, 1}, 9);
    assert_true(mer_cache_put(a, (mer_tile_id){2, 1, 1}, buf, sizeof buf, NULL));
    mer_cache_flush(a);
    mer_cache_entry e;
    assert_int_equal(mer_cache_get(b, (mer_tile_id){2, 1, 1}, &e), MER_CACHE_HIT);
    mer_cache_entry_free(&e);
    assert_true(mer_cache_put(b, (mer_tile_id){2, 0, 1}, buf, sizeof buf, NULL));
    mer_cache_flush(b);
    assert_int_equal(mer_cache_get(a, (mer_tile_id){2, 0, 1}, &e), MER_CACHE_HIT);
    mer_cache_entry_free(&e);
    mer_cache_close(a);
    mer_cache_close(b);

    /* Then two processes writing at the same time. */
    fflush(NULL);
    pid_t pids[2];
    int zooms[2] = {11, 12};
    for (int k = 0; k < 2; k++) {
        pids[k] = fork();
        assert_true(pids[k] >= 0);
        if (pids[k] == 0)
            writer_child(&zooms[k]);
    }
    for (int k = 0; k < 2; k++) {
        int status = 0;
        assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    mer_cache *c = open_cache(0);
    mer_cache_totals tot;
    assert_true(mer_cache_get_totals(c, &tot));
    assert_int_equal(tot.tiles, 602);
    mer_cache_close(c);
}

static void heavy_writer(void)
{
    mer_cache *c = open_cache(0);
    if (!c)
        _exit(1);
    uint8_t *buf = malloc(60000);
    for (int i = 0; i < 1000000; i++) {
        mer_tile_id t = {14, i % 16384, i / 16384};
        size_t n = 200 + (size_t)i * 7919u % 50000;
        make_tile(buf, n, t, (uint32_t)i);
        mer_cache_put(c, t, buf, n, NULL);
        if (i % 50 == 49)
            mer_cache_flush(c);
    }
    _exit(7);
}

static void test_kill9_during_writes(void **state)
{
    (void)state;
    char path[1200];
    cache_file(path, sizeof path);
    mer_cache_close(open_cache(0)); /* create the file so we can watch it */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        heavy_writer();
    /* Kill it once it has committed a good number of batches, mid-write. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    double deadline = now_s() + 60;
    int64_t n = 0;
    while (now_s() < deadline && (n = sql_int(db, "SELECT count(*) FROM tiles")) < 1500) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL); /* polling a condition, with a deadline */
    }
    sqlite3_close(db);
    assert_true(n >= 1500);
    kill(pid, SIGKILL);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));

    mer_cache *c = open_cache(0);
    assert_non_null(c);
    assert_true(mer_cache_usable(c));
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    /* Every row is a whole tile, and the side table agrees with it. */
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT t.tile_data, i.size FROM tiles t JOIN mer_tile_info i "
                                            "USING (zoom_level, tile_column, tile_row)", -1, &st, NULL),
                     SQLITE_OK);
    int64_t rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const uint8_t *d = sqlite3_column_blob(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        assert_true(tile_ok(d, len));
        assert_int_equal((int64_t)len, sqlite3_column_int64(st, 1));
        rows++;
    }
    sqlite3_finalize(st);
    assert_true(rows >= 1500);
    assert_int_equal(rows, sql_int(db, "SELECT count(*) FROM tiles"));
    assert_int_equal(rows, sql_int(db, "SELECT count(*) FROM mer_tile_info"));
    sqlite3_close(db);
    /* And the cache goes on working. */
    uint8_t buf[100];
    make_tile(buf, sizeof buf, (mer_tile_id){1, 1, 1}, 1);
    assert_true(mer_cache_put(c, (mer_tile_id){1, 1, 1}, buf, sizeof buf, NULL));
    mer_cache_close(c);
}

static void test_coverage(void **state)
{
    (void)state;
    mer_cache *c = open_cache(0);
    uint8_t buf[50];
    make_tile(buf, sizeof buf, (mer_tile_id){3, 0, 0}, 1);
    assert_true(mer_cache_put(c, (mer_tile_id){3, 1, 2}, buf, sizeof buf, NULL));
    assert_true(mer_cache_put(c, (mer_tile_id){3, 3, 4}, buf, sizeof buf, NULL));
    assert_true(mer_cache_put(c, (mer_tile_id){3, 0, 3}, buf, sizeof buf, NULL));
    assert_true(mer_cache_put(c, (mer_tile_id){3, 7, 3}, NULL, 0, &(mer_cache_meta){.empty = true}));
    assert_true(mer_cache_put(c, (mer_tile_id){4, 1, 2}, buf, sizeof buf, NULL)); /* other zoom */
    mer_cache_flush(c);
    uint8_t bits[8];
    mer_tile_range r = {3, 1, 3, 2, 4}; /* 3 x 3 */
    assert_int_equal(mer_cache_coverage(c, r, bits, sizeof bits), 2);
    /* (1,2) -> i 0; (3,4) -> i 2*3+2 = 8 */
    assert_int_equal(bits[0], 0x01);
    assert_int_equal(bits[1], 0x01);
    /* Across the antimeridian: x 6..8 is 6, 7, 0 (wrapped). */
    mer_tile_range w = {3, 6, 8, 3, 3};
    assert_int_equal(mer_cache_coverage(c, w, bits, sizeof bits), 2);
    assert_int_equal(bits[0], 0x06); /* x 7 (empty tile) -> i 1, x 8 = 0 -> i 2 */
    /* The extent: z3 has the most tiles (3 images; the 404 does not count). */
    int ez;
    double w_, s_, e_, n_;
    assert_true(mer_cache_extent(c, &ez, &w_, &s_, &e_, &n_));
    assert_int_equal(ez, 3);
    assert_true(fabs(w_ - -180.0) < 1e-9);  /* x 0 */
    assert_true(fabs(e_) < 1e-9);           /* x 3 spans -45 .. 0 */
    assert_true(n_ < 66.52 && n_ > 66.50);  /* y 2 at z3: north edge 66.51 */
    assert_true(s_ < -40.9 && s_ > -41.0);  /* y 4: south edge -40.98 */
    mer_tile_range huge = {20, 0, 4095, 0, 4095};
    assert_int_equal(mer_cache_coverage(c, huge, bits, sizeof bits), -1);
    assert_int_equal(mer_cache_coverage(c, r, bits, 1), -1); /* buffer too small */
    mer_cache_close(c);
}

static void test_standalone_mbtiles(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/area.mbtiles", g_dir);
    char err[256] = "";
    mer_cache *c = mer_cache_open_mbtiles(path, false, err, sizeof err);
    assert_non_null(c);
    int ez;
    double w_, s_, e_, n_;
    assert_false(mer_cache_extent(c, &ez, &w_, &s_, &e_, &n_)); /* no tiles yet */
    assert_true(mer_cache_set_metadata(c, "name", "area"));
    assert_true(mer_cache_set_metadata(c, "format", "png"));
    uint8_t buf[400];
    make_tile(buf, sizeof buf, (mer_tile_id){5, 3, 4}, 2);
    assert_true(mer_cache_put(c, (mer_tile_id){5, 3, 4}, buf, sizeof buf, NULL));
    assert_true(mer_cache_put(c, (mer_tile_id){5, 3, 5}, NULL, 0, NULL)); /* ignored: no 404s here */
    mer_cache_close(c);

    c = mer_cache_open_mbtiles(path, true, err, sizeof err);
    assert_non_null(c);
    assert_false(mer_cache_usable(c));
    char v[64];
    assert_true(mer_cache_get_metadata(c, "name", v, sizeof v));
    assert_string_equal(v, "area");
    assert_false(mer_cache_get_metadata(c, "nope", v, sizeof v));
    mer_cache_entry e;
    assert_int_equal(mer_cache_get(c, (mer_tile_id){5, 3, 4}, &e), MER_CACHE_HIT);
    assert_memory_equal(e.data, buf, sizeof buf);
    assert_true(mer_cache_is_fresh(&e.meta, (int64_t)time(NULL))); /* files never expire */
    mer_cache_entry_free(&e);
    assert_int_equal(mer_cache_get(c, (mer_tile_id){5, 3, 5}, &e), MER_CACHE_MISS);
    assert_false(mer_cache_put(c, (mer_tile_id){5, 3, 5}, buf, sizeof buf, NULL));
    mer_cache_close(c);
    struct stat sb;
    char wal[420];
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_not_equal(stat(wal, &sb), 0); /* a single self-contained file */

    /* Not MBTiles: clear errors, no crash. */
    snprintf(path, sizeof path, "%s/missing.mbtiles", g_dir);
    assert_null(mer_cache_open_mbtiles(path, true, err, sizeof err));
    assert_non_null(strstr(err, "missing.mbtiles"));
    snprintf(path, sizeof path, "%s/text.mbtiles", g_dir);
    FILE *f = fopen(path, "w");
    fputs("hello, not a database at all, but long enough to look like a file header ...", f);
    fclose(f);
    assert_null(mer_cache_open_mbtiles(path, true, err, sizeof err));
    snprintf(path, sizeof path, "%s/plain.sqlite", g_dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE x(a)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_null(mer_cache_open_mbtiles(path, true, err, sizeof err));
    assert_non_null(strstr(err, "not an MBTiles"));
}

static void test_paths(void **state)
{
    (void)state;
    mer_source a = test_source(), b = test_source();
    snprintf(b.url, sizeof b.url, "http://127.0.0.1:9999/{z}/{x}/{y}.png");
    char pa[1200], pb[1200];
    assert_true(mer_cache_file_path("/c", &a, pa, sizeof pa));
    assert_true(mer_cache_file_path("/c", &b, pb, sizeof pb));
    assert_string_equal(pa, pb); /* a preset on another port (demo): the same file */
    a.preset = b.preset = false;
    assert_true(mer_cache_file_path("/c", &a, pa, sizeof pa));
    assert_true(mer_cache_file_path("/c", &b, pb, sizeof pb));
    assert_string_not_equal(pa, pb); /* a user source's name, other server: other file */
    snprintf(a.id, sizeof a.id, "../../etc/x y");
    assert_true(mer_cache_file_path("/c", &a, pa, sizeof pa));
    assert_null(strstr(pa + 3, "/")); /* no directory escapes */
    char d[512];
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    assert_true(mer_cache_default_dir(d, sizeof d));
    assert_string_equal(d, "/xdg/meridian");
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "/home/u", 1);
    assert_true(mer_cache_default_dir(d, sizeof d));
    assert_string_equal(d, "/home/u/.cache/meridian");
}

static void test_area(void **state)
{
    (void)state;
    char err[256];
    mer_area a = {0};
    assert_int_equal(mer_area_option(&a, "bbox", "2.25,48.8,2.45,48.9", err, sizeof err), 1);
    assert_int_equal(mer_area_option(&a, "zoom", "10:12", err, sizeof err), 1);
    assert_true(a.have_box && a.have_zoom);
    mer_tile_range r = mer_area_range(&a, 12);
    assert_int_equal(r.x0, 2073);
    assert_int_equal(r.y0, 1408);
    assert_true(r.x1 >= r.x0 && r.y1 >= r.y0);
    uint64_t n = 0;
    for (int z = 10; z <= 12; z++)
        n += mer_tile_range_count(mer_area_range(&a, z));
    assert_int_equal(mer_area_count(&a), n);
    assert_int_equal(mer_area_option(&a, "other", "x", err, sizeof err), 0);
    const char *bad_bbox[] = {"1,2,3", "1,2,3,4,5", "a,b,c,d", "0,50,1,40", "0,0,200,1", "", "1,,2,3"};
    for (size_t i = 0; i < sizeof bad_bbox / sizeof bad_bbox[0]; i++)
        assert_int_equal(mer_area_option(&a, "bbox", bad_bbox[i], err, sizeof err), -1);
    const char *bad_zoom[] = {"3:2", "-1:2", "a", "1:", "0:30", "1:2:3"};
    for (size_t i = 0; i < sizeof bad_zoom / sizeof bad_zoom[0]; i++)
        assert_int_equal(mer_area_option(&a, "zoom", bad_zoom[i], err, sizeof err), -1);
    assert_int_equal(mer_area_option(&a, "zoom", "7", err, sizeof err), 1);
    assert_int_equal(a.zmin, 7);
    assert_int_equal(a.zmax, 7);
    /* --around: about km each way; across the antimeridian too. */
    assert_int_equal(mer_area_option(&a, "around", "48.85,2.35,5", err, sizeof err), 1);
    assert_true(fabs((a.north - a.south) * 111.32 - 10) < 0.1);
    assert_true(a.west < 2.35 && a.east > 2.35);
    assert_int_equal(mer_area_option(&a, "around", "0,179.99,10", err, sizeof err), 1);
    assert_true(a.west > 0 && a.east < 0);
    r = mer_area_range(&a, 4);
    assert_int_equal(r.x0, 15);
    assert_int_equal(r.x1, 16); /* wraps onto column 0 */
    const char *bad_around[] = {"48,2", "91,0,1", "0,0,0", "0,0,-3", "x,y,z", "0,0,1,"};
    for (size_t i = 0; i < sizeof bad_around / sizeof bad_around[0]; i++)
        assert_int_equal(mer_area_option(&a, "around", bad_around[i], err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mbtiles_layout, setup, teardown),
        cmocka_unit_test(test_http_date),
        cmocka_unit_test(test_freshness),
        cmocka_unit_test_setup_teardown(test_lru_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_moved_aside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_during_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coverage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_standalone_mbtiles, setup, teardown),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_area),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
