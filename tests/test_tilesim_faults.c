/* meridian-tilesim's faults: with a fixed --seed each kind (503, truncated,
 * corrupt, html200, trickle, reset, oversize) happens at about its
 * probability, the client sees exactly what /stats says was done, and the
 * same seed gives the same outcomes again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <SDL.h>
#include <SDL_image.h>
#include <curl/curl.h>

#include "support/test_server.h"
#include "support/tile_code.h"

typedef enum { K_OK, K_503, K_TRUNCATED, K_CORRUPT, K_HTML200, K_TRICKLE, K_RESET, K_OVERSIZE, K_OTHER, K_COUNT } kind;

static const char *const g_names[K_COUNT] = {"ok", "503", "truncated", "corrupt", "html200", "trickle",
                                             "reset", "oversize", "other"};

/* True if the body is an image carrying the id in the URL's path. */
static bool image_ok(const mer_test_response *r, mer_tile_id want)
{
    SDL_Surface *s = IMG_Load_RW(SDL_RWFromConstMem(r->body, (int)r->len), 1);
    if (!s)
        return false;
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(s);
    if (!c)
        return false;
    mer_tile_id got;
    bool ok = c->pitch % 4 == 0 &&
              mer_test_decode_tile_id(c->pixels, c->w, c->h, c->pitch / 4, 0, 0, 1, &got) &&
              mer_tile_equal(got, want);
    SDL_FreeSurface(c);
    return ok;
}

/* What the client saw, as one of the kinds. */
static kind classify(const mer_test_response *r, mer_tile_id want)
{
    switch (r->curl_code) {
    case CURLE_OK:
        break;
    case CURLE_PARTIAL_FILE:
        return K_TRUNCATED;
    case CURLE_OPERATION_TIMEDOUT:
        return r->status == 200 && r->len > 0 ? K_TRICKLE : K_OTHER;
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return r->status == 0 ? K_RESET : K_OTHER;
    case CURLE_FILESIZE_EXCEEDED:
        return K_OVERSIZE;
    default:
        return K_OTHER;
    }
    if (r->status == 503)
        return strcmp(r->retry_after, "1") == 0 ? K_503 : K_OTHER;
    if (r->status != 200)
        return K_OTHER;
    if (strncmp(r->content_type, "text/html", 9) == 0)
        return K_HTML200;
    if (strcmp(r->content_type, "image/png") != 0)
        return K_OTHER;
    return image_ok(r, want) ? K_OK : K_CORRUPT;
}

/* Fetches n tiles (cycling through 16) with `parallel` transfers; counts kinds. */
static void run(const mer_test_server *s, int n, int parallel, int counts[K_COUNT], kind *seq_out)
{
    char **urls = calloc((size_t)n, sizeof *urls);
    mer_tile_id *ids = calloc((size_t)n, sizeof *ids);
    for (int i = 0; i < n; i++) {
        ids[i] = (mer_tile_id){4, i % 16, 7};
        urls[i] = malloc(128);
        snprintf(urls[i], 128, "%s/%d/%d/%d.png", s->base_url, ids[i].z, ids[i].x, ids[i].y);
    }
    mer_test_response *r = calloc((size_t)n, sizeof *r);
    /* 3 s per transfer: a trickled tile would take 20 minutes; 10 MB cap: the
     * oversized body announces 50 MB. */
    assert_true(mer_test_fetch_many((const char *const *)urls, n, parallel, 3000, 10L << 20, true, r));
    memset(counts, 0, sizeof(int) * K_COUNT);
    for (int i = 0; i < n; i++) {
        kind k = classify(&r[i], ids[i]);
        counts[k]++;
        if (seq_out)
            seq_out[i] = k;
        mer_test_response_free(&r[i]);
        free(urls[i]);
    }
    free(r);
    free(urls);
    free(ids);
}

static long stats_wait_idle(const mer_test_server *s, char *json, size_t len)
{
    long v = -1;
    for (int i = 0; i < 800; i++) {
        if (mer_test_server_get_stats(s, json, len) && (v = mer_test_json_int(json, "in_flight")) == 0)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return v;
}

static const char *g_fault_args[] = {"--seed", "42", "--fail-rate", "0.1", "--faults",
                                     "truncated=0.1,corrupt=0.1,html200=0.1,trickle=0.05,reset=0.1,oversize=0.05",
                                     NULL};
static const double g_p[K_COUNT] = {0.4, 0.1, 0.1, 0.1, 0.1, 0.05, 0.1, 0.05, 0};

static void test_fault_frequencies(void **state)
{
    mer_test_server s;
    assert_true(mer_test_server_start(&s, g_fault_args));
    enum { N = 400 };
    int counts[K_COUNT];
    run(&s, N, 40, counts, NULL);
    for (int k = 0; k < K_COUNT; k++) {
        double want = g_p[k] * N, tol = 4 * sqrt(N * g_p[k] * (1 - g_p[k])) + 2;
        print_message("%-10s %3d (expected %.0f +- %.0f)\n", g_names[k], counts[k], want, tol);
        if (fabs(counts[k] - want) > tol)
            fail_msg("%s: %d, expected %.0f +- %.0f", g_names[k], counts[k], want, tol);
    }
    assert_int_equal(counts[K_OTHER], 0);
    /* the server did exactly what the client saw */
    char json[4096];
    assert_int_equal(stats_wait_idle(&s, json, sizeof json), 0);
    assert_int_equal(mer_test_json_int(json, "requests"), N);
    assert_int_equal(mer_test_json_int(json, "503"), counts[K_503]);
    for (int k = K_TRUNCATED; k <= K_OVERSIZE; k++)
        if (mer_test_json_int(json, g_names[k]) != counts[k])
            fail_msg("%s: server says %ld, client saw %d", g_names[k], mer_test_json_int(json, g_names[k]), counts[k]);
    /* the trickled transfers were dropped by the client, and counted so */
    assert_int_equal(mer_test_json_int(json, "aborted"), counts[K_TRICKLE] + counts[K_OVERSIZE]);
    assert_int_equal(mer_test_server_stop(&s), 0);

    /* the same seed again: the same counts (each request takes the next draw) */
    int again[K_COUNT];
    assert_true(mer_test_server_start(&s, g_fault_args));
    run(&s, N, 40, again, NULL);
    assert_memory_equal(counts, again, sizeof counts);
    assert_int_equal(mer_test_server_stop(&s), 0);
}

/* One request at a time, the outcome sequence itself repeats with the seed,
 * and another seed gives another sequence. */
static void test_seed_reproduces_sequence(void **state)
{
    enum { N = 60 };
    kind a[N], b[N], c[N];
    int counts[K_COUNT];
    const char *args7[] = {"--seed", "7", "--fail-rate", "0.2", "--faults", "html200=0.2,truncated=0.2,reset=0.1", NULL};
    const char *args8[] = {"--seed", "8", "--fail-rate", "0.2", "--faults", "html200=0.2,truncated=0.2,reset=0.1", NULL};
    mer_test_server s;
    assert_true(mer_test_server_start(&s, args7));
    run(&s, N, 1, counts, a);
    assert_int_equal(mer_test_server_stop(&s), 0);
    assert_true(counts[K_OK] > 0 && counts[K_503] > 0 && counts[K_HTML200] > 0 && counts[K_TRUNCATED] > 0);
    assert_true(mer_test_server_start(&s, args7));
    run(&s, N, 1, counts, b);
    assert_int_equal(mer_test_server_stop(&s), 0);
    assert_true(mer_test_server_start(&s, args8));
    run(&s, N, 1, counts, c);
    assert_int_equal(mer_test_server_stop(&s), 0);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_frequencies),
        cmocka_unit_test(test_seed_reproduces_sequence),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
