/* libFuzzer: a world map data file (assets/world.bin's format) that is not
 * ours: mer_world_load_mem must refuse it or load it so that rendering a few
 * tiles (any zoom, both tile sizes) stays inside the data. Seeds: a tiny
 * valid file (tests/fuzz/corpus/world/mini.bin, every section kind) and a
 * truncated copy. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "decode/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    mer_world *w = mer_world_load_mem(data, size, err, sizeof err);
    if (!w)
        return 0;
    static uint8_t px[128 * 128 * 4];
    const mer_tile_id tiles[] = {{0, 0, 0}, {1, 1, 0}, {3, 2, 3}, {7, 40, 70}, {18, 131072, 131072}};
    for (size_t i = 0; i < sizeof tiles / sizeof tiles[0]; i++) {
        int side = i % 2 ? 128 : 64;
        if (!mer_world_render(w, tiles[i], side, px))
            abort(); /* a loaded map always renders a valid tile */
        (void)mer_world_land_fraction(w, tiles[i]);
    }
    mer_world_free(w);
    return 0;
}
