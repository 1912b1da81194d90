#include "tilesim/tcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define N_BUCKETS 16384

typedef struct entry {
    tsim_cache_key key;
    uint8_t *data;
    size_t len;
    struct entry *next_in_bucket;
    struct entry *prev, *next; /* LRU list, head = most recent */
} entry;

struct tsim_cache {
    pthread_mutex_t lock;
    /* All below protected by lock. */
    entry *buckets[N_BUCKETS];
    entry *head, *tail;
    size_t bytes, max_bytes;
};

static size_t bucket_of(tsim_cache_key k)
{
    uint64_t h = (uint64_t)(uint32_t)k.tile.x * 0x9e3779b97f4a7c15ull;
    h ^= ((uint64_t)(uint32_t)k.tile.y + ((uint64_t)k.tile.z << 32)) * 0xc2b2ae3d27d4eb4full;
    h ^= (uint64_t)(k.format * 2 + k.scale) * 0x165667b19e3779f9ull;
    return (size_t)((h ^ (h >> 29)) % N_BUCKETS);
}

static bool key_eq(tsim_cache_key a, tsim_cache_key b)
{
    return mer_tile_equal(a.tile, b.tile) && a.format == b.format && a.scale == b.scale;
}

tsim_cache *tsim_cache_new(size_t max_bytes)
{
    tsim_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->max_bytes = max_bytes;
    return c;
}

void tsim_cache_free(tsim_cache *c)
{
    if (!c)
        return;
    for (entry *e = c->head, *n; e; e = n) {
        n = e->next;
        free(e->data);
        free(e);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void lru_unlink(tsim_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(tsim_cache *c, entry *e)
{
    e->next = c->head;
    e->prev = NULL;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static entry *find(tsim_cache *c, tsim_cache_key k, entry ***link_out)
{
    entry **link = &c->buckets[bucket_of(k)];
    for (; *link; link = &(*link)->next_in_bucket)
        if (key_eq((*link)->key, k))
            break;
    if (link_out)
        *link_out = link;
    return *link;
}

bool tsim_cache_get(tsim_cache *c, tsim_cache_key k, uint8_t **out, size_t *len)
{
    bool hit = false;
    pthread_mutex_lock(&c->lock);
    entry *e = find(c, k, NULL);
    if (e) {
        uint8_t *copy = malloc(e->len);
        if (copy) {
            memcpy(copy, e->data, e->len);
            *out = copy;
            *len = e->len;
            lru_unlink(c, e);
            lru_push_front(c, e);
            hit = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void evict_one(tsim_cache *c)
{
    entry *e = c->tail, **link;
    find(c, e->key, &link);
    *link = e->next_in_bucket;
    lru_unlink(c, e);
    c->bytes -= e->len;
    free(e->data);
    free(e);
}

void tsim_cache_put(tsim_cache *c, tsim_cache_key k, const uint8_t *data, size_t len)
{
    if (len > c->max_bytes)
        return;
    entry *n = calloc(1, sizeof *n);
    uint8_t *copy = malloc(len);
    if (!n || !copy) {
        free(n);
        free(copy);
        return;
    }
    memcpy(copy, data, len);
    n->key = k;
    n->data = copy;
    n->len = len;
    pthread_mutex_lock(&c->lock);
    entry **link;
    if (find(c, k, &link)) { /* another thread rendered it first */
        pthread_mutex_unlock(&c->lock);
        free(copy);
        free(n);
        return;
    }
    *link = n;
    lru_push_front(c, n);
    c->bytes += len;
    while (c->bytes > c->max_bytes && c->tail)
        evict_one(c);
    pthread_mutex_unlock(&c->lock);
}
