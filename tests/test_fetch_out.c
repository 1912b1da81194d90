/* `meridian fetch` output, end to end against meridian-tilesim: the streamed
 * PNG (decoded by libpng) equals the tiles the server sends, pixel for pixel,
 * each at its place; `--out -` streams a valid PNG into a pipe with the
 * summary on stderr; the world file and the --stats bounds place the image in
 * EPSG:3857 and degrees; a file appears only complete (no temporary left). */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <png.h>

#include "support/run.h"
#include "support/test_server.h"
#include "support/tile_code.h"

static char g_dir[64], g_err[128];

/* Runs build/meridian args...; stdout to out_fd (or g_err when -1), stderr to
 * g_err. Returns the pid; wait with finish(). */
static pid_t spawn_meridian(const char *const *args, int out_fd)
{
    pid_t pid = out_fd >= 0 ? mer_test_spawn_meridian(args, NULL, out_fd, g_err)
                            : mer_test_spawn_meridian(args, g_err, -1, NULL);
    assert_true(pid > 0);
    return pid;
}

static int finish(pid_t pid)
{
    return mer_test_wait(pid, MER_TEST_RUN_TIMEOUT_S, NULL);
}

static int run_meridian(const char *const *args)
{
    return finish(spawn_meridian(args, -1));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Decodes PNG bytes to RGBA with libpng; *w, *h set. */
static uint8_t *decode_png(const void *bytes, size_t len, int *w, int *h)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&pi, bytes, len))
        fail_msg("libpng: %s", pi.message);
    pi.format = PNG_FORMAT_RGBA;
    uint8_t *out = malloc(PNG_IMAGE_SIZE(pi));
    assert_non_null(out);
    if (!png_image_finish_read(&pi, NULL, out, 0, NULL))
        fail_msg("libpng: %s", pi.message);
    *w = (int)pi.width;
    *h = (int)pi.height;
    return out;
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/mer_fetchout_XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    snprintf(g_err, sizeof g_err, "%s/err.txt", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(g_dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(g_dir);
    return 0;
}

/* Every cell holds its tile's code (z/x/y drawn by tilesim). */
static void check_codes(const uint8_t *rgba, int w, int h, int z, int x0, int y0, int cols, int rows)
{
    assert_int_equal(w, cols * 256);
    assert_int_equal(h, rows * 256);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            mer_tile_id id;
            assert_true(mer_test_decode_tile_id(rgba, w, h, w, c * 256, r * 256, 1.0, &id));
            mer_tile_id want = {z, x0 + c, y0 + r};
            if (!mer_tile_equal(id, want))
                fail_msg("cell %d,%d holds %d/%d/%d", c, r, id.z, id.x, id.y);
        }
}

static void test_pixels_equal_tiles(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    char url[128], out[128], stats[128];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.png", s.base_url);
    snprintf(out, sizeof out, "%s/m.png", g_dir);
    snprintf(stats, sizeof stats, "%s/m.json", g_dir);
    const int z = 6, x0 = 10, y0 = 20, cols = 5, rows = 3;
    const char *args[] = {"fetch", "--source", url, "--zoom", "6", "--x", "10:14", "--y", "20:22", "--out", out,
                          "--max-concurrent", "4", "--rate", "0", "--stats", stats, NULL};
    assert_int_equal(run_meridian(args), 0);
    size_t len;
    char *png = slurp(out, &len);
    assert_non_null(png);
    int w, h;
    uint8_t *m = decode_png(png, len, &w, &h);
    check_codes(m, w, h, z, x0, y0, cols, rows);
    /* Each cell is byte for byte the tile the server sends for it. */
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            char tu[160];
            snprintf(tu, sizeof tu, "%s/%d/%d/%d.png", s.base_url, z, x0 + c, y0 + r);
            mer_test_response resp;
            assert_true(mer_test_fetch(tu, NULL, 10000, &resp));
            assert_int_equal(resp.status, 200);
            int tw, th;
            uint8_t *t = decode_png(resp.body, resp.len, &tw, &th);
            assert_int_equal(tw, 256);
            assert_int_equal(th, 256);
            for (int y = 0; y < 256; y++) {
                const uint8_t *a = m + (((size_t)(r * 256 + y)) * (size_t)w + (size_t)c * 256) * 4;
                if (memcmp(a, t + (size_t)y * 256 * 4, 256 * 4) != 0)
                    fail_msg("tile %d/%d/%d row %d differs in the mosaic", z, x0 + c, y0 + r, y);
            }
            free(t);
            mer_test_response_free(&resp);
        }
    free(m);
    free(png);
    /* Only the PNG, its world file and the stats are left: no temporary file. */
    DIR *d = opendir(g_dir);
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            files++;
            assert_null(strstr(e->d_name, ".part"));
        }
    closedir(d);
    assert_int_equal(files, 4); /* m.png, m.pgw, m.json, err.txt */
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_stdout_pipe(void **state)
{
    (void)state;
    mer_test_server s;
    const char *sargs[] = {"--latency", "5", NULL};
    assert_true(mer_test_server_start(&s, sargs));
    char url[128];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.png", s.base_url);
    const char *args[] = {"fetch", "--source", url, "--zoom", "5", "--x", "3:6", "--y", "7:10", "--out", "-",
                          "--max-concurrent", "6", "--rate", "0", NULL};
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = spawn_meridian(args, p[1]);
    close(p[1]);
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    ssize_t k;
    while ((k = read(p[0], buf + n, cap - n)) > 0) { /* a pipe: the writer cannot seek */
        n += (size_t)k;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    close(p[0]);
    assert_int_equal(finish(pid), 0);
    int w, h;
    uint8_t *m = decode_png(buf, n, &w, &h);
    check_codes(m, w, h, 5, 3, 7, 4, 4);
    free(m);
    free(buf);
    char *err = slurp(g_err, NULL);
    assert_non_null(strstr(err, "16 ok, 0 empty, 0 failed"));
    assert_non_null(strstr(err, "-> -"));
    free(err);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* The n numbers of a JSON array that follows "key": in json. */
static void json_array(const char *json, const char *key, double *v, int n)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\": [", key);
    const char *p = strstr(json, k);
    assert_non_null(p);
    p += strlen(k);
    for (int i = 0; i < n; i++) {
        char *end;
        v[i] = strtod(p, &end);
        assert_true(end != p);
        p = end + strspn(end, ", ");
    }
}

static void test_world_file_and_bounds(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    char url[128], out[128], stats[128], pgw[128];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.png", s.base_url);
    snprintf(out, sizeof out, "%s/world.PNG", g_dir);
    snprintf(pgw, sizeof pgw, "%s/world.pgw", g_dir);
    snprintf(stats, sizeof stats, "%s/w.json", g_dir);
    /* Tiles 3..4 x 3..4 at zoom 3: the quarter of the world around (0, 0). */
    const char *args[] = {"fetch", "--source", url, "--zoom", "3", "--x", "3:4", "--y", "3:4", "--out", out,
                          "--stats", stats, NULL};
    assert_int_equal(run_meridian(args), 0);
    const double half = 20037508.342789244, q = half / 4, res = 2 * half / (8 * 256);
    char *txt = slurp(pgw, NULL);
    assert_non_null(txt);
    double v[6];
    char *p = txt;
    for (int i = 0; i < 6; i++) {
        char *end;
        v[i] = strtod(p, &end);
        assert_true(end != p && *end == '\n'); /* one number a line */
        p = end + 1;
    }
    assert_int_equal(*p, '\0');
    const double want[6] = {res, 0, 0, -res, -q + res / 2, q - res / 2};
    for (int i = 0; i < 6; i++)
        if (fabs(v[i] - want[i]) > 1e-6)
            fail_msg("world file line %d: %.10f, expected %.10f", i + 1, v[i], want[i]);
    free(txt);
    char *json = slurp(stats, NULL);
    assert_non_null(json);
    double b[4];
    json_array(json, "epsg3857", b, 4);
    const double wb[4] = {-q, -q, q, q};
    for (int i = 0; i < 4; i++)
        assert_true(fabs(b[i] - wb[i]) < 1e-3);
    json_array(json, "lonlat", b, 4);
    double lat = atan(sinh(M_PI / 4)) * 180 / M_PI; /* 40.98 degrees */
    const double wl[4] = {-45, -lat, 45, lat};
    for (int i = 0; i < 4; i++)
        if (fabs(b[i] - wl[i]) > 1e-7)
            fail_msg("lonlat[%d] = %.9f, expected %.9f", i, b[i], wl[i]);
    json_array(json, "size_px", b, 2);
    assert_true(b[0] == 512 && b[1] == 512);
    free(json);

    /* Another name: NAME.wld beside it. */
    snprintf(out, sizeof out, "%s/mosaic", g_dir);
    snprintf(pgw, sizeof pgw, "%s/mosaic.wld", g_dir);
    const char *args2[] = {"fetch", "--source", url, "--zoom", "3", "--x", "3:4", "--y", "3:4", "--out", out, NULL};
    assert_int_equal(run_meridian(args2), 0);
    assert_int_equal(access(pgw, R_OK), 0);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_unwritable_output_fails_first(void **state)
{
    (void)state;
    mer_test_server s;
    assert_true(mer_test_server_start(&s, NULL));
    char url[128], out[160];
    snprintf(url, sizeof url, "%s/{z}/{x}/{y}.png", s.base_url);
    snprintf(out, sizeof out, "%s/no/such/dir/m.png", g_dir);
    const char *args[] = {"fetch", "--source", url, "--zoom", "3", "--x", "0:1", "--y", "0:1", "--out", out, NULL};
    assert_int_equal(run_meridian(args), 1);
    char *err = slurp(g_err, NULL);
    assert_non_null(strstr(err, "cannot create"));
    free(err);
    /* It said so before asking the server for anything. */
    char json[1024];
    assert_true(mer_test_server_get_stats(&s, json, sizeof json));
    assert_int_equal(mer_test_json_int(json, "requests"), 0);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pixels_equal_tiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_world_file_and_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_output_fails_first, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
