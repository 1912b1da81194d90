/* libFuzzer: the INI config file, read by the product's parser (libinih
 * through Meridian's line reader) from memory, then the option checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/options.h"
#include "core/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    void *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    FILE *f = fmemopen(copy, size, "r");
    if (!f) {
        free(copy);
        return 0;
    }
    mer_options o;
    char err[512];
    mer_options_defaults(&o);
    if (mer_options_read_config(&o, f, "fuzz.conf", err, sizeof err) == MER_OPT_OK)
        (void)mer_options_finish(&o, err, sizeof err);
    fclose(f);
    free(copy);
    mer_source_clear_user();
    return 0;
}
