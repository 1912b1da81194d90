/* Finding Meridian's data files (shaders, fonts) at run time.
 *
 * Order: $MERIDIAN_DATADIR if set; the source tree when the binary runs from
 * its build tree (a CMakeCache.txt beside it); DIR/../share/meridian relative
 * to the binary (a relocated install); the configured install prefix. An
 * installed binary never looks into the source tree. */
#ifndef MER_DATADIR_H
#define MER_DATADIR_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the path of an existing file rel (e.g. "shaders/tile.frag") into out. */
bool mer_data_find(const char *rel, char *out, size_t len);

/* Reads a whole text file (at most max bytes) into a malloc'ed NUL-terminated
 * buffer; NULL on error with errno set. */
char *mer_read_text_file(const char *path, size_t max);

#endif
