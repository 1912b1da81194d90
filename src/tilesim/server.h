/* The meridian-tilesim HTTP server (libmicrohttpd).
 *
 * Threads: libmicrohttpd's listener thread accepts on 127.0.0.1 and gives each
 * connection its own thread (MHD_USE_THREAD_PER_CONNECTION). A request's
 * latency, jitter and trickled body are plain waits on that thread, so a slow
 * response never blocks another connection; the waits are on one condition
 * variable that tsim_server_stop() broadcasts, so shutdown never waits for a
 * delay to run out.
 *
 * Shared state (live settings, token bucket, counters, random sequence number)
 * sits behind one mutex in server.c; tiles come from a thread-safe LRU cache
 * (tcache.c) or are rendered and encoded on the connection thread.
 *
 * Endpoints: GET /{z}/{x}/{y}[@2x].{png,webp,jpg}, GET /stats (JSON),
 * GET|POST /control?NAME=VALUE&... (live settings, answered as JSON), GET /. */
#ifndef TSIM_SERVER_H
#define TSIM_SERVER_H

#include <stddef.h>

#include "tilesim/config.h"

typedef struct tsim_server tsim_server;

/* Starts serving; the config is copied. NULL with a message on failure. */
tsim_server *tsim_server_start(const tsim_config *cfg, char *err, size_t errlen);
int tsim_server_port(const tsim_server *s);
/* Stops accepting, wakes every delayed request, joins all threads, frees. */
void tsim_server_stop(tsim_server *s);

#endif
