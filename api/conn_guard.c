/* Header deadlines and the sweeper that enforces them. See conn_guard.h. */
#include "conn_guard.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SWEEP_INTERVAL_MS 200

typedef struct guarded {
    struct guarded *prev, *next;
    int fd;
    atomic_llong deadline_ms; /* monotonic ms; 0 while a request is being handled */
    atomic_int saw_nul;
} guarded;

/* Every open connection. Removal (on close) and the sweeper's shutdown() both hold the lock, and
 * libmicrohttpd closes the descriptor only after the close notification returns: a swept
 * descriptor is never one already reused for another connection. */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static guarded *list_head;

static long long timeout_ms = 10000;
static atomic_long header_timeouts;
static atomic_int sweeping;
static pthread_t sweeper;
static int sweeper_running;

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static guarded *guard_of(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? (guarded *)info->socket_context : NULL;
}

static void track(struct MHD_Connection *c, void **socket_context) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    guarded *g = calloc(1, sizeof *g);
    if (!info || !g) {
        free(g); /* untracked: only the idle timeout applies to it */
        return;
    }
    g->fd = info->connect_fd;
    atomic_init(&g->deadline_ms, now_ms() + timeout_ms);
    atomic_init(&g->saw_nul, 0);
    pthread_mutex_lock(&list_lock);
    g->next = list_head;
    if (list_head)
        list_head->prev = g;
    list_head = g;
    pthread_mutex_unlock(&list_lock);
    *socket_context = g;
}

static void untrack(void **socket_context) {
    guarded *g = *socket_context;
    if (!g)
        return;
    pthread_mutex_lock(&list_lock);
    if (g->prev)
        g->prev->next = g->next;
    else
        list_head = g->next;
    if (g->next)
        g->next->prev = g->prev;
    pthread_mutex_unlock(&list_lock);
    free(g);
    *socket_context = NULL;
}

void conn_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode code) {
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        track(c, socket_context);
    else
        untrack(socket_context);
}

void conn_guard_header_complete(struct MHD_Connection *c) {
    guarded *g = guard_of(c);
    if (g)
        atomic_store(&g->deadline_ms, 0);
}

void conn_guard_request_done(struct MHD_Connection *c) {
    guarded *g = guard_of(c);
    if (g) {
        atomic_store(&g->saw_nul, 0);
        atomic_store(&g->deadline_ms, now_ms() + timeout_ms);
    }
}

size_t conn_guard_unescape(void *cls, struct MHD_Connection *c, char *s) {
    (void)cls;
    size_t len = MHD_http_unescape(s);
    if (strlen(s) != len) { /* a %00 decoded into the middle */
        guarded *g = guard_of(c);
        if (g)
            atomic_store(&g->saw_nul, 1);
    }
    return len;
}

int conn_guard_saw_nul(struct MHD_Connection *c) {
    guarded *g = guard_of(c);
    return g ? atomic_load(&g->saw_nul) : 0;
}

long conn_guard_header_timeouts(void) {
    return atomic_load(&header_timeouts);
}

static void sweep_once(void) {
    long long now = now_ms();
    pthread_mutex_lock(&list_lock);
    for (guarded *g = list_head; g; g = g->next) {
        long long deadline = atomic_load(&g->deadline_ms);
        if (deadline != 0 && now > deadline) {
            shutdown(g->fd, SHUT_RDWR);
            atomic_store(&g->deadline_ms, 0); /* once is enough; it closes soon */
            atomic_fetch_add(&header_timeouts, 1);
        }
    }
    pthread_mutex_unlock(&list_lock);
}

static void *sweeper_main(void *arg) {
    (void)arg;
    while (atomic_load(&sweeping)) {
        poll(NULL, 0, SWEEP_INTERVAL_MS);
        sweep_once();
    }
    return NULL;
}

int conn_guard_start(unsigned header_timeout_seconds) {
    timeout_ms = (long long)header_timeout_seconds * 1000;
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
