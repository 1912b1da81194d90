/* The disk tile cache: one SQLite file per tile source, in MBTiles layout.
 *
 * Owns: one sqlite3 connection and its prepared statements. Used only by the
 * thread that opened it (the loader thread, or a headless command); no locks.
 * Two processes may share a file: WAL lets readers run beside one writer, and
 * busy_timeout makes a writer wait for the other's transaction instead of failing.
 *
 * Layout: the standard MBTiles tables (metadata; tiles with TMS row order and
 * the unique index) so other tools can open the file, plus mer_tile_info with
 * the HTTP side of each tile (ETag, Last-Modified, expiry, fetch time, last
 * use, size, empty). A cached 404 lives only in mer_tile_info (empty = 1) so
 * other tools never see a zero-byte tile.
 *
 * Writes: mer_cache_put/refresh open one IMMEDIATE transaction on the first
 * write and mer_cache_flush commits it, so a fast fetch pays one fsync per
 * batch (synchronous=NORMAL in WAL: durable at checkpoint, never torn).
 * Last-use updates from lookups are kept in memory and written at flush, so
 * reads never take the write lock. Eviction (LRU by last_used, over max_bytes)
 * runs at flush; expiry plays no part in it, since a stale tile is still good
 * offline.
 *
 * Failures: a file that is not a database is moved aside and a new one made;
 * a full disk or read-only directory turns writing off with one warning
 * (lookups keep working while the connection can read). */
#include "cache/cache_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define TAG "cache"

_Static_assert(MER_MAX_ZOOM == 30, "ST_EXTENT's SQL spells the maximum zoom as 30");
_Static_assert(MER_CACHE_MAX_TILE_BYTES == 16777216, "ST_TOTAL's SQL spells the tile size cap");

static const char *const g_sql[ST_COUNT] = {
    [ST_GET_INFO] = "SELECT etag, last_modified, expires, fetched, empty FROM mer_tile_info "
                    "WHERE zoom_level=?1 AND tile_column=?2 AND tile_row=?3",
    /* length() reads a blob's size from its record header, not the blob. */
    [ST_GET_TILE] = "SELECT CASE WHEN length(tile_data) <= 16777216 THEN tile_data END, length(tile_data) "
                    "FROM tiles WHERE zoom_level=?1 AND tile_column=?2 AND tile_row=?3",
    [ST_HAS_TILE] = "SELECT 1 FROM tiles WHERE zoom_level=?1 AND tile_column=?2 AND tile_row=?3",
    [ST_PUT_TILE] = "INSERT OR REPLACE INTO tiles(zoom_level, tile_column, tile_row, tile_data) "
                    "VALUES (?1, ?2, ?3, ?4)",
    [ST_DEL_TILE] = "DELETE FROM tiles WHERE zoom_level=?1 AND tile_column=?2 AND tile_row=?3",
    [ST_OLD_SIZE] = "SELECT size FROM mer_tile_info WHERE zoom_level=?1 AND tile_column=?2 AND tile_row=?3",
    [ST_PUT_INFO] = "INSERT OR REPLACE INTO mer_tile_info(zoom_level, tile_column, tile_row, etag, "
                    "last_modified, expires, fetched, last_used, size, empty) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_REFRESH] = "UPDATE mer_tile_info SET expires=?4, fetched=?5, last_used=?6, "
                   "etag=CASE WHEN ?7 != '' THEN ?7 ELSE etag END, "
                   "last_modified=CASE WHEN ?8 != '' THEN ?8 ELSE last_modified END "
                   "WHERE zoom_level=?1 AND tile_column=?2 AND tile_row=?3",
    [ST_TOUCH] = "UPDATE mer_tile_info SET last_used=?4 "
                 "WHERE zoom_level=?1 AND tile_column=?2 AND tile_row=?3 AND last_used < ?4",
    [ST_DEL_INFO] = "DELETE FROM mer_tile_info WHERE zoom_level=?1 AND tile_column=?2 AND tile_row=?3",
    /* Each size clamped as sane_size() does (cache_io.c): a hostile value
     * must neither overflow SUM (an error) nor dominate the total. */
    [ST_TOTAL] = "SELECT COALESCE(SUM(MIN(MAX(size, 0), 16777216)), 0) FROM mer_tile_info",
    [ST_LRU] = "SELECT zoom_level, tile_column, tile_row, size FROM mer_tile_info "
               "ORDER BY last_used ASC LIMIT 512",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_COVER_TILES] = "SELECT tile_column, tile_row FROM tiles WHERE zoom_level=?1 "
                       "AND tile_column BETWEEN ?2 AND ?3 AND tile_row BETWEEN ?4 AND ?5",
    [ST_COVER_EMPTY] = "SELECT tile_column, tile_row FROM mer_tile_info WHERE zoom_level=?1 "
                       "AND tile_column BETWEEN ?2 AND ?3 AND tile_row BETWEEN ?4 AND ?5 AND empty=1",
    [ST_META_GET] = "SELECT value FROM metadata WHERE name=?1",
    [ST_META_SET] = "INSERT OR REPLACE INTO metadata(name, value) VALUES (?1, ?2)",
    [ST_COUNT_TILES] = "SELECT COUNT(*), COALESCE(SUM(LENGTH(tile_data)), 0) FROM tiles",
    [ST_COUNT_EMPTY] = "SELECT COUNT(*) FROM mer_tile_info WHERE empty=1",
    /* Rows that are not tiles (zoom 100, negative or out-of-range columns and
     * rows, text) are left out here; the C side checks the values again. */
    [ST_EXTENT] = "SELECT zoom_level, COUNT(*) AS n, MIN(tile_column), MAX(tile_column), MIN(tile_row), "
                  "MAX(tile_row) FROM tiles WHERE typeof(zoom_level)='integer' AND zoom_level BETWEEN 0 AND 30 "
                  "AND typeof(tile_column)='integer' AND typeof(tile_row)='integer' "
                  "AND tile_column BETWEEN 0 AND (1 << zoom_level) - 1 AND tile_row BETWEEN 0 AND (1 << zoom_level) - 1 "
                  "GROUP BY zoom_level ORDER BY n DESC, zoom_level DESC LIMIT 1",
};

static const char g_schema_mbtiles[] =
    "CREATE TABLE IF NOT EXISTS metadata (name TEXT, value TEXT);"
    "CREATE UNIQUE INDEX IF NOT EXISTS metadata_name ON metadata(name);"
    "CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,"
    " tile_data BLOB);"
    "CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles(zoom_level, tile_column, tile_row);";

static const char g_schema_info[] =
    "CREATE TABLE IF NOT EXISTS mer_tile_info (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,"
    " tile_row INTEGER NOT NULL, etag TEXT, last_modified TEXT, expires INTEGER, fetched INTEGER,"
    " last_used INTEGER, size INTEGER, empty INTEGER,"
    " PRIMARY KEY(zoom_level, tile_column, tile_row)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS mer_tile_info_lru ON mer_tile_info(last_used);";

int64_t mer_cache_now(void)
{
    return (int64_t)time(NULL);
}

/* ---- errors ---------------------------------------------------------------- */

static bool is_io_failure(int rc)
{
    int p = rc & 0xff;
    return p == SQLITE_FULL || p == SQLITE_READONLY || p == SQLITE_CANTOPEN || p == SQLITE_IOERR ||
           p == SQLITE_PERM || p == SQLITE_NOTADB || p == SQLITE_CORRUPT;
}

/* Turns writing off after a failure of the disk (or of the file). One warning. */
static void disable(mer_cache *c, int rc, const char *what)
{
    if (c->in_tx) {
        sqlite3_stmt *st = mer_cache_stmt(c, ST_ROLLBACK);
        if (st) {
            mer_cache_step(c, st);
            sqlite3_reset(st);
        }
        c->in_tx = false;
    }
    if (c->usable)
        MER_LOGW(TAG, "%s failed on %s: %s; disk caching is off for this run "
                      "(tiles already stored are kept)", what, c->path, sqlite3_errstr(rc));
    c->usable = false;
    c->n_touch = 0;
}

/* Handles a failed statement: an I/O failure turns caching off, anything else
 * (e.g. busy after the timeout) only fails this call. */
bool mer_cache_check(mer_cache *c, int rc, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
        return true;
    if (is_io_failure(rc))
        disable(c, rc, what);
    else
        MER_LOGD(TAG, "%s on %s: %s", what, c->path, sqlite3_errstr(rc));
    return false;
}

sqlite3_stmt *mer_cache_stmt(mer_cache *c, mer_cache_stmt_id id)
{
    if (c->st[id])
        return c->st[id];
    int rc = sqlite3_prepare_v3(c->db, g_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL);
    if (rc != SQLITE_OK) {
        MER_LOGD(TAG, "prepare failed on %s: %s", c->path, sqlite3_errmsg(c->db));
        c->st[id] = NULL;
        return NULL;
    }
    return c->st[id];
}

void mer_cache_bind_tile(sqlite3_stmt *st, mer_tile_id t)
{
    sqlite3_bind_int(st, 1, t.z);
    sqlite3_bind_int(st, 2, t.x);
    sqlite3_bind_int(st, 3, mer_tms_y(t.y, t.z));
}

/* SQLite calls this every PROGRESS_OPS virtual-machine instructions of a
 * step; non-zero interrupts it. */
#define PROGRESS_OPS 10000
static int on_progress(void *ud)
{
    const mer_cache *c = ud;
    return mer_clock_ms() > c->step_deadline_ms;
}

int mer_cache_step_for(mer_cache *c, sqlite3_stmt *st, double budget_ms)
{
    /* Installed for this step only, so no later sqlite3_exec meets a stale deadline. */
    c->step_deadline_ms = mer_clock_ms() + budget_ms;
    sqlite3_progress_handler(c->db, PROGRESS_OPS, on_progress, c);
    int rc = sqlite3_step(st);
    sqlite3_progress_handler(c->db, 0, NULL, NULL);
    if (rc == SQLITE_INTERRUPT && !c->warned_slow) {
        c->warned_slow = true; /* once per file: every lookup of a hostile view would say it */
        MER_LOGW(TAG, "%s: a query ran longer than %.0f s and was stopped (a costly view in the file?)",
                 c->path, budget_ms / 1000.0);
    }
    return rc;
}

int mer_cache_step(mer_cache *c, sqlite3_stmt *st)
{
    return mer_cache_step_for(c, st, MER_CACHE_STEP_MS);
}

int mer_cache_run(mer_cache *c, sqlite3_stmt *st)
{
    int rc = mer_cache_step(c, st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

/* ---- opening ----------------------------------------------------------------- */

static void set_errf(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a, b);
}

static bool has_table(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name=?1 AND type IN ('table','view')",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return found;
}

/* SQLite's URI for a file path: "file:" with every byte that is not
 * unreserved (RFC 3986) or '/' percent-encoded, so that '#', '?' and '%' in a
 * directory name stay part of the name (opened as a plain name they would end
 * the path, start parameters such as mode=memory, or decode %2F into a
 * directory change). An absolute path gets an empty authority ("file:///..."),
 * so "//x" cannot be read as a host. query: "mode=ro" etc. or NULL. */
static bool make_uri(const char *path, const char *query, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    int w = snprintf(buf, len, "file:%s", path[0] == '/' ? "//" : "");
    if (w < 0 || (size_t)w >= len)
        return false;
    n = (size_t)w;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                     *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/';
        if (n + 4 >= len)
            return false;
        if (plain) {
            buf[n++] = (char)*p;
        } else {
            buf[n++] = '%';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 15];
        }
    }
    w = snprintf(buf + n, len - n, "%s%s", query ? "?" : "", query ? query : "");
    return w >= 0 && (size_t)w < len - n;
}

/* Opens the file and prepares it. Returns an SQLite code; *out is set on OK. */
static int open_db(const char *uri, int flags, bool writable, bool wal, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(uri, &db, flags | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_extended_result_codes(db, 1);
    /* Another Meridian process may hold the write lock for a batch (<= ~250 ms);
     * wait for it rather than fail. */
    sqlite3_busy_timeout(db, 5000);
    /* The file may come from anyone (an .mbtiles someone sent): SQLite's
     * advice for untrusted databases. No value bigger than a tile may be
     * (a 1 GB blob would be read into memory whole), views and triggers in
     * the file may not call functions with side effects, corrupt cells are
     * caught early, and the schema cannot be altered through writes. */
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, (int)MER_CACHE_MAX_TILE_BYTES + 4096);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_exec(db, "PRAGMA cell_size_check=ON", NULL, NULL, NULL);
    /* Touch the header now so a file that is not a database shows up here. */
    rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    if (writable && wal) {
        rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            goto fail;
    }
    if (writable) {
        rc = sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            goto fail;
    }
    *out = db;
    return SQLITE_OK;
fail:
    if (db)
        rc = sqlite3_errcode(db) ? sqlite3_extended_errcode(db) : rc;
    sqlite3_close_v2(db);
    *out = NULL;
    return rc;
}

static bool is_corrupt(int rc)
{
    return (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT;
}

/* Moves a broken file (and its WAL files, which belong to it) aside. */
static bool move_aside(const char *path, char *moved, size_t len)
{
    long long now = (long long)mer_cache_now();
    bool done = false;
    for (int i = 0; i < 100 && !done; i++) {
        if (i == 0)
            snprintf(moved, len, "%s.corrupt-%lld", path, now);
        else
            snprintf(moved, len, "%s.corrupt-%lld-%d", path, now, i);
        /* rename() would silently replace an earlier corrupt file moved aside
         * in the same second; link() refuses an existing name. */
        if (link(path, moved) == 0) {
            unlink(path);
            done = true;
        } else if (errno == EEXIST) {
            continue;
        } else if (access(moved, F_OK) != 0 && errno == ENOENT) {
            /* A file system without hard links: check, then rename. */
            if (rename(path, moved) != 0)
                return false;
            done = true;
        }
    }
    if (!done)
        return false;
    static const char *const sfx[] = {"-wal", "-shm"};
    for (size_t i = 0; i < 2; i++) {
        char from[MER_CACHE_PATH_MAX + 8], to[MER_CACHE_PATH_MAX + 48];
        snprintf(from, sizeof from, "%s%s", path, sfx[i]);
        snprintf(to, sizeof to, "%s%s", moved, sfx[i]);
        if (rename(from, to) != 0 && errno != ENOENT)
            unlink(from);
    }
    return true;
}

static bool create_schema(mer_cache *c, bool side_table)
{
    int rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, g_schema_mbtiles, NULL, NULL, NULL);
    if (rc == SQLITE_OK && side_table)
        rc = sqlite3_exec(c->db, g_schema_info, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = sqlite3_extended_errcode(c->db);
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return mer_cache_check(c, rc, "creating tables");
    }
    return true;
}

static mer_cache *cache_new(const char *path)
{
    mer_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->path, sizeof c->path, "%s", path);
    c->usable = true;
    return c;
}

static void cache_free(mer_cache *c)
{
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close_v2(c->db);
    free(c->touch);
    free(c);
}

/* Opens a cache file read-only (a read-only directory). The connection must
 * not try to create -shm: mode=ro first, then immutable as a last resort. */
static int open_readonly_fallback(const char *path, sqlite3 **db)
{
    char uri[MER_CACHE_URI_MAX];
    if (!make_uri(path, "mode=ro", uri, sizeof uri))
        return SQLITE_CANTOPEN;
    int rc = open_db(uri, SQLITE_OPEN_READONLY, false, false, db);
    if (rc == SQLITE_OK && has_table(*db, "tiles"))
        return SQLITE_OK;
    sqlite3_close_v2(*db);
    if (!make_uri(path, "immutable=1", uri, sizeof uri))
        return SQLITE_CANTOPEN;
    rc = open_db(uri, SQLITE_OPEN_READONLY, false, false, db);
    if (rc == SQLITE_OK && !has_table(*db, "tiles")) {
        sqlite3_close_v2(*db);
        *db = NULL;
        rc = SQLITE_CANTOPEN;
    }
    return rc;
}

/* The writable open of a cache file, moving a corrupt file aside once. */
static int open_cache_file(const char *path, sqlite3 **db)
{
    char uri[MER_CACHE_URI_MAX];
    if (!make_uri(path, NULL, uri, sizeof uri))
        return SQLITE_CANTOPEN;
    int rc = open_db(uri, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, true, true, db);
    if (rc == SQLITE_OK || !is_corrupt(rc))
        return rc;
    char moved[MER_CACHE_PATH_MAX + 48];
    if (!move_aside(path, moved, sizeof moved)) {
        MER_LOGW(TAG, "cache file %s is not a valid database and cannot be moved aside: %s", path,
                 strerror(errno));
        return rc;
    }
    MER_LOGW(TAG, "cache file %s was not a valid database (%s); moved it to %s and started a new one",
             path, sqlite3_errstr(rc), moved);
    return open_db(uri, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, true, true, db);
}

static bool mkdir_p(const char *dir)
{
    char buf[MER_CACHE_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

static const char *format_from_url(const char *url)
{
    const char *q = strchr(url, '?');
    size_t n = q ? (size_t)(q - url) : strlen(url);
    if (n >= 5 && strncmp(url + n - 5, ".webp", 5) == 0)
        return "webp";
    if (n >= 4 && (strncmp(url + n - 4, ".jpg", 4) == 0 || strncmp(url + n - 4, ".jpeg", 4) == 0))
        return "jpg";
    return "png";
}

/* Writes the MBTiles metadata rows of a new cache file. */
static void write_source_metadata(mer_cache *c, const mer_source *src)
{
    char buf[64];
    if (mer_cache_get_metadata(c, "name", buf, sizeof buf))
        return;
    char minz[16], maxz[16];
    snprintf(minz, sizeof minz, "%d", src->min_zoom);
    snprintf(maxz, sizeof maxz, "%d", src->max_zoom);
    const char *rows[][2] = {
        {"name", src->id}, {"format", format_from_url(src->url)},
        {"minzoom", minz}, {"maxzoom", maxz},
        {"bounds", "-180.0,-85.0511,180.0,85.0511"},
        {"attribution", src->attribution}, {"type", "baselayer"},
        {"version", "1"}, {"description", "Meridian tile cache"},
        {"meridian_url", src->url},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        mer_cache_set_metadata(c, rows[i][0], rows[i][1]);
    mer_cache_flush(c);
}

/* Before presets were named by id, their file was <id>-<hash of url>.mbtiles
 * (as other sources' still are): a preset with no file of its own takes that
 * one over, with its WAL, so an upgrade keeps the user's cache. */
static void adopt_legacy_file(const char *dir, const mer_source *src, const char *path)
{
    struct stat sb;
    if (!src->preset || stat(path, &sb) == 0 || errno != ENOENT)
        return;
    mer_source old = *src;
    old.preset = false;
    char from[MER_CACHE_PATH_MAX], a[MER_CACHE_PATH_MAX + 8], b[MER_CACHE_PATH_MAX + 8];
    if (!mer_cache_file_path(dir, &old, from, sizeof from) || stat(from, &sb) != 0 || !S_ISREG(sb.st_mode))
        return;
    if (rename(from, path) != 0) {
        MER_LOGW(TAG, "cannot rename %s to %s: %s", from, path, strerror(errno));
        return;
    }
    static const char *const side[] = {"-wal", "-shm"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s%s", from, side[i]);
        snprintf(b, sizeof b, "%s%s", path, side[i]);
        if (rename(a, b) != 0 && errno != ENOENT)
            MER_LOGW(TAG, "cannot rename %s: %s", a, strerror(errno));
    }
    MER_LOGI(TAG, "cache file %s is now %s", from, path);
}

mer_cache *mer_cache_open(const char *dir, const mer_source *src, size_t max_bytes, char *err,
                          size_t errlen)
{
    char path[MER_CACHE_PATH_MAX];
    if (!dir || !*dir || !src || !mer_cache_file_path(dir, src, path, sizeof path)) {
        set_errf(err, errlen, "cache directory name is empty or too long%s%s", "", "");
        return NULL;
    }
    if (!mkdir_p(dir)) {
        set_errf(err, errlen, "cannot create cache directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    adopt_legacy_file(dir, src, path);
    mer_cache *c = cache_new(path);
    if (!c) {
        set_errf(err, errlen, "out of memory%s%s", "", "");
        return NULL;
    }
    c->max_bytes = max_bytes;
    c->side_table = true;
    int rc = open_cache_file(path, &c->db);
    if (rc == SQLITE_OK && create_schema(c, true)) {
        write_source_metadata(c, src);
        c->total_bytes = mer_cache_total_bytes(c);
        return c;
    }
    /* Read-only directory or file, or a full disk: serve what is there, if anything. */
    if (c->db) {
        sqlite3_close_v2(c->db);
        c->db = NULL;
    }
    int rc2 = open_readonly_fallback(path, &c->db);
    if (rc2 != SQLITE_OK) {
        set_errf(err, errlen, "cannot use cache file %s: %s", path, sqlite3_errstr(rc ? rc : rc2));
        cache_free(c);
        return NULL;
    }
    c->readonly = true;
    c->usable = false;
    c->side_table = has_table(c->db, "mer_tile_info");
    MER_LOGW(TAG, "cache file %s cannot be written (%s); using it read-only, disk caching is off",
             path, sqlite3_errstr(rc));
    return c;
}

mer_cache *mer_cache_open_mbtiles(const char *path, bool readonly, char *err, size_t errlen)
{
    if (!path || !*path || strlen(path) >= MER_CACHE_PATH_MAX - 64) {
        set_errf(err, errlen, "MBTiles path is empty or too long%s%s", "", "");
        return NULL;
    }
    mer_cache *c = cache_new(path);
    if (!c) {
        set_errf(err, errlen, "out of memory%s%s", "", "");
        return NULL;
    }
    char uri[MER_CACHE_URI_MAX];
    if (!make_uri(path, readonly ? "mode=ro" : NULL, uri, sizeof uri)) {
        set_errf(err, errlen, "MBTiles path %s is too long%s", path, "");
        cache_free(c);
        return NULL;
    }
    /* A standalone file keeps the rollback journal, so it is one self-contained
     * file that read-only media and other tools can open. */
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = open_db(uri, flags, !readonly, false, &c->db);
    if (rc != SQLITE_OK) {
        set_errf(err, errlen, "cannot open MBTiles file %s: %s", path, sqlite3_errstr(rc));
        cache_free(c);
        return NULL;
    }
    c->readonly = readonly;
    c->usable = !readonly;
    if (!readonly && !create_schema(c, false)) {
        set_errf(err, errlen, "cannot write MBTiles file %s%s", path, "");
        cache_free(c);
        return NULL;
    }
    if (!has_table(c->db, "tiles")) {
        set_errf(err, errlen, "%s is not an MBTiles file (it has no tiles table)%s", path, "");
        cache_free(c);
        return NULL;
    }
    c->side_table = has_table(c->db, "mer_tile_info");
    return c;
}

void mer_cache_close(mer_cache *c)
{
    if (!c)
        return;
    mer_cache_flush(c);
    cache_free(c);
}

bool mer_cache_usable(const mer_cache *c)
{
    return c && c->usable;
}

/* ---- metadata ------------------------------------------------------------------ */

bool mer_cache_get_metadata(mer_cache *c, const char *name, char *buf, size_t len)
{
    sqlite3_stmt *st = c && name ? mer_cache_stmt(c, ST_META_GET) : NULL;
    if (!st || !len)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool found = false;
    if (mer_cache_step(c, st) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(buf, len, "%s", v ? (const char *)v : "");
        found = true;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return found;
}

bool mer_cache_set_metadata(mer_cache *c, const char *name, const char *value)
{
    if (!c || !c->usable || !name || !value || !mer_cache_begin(c))
        return false;
    sqlite3_stmt *st = mer_cache_stmt(c, ST_META_SET);
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return mer_cache_check(c, mer_cache_run(c, st), "writing metadata");
}

/* ---- file names -------------------------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

bool mer_cache_file_path(const char *dir, const mer_source *src, char *buf, size_t len)
{
    char id[64];
    size_t n = 0;
    for (const char *p = src->id; *p && n < sizeof id - 1; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-' || ch == '_';
        id[n++] = ok ? ch : '_';
    }
    id[n] = '\0';
    if (!n)
        snprintf(id, sizeof id, "source");
    /* A preset is what its name says, wherever it is served from (demo's
     * port changes every run). Other sources add the URL's hash, which keeps
     * two sources with one name (e.g. "custom") apart. */
    /* @2x tiles are other images (512 px) of the same places: another file. */
    const char *x2 = src->retina ? "@2x" : "";
    int w;
    if (src->preset) {
        w = snprintf(buf, len, "%s/%s%s.mbtiles", dir, id, x2);
    } else {
        uint32_t h = (uint32_t)(fnv1a(src->url) >> 32);
        w = snprintf(buf, len, "%s/%s%s-%08x.mbtiles", dir, id, x2, h);
    }
    return w > 0 && (size_t)w < len && (size_t)w < MER_CACHE_PATH_MAX - 64;
}

bool mer_cache_default_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    int w;
    if (xdg && *xdg == '/') {
        w = snprintf(buf, len, "%s/meridian", xdg);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return false;
        w = snprintf(buf, len, "%s/.cache/meridian", home);
    }
    return w > 0 && (size_t)w < len;
}
