#include "net/results.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct mer_results {
    pthread_mutex_t lock;
    mer_tile_result *items; /* lock: ring buffer */
    size_t cap, head, count; /* lock */
    void (*on_ready)(void *ud);
    void *ud;
};

mer_results *mer_results_create(void (*on_ready)(void *ud), void *ud)
{
    mer_results *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->lock, NULL);
    q->on_ready = on_ready;
    q->ud = ud;
    return q;
}

static bool grow(mer_results *q)
{
    size_t ncap = q->cap ? q->cap * 2 : 64;
    mer_tile_result *n = malloc(ncap * sizeof *n);
    if (!n)
        return false;
    for (size_t i = 0; i < q->count; i++)
        n[i] = q->items[(q->head + i) % q->cap];
    free(q->items);
    q->items = n;
    q->cap = ncap;
    q->head = 0;
    return true;
}

void mer_results_push(mer_results *q, mer_tile_result *r)
{
    bool wake;
    pthread_mutex_lock(&q->lock);
    if (q->count == q->cap && !grow(q)) {
        /* Out of memory: drop the pixels but keep the message. */
        free(r->rgba);
        r->rgba = NULL;
        r->status = MER_TILE_FAILED;
        snprintf(r->reason, sizeof r->reason, "out of memory");
        if (q->count == q->cap) {
            pthread_mutex_unlock(&q->lock);
            return;
        }
    }
    q->items[(q->head + q->count) % q->cap] = *r;
    wake = q->count++ == 0;
    pthread_mutex_unlock(&q->lock);
    r->rgba = NULL;
    if (wake && q->on_ready)
        q->on_ready(q->ud);
}

size_t mer_results_poll(mer_results *q, mer_tile_result *out, size_t max)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count < max ? q->count : max;
    for (size_t i = 0; i < n; i++)
        out[i] = q->items[(q->head + i) % q->cap];
    if (n) {
        q->head = (q->head + n) % q->cap;
        q->count -= n;
    }
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t mer_results_pending(mer_results *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void mer_results_destroy(mer_results *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->count; i++)
        free(q->items[(q->head + i) % q->cap].rgba);
    free(q->items);
    pthread_mutex_destroy(&q->lock);
    free(q);
}
