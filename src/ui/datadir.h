/* Reading the viewer's data files (shaders, fonts); core/datadir.h finds them. */
#ifndef MER_DATADIR_H
#define MER_DATADIR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/datadir.h"


/* Reads a whole text file (at most max bytes) into a malloc'ed NUL-terminated
 * buffer; NULL on error with errno set. */
char *mer_read_text_file(const char *path, size_t max);

#endif
