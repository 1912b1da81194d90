/* libFuzzer: command-line option values. Input: NUL-separated words given
 * to the real getopt_long parser as argv (after "meridian"), then the
 * checks that depend on the source (mer_options_finish); and the first word
 * as an option name with the second as its value through mer_options_set,
 * the path the config file takes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/options.h"
#include "core/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_WORDS + 2] = {"meridian"};
    int argc = 1;
    for (char *p = buf; p <= buf + size && argc <= MAX_WORDS; p += strlen(p) + 1)
        argv[argc++] = p;
    argv[argc] = NULL;
    mer_options o;
    char err[512];
    mer_options_defaults(&o);
    if (mer_options_parse(&o, argc, argv, err, sizeof err) == MER_OPT_OK)
        (void)mer_options_finish(&o, err, sizeof err);
    mer_options_defaults(&o);
    if (argc >= 3 && mer_options_set(&o, argv[1], argv[2], err, sizeof err) == MER_OPT_OK)
        (void)mer_options_finish(&o, err, sizeof err);
    mer_source_clear_user();
    free(buf);
    return 0;
}
