/* Decode worker pool.
 *
 * Owns: a FIFO of jobs and the worker threads. Any thread submits (the loader
 * thread in practice); workers pop a job, decode it with no lock held, and run
 * the done callback, which hands the RGBA on (to the loader's completion
 * queue); a render job draws a world-map tile instead (decode/world.h), so
 * the built-in map is made off the render thread like any decode. `busy` counts a job from submit until its callback has returned, so
 * a reader that sees busy == 0 knows every result is already downstream. */
#include "decode/pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "decode/decode.h"

#define MAX_WORKERS 8

typedef struct job {
    struct job *next;
    uint8_t *data;
    size_t len;
    int expect_px;
    const mer_world *world; /* non-NULL: render tile t instead of decoding data */
    mer_tile_id t;
    void *ctx;
} job;

struct mer_decode_pool {
    mer_decode_done_fn done;
    void *ud;
    int n_workers;
    pthread_t workers[MAX_WORKERS];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job *head, *tail; /* lock */
    int busy;         /* lock: queued + decoding */
    bool stop;        /* lock */
};

static job *pop_job(mer_decode_pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (!p->head && !p->stop)
        pthread_cond_wait(&p->cond, &p->lock);
    job *j = p->head;
    if (j) {
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    return j;
}

static void finish_job(mer_decode_pool *p, job *j, bool decode)
{
    uint8_t *rgba = NULL;
    int w = 0, h = 0;
    char reason[96] = "shutting down";
    if (decode && j->world) {
        size_t n = (size_t)j->expect_px * (size_t)j->expect_px * 4;
        rgba = malloc(n);
        if (rgba && mer_world_render(j->world, j->t, j->expect_px, rgba)) {
            w = h = j->expect_px;
        } else {
            free(rgba);
            rgba = NULL;
            snprintf(reason, sizeof reason, "cannot render the world map tile");
        }
    } else if (decode) {
        mer_decode_image(j->data, j->len, j->expect_px, &rgba, &w, &h, reason, sizeof reason);
    }
    free(j->data);
    p->done(p->ud, j->ctx, rgba, w, h, rgba ? NULL : reason);
    free(j);
    pthread_mutex_lock(&p->lock);
    p->busy--;
    pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *arg)
{
    mer_decode_pool *p = arg;
    job *j;
    /* Only returns NULL once stop is set and the queue is empty. */
    while ((j = pop_job(p)) != NULL)
        finish_job(p, j, true);
    return NULL;
}

mer_decode_pool *mer_decode_pool_create(int workers, mer_decode_done_fn done, void *ud)
{
    if (workers <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        /* One core stays for the loader and the UI; 1 worker on a 2-core machine. */
        workers = cores > 2 ? (int)(cores - 1) : 1;
    }
    if (workers > MAX_WORKERS)
        workers = MAX_WORKERS;
    mer_decode_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->done = done;
    p->ud = ud;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    mer_decode_init();
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0)
            break;
        p->n_workers++;
    }
    if (p->n_workers == 0) {
        mer_decode_pool_destroy(p);
        return NULL;
    }
    return p;
}

static void enqueue(mer_decode_pool *p, job *j)
{
    pthread_mutex_lock(&p->lock);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->busy++;
    pthread_mutex_unlock(&p->lock);
    pthread_cond_signal(&p->cond);
}

/* A job, or NULL after reporting "out of memory" for ctx. */
static job *new_job(mer_decode_pool *p, int expect_px, void *ctx)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        p->done(p->ud, ctx, NULL, 0, 0, "out of memory");
        return NULL;
    }
    j->expect_px = expect_px;
    j->ctx = ctx;
    return j;
}

void mer_decode_pool_submit(mer_decode_pool *p, uint8_t *data, size_t len, int expect_px, void *ctx)
{
    job *j = new_job(p, expect_px, ctx);
    if (!j) {
        free(data);
        return;
    }
    j->data = data;
    j->len = len;
    enqueue(p, j);
}

void mer_decode_pool_submit_render(mer_decode_pool *p, const mer_world *w, mer_tile_id t, int px,
                                   void *ctx)
{
    job *j = new_job(p, px, ctx);
    if (!j)
        return;
    j->world = w;
    j->t = t;
    enqueue(p, j);
}

int mer_decode_pool_busy(mer_decode_pool *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->busy;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void mer_decode_pool_destroy(mer_decode_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    job *rest = p->head;
    p->head = p->tail = NULL;
    pthread_mutex_unlock(&p->lock);
    pthread_cond_broadcast(&p->cond);
    for (int i = 0; i < p->n_workers; i++)
        pthread_join(p->workers[i], NULL);
    while (rest) {
        job *next = rest->next;
        finish_job(p, rest, false);
        rest = next;
    }
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
