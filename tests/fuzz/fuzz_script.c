/* libFuzzer: the viewer's --script files, through the parser and checker
 * that run before the window opens. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ui/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256];
    mer_script *s = mer_script_parse("fuzz.txt", text, err, sizeof err);
    if (s) {
        for (size_t i = 0; i < mer_script_count(s); i++)
            (void)mer_script_op_name(mer_script_at(s, i)->op);
        mer_script_free(s);
    }
    free(text);
    return 0;
}
