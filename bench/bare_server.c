/* bare_server: the floor of this HTTP stack for bench/api.sh.
 *
 * The very server titanic-api runs (api/server.c: the same libmicrohttpd daemon, flags, limits,
 * timing, metrics and access log), started with a handler that answers every request with a
 * fixed JSON body the size of a /predict answer. No routing, no JSON parsing, no database:
 * whatever titanic-api costs beyond this is its own, and the two cannot drift apart because there
 * is only one server.
 *
 * Usage: bare_server PORT [THREADS]   (binds 127.0.0.1; SIGINT/SIGTERM stop it)
 * Built by CMake as titanic-bare-server. */
#include "config.h"
#include "http.h"
#include "log.h"
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char BODY[] =
    "{\"probability\":0.109327128140853,\"survived\":false,\"model_version\":1}";
static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static enum MHD_Result fixed_answer(http_request *r) {
    return http_text(r, 200, "application/json", BODY, sizeof BODY - 1);
}

int main(int argc, char **argv) {
    long port = 0, threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (argc < 2 || argc > 3 || config_parse_long(argv[1], 1, 65535, &port) != 0 ||
        (argc == 3 && config_parse_long(argv[2], 1, 256, &threads) != 0)) {
        fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
    }
    char err[256];
    if (log_init("bare", err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The settings titanic-api starts with by default (api/main.c). */
    server_options options = {.bind = "127.0.0.1",
                              .port = (int)port,
                              .threads = (int)threads,
                              .connection_limit = 4096,
                              .connection_timeout_seconds = 15,
                              .header_memory = 8192,
                              .handler = fixed_answer};
    server *s = server_start(&options, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 1;
    }
    fprintf(stderr, "bare_server: 127.0.0.1:%ld, %ld threads\n", port, threads);
    while (!stop)
        pause();
    server_drain_and_stop(s, 1.0);
    return 0;
}
