/* An MBTiles file made the way other tools lay one out: the sqlite3 command-
 * line tool, the MBTiles tables and TMS rows, no Meridian side table, holding
 * real tiles fetched from a running meridian-tilesim. For tests of MBTiles
 * sources (absent tiles are "no data"). */
#ifndef MER_TEST_MBTILES_FIXTURE_H
#define MER_TEST_MBTILES_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/tile.h"
#include "support/test_server.h"

/* Writes DIR/NAME.mbtiles with tiles have[0..n) from server s (PNG), scratch
 * files in dir; path gets the file's path. False on any failure. */
bool mer_test_make_mbtiles(const mer_test_server *s, const char *dir, const char *name, const mer_tile_id *have,
                           size_t n, char *path, size_t len);

#endif
