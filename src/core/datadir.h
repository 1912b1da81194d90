/* Finding the running program and Meridian's data files (shaders, fonts, the
 * world map) at run time. Any thread.
 *
 * Data: $MERIDIAN_DATADIR if set; the source tree when the program runs from
 * its build tree (a CMakeCache.txt beside it, or one level up for the test
 * programs in build/tests/); the data directory relative to the program's
 * directory by the install layout (bin/../share/meridian, and from
 * libexec/meridian/ for meridian-view), so a moved install works; the
 * configured install prefix. An installed program never looks into the source
 * tree. Programs (meridian-view, meridian-tilesim): beside this one (build
 * tree, bindir), then bindir and libexecdir by the same relative layout, then
 * the configured ones. */
#ifndef MER_CORE_DATADIR_H
#define MER_CORE_DATADIR_H

#include <stdbool.h>
#include <stddef.h>

/* The directory of the running program (/proc/self/exe), no trailing slash. */
bool mer_exe_dir(char *out, size_t len);

/* Writes the path of an existing file rel (e.g. "shaders/tile.frag") into out. */
bool mer_data_find(const char *rel, char *out, size_t len);

/* Writes the path of Meridian's program `name` into out; with use_path, PATH
 * is searched last. */
bool mer_find_program(const char *name, bool use_path, char *out, size_t len);

#endif
