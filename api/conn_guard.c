/* Connection state, deadlines, caps with idle connections yielding, and the sweeper. See
 * conn_guard.h. */
#include "conn_guard.h"

#include "clock.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
static atomic_int sweeping;
static pthread_t sweeper;
static int sweeper_running;

static long long now_ms(void) {
    static const struct timespec zero; /* CLOCK_MONOTONIC's origin */
    return (long long)(clock_seconds_since(&zero) * 1000);
}

conn_state *conn_guard_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? (conn_state *)info->socket_context : NULL;
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
static int make_room(const void *owner, uint32_t addr, const conn_caps *caps) {
    unsigned total = 0, same = 0;
    for (conn_state *o = list_head; o; o = o->next) {
        if (o->owner != owner || atomic_load(&o->phase) == PHASE_YIELDED)
            continue;
        total++;
        same += o->addr == addr;
    }
    if (caps->per_ip_limit && same >= caps->per_ip_limit) {
        /* Only the address's own connections count against its cap. */
        if (yield_one(oldest_idle(owner, addr, 1)) != 0)
            return -1;
        total--;
    }
    /* The address's own idle connections first, then anyone's. */
    if (total >= caps->limit && yield_one(oldest_idle(owner, addr, 1)) != 0 &&
        yield_one(oldest_idle(owner, addr, 0)) != 0)
        return -1;
    return 0;
}

conn_state *conn_guard_open(struct MHD_Connection *c, const void *owner, const conn_caps *caps) {
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

void conn_guard_close(conn_state *cs) {
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

void conn_guard_request_line(conn_state *cs) {
    int idle = PHASE_IDLE; /* a yielded connection stays yielded: it is being closed */
    atomic_compare_exchange_strong(&cs->phase, &idle, PHASE_BUSY);
    cs->request_end = now_ms() + request_ms;
    if (atomic_load(&cs->deadline) > cs->request_end)
        atomic_store(&cs->deadline, cs->request_end);
}

void conn_guard_header_complete(conn_state *cs) {
    atomic_store(&cs->in_body, 1);
    atomic_store(&cs->deadline, cs->request_end);
}

void conn_guard_body_complete(conn_state *cs) {
    atomic_store(&cs->deadline, 0);
}

void conn_guard_request_done(conn_state *cs) {
    atomic_store(&cs->saw_nul, 0);
    atomic_store(&cs->in_body, 0);
    long long now = now_ms();
    atomic_store(&cs->idle_ms, now);
    atomic_store(&cs->deadline, now + header_ms);
    int busy = PHASE_BUSY;
    atomic_compare_exchange_strong(&cs->phase, &busy, PHASE_IDLE);
}

void conn_guard_close_within(conn_state *cs, long long ms) {
    atomic_store(&cs->deadline, now_ms() + ms);
}

size_t conn_guard_unescape(void *cls, struct MHD_Connection *c, char *s) {
    (void)cls;
    size_t len = MHD_http_unescape(s);
    if (strlen(s) != len) { /* a %00 decoded into the middle */
        conn_state *cs = conn_guard_of(c);
        if (cs)
            atomic_store(&cs->saw_nul, 1);
    }
    return len;
}

void conn_guard_get_counts(conn_guard_counts *out) {
    out->header_timeouts = atomic_load(&header_timeouts);
    out->request_timeouts = atomic_load(&request_timeouts);
    out->idle_yields = atomic_load(&idle_yields);
    out->refused = atomic_load(&refused);
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
    sweeper_running = 1;
    return 0;
}

void conn_guard_stop(void) {
    atomic_store(&sweeping, 0);
    if (sweeper_running)
        pthread_join(sweeper, NULL);
    sweeper_running = 0;
}
