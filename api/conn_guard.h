/* Connection guard: a deadline for the whole request header, which trickling bytes cannot extend.
 *
 * libmicrohttpd's CONNECTION_TIMEOUT counts from the last byte received, so a client sending one
 * header byte every few seconds holds its connection (and a slot of CONNECTION_LIMIT) forever;
 * thousands of them locked everyone else out. Here every connection gets a deadline when it is
 * accepted, and again each time an answer has been sent on it: the complete header of its next
 * request must have arrived by then. A sweeper thread shuts down (shutdown(2), never close(2):
 * the descriptor stays libmicrohttpd's) every connection past its deadline; libmicrohttpd then
 * sees end-of-file and frees it. Together with the per-address cap (PER_IP_CONNECTION_LIMIT) and
 * the total cap (CONNECTION_LIMIT) this bounds what one client can hold.
 *
 * It also notes a NUL byte produced by percent-decoding (%00) in the path or query, which C
 * strings would otherwise silently cut off ("/passengers/1%00" read as "/passengers/1"). */
#ifndef TITANIC_CONN_GUARD_H
#define TITANIC_CONN_GUARD_H

#include <microhttpd.h>
#include <stddef.h>

/* Starts the sweeper with this header deadline. Returns 0 or -1. */
int conn_guard_start(unsigned header_timeout_seconds);
/* Stops the sweeper (after the daemons stopped). */
void conn_guard_stop(void);

/* MHD_OPTION_NOTIFY_CONNECTION callback: tracks connections from accept to close. */
void conn_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
/* MHD_OPTION_UNESCAPE_CALLBACK: percent-decodes in place like libmicrohttpd, noting a NUL. */
size_t conn_guard_unescape(void *cls, struct MHD_Connection *c, char *s);

/* The header of the current request has arrived: no deadline until its answer is sent. */
void conn_guard_header_complete(struct MHD_Connection *c);
/* The answer was sent: the next request's header is due within the deadline. */
void conn_guard_request_done(struct MHD_Connection *c);
/* Whether percent-decoding the current request's path or query produced a NUL byte. */
int conn_guard_saw_nul(struct MHD_Connection *c);

/* Connections shut down for missing their header deadline, since start (for /metrics). */
long conn_guard_header_timeouts(void);

#endif
