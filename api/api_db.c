/* Per-worker PostgreSQL connections for the API. See api_db.h. */
#include "api_db.h"

#include "clock.h"
#include "db.h"
#include "log.h"
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_INTERVAL_SECONDS 1.0
#define CONNECT_TIMEOUT_SECONDS 2
#define STATEMENT_TIMEOUT_SQL "SET statement_timeout = '5s'"

static const char *configured_conninfo = "";
static atomic_long stat_open, stat_connects, stat_failures, stat_dropped;

static _Thread_local PGconn *thread_conn;
static _Thread_local double thread_next_attempt;

/* A thread's connection is closed when the thread ends (libmicrohttpd's workers when the daemon
 * stops, the lookup threads when they are joined): the value of this key, whose destructor
 * pthreads runs at every thread's exit. thread_conn is the same connection, read faster. */
static pthread_key_t conn_key;
static pthread_once_t conn_key_once = PTHREAD_ONCE_INIT;

static void close_at_thread_exit(void *conn) {
    PQfinish(conn);
    atomic_fetch_sub(&stat_open, 1);
}

static void make_conn_key(void) {
    pthread_key_create(&conn_key, close_at_thread_exit);
}

void api_db_configure(const char *conninfo) {
    configured_conninfo = conninfo ? conninfo : "";
}

/* Which named statements this thread's connection has prepared, by position in
 * store_prepared_statements. Each is prepared on its first use, not all at connect: a statement
 * that cannot be prepared (a column renamed under us) then fails alone, as an error of that
 * request, instead of making the whole connection look unavailable. */
#define PREPARED_MAX 64
static _Thread_local unsigned char thread_prepared[PREPARED_MAX];

static int set_statement_timeout(PGconn *conn, char *err, size_t errlen) {
    memset(thread_prepared, 0, sizeof thread_prepared);
    return db_exec(conn, STATEMENT_TIMEOUT_SQL, 0, NULL, err, errlen);
}

static int prepared_slot(const store_statement *st) {
    for (int i = 0; i < PREPARED_MAX && store_prepared_statements[i]; i++)
        if (store_prepared_statements[i] == st)
            return i;
    return -1;
}

/* Prepares st (at slot) on conn unless done already. 0, or -1 with err. */
static int ensure_prepared(PGconn *conn, const store_statement *st, int slot, char *err,
                           size_t errlen) {
    if (thread_prepared[slot])
        return 0;
    PGresult *res =
        db_result(conn, PQprepare(conn, st->name, st->sql, st->nparams, NULL), err, errlen);
    int ok = res != NULL;
    PQclear(res);
    thread_prepared[slot] = (unsigned char)ok;
    return ok ? 0 : -1;
}

static void drop_connection(void) {
    if (!thread_conn)
        return;
    pthread_setspecific(conn_key, NULL);
    PQfinish(thread_conn);
    thread_conn = NULL;
    atomic_fetch_sub(&stat_open, 1);
    atomic_fetch_add(&stat_dropped, 1);
}

static PGconn *api_db_get(char *err, size_t errlen) {
    if (thread_conn)
        return thread_conn;
    static const struct timespec zero; /* CLOCK_MONOTONIC's origin */
    double now = clock_seconds_since(&zero);
    if (now < thread_next_attempt) {
        snprintf(err, errlen, "database unavailable (retrying)");
        return NULL;
    }
    thread_next_attempt = now + RETRY_INTERVAL_SECONDS;
    PGconn *conn = db_connect_timeout(configured_conninfo, "titanic-api", CONNECT_TIMEOUT_SECONDS,
                                      err, errlen);
    if (conn && set_statement_timeout(conn, err, errlen) != 0) {
        PQfinish(conn);
        conn = NULL;
    }
    if (!conn) {
        atomic_fetch_add(&stat_failures, 1);
        log_warn("database connection failed", "{s:s}", "error", err);
        return NULL;
    }
    atomic_fetch_add(&stat_open, 1);
    atomic_fetch_add(&stat_connects, 1);
    pthread_once(&conn_key_once, make_conn_key);
    pthread_setspecific(conn_key, conn);
    thread_conn = conn;
    return conn;
}

static PGresult *run_once(PGconn *conn, const store_statement *st, const char *const *params,
                          char *err, size_t errlen) {
    int slot = st->name ? prepared_slot(st) : -1; /* a name not in the list: sent as text */
    if (slot >= 0 && ensure_prepared(conn, st, slot, err, errlen) != 0)
        return NULL;
    return db_result(conn,
                     slot >= 0
                         ? PQexecPrepared(conn, st->name, st->nparams, params, NULL, NULL, 0)
                         : PQexecParams(conn, st->sql, st->nparams, NULL, params, NULL, NULL, 0),
                     err, errlen);
}

/* store_conn's run, on this thread's connection (ctx is unused). */
static PGresult *run_on_worker(void *ctx, const store_statement *st, const char *const *params,
                               int *unavailable, char *err, size_t errlen) {
    (void)ctx;
    *unavailable = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        PGconn *conn = api_db_get(err, errlen);
        if (!conn) {
            *unavailable = 1;
            return NULL;
        }
        PGresult *res = run_once(conn, st, params, err, errlen);
        if (res || PQstatus(conn) == CONNECTION_OK)
            return res;
        /* The server restarted or the network dropped: reconnect at once. A read is tried once
         * more, so a restart costs clients nothing; a write may have committed before the
         * connection dropped, so it is reported as failed, never sent twice. */
        log_warn("database connection lost", "{s:s}", "error", err);
        drop_connection();
        thread_next_attempt = 0;
        if (!st->read_only)
            break;
    }
    *unavailable = 1;
    return NULL;
}

store_conn api_db_store(void) {
    return (store_conn){run_on_worker, NULL};
}

void api_db_render_metrics(FILE *out) {
    metrics_family(out, "titanic_db_connections", "gauge", "Worker database connections by state.");
    fprintf(out, "titanic_db_connections{state=\"open\"} %ld\n", atomic_load(&stat_open));
    metrics_family(out, "titanic_db_connection_events_total", "counter",
                   "Database connection events.");
    fprintf(out,
            "titanic_db_connection_events_total{event=\"connected\"} %ld\n"
            "titanic_db_connection_events_total{event=\"connect_failed\"} %ld\n"
            "titanic_db_connection_events_total{event=\"dropped\"} %ld\n",
            atomic_load(&stat_connects), atomic_load(&stat_failures), atomic_load(&stat_dropped));
}
