/* Hostile response headers (issue 12, items 4 and 5): validators with
 * control characters, non-ASCII bytes or a broken quote grammar are dropped
 * (never stored, never sent back); repeated Cache-Control lines are one list
 * and a no-store anywhere wins; a long directive list is never cut. Unit
 * tests on the header parser and over real HTTP from tilesim's `badetag` and
 * `dupcc` faults through the loader into the disk cache. */
#define _XOPEN_SOURCE 700 /* nftw (support/tmpdir.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cache/cache.h"
#include "net/resp_headers.h"
#include "net/xfer.h"
#include "support/tmpdir.h"
#include "test_loader_util.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    return mer_test_mkdtemp(g_dir, sizeof g_dir, "hhttp") ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mer_test_rmtree(g_dir);
    return 0;
}

static void feed(mer_resp_headers *h, const char *line)
{
    mer_resp_headers_line(h, line, strlen(line));
}

static void test_validators(void **state)
{
    (void)state;
    mer_resp_headers h;
    mer_resp_headers_reset(&h);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    assert_int_equal(h.status, 200);
    feed(&h, "ETag: \"x\rX-Injected: yes\"\r\n");
    assert_string_equal(h.etag, "");
    feed(&h, "ETag: W/\"abc-123\"\r\n");
    assert_string_equal(h.etag, "W/\"abc-123\"");
    const char *bad_etags[] = {
        "ETag: \"x\x01y\"\r\n", "ETag: \"caf\xc3\xa9\"\r\n", "ETag: abc\r\n", "ETag: \"abc\r\n",
        "ETag: \"a\"b\"\r\n",    "ETag: W/abc\r\n",           "ETag: \"a b\"\r\n", "ETag: \"\x7f\"\r\n",
        "ETag: \"x\"\nX-Injected: yes\r\n",
    };
    for (size_t i = 0; i < sizeof bad_etags / sizeof bad_etags[0]; i++) {
        feed(&h, "ETag: \"ok\"\r\n");
        assert_string_equal(h.etag, "\"ok\"");
        feed(&h, bad_etags[i]);
        if (h.etag[0])
            fail_msg("kept ETag '%s' from line %zu", h.etag, i);
    }
    /* Too long to keep: dropped, never cut (a cut tag would match nothing, or worse). */
    char line[400];
    snprintf(line, sizeof line, "ETag: \"%0300d\"\r\n", 7);
    feed(&h, line);
    assert_string_equal(h.etag, "");
    /* A folded ETag is not one we can send back. */
    feed(&h, "ETag: \"ok\"\r\n");
    feed(&h, " \"more\"\r\n");
    assert_string_equal(h.etag, "");

    feed(&h, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
    assert_string_equal(h.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
    const char *bad_dates[] = {
        "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\x1b[2J\r\n",
        "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\rX-Injected: yes\r\n",
        "Last-Modified: yesterday\r\n",
        "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\xff\r\n",
    };
    for (size_t i = 0; i < sizeof bad_dates / sizeof bad_dates[0]; i++) {
        feed(&h, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
        feed(&h, bad_dates[i]);
        if (h.last_modified[0])
            fail_msg("kept Last-Modified '%s' from line %zu", h.last_modified, i);
    }
    /* A new status line (after a redirect) forgets everything. */
    feed(&h, "ETag: \"ok\"\r\n");
    feed(&h, "HTTP/2 304\r\n");
    assert_int_equal(h.status, 304);
    assert_string_equal(h.etag, "");
}

static int64_t expiry_of(const char *const *lines)
{
    mer_resp_headers h;
    mer_resp_headers_reset(&h);
    feed(&h, "HTTP/1.1 200 OK\r\n");
    for (size_t i = 0; lines[i]; i++)
        feed(&h, lines[i]);
    return mer_http_expiry_cc(h.cc.present ? &h.cc : NULL, NULL, NULL, 1000, 50);
}

static void test_cache_control_lines(void **state)
{
    (void)state;
    const char *split[] = {"Cache-Control: no-store\r\n", "Cache-Control: max-age=3600\r\n", NULL};
    assert_int_equal(expiry_of(split), MER_CACHE_NO_STORE);
    const char *split2[] = {"Cache-Control: max-age=3600\r\n", "cache-control: no-store\r\n", NULL};
    assert_int_equal(expiry_of(split2), MER_CACHE_NO_STORE);
    const char *nocache[] = {"Cache-Control: public, max-age=3600\r\n", "Cache-Control: no-cache\r\n", NULL};
    assert_int_equal(expiry_of(nocache), 1000);
    const char *conflict[] = {"Cache-Control: max-age=3600\r\n", "Cache-Control: max-age=60\r\n", NULL};
    assert_int_equal(expiry_of(conflict), 1000);
    const char *same[] = {"Cache-Control: max-age=60\r\n", "Cache-Control: max-age=60\r\n", NULL};
    assert_int_equal(expiry_of(same), 1060);
    const char *folded[] = {"Cache-Control: max-age=3600,\r\n", "\tno-store\r\n", NULL};
    assert_int_equal(expiry_of(folded), MER_CACHE_NO_STORE);
    /* A 300-byte (and a 5000-byte) list ending in no-store. */
    for (int len = 300; len <= 5000; len += 4700) {
        char *line = malloc((size_t)len + 64);
        int n = snprintf(line, 64, "Cache-Control: max-age=604800");
        while (n < len)
            n += snprintf(line + n, 64, ", x-pad-%d=\"a,b\"", n);
        snprintf(line + n, 64, ", no-store\r\n");
        const char *one[] = {line, NULL};
        assert_int_equal(expiry_of(one), MER_CACHE_NO_STORE);
        free(line);
    }
    const char *plain[] = {"Cache-Control: public, max-age=120\r\n", NULL};
    assert_int_equal(expiry_of(plain), 1120);
    const char *none[] = {"Content-Type: image/png\r\n", NULL};
    assert_int_equal(expiry_of(none), 1050);
}

/* A validator read from an old cache file is checked again before it goes
 * into a request. */
static void test_bad_stored_validator_not_sent(void **state)
{
    (void)state;
    mer_xfer_limits lim = {1000, 1000, 1 << 20, "test", NULL, NULL};
    mer_xfer *x = mer_xfer_create("http://127.0.0.1:9/1/0/0.png", &lim, "\"x\rX-Injected: yes\"",
                                  "Sun, 06 Nov 1994 08:49:37 GMT\x1b", NULL);
    assert_non_null(x);
    assert_null(x->req_headers);
    mer_xfer_destroy(x);
    x = mer_xfer_create("http://127.0.0.1:9/1/0/0.png", &lim, "\"good\"", "Sun, 06 Nov 1994 08:49:37 GMT", NULL);
    assert_non_null(x);
    assert_non_null(x->req_headers);
    assert_string_equal(x->req_headers->data, "If-None-Match: \"good\"");
    assert_non_null(x->req_headers->next);
    assert_string_equal(x->req_headers->next->data, "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT");
    mer_xfer_destroy(x);
}

/* ---- over real HTTP: tilesim's hostile header faults -> loader -> disk cache ---- */

static mer_loader *loader_on(const mer_test_server *s)
{
    mer_loader_config c;
    tl_config(&c, s, 4);
    c.max_tries = 1;
    snprintf(c.cache_dir, sizeof c.cache_dir, "%s", g_dir);
    char err[256];
    mer_loader *l = mer_loader_create(&c, err, sizeof err);
    if (!l)
        fail_msg("%s", err);
    return l;
}

static mer_cache *open_cache_of(const mer_test_server *s)
{
    mer_loader_config c;
    tl_config(&c, s, 4);
    char err[256];
    mer_cache *cache = mer_cache_open(g_dir, &c.source, 0, err, sizeof err);
    assert_non_null(cache);
    return cache;
}

static void fetch_tiles(const mer_test_server *s, collector *col)
{
    mer_loader *l = loader_on(s);
    mer_want_tile w[4];
    size_t n = tl_grid(w, 3, 2, 2, 2, 2);
    mer_loader_want(l, 1, w, n);
    assert_true(tl_wait_idle(l, col, 60));
    mer_loader_destroy(l);
    assert_int_equal(tl_count(col, MER_TILE_OK), 4);
}

static void test_badetag_over_http(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--faults", "badetag=1", NULL};
    assert_true(mer_test_server_start(&s, args));
    collector *col = calloc(1, sizeof *col);
    fetch_tiles(&s, col);
    mer_cache *cache = open_cache_of(&s);
    for (int i = 0; i < 4; i++) {
        mer_cache_meta m;
        mer_tile_id t = {3, 2 + i % 2, 2 + i / 2};
        assert_int_equal(mer_cache_get_meta(cache, t, &m), MER_CACHE_HIT);
        if (m.etag[0] || m.last_modified[0])
            fail_msg("stored validators '%s' / '%s' for %d/%d/%d", m.etag, m.last_modified, t.z, t.x, t.y);
    }
    mer_cache_close(cache);
    free(col);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

static void test_dupcc_over_http(void **state)
{
    (void)state;
    mer_test_server s;
    const char *args[] = {"--faults", "dupcc=1", NULL};
    assert_true(mer_test_server_start(&s, args));
    collector *col = calloc(1, sizeof *col);
    fetch_tiles(&s, col);
    mer_cache *cache = open_cache_of(&s);
    mer_cache_totals tot;
    assert_true(mer_cache_get_totals(cache, &tot));
    assert_int_equal(tot.tiles, 0); /* no-store on the first of two lines */
    mer_cache_close(cache);
    free(col);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validators),
        cmocka_unit_test(test_cache_control_lines),
        cmocka_unit_test(test_bad_stored_validator_not_sent),
        cmocka_unit_test_setup_teardown(test_badetag_over_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dupcc_over_http, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
