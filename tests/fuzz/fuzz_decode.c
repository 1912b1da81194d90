/* libFuzzer: tile bodies through the decode wrapper (PNG via libpng, JPEG
 * via libjpeg-turbo, WebP via libwebp) with its size caps. The first byte
 * picks the expected tile size (0, 256 or 512); the rest is the body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int expect[4] = {0, 256, 512, 64};
    int px = expect[data[0] & 3];
    uint8_t *rgba = NULL;
    int w = 0, h = 0;
    char why[128];
    if (mer_decode_image(data + 1, size - 1, px, &rgba, &w, &h, why, sizeof why)) {
        int max = mer_decode_max_side(px);
        if (!rgba || w <= 0 || h <= 0 || w > max || h > max || (px > 0 && (w != px || h != px)))
            abort();
        /* Every byte is written: reading them all makes MSan/valgrind-style
         * checks meaningful and catches a short buffer under ASan. */
        unsigned sum = 0;
        for (size_t i = 0; i < (size_t)w * (size_t)h * 4; i++)
            sum += rgba[i];
        (void)sum;
        free(rgba);
    } else if (rgba || !why[0]) {
        abort(); /* a failure has a reason and no pixels */
    }
    return 0;
}
