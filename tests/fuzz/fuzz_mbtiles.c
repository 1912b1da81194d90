/* libFuzzer: an MBTiles file someone sent: opened read-only as a source,
 * then what the viewer and export read from it (extent, coverage, totals,
 * metadata, a few tiles). The input is written to a file per process. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/mer_fuzz_mbtiles_%d.mbtiles", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    char err[256];
    mer_cache *c = mer_cache_open_mbtiles(path, true, err, sizeof err);
    if (c) {
        int z;
        double w, s, e, n;
        if (mer_cache_extent(c, &z, &w, &s, &e, &n) && !(z >= 0 && z <= MER_MAX_ZOOM && w <= e && s <= n))
            abort();
        uint8_t bits[64];
        for (int zz = 0; zz <= 4; zz++) {
            mer_tile_range r = {zz, 0, (1 << zz) - 1, 0, (1 << zz) - 1};
            int64_t k = mer_cache_coverage(c, r, bits, sizeof bits);
            if (k > (int64_t)mer_tile_range_count(r))
                abort();
        }
        mer_cache_totals t;
        (void)mer_cache_get_totals(c, &t);
        char buf[256];
        (void)mer_cache_get_metadata(c, "format", buf, sizeof buf);
        (void)mer_cache_get_metadata(c, "bounds", buf, sizeof buf);
        const mer_tile_id tiles[] = {{0, 0, 0}, {1, 1, 1}, {2, 3, 0}, {3, 7, 7}};
        for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++) {
            mer_cache_entry en;
            if (mer_cache_get(c, tiles[i], &en) == MER_CACHE_HIT)
                mer_cache_entry_free(&en);
        }
        mer_cache_close(c);
    }
    unlink(path);
    /* A file that says it is in WAL mode gets these beside it. */
    char side[80];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    return 0;
}
