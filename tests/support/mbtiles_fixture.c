#include "support/mbtiles_fixture.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

/* sqlite3 FILE < sql, output to log; true if it exits 0. No shell. */
static bool run_sqlite3(const char *db, const char *sql, const char *log)
{
    const char *argv[] = {"sqlite3", db, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, sql, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, "sqlite3", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int st;
    return rc == 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

bool mer_test_make_mbtiles(const mer_test_server *s, const char *dir, const char *name, const mer_tile_id *have,
                           size_t n, char *path, size_t len)
{
    char sql[512], log[512];
    snprintf(sql, sizeof sql, "%s/%s.sql", dir, name);
    snprintf(log, sizeof log, "%s/%s.sqlite3.log", dir, name);
    if ((size_t)snprintf(path, len, "%s/%s.mbtiles", dir, name) >= len)
        return false;
    FILE *f = fopen(sql, "w");
    if (!f)
        return false;
    fprintf(f, "CREATE TABLE metadata (name text, value text);\n"
               "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);\n"
               "CREATE UNIQUE INDEX tile_index on tiles (zoom_level, tile_column, tile_row);\n"
               "INSERT INTO metadata VALUES ('name', '%s'), ('format', 'png'), ('type', 'overlay');\n",
            name);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        mer_tile_id t = have[i];
        char url[160], tile[512];
        snprintf(url, sizeof url, "%s/%d/%d/%d.png", s->base_url, t.z, t.x, t.y);
        snprintf(tile, sizeof tile, "%s/%s_%d_%d_%d.png", dir, name, t.z, t.x, t.y);
        mer_test_response r;
        memset(&r, 0, sizeof r);
        ok = mer_test_fetch(url, NULL, 10000, &r) && r.status == 200;
        FILE *tf = ok ? fopen(tile, "wb") : NULL;
        ok = tf && fwrite(r.body, 1, r.len, tf) == r.len;
        if (tf && fclose(tf) != 0)
            ok = false;
        mer_test_response_free(&r);
        /* MBTiles rows count from the south (TMS). */
        fprintf(f, "INSERT INTO tiles VALUES (%d, %d, %d, readfile('%s'));\n", t.z, t.x, mer_tms_y(t.y, t.z), tile);
    }
    if (fclose(f) != 0)
        ok = false;
    return ok && run_sqlite3(path, sql, log);
}
