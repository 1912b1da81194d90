#include "net/tilesim_control.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define CTL_TIMEOUT_MS 300L

/* Shared by the client and the request thread; refs counts the owners. */
typedef struct ctl_job {
    atomic_int refs;
    atomic_int result; /* mer_tsctl_state: running, ok, failed */
    char url[256];
} ctl_job;

struct mer_tsctl {
    char base[64];
    ctl_job *job; /* the latest request, or NULL */
};

static void job_unref(ctl_job *j)
{
    if (j && atomic_fetch_sub(&j->refs, 1) == 1)
        free(j);
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

static void *job_run(void *p)
{
    ctl_job *j = p;
    long code = 0;
    CURL *c = curl_easy_init();
    if (c) {
        curl_easy_setopt(c, CURLOPT_URL, j->url);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, CTL_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(c);
    }
    atomic_store(&j->result, code == 200 ? MER_TSCTL_OK : MER_TSCTL_FAILED);
    job_unref(j);
    return NULL;
}

mer_tsctl *mer_tsctl_create(const char *base)
{
    mer_tsctl *c = calloc(1, sizeof *c);
    if (c && base)
        snprintf(c->base, sizeof c->base, "%s", base);
    return c;
}

void mer_tsctl_destroy(mer_tsctl *c)
{
    if (!c)
        return;
    job_unref(c->job);
    free(c);
}

mer_tsctl_send_result mer_tsctl_send(mer_tsctl *c, const char *query)
{
    if (strncmp(c->base, "http://127.0.0.1:", 17) != 0)
        return MER_TSCTL_NOT_LOCAL;
    if (c->job && atomic_load(&c->job->result) == MER_TSCTL_RUNNING)
        return MER_TSCTL_BUSY;
    job_unref(c->job);
    c->job = calloc(1, sizeof *c->job);
    if (!c->job)
        return MER_TSCTL_NO_MEMORY;
    atomic_init(&c->job->refs, 2);
    atomic_init(&c->job->result, MER_TSCTL_RUNNING);
    snprintf(c->job->url, sizeof c->job->url, "%s/control?%s", c->base, query);
    pthread_attr_t at;
    pthread_t th;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at, job_run, c->job) != 0) {
        atomic_store(&c->job->result, MER_TSCTL_FAILED);
        atomic_fetch_sub(&c->job->refs, 1); /* the thread's reference */
    }
    pthread_attr_destroy(&at);
    return MER_TSCTL_SENT;
}

mer_tsctl_state mer_tsctl_state_get(const mer_tsctl *c)
{
    return c && c->job ? (mer_tsctl_state)atomic_load(&c->job->result) : MER_TSCTL_NONE;
}
