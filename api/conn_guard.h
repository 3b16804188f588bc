/* Connection guard: the state every connection carries, its deadlines, and the caps on how many
 * connections there are.
 *
 * Deadlines. libmicrohttpd's CONNECTION_TIMEOUT counts from the last byte received, so a client
 * sending one byte every few seconds holds its connection forever. Here every connection gets a
 * deadline when it is accepted, and again each time an answer has been sent on it: the complete
 * header of its next request must have arrived by then (HEADER_TIMEOUT_SECONDS, which is also
 * how long an idle keep-alive connection lives). Once its request line is in, the whole request,
 * header and body, must have arrived within REQUEST_TIMEOUT_SECONDS of it, so a trickled body is
 * cut too. A sweeper thread shuts down (shutdown(2), never close(2): the descriptor stays
 * libmicrohttpd's) every connection past its deadline; libmicrohttpd then sees end-of-file and
 * frees it. While the handler works on a complete request there is no deadline.
 *
 * Caps. CONNECTION_LIMIT and PER_IP_CONNECTION_LIMIT are enforced here, not by libmicrohttpd,
 * which can only refuse the newcomer: when a cap is reached, the idle connection (no request in
 * progress) that has waited longest is closed to make room, one from the newcomer's own address
 * first, as nginx reclaims reusable connections. The newcomer is refused only when every slot
 * it could take is busy with a request in progress. Behind a load balancer every request comes
 * from a few node addresses whose pools keep many connections idle: those must never crowd out
 * the requests themselves.
 *
 * The request's own state (http_request) lives here too, so it is freed with the connection
 * whatever happens to the request (the server finishes a request its client abandoned).
 *
 * It also notes a NUL byte produced by percent-decoding (%00) in the query, which C strings
 * would otherwise silently cut off. */
#ifndef TITANIC_CONN_GUARD_H
#define TITANIC_CONN_GUARD_H

#include "http.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct conn_state {
    http_request request; /* the request on this connection (server.c); one at a time */
    /* conn_guard.c's: the list of connections, under its lock, and what the sweeper reads */
    struct conn_state *prev, *next;
    const void *owner; /* the server (listener) whose caps count this connection */
    int fd;
    uint32_t addr;         /* IPv4 address of the client, network order */
    atomic_int phase;      /* idle, busy (a request in progress) or yielded */
    atomic_llong idle_ms;  /* when it became idle (monotonic ms) */
    atomic_llong deadline; /* monotonic ms; 0: none (a handler is working) */
    long long request_end; /* worker only: the request's own deadline */
    int gone_seen;         /* sweeper only: the client's end-of-file seen on the last look */
    atomic_int saw_nul, timed_out, in_body; /* in_body: the header is complete */
} conn_state;

typedef struct {
    unsigned limit;        /* connections in all on this listener */
    unsigned per_ip_limit; /* from one client address (0: no cap) */
} conn_caps;

/* Starts the sweeper with these deadlines (seconds). Returns 0 or -1. */
int conn_guard_start(unsigned header_timeout, unsigned request_timeout);
/* Stops the sweeper (after the daemons stopped). */
void conn_guard_stop(void);

/* A connection was accepted (MHD_CONNECTION_NOTIFY_STARTED): its state, after making room under
 * caps for owner. NULL when it cannot be admitted (every slot busy, or out of memory); the
 * caller then shuts it down. */
conn_state *conn_guard_open(struct MHD_Connection *c, const void *owner, const conn_caps *caps);
/* The connection closed: frees its state (the caller finished its request first). */
void conn_guard_close(conn_state *cs);
/* The state of connection c, or NULL when it was not admitted. */
conn_state *conn_guard_of(struct MHD_Connection *c);

/* A request line arrived: the connection is busy and the whole request is due within the
 * request deadline (the header still within the header deadline). */
void conn_guard_request_line(conn_state *cs);
/* The header is complete: the body is due by the request deadline. */
void conn_guard_header_complete(conn_state *cs);
/* The body is complete: no deadline while the handler works. */
void conn_guard_body_complete(conn_state *cs);
/* The answer was sent: idle again, the next request's header due within the header deadline. */
void conn_guard_request_done(conn_state *cs);
/* Shuts the connection down within ms milliseconds (after a refusal written straight out). */
void conn_guard_close_within(conn_state *cs, long long ms);

/* MHD_OPTION_UNESCAPE_CALLBACK: percent-decodes in place like libmicrohttpd, noting a NUL. */
size_t conn_guard_unescape(void *cls, struct MHD_Connection *c, char *s);

/* Connections shut down since start: for missing the header deadline, the request deadline;
 * idle ones closed to make room; newcomers refused because every slot was busy. */
typedef struct {
    long header_timeouts, request_timeouts, idle_yields, refused;
} conn_guard_counts;
void conn_guard_get_counts(conn_guard_counts *out);

#endif
