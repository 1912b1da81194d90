/* A client for meridian-tilesim's /control endpoint: asks a running demo
 * server (on loopback only) to change its live settings, without ever
 * blocking the caller.
 *
 * Threads: the caller's thread (the viewer's main thread) starts a request
 * and reads its outcome; the request itself is a blocking libcurl easy POST
 * (300 ms timeout) on a small detached thread. The thread and the client
 * share the request through a reference count (two owners), so either may go
 * first; at most one request runs at a time. Going through the loader instead
 * would mix control requests with tile requests under the same cap and rate
 * limit, which is what the network panel measures. */
#ifndef MER_TILESIM_CONTROL_H
#define MER_TILESIM_CONTROL_H

#include <stdbool.h>

typedef struct mer_tsctl mer_tsctl;

typedef enum {
    MER_TSCTL_NONE = -1,   /* nothing sent yet */
    MER_TSCTL_RUNNING = 0,
    MER_TSCTL_OK = 1,      /* the server answered 200 */
    MER_TSCTL_FAILED = 2,  /* no answer, or not 200 */
} mer_tsctl_state;

typedef enum {
    MER_TSCTL_SENT,        /* started */
    MER_TSCTL_BUSY,        /* the previous request still runs */
    MER_TSCTL_NOT_LOCAL,   /* base is not http://127.0.0.1:PORT */
    MER_TSCTL_NO_MEMORY,
} mer_tsctl_send_result;

/* base: "http://127.0.0.1:PORT" (only loopback is accepted when sending). */
mer_tsctl *mer_tsctl_create(const char *base);
void mer_tsctl_destroy(mer_tsctl *c); /* never waits for a running request */

/* Starts POST base/control?query. Never blocks. */
mer_tsctl_send_result mer_tsctl_send(mer_tsctl *c, const char *query);
/* The latest request's state. */
mer_tsctl_state mer_tsctl_state_get(const mer_tsctl *c);

#endif
