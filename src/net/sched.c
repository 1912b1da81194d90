#include "net/sched.h"

#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

struct mer_sched {
    mer_sched_entry **items;
    size_t count, cap;
    uint64_t next_serial;
};

/* A throw-away open-addressing set of want-list indices keyed by tile key,
 * built per want: no deletions, so no tombstones. */
typedef struct want_set {
    int32_t *slot; /* want index, -1 = empty */
    size_t mask;
} want_set;

static bool set_init(want_set *ws, size_t n)
{
    size_t size = 16;
    while (size < n * 2)
        size *= 2;
    ws->slot = malloc(size * sizeof *ws->slot);
    if (!ws->slot)
        return false;
    memset(ws->slot, 0xff, size * sizeof *ws->slot);
    ws->mask = size - 1;
    return true;
}

/* Index of the want tile with this key, or -1; with insert_idx >= 0 inserts it
 * when absent (returns -2 for a duplicate). */
static int32_t set_probe(want_set *ws, const mer_want_tile *tiles, uint64_t key, int32_t insert_idx)
{
    for (size_t i = mer_mix64(key) & ws->mask;; i = (i + 1) & ws->mask) {
        int32_t v = ws->slot[i];
        if (v < 0) {
            if (insert_idx >= 0)
                ws->slot[i] = insert_idx;
            return -1;
        }
        if (mer_tile_key(tiles[v].id) == key)
            return insert_idx >= 0 ? -2 : v;
    }
}

mer_sched *mer_sched_create(void)
{
    return calloc(1, sizeof(mer_sched));
}

void mer_sched_destroy(mer_sched *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        free(s->items[i]);
    free(s->items);
    free(s);
}

static bool push_entry(mer_sched *s, mer_sched_entry *e)
{
    if (s->count == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        mer_sched_entry **n = realloc(s->items, ncap * sizeof *n);
        if (!n)
            return false;
        s->items = n;
        s->cap = ncap;
    }
    s->items[s->count++] = e;
    return true;
}

static void remove_at(mer_sched *s, size_t i)
{
    free(s->items[i]);
    s->items[i] = s->items[--s->count];
}

void mer_sched_want(mer_sched *s, uint64_t gen, const mer_want_tile *tiles, size_t n,
                    const mer_sched_hooks *hooks)
{
    want_set ws;
    if (n > INT32_MAX / 4)
        n = INT32_MAX / 4;
    if (!set_init(&ws, n))
        return; /* out of memory: keep the old want */
    /* matched[i]: 1 = an entry exists or tile i is invalid/duplicate. */
    uint8_t *skip = calloc(n ? n : 1, 1);
    if (!skip) {
        free(ws.slot);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (!mer_tile_valid(tiles[i].id) || set_probe(&ws, tiles, mer_tile_key(tiles[i].id), (int32_t)i) == -2)
            skip[i] = 1;
    }
    for (size_t i = 0; i < s->count;) {
        mer_sched_entry *e = s->items[i];
        int32_t w = set_probe(&ws, tiles, e->key, -1);
        if (w < 0) {
            if (hooks && hooks->dropped)
                hooks->dropped(hooks->ud, e);
            remove_at(s, i);
            continue;
        }
        skip[w] = 1;
        e->priority = tiles[w].priority;
        e->order = (uint32_t)w;
        e->generation = gen;
        i++;
    }
    for (size_t i = 0; i < n; i++) {
        if (skip[i])
            continue;
        mer_sched_entry *e = calloc(1, sizeof *e);
        if (!e || !push_entry(s, e)) {
            free(e);
            break;
        }
        e->id = tiles[i].id;
        e->key = mer_tile_key(e->id);
        e->serial = ++s->next_serial;
        e->priority = tiles[i].priority;
        e->order = (uint32_t)i;
        e->generation = gen;
        e->state = MER_TS_QUEUED;
        if (hooks && hooks->added)
            hooks->added(hooks->ud, e);
    }
    free(skip);
    free(ws.slot);
}

static bool before(const mer_sched_entry *a, const mer_sched_entry *b)
{
    return a->priority != b->priority ? a->priority < b->priority : a->order < b->order;
}

mer_sched_entry *mer_sched_next(mer_sched *s, double now_ms)
{
    mer_sched_entry *best = NULL;
    for (size_t i = 0; i < s->count; i++) {
        mer_sched_entry *e = s->items[i];
        bool ready = e->state == MER_TS_QUEUED || (e->state == MER_TS_RETRY_WAIT && e->t_ready_ms <= now_ms);
        if (ready && (!best || before(e, best)))
            best = e;
    }
    return best;
}

double mer_sched_next_retry_ms(const mer_sched *s)
{
    double t = -1;
    for (size_t i = 0; i < s->count; i++) {
        const mer_sched_entry *e = s->items[i];
        if (e->state == MER_TS_RETRY_WAIT && (t < 0 || e->t_ready_ms < t))
            t = e->t_ready_ms;
    }
    return t;
}

size_t mer_sched_count(const mer_sched *s)
{
    return s->count;
}

mer_sched_entry *mer_sched_at(mer_sched *s, size_t i)
{
    return i < s->count ? s->items[i] : NULL;
}

mer_sched_entry *mer_sched_find(mer_sched *s, mer_tile_id id)
{
    uint64_t key = mer_tile_key(id);
    for (size_t i = 0; i < s->count; i++)
        if (s->items[i]->key == key)
            return s->items[i];
    return NULL;
}

int mer_sched_outstanding(const mer_sched *s)
{
    int n = 0;
    for (size_t i = 0; i < s->count; i++) {
        mer_tile_state st = s->items[i]->state;
        n += st == MER_TS_QUEUED || st == MER_TS_IN_FLIGHT || st == MER_TS_RETRY_WAIT || st == MER_TS_PAUSED ||
             st == MER_TS_DECODING;
    }
    return n;
}

static int cmp_entry(const void *a, const void *b)
{
    const mer_sched_entry *x = *(mer_sched_entry *const *)a, *y = *(mer_sched_entry *const *)b;
    return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

void mer_sched_number_queue(mer_sched *s)
{
    mer_sched_entry **q = malloc((s->count ? s->count : 1) * sizeof *q);
    if (!q)
        return;
    size_t n = 0;
    for (size_t i = 0; i < s->count; i++)
        if (s->items[i]->state == MER_TS_QUEUED)
            q[n++] = s->items[i];
    qsort(q, n, sizeof *q, cmp_entry);
    for (size_t i = 0; i < n; i++)
        q[i]->queue_pos = (int)i;
    free(q);
}
