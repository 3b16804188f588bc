/* titanic-api: the HTTP service behind the load balancer. Reads its configuration from the
 * environment, checks the schema, loads the active model, serves, reloads models when the trainer
 * publishes one (or on SIGHUP), and drains gracefully on SIGTERM. */
#include "access_log.h"
#include "api_db.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "migrate.h"
#include "model_holder.h"
#include "routes.h"
#include "server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EXIT_CONFIG 2
#define EXIT_SCHEMA 1

typedef struct {
    server_options server;
    long grace_seconds;
    long poll_seconds;
    char *conninfo;
} api_config;

static void usage(void) {
    puts("usage: titanic-api        serve the Titanic API (configured by environment)\n"
         "\n"
         "environment:\n"
         "  PORT (5000)  BIND (0.0.0.0)  THREADS (CPU count)\n"
         "  DATABASE_URL or DATABASE_URL_FILE, else libpq's PG* variables\n"
         "  MAX_BODY_BYTES (1048576)  MAX_BATCH (1000)  PEOPLE_LIST_MAX (100000)\n"
         "  CONNECTION_LIMIT (4096)  CONNECTION_TIMEOUT_SECONDS (15)  HEADER_BYTES (8192)\n"
         "  SHUTDOWN_GRACE_SECONDS (20)  MODEL_POLL_SECONDS (30)  LOG_LEVEL  LOG_FORMAT\n"
         "signals: SIGHUP reloads the model; SIGTERM drains in-flight requests and exits 0.");
}

static int read_config(api_config *c, char *err, size_t errlen) {
    long port, threads, body, batch, people, limit, timeout, header;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (config_env_long("PORT", 5000, 0, 65535, &port, err, errlen) ||
        config_env_long("THREADS", cpus > 0 ? cpus : 2, 1, 256, &threads, err, errlen) ||
        config_env_long("MAX_BODY_BYTES", 1 << 20, 1024, 64L << 20, &body, err, errlen) ||
        config_env_long("MAX_BATCH", 1000, 1, 100000, &batch, err, errlen) ||
        config_env_long("PEOPLE_LIST_MAX", 100000, 1, 10000000, &people, err, errlen) ||
        config_env_long("CONNECTION_LIMIT", 4096, 16, 1000000, &limit, err, errlen) ||
        config_env_long("CONNECTION_TIMEOUT_SECONDS", 15, 1, 3600, &timeout, err, errlen) ||
        config_env_long("HEADER_BYTES", 8192, 4096, 1 << 20, &header, err, errlen) ||
        config_env_long("SHUTDOWN_GRACE_SECONDS", 20, 0, 3600, &c->grace_seconds, err, errlen) ||
        config_env_long("MODEL_POLL_SECONDS", 30, 1, 86400, &c->poll_seconds, err, errlen))
        return -1;
    c->server = (server_options){.bind = config_env_string("BIND", "0.0.0.0"),
                                 .port = (int)port,
                                 .threads = (int)threads,
                                 .connection_limit = (unsigned)limit,
                                 .connection_timeout_seconds = (unsigned)timeout,
                                 .header_memory = (size_t)header,
                                 .handler = routes_dispatch};
    http_config.max_body_bytes = (size_t)body;
    http_config.max_batch = (int)batch;
    http_config.people_list_max = (size_t)people;
    return config_database_url(&c->conninfo, err, errlen);
}

/* Checks the schema and loads the model before serving, so a healthy start is ready at once.
 * Returns -1 only for a schema this build must not run against; an unreachable database is not
 * fatal (the reloader keeps trying and /ready says why). */
static int prepare_database(const char *conninfo) {
    char err[1024];
    PGconn *conn = db_connect_timeout(conninfo, "titanic-api", 3, err, sizeof err);
    if (!conn) {
        log_warn("database not reachable at start; serving, not ready", "{s:s}", "error", err);
        return 0;
    }
    if (migrate_check(conn, embedded_migrations, embedded_migration_count, err, sizeof err) != 0) {
        log_error("refusing to start: database schema does not match this build", "{s:s}", "error",
                  err);
        PQfinish(conn);
        return -1;
    }
    if (model_holder_refresh(conn, err, sizeof err) < 0)
        log_warn("no model loaded at start", "{s:s}", "error", err);
    PQfinish(conn);
    return 0;
}

/* Waits for signals in this thread (they are blocked everywhere else). */
static void serve_until_terminated(server *s, const api_config *c) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("SIGHUP: checking for a new model", NULL);
            model_holder_wake();
            continue;
        }
        log_info("shutting down: draining requests", "{s:i, s:I}", "signal", sig, "grace_seconds",
                 (json_int_t)c->grace_seconds);
        int left = server_drain_and_stop(s, (double)c->grace_seconds);
        if (left)
            log_warn("grace period over with requests in flight", "{s:i}", "in_flight", left);
        else
            log_info("drained; bye", NULL);
        return;
    }
}

int main(int argc, char **argv) {
    char err[1024];
    if (argc > 1) {
        if (!strcmp(argv[1], "--version")) {
            printf("titanic-api %s\n", TITANIC_VERSION);
            return 0;
        }
        usage();
        return strcmp(argv[1], "--help") == 0 ? 0 : EXIT_CONFIG;
    }
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    api_config c;
    if (log_init("api", err, sizeof err) != 0 || read_config(&c, err, sizeof err) != 0) {
        fprintf(stderr, "titanic-api: %s\n", err);
        return EXIT_CONFIG;
    }
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &blocked, NULL); /* inherited by every thread started below */
    signal(SIGPIPE, SIG_IGN);
    if (prepare_database(c.conninfo) != 0)
        return EXIT_SCHEMA;
    api_db_configure(c.conninfo);
    if (access_log_start() != 0)
        log_warn("access log unbuffered: cannot start its flusher thread", NULL);
    server *s = server_start(&c.server, err, sizeof err);
    if (!s || model_holder_start_reloader(c.conninfo, (int)c.poll_seconds) != 0) {
        log_error("cannot start", "{s:s}", "error", s ? "reloader thread" : err);
        return 1;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    log_info("listening", "{s:s, s:i, s:i, s:i, s:f}", "bind", c.server.bind, "port",
             server_port(s), "threads", c.server.threads, "model_version", model_holder_version(),
             "startup_ms",
             (double)(now.tv_sec - started.tv_sec) * 1e3 +
                 (double)(now.tv_nsec - started.tv_nsec) / 1e6);
    serve_until_terminated(s, &c);
    access_log_stop(); /* every line of the drained requests is out before we exit */
    api_db_close_all();
    model_holder_shutdown();
    free(c.conninfo);
    return 0;
}
