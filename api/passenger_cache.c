/* The lookups' passenger cache and its listening thread. See passenger_cache.h for when an entry
 * may be served. */
#include "passenger_cache.h"

#include "db.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Slots are locked in stripes: a lookup holds one for a copy of one entry. */
#define STRIPES 64

typedef struct {
    unsigned long generation; /* 0: empty */
    passenger p;
} entry;

static entry *slots;
static size_t slot_count;
static pthread_mutex_t stripes[STRIPES];
static atomic_ulong generation = 1;
static atomic_ulong hits, misses;

/* Barriers: started counts the "SELECT 1"s sent, done the ones answered; a lookup that read
 * started == s waits for done >= s + 1, a barrier sent after it arrived. wanted is the highest
 * number a lookup waits for. */
static pthread_mutex_t barrier_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t barrier_done = PTHREAD_COND_INITIALIZER;
static atomic_ulong started, done, wanted;
static atomic_int listening, stopping;

static pthread_t thread;
static int thread_running;
static int wake_pipe[2] = {-1, -1};
static char *listen_conninfo;

/* ---- entries ---- */

unsigned long passenger_cache_generation(void) {
    return atomic_load(&generation);
}

void passenger_cache_invalidate(void) {
    atomic_fetch_add(&generation, 1);
}

/* 1 and *out when the slot holds id in the current generation. */
static int lookup(int32_t id, passenger *out) {
    size_t slot = (uint32_t)id % slot_count;
    unsigned long current = atomic_load(&generation);
    pthread_mutex_t *lock = &stripes[slot % STRIPES];
    pthread_mutex_lock(lock);
    int hit = slots[slot].generation == current && slots[slot].p.id == id;
    if (hit)
        memcpy(out, &slots[slot].p, sizeof *out);
    pthread_mutex_unlock(lock);
    return hit;
}

void passenger_cache_put(const passenger *p, unsigned long read_generation) {
    if (!slots || !atomic_load(&listening))
        return;
    size_t slot = (uint32_t)p->id % slot_count;
    pthread_mutex_t *lock = &stripes[slot % STRIPES];
    pthread_mutex_lock(lock);
    /* Checked under the lock: an invalidation after this point makes the entry's generation an
     * old one, which no lookup serves. */
    if (atomic_load(&generation) == read_generation) {
        slots[slot].generation = read_generation;
        memcpy(&slots[slot].p, p, sizeof *p);
    }
    pthread_mutex_unlock(lock);
}

/* ---- barriers (lookup side) ---- */

static void wake_thread(void) {
    ssize_t ignored = write(wake_pipe[1], "x", 1);
    (void)ignored;
}

/* Waits until a barrier sent after this call was answered: 0, or -1 when none was within
 * PASSENGER_CACHE_WAIT_MS or the connection is down. */
static int await_barrier(void) {
    unsigned long target = atomic_load(&started) + 1;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += PASSENGER_CACHE_WAIT_MS * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&barrier_lock);
    if (atomic_load(&wanted) < target) {
        atomic_store(&wanted, target);
        wake_thread(); /* once per barrier, not per lookup */
    }
    int rc = 0;
    while (atomic_load(&done) < target && atomic_load(&listening) && rc == 0)
        rc = pthread_cond_timedwait(&barrier_done, &barrier_lock, &deadline);
    int ok = atomic_load(&done) >= target && atomic_load(&listening);
    pthread_mutex_unlock(&barrier_lock);
    return ok ? 0 : -1;
}

int passenger_cache_get(int32_t id, passenger *out) {
    passenger candidate;
    /* Only a slot that holds the id is worth a barrier; the rest go to the database at once. */
    int hit = slots && atomic_load(&listening) && lookup(id, &candidate) && await_barrier() == 0 &&
              lookup(id, out);
    atomic_fetch_add(hit ? &hits : &misses, 1);
    return hit;
}

void passenger_cache_counts(unsigned long *h, unsigned long *m) {
    *h = atomic_load(&hits);
    *m = atomic_load(&misses);
}

/* ---- the listening thread ---- */

static void set_listening(int on) {
    passenger_cache_invalidate();
    pthread_mutex_lock(&barrier_lock);
    atomic_store(&listening, on);
    pthread_cond_broadcast(&barrier_done); /* waiters give up at once when it went down */
    pthread_mutex_unlock(&barrier_lock);
}

static PGconn *connect_and_listen(void) {
    char err[512];
    PGconn *conn = db_connect_timeout(listen_conninfo, "titanic-api-cache", 5, err, sizeof err);
    if (conn && db_exec(conn, "LISTEN " PASSENGERS_CACHE_CHANNEL, 0, NULL, err, sizeof err) != 0) {
        PQfinish(conn);
        conn = NULL;
    }
    if (!conn)
        log_warn("passenger cache: no LISTEN connection; lookups ask the database", "{s:s}",
                 "error", err);
    return conn;
}

static void drain_notifications(PGconn *conn) {
    PGnotify *note;
    while ((note = PQnotifies(conn)) != NULL) {
        passenger_cache_invalidate();
        PQfreemem(note);
    }
}

/* Reads what arrived: notifications, and the answer of the barrier in flight (*in_flight, its
 * number, 0 when none). -1 when the connection broke or the barrier failed. */
static int read_input(PGconn *conn, unsigned long *in_flight) {
    if (!PQconsumeInput(conn))
        return -1;
    drain_notifications(conn);
    if (!*in_flight || PQisBusy(conn))
        return 0;
    PGresult *res;
    int ok = 1;
    while ((res = PQgetResult(conn)) != NULL) {
        ok &= PQresultStatus(res) == PGRES_TUPLES_OK;
        PQclear(res);
    }
    /* Every notification sent ahead of the answer is parsed by now: empty the cache first. */
    drain_notifications(conn);
    if (!ok)
        return -1;
    pthread_mutex_lock(&barrier_lock);
    atomic_store(&done, *in_flight);
    pthread_cond_broadcast(&barrier_done);
    pthread_mutex_unlock(&barrier_lock);
    *in_flight = 0;
    return 0;
}

/* Sends the next barrier when a lookup waits for one and none is in flight. */
static int maybe_send_barrier(PGconn *conn, unsigned long *in_flight) {
    if (*in_flight || atomic_load(&wanted) <= atomic_load(&started))
        return 0;
    *in_flight = atomic_fetch_add(&started, 1) + 1; /* counted before it is sent */
    return PQsendQuery(conn, "SELECT 1") == 1 && PQflush(conn) == 0 ? 0 : -1;
}

/* Serves barriers and notifications on conn until it breaks or the cache stops. */
static void serve(PGconn *conn) {
    unsigned long in_flight = 0;
    set_listening(1);
    while (!atomic_load(&stopping)) {
        if (maybe_send_barrier(conn, &in_flight) != 0)
            break;
        struct pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {wake_pipe[0], POLLIN, 0}};
        if (poll(fds, 2, 1000) < 0 && errno != EINTR)
            break;
        char drain[64];
        while (read(wake_pipe[0], drain, sizeof drain) > 0) {
        }
        if ((fds[0].revents & (POLLIN | POLLERR | POLLHUP)) && read_input(conn, &in_flight) != 0)
            break;
    }
    set_listening(0);
    if (!atomic_load(&stopping))
        log_warn("passenger cache: LISTEN connection lost; reconnecting", NULL);
}

static void *cache_main(void *arg) {
    (void)arg;
    while (!atomic_load(&stopping)) {
        PGconn *conn = connect_and_listen();
        if (conn)
            serve(conn);
        PQfinish(conn);
        if (!atomic_load(&stopping)) {
            struct pollfd wake = {wake_pipe[0], POLLIN, 0};
            poll(&wake, 1, 1000); /* retry in a second */
        }
    }
    return NULL;
}

int passenger_cache_start(const char *conninfo, size_t count) {
    if (count == 0)
        return 0;
    slots = calloc(count, sizeof *slots);
    listen_conninfo = strdup(conninfo ? conninfo : "");
    if (!slots || !listen_conninfo || pipe(wake_pipe) != 0)
        return -1;
    slot_count = count;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&stripes[i], NULL);
    fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);
    if (pthread_create(&thread, NULL, cache_main, NULL) != 0)
        return -1;
    thread_running = 1;
    return 0;
}

void passenger_cache_stop(void) {
    atomic_store(&stopping, 1);
    if (thread_running) {
        wake_thread();
        pthread_join(thread, NULL);
        thread_running = 0;
    }
    free(slots);
    slots = NULL;
    free(listen_conninfo);
    listen_conninfo = NULL;
}
