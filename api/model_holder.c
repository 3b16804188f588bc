/* Atomic model swap, the reloader thread and the LRU cache of other stored versions. See
 * model_holder.h. */
#include "model_holder.h"

#include "api_db.h"
#include "db.h"
#include "errors.h"
#include "log.h"
#include "migrate.h"
#include "models_store.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct model_ref {
    titanic_model *model;
    atomic_int refs;
};

model_limits model_holder_limits = {4u << 20};

typedef struct {
    model_ref *ref; /* the holder's own reference; NULL when the slot is free */
    int version;
    unsigned long used; /* tick of the last use: the smallest cached one is evicted */
} held_model;

/* The models held: held[0] is the current one, the others a small LRU cache of other stored
 * versions (below). One lock over them and the schema problem: held for a few pointer moves or a
 * copy, never while loading. */
static pthread_mutex_t holder_lock = PTHREAD_MUTEX_INITIALIZER;
static held_model held[1 + MODEL_CACHE_SLOTS];
static unsigned long ticks;
static atomic_int current_version;

static char schema_problem[512]; /* under holder_lock */

static pthread_t reloader;
static int reloader_running;
static int wake_pipe[2] = {-1, -1};
static atomic_int stopping;
static char *reloader_conninfo;
static int reloader_poll_seconds;

static void model_ref_retain(model_ref *ref) {
    if (ref)
        atomic_fetch_add(&ref->refs, 1);
}

model_ref *model_holder_acquire(void) {
    pthread_mutex_lock(&holder_lock);
    model_ref *ref = held[0].ref;
    model_ref_retain(ref);
    pthread_mutex_unlock(&holder_lock);
    return ref;
}

const titanic_model *model_ref_model(const model_ref *ref) {
    return ref->model;
}

void model_holder_release(model_ref *ref) {
    if (ref && atomic_fetch_sub(&ref->refs, 1) == 1) {
        model_free(ref->model);
        free(ref);
    }
}

int model_holder_version(void) {
    return atomic_load(&current_version);
}

/* A just-loaded model as a reference-counted one: takes m and one reference; model_holder_release
 * drops it, the last one frees m. NULL when m is (the loader said why in err) or when out of
 * memory (m freed). */
static model_ref *model_ref_wrap(titanic_model *m, char *err, size_t errlen) {
    model_ref *ref = m ? calloc(1, sizeof *ref) : NULL;
    if (!ref) {
        if (m)
            errorf(err, errlen, "out of memory");
        model_free(m);
        return NULL;
    }
    ref->model = m;
    atomic_init(&ref->refs, 1);
    return ref;
}

/* Makes ref (the holder's own reference) the current model; the old one is freed
 * when its last request finishes. */
static void install(model_ref *ref) {
    pthread_mutex_lock(&holder_lock);
    model_ref *old = held[0].ref;
    held[0] = (held_model){ref, model_version(ref->model), 0};
    atomic_store(&current_version, held[0].version);
    pthread_mutex_unlock(&holder_lock);
    model_holder_release(old);
}

int model_holder_refresh(PGconn *conn, char *err, size_t errlen) {
    int version = models_store_active_version(store_on(conn), err, errlen);
    if (version < 0)
        return -1;
    if (version == 0) {
        snprintf(err, errlen, "no active model in the database (run titanic-train)");
        return -1;
    }
    if (version == model_holder_version())
        return 0;
    model_ref *ref = model_ref_wrap(
        models_store_load_active_limited(store_on(conn), &model_holder_limits, err, errlen), err,
        errlen);
    if (!ref)
        return -1;
    int old = model_holder_version(), version_loaded = model_version(ref->model);
    install(ref);
    log_info("model loaded", "{s:i, s:i}", "version", version_loaded, "previous", old);
    return 1;
}

int model_holder_schema_problem(char *reason, size_t len) {
    pthread_mutex_lock(&holder_lock);
    int problem = schema_problem[0] != '\0';
    if (problem)
        snprintf(reason, len, "%s", schema_problem);
    pthread_mutex_unlock(&holder_lock);
    return problem;
}

/* NULL clears. */
static void model_holder_set_schema_problem(const char *reason) {
    pthread_mutex_lock(&holder_lock);
    snprintf(schema_problem, sizeof schema_problem, "%.500s", reason ? reason : "");
    pthread_mutex_unlock(&holder_lock);
}

/* ---- other stored versions ---- */

/* The version, current or cached, with a reference taken, or NULL. Called with the lock held. */
static model_ref *lookup_locked(int version) {
    for (int i = 0; i <= MODEL_CACHE_SLOTS; i++) {
        if (held[i].ref && held[i].version == version) {
            held[i].used = ++ticks;
            model_ref_retain(held[i].ref);
            return held[i].ref;
        }
    }
    return NULL;
}

/* Keeps ref (one reference given to the cache) and returns the one to use: another thread may
 * have loaded the same version meanwhile, and then its copy wins and ref is dropped. */
static model_ref *insert(int version, model_ref *ref) {
    pthread_mutex_lock(&holder_lock);
    model_ref *existing = lookup_locked(version);
    if (existing) {
        pthread_mutex_unlock(&holder_lock);
        model_holder_release(ref);
        return existing;
    }
    int victim = 1; /* never the current model */
    for (int i = 1; i <= MODEL_CACHE_SLOTS; i++) {
        if (!held[i].ref) {
            victim = i;
            break;
        }
        if (held[i].used < held[victim].used)
            victim = i;
    }
    model_ref *evicted = held[victim].ref;
    held[victim] = (held_model){ref, version, ++ticks};
    model_ref_retain(ref); /* the caller's reference, besides the cache's */
    pthread_mutex_unlock(&holder_lock);
    model_holder_release(evicted); /* freed when its last request finishes */
    return ref;
}

model_cache_status model_holder_acquire_version(int version, model_ref **ref, char *err,
                                                size_t errlen) {
    pthread_mutex_lock(&holder_lock);
    *ref = lookup_locked(version);
    pthread_mutex_unlock(&holder_lock);
    if (*ref)
        return MODEL_CACHE_OK;
    /* Loaded outside the lock: a slow database must not hold up requests for cached versions. */
    int found = 0, unavailable = 0;
    model_ref *loaded = model_ref_wrap(
        models_store_load_version_limited(api_db_store(), version, &model_holder_limits, &found,
                                          &unavailable, err, errlen),
        err, errlen);
    if (!loaded) /* found and available: unusable, or out of memory */
        return unavailable ? MODEL_CACHE_UNAVAILABLE
               : found     ? MODEL_CACHE_ERROR
                           : MODEL_CACHE_NOT_FOUND;
    *ref = insert(version, loaded);
    return MODEL_CACHE_OK;
}

/* Drops the current model and every cached one. */
static void drop_all(void) {
    pthread_mutex_lock(&holder_lock);
    model_ref *dropped[1 + MODEL_CACHE_SLOTS];
    for (int i = 0; i <= MODEL_CACHE_SLOTS; i++) {
        dropped[i] = held[i].ref;
        held[i].ref = NULL;
    }
    atomic_store(&current_version, 0);
    pthread_mutex_unlock(&holder_lock);
    for (int i = 0; i <= MODEL_CACHE_SLOTS; i++)
        model_holder_release(dropped[i]);
}

/* ---- the reloader thread ---- */

static PGconn *listen_connection(void) {
    char err[1024];
    PGconn *conn =
        db_connect_timeout(reloader_conninfo, "titanic-api-reloader", 5, err, sizeof err);
    if (!conn)
        return NULL;
    if (migrate_check(conn, embedded_migrations, embedded_migration_count, err, sizeof err) != 0) {
        log_error("database schema does not match this build", "{s:s}", "error", err);
        model_holder_set_schema_problem(err);
        PQfinish(conn);
        return NULL;
    }
    model_holder_set_schema_problem(NULL);
    /* The channel name is a compile-time constant; LISTEN takes no parameters. */
    if (db_exec(conn, "LISTEN " MODEL_NOTIFY_CHANNEL, 0, NULL, err, sizeof err) != 0) {
        log_warn("LISTEN failed", "{s:s}", "error", err);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static void refresh_logged(PGconn *conn) {
    char err[1024];
    if (model_holder_refresh(conn, err, sizeof err) < 0)
        log_warn("model reload failed; keeping the current model", "{s:s, s:i}", "error", err,
                 "version", model_holder_version());
}

/* Waits for a notification, a wake-up or the poll interval. Returns -1 when the connection
 * broke. */
static int wait_for_news(PGconn *conn) {
    /* A reload query that found the server gone leaves no socket to wait on (PQsocket is -1):
     * poll would then sleep the whole interval deaf to NOTIFY. Reconnect at once instead. */
    if (PQstatus(conn) != CONNECTION_OK || PQsocket(conn) < 0)
        return -1;
    struct pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {wake_pipe[0], POLLIN, 0}};
    int n = poll(fds, 2, reloader_poll_seconds * 1000);
    if (n < 0 && errno != EINTR)
        return -1;
    if (fds[1].revents & POLLIN) {
        char drain[64];
        while (read(wake_pipe[0], drain, sizeof drain) > 0) {
        }
    }
    if (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) {
        if (!PQconsumeInput(conn))
            return -1;
        PGnotify *note;
        while ((note = PQnotifies(conn)) != NULL)
            PQfreemem(note);
    }
    return PQstatus(conn) == CONNECTION_OK ? 0 : -1;
}

static void *reloader_main(void *arg) {
    (void)arg;
    PGconn *conn = NULL;
    while (!atomic_load(&stopping)) {
        if (!conn && !(conn = listen_connection())) {
            struct pollfd wake = {wake_pipe[0], POLLIN, 0};
            poll(&wake, 1, 1000); /* retry in a second, or sooner when woken */
            continue;
        }
        refresh_logged(conn);
        if (wait_for_news(conn) != 0) {
            log_warn("reloader lost its database connection; reconnecting", NULL);
            PQfinish(conn);
            conn = NULL;
        }
    }
    PQfinish(conn);
    return NULL;
}

int model_holder_start_reloader(const char *conninfo, int poll_seconds) {
    reloader_conninfo = strdup(conninfo ? conninfo : "");
    reloader_poll_seconds = poll_seconds > 0 ? poll_seconds : 30;
    if (!reloader_conninfo || pipe(wake_pipe) != 0)
        return -1;
    fcntl(wake_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);
    if (pthread_create(&reloader, NULL, reloader_main, NULL) != 0)
        return -1;
    reloader_running = 1;
    return 0;
}

void model_holder_wake(void) {
    if (wake_pipe[1] >= 0) {
        ssize_t ignored = write(wake_pipe[1], "x", 1);
        (void)ignored;
    }
}

void model_holder_shutdown(void) {
    atomic_store(&stopping, 1);
    model_holder_wake();
    if (reloader_running)
        pthread_join(reloader, NULL);
    reloader_running = 0;
    drop_all();
    free(reloader_conninfo);
    reloader_conninfo = NULL;
}
