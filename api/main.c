/* titanic-api: the HTTP service behind the load balancer. Reads its configuration from the
 * environment, checks the schema, loads the active model, serves, reloads models when the trainer
 * publishes one (or on SIGHUP), and drains gracefully on SIGTERM. */
#include "build_info.h"
#include "access_log.h"
#include "api_db.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "lookup_batch.h"
#include "migrate.h"
#include "model_holder.h"
#include "monitor.h"
#include "routes.h"
#include "server.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define EXIT_CONFIG 2
#define EXIT_SCHEMA 1

typedef struct {
    server_options server;
    long metrics_port; /* 0: /metrics on the public port */
    long header_timeout_seconds;
    long request_timeout_seconds;
    const char *keys_file; /* NULL: no authentication */
    long grace_seconds;
    long poll_seconds;
    long monitor_log_seconds; /* 0: no drift summary in the log */
    /* Batched GET /passengers/{id} (lookup_batch.h). 3 threads waiting up to 200 us: the best
     * of 2-4 threads and 0-200 us at wrk -c64 on the 2-core bench machine (bench/api.sh). */
    long lookup_threads;
    long lookup_wait_us; /* how long a busy lookup thread waits to fill a batch */
    char *conninfo;
} api_config;

static void usage(void) {
    puts(
        "usage: titanic-api                     serve the Titanic API (configured by environment)\n"
        "       titanic-api --new-key ROLE [LABEL]  print a new API key and its API_KEYS_FILE "
        "line\n"
        "\n"
        "environment:\n"
        "  PORT (5000)  BIND (0.0.0.0)  THREADS (CPU count)\n"
        "  LOOKUP_THREADS (3)  LOOKUP_BATCH_WAIT_US (200; 0: send every batch at once)\n"
        "  DATABASE_URL or DATABASE_URL_FILE, else libpq's PG* variables\n"
        "  API_KEYS_FILE (unset: writes unauthenticated)  AUTH_REQUIRED_FOR_READS (0)\n"
        "  METRICS_PORT (unset: /metrics on PORT, behind a key when API_KEYS_FILE is set)\n"
        "  MAX_BODY_BYTES (1048576)  MAX_BATCH (1000)  PEOPLE_LIST_MAX (1000)\n"
        "  BODY_BUDGET_BYTES (67108864: all buffered request bodies together)\n"
        "  CONNECTION_LIMIT (4096, at most the open-file limit less a reserve)\n"
        "  PER_IP_CONNECTION_LIMIT (an eighth of CONNECTION_LIMIT)  HEADER_TIMEOUT_SECONDS (10)\n"
        "  REQUEST_TIMEOUT_SECONDS (30: header and body of a request)\n"
        "  CONNECTION_TIMEOUT_SECONDS (15)  HEADER_BYTES (8192)\n"
        "  SHUTDOWN_GRACE_SECONDS (20)  MODEL_POLL_SECONDS (30)  LOG_LEVEL  LOG_FORMAT\n"
        "  MODEL_DOCUMENT_MAX_BYTES (4194304)\n"
        "  PREDICTION_MONITORING (1)  MONITOR_LOG_SECONDS (60, 0: no drift summary lines)\n"
        "signals: SIGHUP reloads the model and API_KEYS_FILE; SIGTERM drains in-flight requests\n"
        "and exits 0.");
}

/* The default total connection cap: 4096, or fewer when the open-file limit (the pod's, or the
 * shell's) cannot hold that many plus the descriptors the process needs besides. */
#define FD_RESERVE 64
static long default_connection_limit(long threads) {
    struct rlimit rl;
    long limit = 4096;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        long room = (long)rl.rlim_cur - FD_RESERVE - 2 * threads;
        if (room < limit)
            limit = room;
    }
    return limit < 16 ? 16 : limit;
}

static int read_config(api_config *c, char *err, size_t errlen) {
    long port, threads, body, budget, batch, people, limit, per_ip, timeout, header, reads, doc_max,
        monitoring;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (config_env_long("PORT", 5000, 0, 65535, &port, err, errlen) ||
        config_env_long("THREADS", cpus > 0 ? cpus : 2, 1, 256, &threads, err, errlen) ||
        config_env_long("LOOKUP_THREADS", 3, 1, 16, &c->lookup_threads, err, errlen) ||
        config_env_long("LOOKUP_BATCH_WAIT_US", 200, 0, 100000, &c->lookup_wait_us, err, errlen) ||
        config_env_long("MAX_BODY_BYTES", 1 << 20, 1024, 64L << 20, &body, err, errlen) ||
        config_env_long("BODY_BUDGET_BYTES", 64L << 20, 1024, 1L << 40, &budget, err, errlen) ||
        config_env_long("MAX_BATCH", 1000, 1, 100000, &batch, err, errlen) ||
        config_env_long("PEOPLE_LIST_MAX", 1000, 1, 100000, &people, err, errlen) ||
        config_env_long("CONNECTION_LIMIT", default_connection_limit(threads), 16, 1000000, &limit,
                        err, errlen) ||
        /* An eighth: an ALB node (one per zone, more as it scales) holds far more than a pod
         * serves at once, idle ones yield to new connections anyway, and a few addresses that
         * hold theirs with slow requests still leave room for everyone else. */
        config_env_long("PER_IP_CONNECTION_LIMIT", limit / 8, 0, 1000000, &per_ip, err, errlen) ||
        config_env_long("HEADER_TIMEOUT_SECONDS", 10, 1, 3600, &c->header_timeout_seconds, err,
                        errlen) ||
        config_env_long("REQUEST_TIMEOUT_SECONDS", 30, 1, 3600, &c->request_timeout_seconds, err,
                        errlen) ||
        config_env_long("METRICS_PORT", 0, 0, 65535, &c->metrics_port, err, errlen) ||
        config_env_long("AUTH_REQUIRED_FOR_READS", 0, 0, 1, &reads, err, errlen) ||
        config_env_long("MODEL_DOCUMENT_MAX_BYTES", 4L << 20, 4096, 64L << 20, &doc_max, err,
                        errlen) ||
        config_env_long("CONNECTION_TIMEOUT_SECONDS", 15, 1, 3600, &timeout, err, errlen) ||
        config_env_long("HEADER_BYTES", 8192, 4096, 1 << 20, &header, err, errlen) ||
        config_env_long("SHUTDOWN_GRACE_SECONDS", 20, 0, 3600, &c->grace_seconds, err, errlen) ||
        config_env_long("MODEL_POLL_SECONDS", 30, 1, 86400, &c->poll_seconds, err, errlen) ||
        config_env_long("PREDICTION_MONITORING", 1, 0, 1, &monitoring, err, errlen) ||
        config_env_long("MONITOR_LOG_SECONDS", 60, 0, 86400, &c->monitor_log_seconds, err, errlen))
        return -1;
    c->server = (server_options){.bind = config_env_string("BIND", "0.0.0.0"),
                                 .port = (int)port,
                                 .threads = (int)threads,
                                 .connection_limit = (unsigned)limit,
                                 .per_ip_connection_limit = (unsigned)per_ip,
                                 .authenticate = 1,
                                 .connection_timeout_seconds = (unsigned)timeout,
                                 .header_memory = (size_t)header,
                                 .handler = routes_dispatch,
                                 .resolve = routes_resolve};
    monitor_enabled = (int)monitoring;
    http_config.max_body_bytes = (size_t)body;
    http_config.body_budget_bytes = (size_t)budget;
    http_config.max_batch = (int)batch;
    http_config.people_list_max = (size_t)people;
    http_config.reads_need_key = (int)reads;
    model_holder_limits = (model_limits){(size_t)doc_max};
    http_config.metrics_separate = c->metrics_port != 0;
    c->keys_file = getenv("API_KEYS_FILE"); /* set but empty is an error (read_keys) */
    return config_database_url(&c->conninfo, err, errlen);
}

/* The internal listener for METRICS_PORT: /metrics and /health only, one thread, no keys (the
 * Ingress does not route it; the NetworkPolicy admits only the scraper). Same address as BIND. */
static server *start_metrics_server(const api_config *c, char *err, size_t errlen) {
    server_options o = c->server;
    o.port = (int)c->metrics_port;
    o.threads = 1;
    o.connection_limit = 64;
    o.per_ip_connection_limit = 0;
    o.resolve = routes_resolve_internal;
    o.authenticate = 0;
    return server_start(&o, err, errlen);
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

/* API keys, at start and again on SIGHUP (reloading). At start a malformed file stops the server
 * (it names the line); no file is allowed, for local development, but said loudly at every
 * start. On SIGHUP a broken file keeps the keys in force (a typo must not lock every client out,
 * nor open the server). Returns -1 when the file is not used. */
static int read_keys(const api_config *c, int reloading) {
    char err[512];
    if (!c->keys_file) {
        if (!reloading)
            log_warn("API_KEYS_FILE is not set: writes (POST/PUT/DELETE /people) are "
                     "unauthenticated and /metrics is open; set it before exposing this server",
                     NULL);
        return 0;
    }
    /* Set but empty, missing or without a key: a mistake in the deployment, never a reason to
     * run open (unset is the only way to run without keys). */
    int n = c->keys_file[0] ? auth_load(c->keys_file, err, sizeof err) : -1;
    if (!c->keys_file[0])
        snprintf(err, sizeof err, "API_KEYS_FILE is set but empty (unset it to run without keys)");
    else if (n == 0 && !reloading)
        snprintf(err, sizeof err, "API_KEYS_FILE %.256s holds no key", c->keys_file);
    if (n < 0 || (n == 0 && !reloading)) {
        log_error(reloading ? "API_KEYS_FILE not reloaded; the previous keys stay in force"
                            : "refusing to start: no usable API_KEYS_FILE",
                  "{s:s}", "error", err);
        return -1;
    }
    log_info(reloading ? "API keys reloaded" : "API keys loaded", "{s:s, s:i, s:b}", "file",
             c->keys_file, "keys", n, "reads_need_key", http_config.reads_need_key);
    return 0;
}

/* `titanic-api --new-key ROLE [LABEL]`: the key for the client, and the line for the file. */
static int new_key(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fputs("usage: titanic-api --new-key reader|writer|admin [LABEL]\n", stderr);
        return EXIT_CONFIG;
    }
    char key[128], line[256], err[256];
    if (auth_new_key(argv[2], argc == 4 ? argv[3] : NULL, key, sizeof key, line, sizeof line, err,
                     sizeof err) != 0) {
        fprintf(stderr, "titanic-api: --new-key: %s\n", err);
        return EXIT_CONFIG;
    }
    printf("key: %s\nline: %s\n", key, line);
    fputs("Give the key to the client (it is shown once and stored nowhere); add the line to "
          "API_KEYS_FILE and send the server SIGHUP.\n",
          stderr);
    return 0;
}

/* Waits for the signals of set in this thread (they are blocked everywhere else). */
static void serve_until_terminated(server *s, const api_config *c, const sigset_t *set) {
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            log_info("SIGHUP: checking for a new model", NULL);
            model_holder_wake();
            read_keys(c, 1);
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
        if (!strcmp(argv[1], "--new-key"))
            return new_key(argc, argv);
        if (!strcmp(argv[1], "--version")) {
            printf("titanic-api %s (git %s)\n", TITANIC_VERSION, titanic_git_revision);
            return 0;
        }
        usage();
        return strcmp(argv[1], "--help") == 0 ? 0 : EXIT_CONFIG;
    }
    struct timespec started = clock_now();
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
    if (read_keys(&c, 0) != 0) {
        free(c.conninfo); /* exits cleanly under LeakSanitizer too (the tests' ASan pass) */
        return EXIT_CONFIG;
    }
    if (prepare_database(c.conninfo) != 0) {
        free(c.conninfo);
        return EXIT_SCHEMA;
    }
    api_db_configure(c.conninfo);
    monitor_start((int)c.monitor_log_seconds);
    if (access_log_start(monitor_log_when_due) != 0)
        log_warn("access log unbuffered and no drift summary lines: cannot start the log thread",
                 NULL);
    if (conn_guard_start((unsigned)c.header_timeout_seconds, (unsigned)c.request_timeout_seconds) !=
        0) {
        log_error("cannot start", "{s:s}", "error", "connection guard thread");
        return 1;
    }
    if (lookup_batch_start((int)c.lookup_threads, c.lookup_wait_us, err, sizeof err) != 0) {
        log_error("cannot start", "{s:s}", "error", err);
        return 1;
    }
    server *s = server_start(&c.server, err, sizeof err);
    server *metrics = s && c.metrics_port ? start_metrics_server(&c, err, sizeof err) : NULL;
    if (!s || (c.metrics_port && !metrics) ||
        model_holder_start_reloader(c.conninfo, (int)c.poll_seconds) != 0) {
        log_error("cannot start", "{s:s}", "error",
                  s && (metrics || !c.metrics_port) ? "reloader thread" : err);
        return 1;
    }
    log_info("listening", "{s:s, s:i, s:i, s:i, s:i, s:i, s:f}", "bind", c.server.bind, "port",
             server_port(s), "metrics_port", metrics ? server_port(metrics) : 0, "threads",
             c.server.threads, "connection_limit", (int)c.server.connection_limit, "model_version",
             model_holder_version(), "startup_ms", clock_seconds_since(&started) * 1e3);
    serve_until_terminated(s, &c, &blocked);
    if (metrics)
        server_drain_and_stop(metrics, 0);
    lookup_batch_stop(); /* after the server: nothing is parked any more */
    conn_guard_stop();
    access_log_stop(); /* every line of the drained requests is out before we exit */
    model_holder_shutdown();
    auth_free();
    free(c.conninfo);
    return 0;
}
