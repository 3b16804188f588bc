/* HTTP server lifecycle: connections, request bodies and their limits, timing, metrics and the
 * access log, and the graceful drain; the connection guard (deadlines, caps, per-connection state)
 * below. What a request means is the handler's business (server.h). */
#include "server.h"

#include "access_log.h"
#include "auth.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "text_out.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the connection guard: the state every connection carries, its deadlines, and the caps on
 * how many connections there are ----
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

typedef struct conn_state {
    http_request request; /* the request on this connection (server.c); one at a time */
    /* the guard's: the list of connections, under its lock, and what the sweeper reads */
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

#define SWEEP_INTERVAL_MS 100
#define GONE_EVERY 4 /* sweeps between looks for clients gone (a syscall per connection) */

enum { PHASE_IDLE, PHASE_BUSY, PHASE_YIELDED };

/* Every open connection, newest first. Removal (on close), the sweeper's and the caps'
 * shutdown() all hold the lock, and libmicrohttpd closes the descriptor only after the close
 * notification returns: a shut descriptor is never one already reused for another connection. */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static conn_state *list_head;

static long long header_ms = 10000, request_ms = 30000;
static atomic_long header_timeouts, request_timeouts, idle_yields, refused;
static atomic_int sweeping; /* the sweeper runs */
static pthread_t sweeper;

static long long now_ms(void) {
    static const struct timespec zero; /* CLOCK_MONOTONIC's origin */
    return (long long)(clock_seconds_since(&zero) * 1000);
}

/* The state of connection c, or NULL when it was not admitted. */
static conn_state *conn_guard_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? (conn_state *)info->socket_context : NULL;
}

/* The connection a request is on: every request's state lives in its connection's (on_uri). */
static conn_state *conn_of(http_request *r) {
    return (conn_state *)(void *)((char *)r - offsetof(conn_state, request));
}

/* The idle connection of owner that has waited longest, from addr only when same_address. */
static conn_state *oldest_idle(const void *owner, uint32_t addr, int same_address) {
    conn_state *found = NULL;
    for (conn_state *o = list_head; o; o = o->next) {
        if (o->owner == owner && atomic_load(&o->phase) == PHASE_IDLE &&
            (!same_address || o->addr == addr) &&
            (!found || atomic_load(&o->idle_ms) <= atomic_load(&found->idle_ms)))
            found = o;
    }
    return found;
}

/* Closes one idle connection so that a newcomer fits. Returns 0, or -1 when none is idle. */
static int yield_one(conn_state *victim) {
    int idle = PHASE_IDLE;
    if (!victim || !atomic_compare_exchange_strong(&victim->phase, &idle, PHASE_YIELDED))
        return -1;
    shutdown(victim->fd, SHUT_RDWR);
    atomic_fetch_add(&idle_yields, 1);
    return 0;
}

/* Makes room for one more connection from addr under caps. Called with the lock held. */
static int make_room(const void *owner, uint32_t addr, const server_options *caps) {
    unsigned total = 0, same = 0;
    for (conn_state *o = list_head; o; o = o->next) {
        if (o->owner != owner || atomic_load(&o->phase) == PHASE_YIELDED)
            continue;
        total++;
        same += o->addr == addr;
    }
    if (caps->per_ip_connection_limit && same >= caps->per_ip_connection_limit) {
        /* Only the address's own connections count against its cap. */
        if (yield_one(oldest_idle(owner, addr, 1)) != 0)
            return -1;
        total--;
    }
    /* The address's own idle connections first, then anyone's. */
    if (total >= caps->connection_limit && yield_one(oldest_idle(owner, addr, 1)) != 0 &&
        yield_one(oldest_idle(owner, addr, 0)) != 0)
        return -1;
    return 0;
}

/* A connection was accepted (MHD_CONNECTION_NOTIFY_STARTED): its state, after making room under
 * caps for owner. NULL when it cannot be admitted (every slot busy, or out of memory); the
 * caller then shuts it down. */
static conn_state *conn_guard_open(struct MHD_Connection *c, const void *owner,
                                   const server_options *caps) {
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *peer =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    conn_state *cs = fd ? calloc(1, sizeof *cs) : NULL;
    if (!cs)
        return NULL;
    cs->fd = fd->connect_fd;
    cs->owner = owner;
    if (peer && peer->client_addr && peer->client_addr->sa_family == AF_INET)
        cs->addr = ((const struct sockaddr_in *)(const void *)peer->client_addr)->sin_addr.s_addr;
    long long now = now_ms();
    atomic_init(&cs->phase, PHASE_IDLE);
    atomic_init(&cs->idle_ms, now);
    atomic_init(&cs->deadline, now + header_ms);
    atomic_init(&cs->saw_nul, 0);
    atomic_init(&cs->timed_out, 0);
    atomic_init(&cs->in_body, 0);
    pthread_mutex_lock(&list_lock);
    if (make_room(owner, cs->addr, caps) != 0) {
        pthread_mutex_unlock(&list_lock);
        atomic_fetch_add(&refused, 1);
        free(cs);
        return NULL;
    }
    cs->next = list_head;
    if (list_head)
        list_head->prev = cs;
    list_head = cs;
    pthread_mutex_unlock(&list_lock);
    return cs;
}

/* The connection closed: frees its state (the caller finished its request first). */
static void conn_guard_close(conn_state *cs) {
    if (!cs)
        return;
    pthread_mutex_lock(&list_lock);
    if (cs->prev)
        cs->prev->next = cs->next;
    else
        list_head = cs->next;
    if (cs->next)
        cs->next->prev = cs->prev;
    pthread_mutex_unlock(&list_lock);
    free(cs);
}

/* A request line arrived: the connection is busy and the whole request is due within the
 * request deadline (the header still within the header deadline). */
static void conn_guard_request_line(conn_state *cs) {
    int idle = PHASE_IDLE; /* a yielded connection stays yielded: it is being closed */
    atomic_compare_exchange_strong(&cs->phase, &idle, PHASE_BUSY);
    cs->request_end = now_ms() + request_ms;
    if (atomic_load(&cs->deadline) > cs->request_end)
        atomic_store(&cs->deadline, cs->request_end);
}

/* The header is complete: the body is due by the request deadline. */
static void conn_guard_header_complete(conn_state *cs) {
    atomic_store(&cs->in_body, 1);
    atomic_store(&cs->deadline, cs->request_end);
}

/* The body is complete: no deadline while the handler works. */
static void conn_guard_body_complete(conn_state *cs) {
    atomic_store(&cs->deadline, 0);
}

/* The answer was sent: idle again, the next request's header due within the header deadline. */
static void conn_guard_request_done(conn_state *cs) {
    atomic_store(&cs->saw_nul, 0);
    atomic_store(&cs->in_body, 0);
    long long now = now_ms();
    atomic_store(&cs->idle_ms, now);
    atomic_store(&cs->deadline, now + header_ms);
    int busy = PHASE_BUSY;
    atomic_compare_exchange_strong(&cs->phase, &busy, PHASE_IDLE);
}

/* MHD_OPTION_UNESCAPE_CALLBACK: percent-decodes in place like libmicrohttpd, noting a NUL. */
static size_t conn_guard_unescape(void *cls, struct MHD_Connection *c, char *s) {
    (void)cls;
    size_t len = MHD_http_unescape(s);
    if (strlen(s) != len) { /* a %00 decoded into the middle */
        conn_state *cs = conn_guard_of(c);
        if (cs)
            atomic_store(&cs->saw_nul, 1);
    }
    return len;
}

/* Whether the client has closed its side and nothing it sent is left unread. libmicrohttpd
 * 0.9.75 (epoll) misses an end-of-file that arrives with the last bytes of a cut-off header or
 * body and waits for the deadline; seen on two sweeps in a row (so never a request whose last
 * bytes were just read), such a connection is closed at once: it can never complete. */
static int client_gone(conn_state *cs) {
    char byte;
    int gone = recv(cs->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
    int before = cs->gone_seen;
    cs->gone_seen = gone;
    return gone && before;
}

static void sweep_once(int look_for_gone) {
    long long now = now_ms();
    pthread_mutex_lock(&list_lock);
    for (conn_state *cs = list_head; cs; cs = cs->next) {
        long long deadline = atomic_load(&cs->deadline);
        if (deadline == 0 || (now <= deadline && !(look_for_gone && client_gone(cs))))
            continue;
        shutdown(cs->fd, SHUT_RDWR);
        atomic_store(&cs->deadline, 0); /* once is enough; it closes soon */
        if (now <= deadline)
            continue; /* the client went away: no timeout */
        atomic_store(&cs->timed_out, 1);
        atomic_fetch_add(atomic_load(&cs->in_body) ? &request_timeouts : &header_timeouts, 1);
    }
    pthread_mutex_unlock(&list_lock);
}

static void *sweeper_main(void *arg) {
    (void)arg;
    for (unsigned n = 0; atomic_load(&sweeping); n++) {
        poll(NULL, 0, SWEEP_INTERVAL_MS);
        sweep_once(n % GONE_EVERY == 0);
    }
    return NULL;
}

int conn_guard_start(unsigned header_timeout, unsigned request_timeout) {
    header_ms = (long long)header_timeout * 1000;
    request_ms = (long long)request_timeout * 1000;
    atomic_store(&sweeping, 1);
    if (pthread_create(&sweeper, NULL, sweeper_main, NULL) != 0) {
        atomic_store(&sweeping, 0);
        return -1;
    }
    return 0;
}

void conn_guard_stop(void) {
    if (atomic_exchange(&sweeping, 0))
        pthread_join(sweeper, NULL);
}

struct server {
    struct MHD_Daemon *daemon;
    int port;
    server_options options; /* as started (bind is only read then) */
};

#define CLOSING_SLACK 32

static atomic_int in_flight;
static atomic_int parked;         /* requests between server_park and server_unpark */
static atomic_size_t budget_used; /* bytes of request bodies buffered, by every request */

void server_render_metrics(FILE *out) {
    metrics_single(out, "titanic_http_header_timeouts_total", "counter",
                   "Connections closed for not completing a request header within "
                   "HEADER_TIMEOUT_SECONDS.",
                   "%ld", atomic_load(&header_timeouts));
    metrics_single(out, "titanic_http_requests_in_flight", "gauge",
                   "Requests begun and not finished (this one included).", "%d",
                   atomic_load(&in_flight));
    metrics_single(out, "titanic_http_body_budget_bytes", "gauge",
                   "Request body bytes buffered now (BODY_BUDGET_BYTES caps them).", "%zu",
                   atomic_load(&budget_used));
    metrics_family(out, "titanic_http_connections_closed_total", "counter",
                   "Connections the server closed: request deadline missed, idle ones yielding to "
                   "new ones, new ones refused (all slots busy).");
    fprintf(out,
            "titanic_http_connections_closed_total{reason=\"request_timeout\"} %ld\n"
            "titanic_http_connections_closed_total{reason=\"idle_yield\"} %ld\n"
            "titanic_http_connections_closed_total{reason=\"refused\"} %ld\n",
            atomic_load(&request_timeouts), atomic_load(&idle_yields), atomic_load(&refused));
}

/* ---- request lifecycle ---- */

static void finish_request(http_request *r, struct MHD_Connection *c, int timed_out);

/* Connections (MHD_OPTION_NOTIFY_CONNECTION): each carries its request's state (conn_state),
 * so whatever becomes of a request, its state is freed with the connection at the latest. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = conn_guard_open(c, s, &s->options);
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!*socket_context && fd) /* every slot busy with a request: refused */
            shutdown(fd->connect_fd, SHUT_RDWR);
        return;
    }
    conn_state *cs = *socket_context;
    if (cs && cs->request.open) /* its client left, or it was cut, before it completed */
        finish_request(&cs->request, c, atomic_load(&cs->timed_out));
    conn_guard_close(cs);
    *socket_context = NULL;
}

/* Refuses the request at once, before libmicrohttpd parses its target: it answers a target
 * longer than its buffer with 414 itself, but one with a few hundred query parameters outgrows
 * its memory pool while parsing them and then answers nothing until the header deadline. The
 * answer is written straight to the socket (nothing else is being sent on this connection) and
 * the connection closed. */
static void refuse_at_once(http_request *r, conn_state *cs) {
    char body[160], head[160];
    int body_len =
        snprintf(body, sizeof body,
                 "{\"error\":{\"status\":414,\"message\":\"%s\",\"field\":null}}", r->target.why);
    int head_len = snprintf(head, sizeof head,
                            "HTTP/1.1 414 URI Too Long\r\nConnection: close\r\nContent-Type: "
                            "application/json\r\nContent-Length: %d\r\n\r\n",
                            body_len);
    if (send(cs->fd, head, (size_t)head_len, MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE) == head_len)
        send(cs->fd, body, (size_t)body_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(cs->fd, SHUT_WR); /* reading goes on: closing with unread input would reset */
    r->status = 414;
    r->bytes = (size_t)body_len;
    atomic_store(&cs->deadline, now_ms() + 1000); /* the sweeper shuts it down within a second */
}

/* Whether the request line on_uri was given ended in a bare LF (or CR). libmicrohttpd 0.9.75
 * accepts those; it ends each line it has read by overwriting its terminator with NUL bytes in
 * place, both bytes of a CRLF, so the byte after the version's NUL is NUL only for a CRLF. */
static int bare_line_end(const char *text) {
    return text[strlen(text) + 1] != '\0';
}

/* libmicrohttpd's URI callback, run as soon as the request line is read and before any header:
 * the request's state starts here, so that one refused while its headers are read (431) still
 * has its route and its start time. The result becomes the request's *state. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    const server *s = cls;
    conn_state *cs = conn_guard_of(c);
    if (!cs)
        return NULL; /* not admitted: on_request closes it */
    http_request *r = &cs->request;
    if (r->open) /* libmicrohttpd dropped the previous request without completing it */
        finish_request(r, c, 0);
    *r = (http_request){.open = 1, .started = clock_now(), .route = ROUTE_UNKNOWN};
    r->target.body_max = http_config.max_body_bytes;
    atomic_fetch_add(&in_flight, 1);
    conn_guard_request_line(cs);
    if (s->options.resolve)
        r->route = s->options.resolve(uri, &r->target);
    snprintf(r->path, sizeof r->path, "%.*s", (int)strcspn(uri, "?"), uri);
    const char *version = uri + strlen(uri) + 1;
    if (!r->target.refuse && bare_line_end(version))
        r->target = (http_target){.refuse = 400, .why = "request line not ended by CRLF"};
    if (r->target.refuse == 414)
        refuse_at_once(r, cs);
    return r;
}

/* Makes room for a body of n bytes in all, declared or read so far: 0, or the refusal, 413
 * past the route's limit, 503 past the server-wide budget, of which r holds what it was given. */
static unsigned body_room(http_request *r, unsigned long long n) {
    if (n > r->target.body_max)
        return 413;
    if (n <= r->budget_held)
        return 0;
    size_t more = (size_t)n - r->budget_held;
    if (atomic_fetch_add(&budget_used, more) + more > http_config.body_budget_bytes) {
        atomic_fetch_sub(&budget_used, more);
        return 503;
    }
    r->budget_held += more;
    return 0;
}

/* Accumulates the body up to the route's limit and within the budget; past either, the rest is
 * dropped and the request answered 413 or 503 at its end (a client must be able to read the
 * answer). */
static void take_body(http_request *r, const char *data, size_t len) {
    if (r->body_refusal)
        return;
    size_t want = r->body_len + len;
    r->body_refusal = body_room(r, want); /* a chunked body may outgrow either */
    char *grown = r->body_refusal ? NULL : realloc(r->body, want + 1);
    if (!grown) {
        r->body_refusal = r->body_refusal ? r->body_refusal : 503;
        free(r->body);
        r->body = NULL;
        return;
    }
    memcpy(grown + r->body_len, data, len);
    r->body = grown;
    r->body_len = want;
    r->body[want] = '\0';
}

static enum MHD_Result refuse_body(http_request *r, unsigned status) {
    char message[96];
    if (status == 503)
        return http_error(r, 503, "too many request bodies in progress; retry shortly", NULL);
    snprintf(message, sizeof message, "request body larger than %zu bytes", r->target.body_max);
    return http_error(r, 413, message, NULL);
}

/* Who is calling, and whether they may: answers 401/403 (and returns 1) when not. A key is
 * looked up even where none is needed, so the access log names every known caller. */
static int key_refused(http_request *r) {
    const char *authorization =
        MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    int malformed = auth_identify(authorization, &r->who) != 0;
    if (!auth_enabled())
        return 0; /* no keys configured: open (main.c warns at every start) */
    auth_need need = auth_requirement(r->method, r->route, http_config.reads_need_key);
    if (need == AUTH_NEED_NOTHING)
        return 0;
    if (r->who.role == AUTH_NONE) {
        const char *message = malformed ? "malformed Authorization header; expected: Bearer KEY"
                              : authorization ? "unknown API key"
                                              : "this request needs an API key (Authorization: "
                                                "Bearer KEY)";
        http_set_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                        authorization ? "Bearer realm=\"titanic-api\", error=\"invalid_token\""
                                      : "Bearer realm=\"titanic-api\"");
        http_error(r, 401, message, NULL);
        return 1;
    }
    if (need == AUTH_NEED_WRITER && r->who.role < AUTH_WRITER) {
        http_error(r, 403, "this key may only read; writes need a writer or admin key", NULL);
        return 1;
    }
    return 0;
}

/* What the header says about the body's framing (RFC 9112 section 6). */
typedef struct {
    int lengths, codings, bare_lf;
    const char *coding;
    const char *length; /* the Content-Length, when there is exactly one */
} framing;

static enum MHD_Result note_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value) {
    (void)kind;
    framing *f = cls;
    if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
        f->length = f->lengths++ ? NULL : value; /* not a number: libmicrohttpd's own 400 */
    else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        f->coding = f->codings++ ? f->coding : value;
    f->bare_lf |= bare_line_end(value); /* the line's end, as for the request line */
    return MHD_YES;
}

/* libmicrohttpd 0.9.75 takes the first of several Content-Lengths, lets chunked win over a
 * Content-Length, waits forever on an unknown transfer coding, and accepts bare LF line ends:
 * each a way for a proxy and this server to disagree on where a request ends. Such a request
 * is answered 400 (501 for an unknown coding) before its body is read; an early answer makes
 * libmicrohttpd close the connection after it, so no leftover byte is read as a request.
 * Returns 1 when answered; f gets what the header said (its one Content-Length, if any). */
static int bad_framing(http_request *r, framing *f) {
    *f = (framing){0};
    MHD_get_connection_values(r->connection, MHD_HEADER_KIND, note_framing, f);
    const char *why = f->lengths > 1             ? "more than one Content-Length"
                      : f->codings > 1           ? "more than one Transfer-Encoding"
                      : f->lengths && f->codings ? "both Content-Length and Transfer-Encoding"
                      : f->bare_lf               ? "header line not ended by CRLF"
                                                 : NULL;
    if (why)
        return http_error(r, 400, why, NULL), 1;
    if (f->codings && strcasecmp(f->coding, "chunked") != 0)
        return http_error(r, 501, "only the chunked transfer coding is implemented", NULL), 1;
    return 0;
}

/* Checks made once the header is complete, before any of the body is read. Returns 1 when the
 * request has been answered. A declared body is charged to the budget now, so that a body that
 * cannot fit is refused before a byte of it is read. */
static int answered_early(http_request *r, const server *s) {
    conn_state *cs = conn_of(r);
    conn_guard_header_complete(cs);
    if (atomic_load(&cs->saw_nul))
        return http_error(r, 400, "NUL byte (%00) in the path or query", NULL), 1;
    if (r->target.refuse)
        return http_error(r, r->target.refuse, r->target.why, NULL), 1;
    framing f;
    if (bad_framing(r, &f) || (s->options.authenticate && key_refused(r)))
        return 1;
    unsigned refusal = f.length ? body_room(r, strtoull(f.length, NULL, 10)) : 0;
    if (refusal)
        return refuse_body(r, refusal), 1;
    return 0;
}

/* ---- parking ---- */

void server_park(http_request *r, server_continuation then, void *data) {
    r->resume = then;
    r->resume_data = data;
    atomic_fetch_add(&parked, 1);
    /* Suspended before the caller hands r to another thread: a resume must never come first. */
    MHD_suspend_connection(r->connection);
}

void server_unpark(http_request *r) {
    /* Counted here, not when the continuation runs: a client that went away while parked is
     * closed on resume without it. */
    atomic_fetch_sub(&parked, 1);
    MHD_resume_connection(r->connection);
}

/* libmicrohttpd calls on_request again once a parked connection is resumed. */
static enum MHD_Result resume_parked(http_request *r) {
    server_continuation then = r->resume;
    r->resume = NULL;
    enum MHD_Result rc = then(r);
    free(r->resume_data);
    r->resume_data = NULL;
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state) {
    (void)version;
    (void)url; /* libmicrohttpd's decoding of the path; r->target is the one the router uses */
    const server *s = cls;
    http_request *r = *state;
    if (!r || r->target.refuse == 414) /* not admitted, or already refused at once */
        return MHD_NO;
    if (!r->connection) { /* the headers are in: the state on_uri began is completed */
        r->connection = c;
        r->method = method;
        request_id_for(c, r->request_id);
        answered_early(r, s);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!r->status) /* a body after an early answer is read and dropped */
            take_body(r, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->status) /* already answered (400, 401, 403, 413, 503 before the body) */
        return MHD_YES;
    conn_guard_body_complete(conn_of(r));
    if (r->body_refusal)
        return refuse_body(r, r->body_refusal);
    log_set_request_id(r->request_id); /* every line logged meanwhile names the request */
    enum MHD_Result rc = r->resume ? resume_parked(r) : s->options.handler(r);
    log_set_request_id(NULL);
    return rc;
}

/* A second as UTC text, "YYYY-MM-DDTHH:MM:SS", formatted only when the second changes (per
 * thread): both access-log formats take their time from it. */
static const char *cached_utc(time_t second) {
    static _Thread_local time_t cached_second = -1;
    static _Thread_local char text[32];
    if (second != cached_second) {
        struct tm tm;
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", gmtime_r(&second, &tm));
        cached_second = second;
    }
    return text;
}

#define METHOD_LOG_MAX 16

/* The JSON access-log line, appended piece by piece (snprintf's format parsing was a sixth of a
 * request's own work). line holds 2048 bytes: the escaped path and method take at most 1297,
 * the request id 128, the key's label 64, the route template, numbers and names under 400. */
static int json_access_line(char *line, const char *utc, long millis, const char *method,
                            const char *path, const http_request *r, long micros, const char *key) {
    text_out o = {line};
    out_str(&o, "{\"time\":\"");
    out_str(&o, utc);
    *o.at++ = '.';
    out_long_width(&o, millis, 3);
    out_str(&o, "Z\",\"level\":\"info\",\"component\":\"api\",\"message\":\"request\","
                "\"method\":\"");
    out_str(&o, method);
    out_str(&o, "\",\"path\":\"");
    out_str(&o, path);
    out_str(&o, "\",\"route\":\"");
    out_str(&o, route_template(r->route));
    out_str(&o, "\",\"status\":");
    out_long(&o, (long)r->status);
    out_str(&o, ",\"us\":");
    out_long(&o, micros);
    out_str(&o, ",\"bytes\":");
    out_long(&o, (long)r->bytes);
    out_str(&o, ",\"request_id\":\"");
    out_str(&o, r->request_id);
    out_str(&o, "\",\"key\":\"");
    out_str(&o, key);
    out_str(&o, "\"}\n");
    *o.at = '\0';
    return (int)(o.at - line);
}

/* The access log: one line per request, in the log's format (buffered per worker thread, see
 * access_log.h). */
static void write_access_log(const http_request *r, double seconds) {
    /* Client-sent text escaped (text_out.h), so it can neither end its string nor forge fields:
     * at most 6 bytes per byte. */
    char path[HTTP_PATH_LOG_MAX * 6 + 1], method[METHOD_LOG_MAX * 6 + 1];
    text_out p = {path}, m = {method};
    out_json_escaped(&p, r->path, HTTP_PATH_LOG_MAX, 1);
    out_json_escaped(&m, r->method, METHOD_LOG_MAX, 1);
    *p.at = *m.at = '\0';
    /* Labels and request ids are checked against a safe charset when they are accepted. */
    const char *key = r->who.role != AUTH_NONE ? r->who.label : "";
    char line[2048];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const char *utc = cached_utc(now.tv_sec);
    long micros = (long)(seconds * 1e6 + 0.5); /* integer formatting: no floating-point printf */
    int n;
    if (log_is_json())
        n = json_access_line(line, utc, now.tv_nsec / 1000000L, method, path, r, micros, key);
    else /* the time of day only: HH:MM:SS */
        n = snprintf(line, sizeof line, "%.8s %s %s %u %ldus %zub id=%s key=%s\n", utc + 11, method,
                     path, r->status, micros, r->bytes, r->request_id, key[0] ? key : "-");
    if (n > 0)
        access_log_append(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Counts, logs and frees a request, once: when libmicrohttpd completes it, or when its
 * connection closes first. The in-flight count is exact either way. */
static void finish_request(http_request *r, struct MHD_Connection *c, int timed_out) {
    if (r->status == 0) {
        /* Not answered by a handler: libmicrohttpd's own answer (431, 414, 400), or none. */
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
        r->status = info && info->http_status ? info->http_status : 0;
        if (r->status == 0) /* cut at its deadline, or the client went away before an answer */
            r->status = timed_out ? 408 : 499;
    }
    free(r->resume_data); /* only set if the request ended while parked */
    r->resume_data = NULL;
    if (!r->method) /* the headers never completed: the method is libmicrohttpd's secret */
        r->method = "OTHER";
    double seconds = clock_seconds_since(&r->started);
    metrics_record(r->route, r->method, r->status, seconds);
    if (log_enabled(LOG_INFO))
        write_access_log(r, seconds);
    free(r->body);
    r->body = NULL;
    atomic_fetch_sub(&budget_used, r->budget_held);
    r->budget_held = 0;
    r->open = 0;
    atomic_fetch_sub(&in_flight, 1);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code) {
    (void)cls;
    http_request *r = *state;
    *state = NULL;
    if (!r) /* not admitted */
        return;
    if (r->open)
        finish_request(r, c, atomic_load(&conn_of(r)->timed_out));
    if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        conn_guard_request_done(conn_of(r)); /* the next request's header is due from now */
}

static void on_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char message[512];
    vsnprintf(message, sizeof message, fmt, ap);
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        message[--n] = '\0';
    log_debug("libmicrohttpd", "{s:s}", "detail", message);
}

server *server_start(const server_options *o, char *err, size_t errlen) {
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->bind, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "BIND: not an IPv4 address: %.64s", o->bind);
        return NULL;
    }
    server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->options = *o;
    /* The logger first: a later option (a pool of one thread) may warn through it. */
    s->daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
        (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
        MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
        /* The caps are conn_guard's (idle connections yield); libmicrohttpd's own is only a
         * backstop, above it by the connections being closed to make room. */
        MHD_OPTION_CONNECTION_LIMIT, o->connection_limit + CLOSING_SLACK,
        MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->header_memory, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_UNESCAPE_CALLBACK, conn_guard_unescape, NULL, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, s, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot listen on %s:%d (address in use, or not allowed)", o->bind,
                 o->port);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : o->port;
    return s;
}

int server_port(const server *s) {
    return s->port;
}

int server_drain_and_stop(server *s, double grace_seconds) {
    atomic_store(&http_config.draining, 1);
    /* New clients are refused from now on: shutdown takes the socket out of LISTEN at once.
     * It is closed only after MHD_stop_daemon: the worker threads remove it from their epoll
     * sets some time after quiescing, and closing it earlier races with them (TSan). */
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        shutdown(listener, SHUT_RDWR);
    struct timespec start = clock_now();
    while (atomic_load(&in_flight) > 0 && clock_seconds_since(&start) < grace_seconds)
        poll(NULL, 0, 5); /* a 5 ms nap, as the sweeper's */
    int left = atomic_load(&in_flight);
    while (atomic_load(&parked) > 0) /* bounded: parkers promise an answer (server.h) */
        poll(NULL, 0, 5);
    MHD_stop_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    free(s);
    return left;
}
