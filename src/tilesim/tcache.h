/* In-memory LRU cache of encoded tiles for meridian-tilesim, bounded in bytes,
 * so the server itself is never the bottleneck. Thread-safe: one mutex, held
 * only for the lookup and a copy (connection threads call it concurrently). */
#ifndef TSIM_TCACHE_H
#define TSIM_TCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tile.h"

typedef struct tsim_cache tsim_cache;

typedef struct tsim_cache_key {
    mer_tile_id tile;
    int format; /* tsim_format */
    int scale;
} tsim_cache_key;

tsim_cache *tsim_cache_new(size_t max_bytes);
void tsim_cache_free(tsim_cache *c);
/* On a hit, *out is a malloc'd copy the caller frees. */
bool tsim_cache_get(tsim_cache *c, tsim_cache_key k, uint8_t **out, size_t *len);
/* Copies data in; evicts least recently used entries beyond the budget. */
void tsim_cache_put(tsim_cache *c, tsim_cache_key k, const uint8_t *data, size_t len);

#endif
