/* The HTTP server: libmicrohttpd with an internal thread pool on epoll, request bodies bounded
 * (per route and server-wide), framing checked strictly,
 * every request timed, counted and written to the access log, and a graceful drain on SIGTERM. */
#ifndef TITANIC_SERVER_H
#define TITANIC_SERVER_H

#include "http.h"

#include <stddef.h>
#include <stdio.h>

/* Answers one complete request (body read, within limits) through the helpers in http.h and
 * sets r->route. The server is the same whoever the handler is: the API passes its router, the
 * benchmark floor a handler that answers a fixed body. */
typedef enum MHD_Result (*server_handler)(http_request *r);

typedef struct {
    const char *bind; /* IPv4 address to listen on */
    int port;
    int threads;                         /* worker threads, each with its own epoll loop */
    unsigned connection_limit;           /* idle connections yield to new ones (conn_guard) */
    unsigned per_ip_connection_limit;    /* concurrent connections per client address (0: none) */
    unsigned connection_timeout_seconds; /* idle or slow clients are dropped after this */
    size_t header_memory; /* per-connection memory for headers; larger headers get 431 */
    server_handler handler;
    /* The route a raw request target will run (routes_resolve), known before any header is
     * read: keys are checked, and every request counted and logged, under it, refused early
     * (401, 413, 431) or not. NULL: every request is unmatched, with MAX_BODY_BYTES. */
    route_id (*resolve)(const char *raw_target, http_target *t);
    int authenticate; /* check API keys (auth.h): the public listener, not the metrics one */
} server_options;

typedef struct server server;

/* Starts listening. NULL with err set on failure (port taken, bad address). */
server *server_start(const server_options *options, char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int server_port(const server *s);

/* Parking: a handler that waits on something slow (a database round trip) without holding its
 * worker thread. It calls server_park and returns MHD_YES without answering; whoever finishes the
 * work calls server_unpark (from any thread), and the server then calls then(r) on a worker
 * thread to answer, and frees data afterwards. Every parked request must be unparked in bounded
 * time: server_drain_and_stop waits for them. */
typedef enum MHD_Result (*server_continuation)(http_request *r);
void server_park(http_request *r, server_continuation then, void *data);
void server_unpark(http_request *r);

/* Writes the server's metric families for /metrics: requests begun and not yet finished
 * (answered, or their client gone), the bytes of request bodies buffered now (at most
 * BODY_BUDGET_BYTES), and the connections the guard closed (header deadlines among them). */
void server_render_metrics(FILE *out);

/* The connection guard (server.c): every connection's header and request deadlines, enforced by
 * a sweeper thread, and CONNECTION_LIMIT / PER_IP_CONNECTION_LIMIT with idle connections yielding
 * to new ones. Starts the sweeper with these deadlines (seconds). Returns 0 or -1. */
int conn_guard_start(unsigned header_timeout, unsigned request_timeout);
/* Stops the sweeper (after the daemons stopped). */
void conn_guard_stop(void);

/* Stops accepting, waits up to grace_seconds for requests in flight, then stops. Returns the
 * number of requests still in flight when it gave up (0 for a clean drain). Parked requests are
 * always waited for: libmicrohttpd cannot stop with a connection suspended. */
int server_drain_and_stop(server *s, double grace_seconds);

#endif
