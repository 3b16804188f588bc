/* bare_server: the ceiling of this HTTP stack for bench/api.sh.
 *
 * libmicrohttpd with the daemon flags titanic-api uses (internal thread pool with epoll,
 * MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC, one thread per core, connection limit 4096,
 * connection timeout 15 s, listen backlog 1024), answering every request with a fixed JSON
 * body the size of a /predict answer. A POST body is read and dropped. No routing, no JSON
 * parsing, no logging: whatever titanic-api costs beyond this is its own.
 *
 * Usage: bare_server PORT [THREADS]   (binds 127.0.0.1; SIGINT/SIGTERM stop it)
 * Build: cc -O2 -o bare_server bare_server.c $(pkg-config --cflags --libs libmicrohttpd)
 */
#include <microhttpd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char BODY[] =
    "{\"probability\":0.109327128140853,\"survived\":false,\"model_version\":1}";
static struct MHD_Response *response; /* shared, immutable: safe across the pool's threads */
static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state) {
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)data;
    static int first_call;
    if (*state == NULL) { /* headers arrived; the body (if any) comes in the next calls */
        *state = &first_call;
        return MHD_YES;
    }
    if (*size != 0) { /* a piece of the body: consume it */
        *size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, response);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
    }
    long port = strtol(argv[1], NULL, 10);
    long threads = argc == 3 ? strtol(argv[2], NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (port < 1 || port > 65535 || threads < 1 || threads > 256) {
        fprintf(stderr, "%s: bad PORT or THREADS\n", argv[0]);
        return 2;
    }
    response =
        MHD_create_response_from_buffer(sizeof BODY - 1, (void *)BODY, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
        on_request, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_CONNECTION_TIMEOUT, 15u,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "%s: cannot start on 127.0.0.1:%ld\n", argv[0], port);
        return 1;
    }
    fprintf(stderr, "bare_server: 127.0.0.1:%ld, %ld threads\n", port, threads);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    MHD_destroy_response(response);
    return 0;
}
