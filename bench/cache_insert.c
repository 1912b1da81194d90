/* bench/cache_insert: the disk cache's own insert throughput, without any
 * network: N tiles of S bytes through mer_cache_put, committed by
 * mer_cache_flush every 250 ms (as the loader does), then a read-back pass.
 * Built and run by bench/cache; prints one line per phase.
 *
 *   cache_insert DIR [N [S]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "core/source.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cache_insert DIR [N [SIZE]]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 20000;
    size_t size = argc > 3 ? (size_t)atol(argv[3]) : 20000;
    if (n <= 0 || size < 16 || size > (1u << 24)) {
        fprintf(stderr, "cache_insert: bad N or SIZE\n");
        return 2;
    }
    mer_source src;
    mer_source_lookup("demo", &src);
    char err[256];
    mer_cache *c = mer_cache_open(argv[1], &src, 0, err, sizeof err);
    if (!c) {
        fprintf(stderr, "cache_insert: %s\n", err);
        return 1;
    }
    uint8_t *buf = malloc(size);
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    mer_cache_meta m = {.expires = (int64_t)time(NULL) + 3600};
    int side = 1 << 8; /* z8: 65536 tiles */
    double t0 = now_s(), last_flush = t0;
    for (int i = 0; i < n; i++) {
        memcpy(buf, &i, sizeof i); /* every tile different */
        mer_tile_id t = {8 + i / (side * side), i % side, (i / side) % side};
        if (!mer_cache_put(c, t, buf, size, &m)) {
            fprintf(stderr, "cache_insert: put failed at %d\n", i);
            return 1;
        }
        if (now_s() - last_flush >= 0.25) {
            mer_cache_flush(c);
            last_flush = now_s();
        }
    }
    mer_cache_flush(c);
    double t1 = now_s();
    printf("insert: %d tiles of %zu bytes in %.3f s = %.0f tiles/s (%.1f MB/s)\n", n, size, t1 - t0,
           n / (t1 - t0), n * (double)size / (t1 - t0) / 1e6);
    long hits = 0;
    for (int i = 0; i < n; i++) {
        mer_tile_id t = {8 + i / (side * side), i % side, (i / side) % side};
        mer_cache_entry e;
        if (mer_cache_get(c, t, &e) == MER_CACHE_HIT && e.len == size)
            hits++;
        mer_cache_entry_free(&e);
    }
    double t2 = now_s();
    printf("read:   %ld/%d tiles in %.3f s = %.0f tiles/s\n", hits, n, t2 - t1, n / (t2 - t1));
    mer_cache_close(c);
    free(buf);
    return hits == n ? 0 : 1;
}
