/* HTTP server lifecycle: connections, request bodies and their limits, timing, metrics and the
 * access log, and the graceful drain. What a request means is the handler's business (server.h). */
#include "server.h"

#include "access_log.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct server {
    struct MHD_Daemon *daemon;
    int port;
    server_handler handler;
};

static atomic_int in_flight;

/* ---- request lifecycle ---- */

static http_request *new_request(struct MHD_Connection *c, const char *url, const char *method) {
    http_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->started = clock_now();
    r->connection = c;
    r->method = method;
    r->url = url;
    r->route = ROUTE_UNKNOWN;
    snprintf(r->path, sizeof r->path, "%s", url);
    atomic_fetch_add(&in_flight, 1);
    return r;
}

/* Accumulates the body up to the limit; past it, the rest is read and dropped and the request
 * answered 413 at the end (a client must be able to read the answer). */
static void take_body(http_request *r, const char *data, size_t len) {
    if (r->body_too_large)
        return;
    if (r->body_len + len > http_config.max_body_bytes) {
        r->body_too_large = 1;
        free(r->body);
        r->body = NULL;
        return;
    }
    char *grown = realloc(r->body, r->body_len + len + 1);
    if (!grown) {
        r->body_too_large = 1;
        return;
    }
    memcpy(grown + r->body_len, data, len);
    r->body = grown;
    r->body_len += len;
    r->body[r->body_len] = '\0';
}

static int declared_too_large(struct MHD_Connection *c) {
    const char *length =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return length && strtoull(length, NULL, 10) > http_config.max_body_bytes;
}

static enum MHD_Result too_large(http_request *r) {
    char message[96];
    snprintf(message, sizeof message, "request body larger than %zu bytes",
             http_config.max_body_bytes);
    return http_error(r, 413, message, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state) {
    (void)version;
    http_request *r = *state;
    if (!r) {
        if (!(r = new_request(c, url, method)))
            return MHD_NO;
        *state = r;
        if (declared_too_large(c)) /* refuse before reading a byte of it */
            return too_large(r);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        take_body(r, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->status) /* already answered (413 on Content-Length) */
        return MHD_YES;
    if (r->body_too_large)
        return too_large(r);
    server *s = cls;
    return s->handler(r);
}

/* Broken-down UTC time of a second, recomputed only when the second changes (per thread). */
static const struct tm *cached_utc(time_t second) {
    static _Thread_local time_t cached_second = -1;
    static _Thread_local struct tm cached;
    if (second != cached_second) {
        gmtime_r(&second, &cached);
        cached_second = second;
    }
    return &cached;
}

/* The access log: one line per request, in the log's format (buffered per worker thread, see
 * access_log.h). */
static void write_access_log(const http_request *r, double seconds) {
    char path[HTTP_PATH_LOG_MAX * 6 + 1];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)r->path; *p && o + 7 < sizeof path; p++) {
        if (*p == '"' || *p == '\\')
            o += (size_t)snprintf(path + o, sizeof path - o, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7F)
            o += (size_t)snprintf(path + o, sizeof path - o, "\\u%04x", *p);
        else
            path[o++] = (char)*p;
    }
    path[o] = '\0';
    char line[2048];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const struct tm *tm = cached_utc(now.tv_sec);
    long micros = (long)(seconds * 1e6 + 0.5); /* integer formatting: no floating-point printf */
    int n;
    if (log_is_json())
        n = snprintf(line, sizeof line,
                     "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"info\","
                     "\"component\":\"api\",\"message\":\"request\",\"method\":\"%.16s\","
                     "\"path\":\"%s\",\"route\":\"%s\",\"status\":%u,\"us\":%ld,\"bytes\":%zu}\n",
                     tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min,
                     tm->tm_sec, now.tv_nsec / 1000000L, r->method, path, route_template(r->route),
                     r->status, micros, r->bytes);
    else
        n = snprintf(line, sizeof line, "%02d:%02d:%02d %.16s %s %u %ldus %zub\n", tm->tm_hour,
                     tm->tm_min, tm->tm_sec, r->method, path, r->status, micros, r->bytes);
    if (n > 0)
        access_log_append(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)c;
    http_request *r = *state;
    if (!r)
        return;
    if (code != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->status == 0)
        r->status = 499; /* the client went away before an answer */
    double seconds = clock_seconds_since(&r->started);
    metrics_record(r->route, r->method, r->status, seconds);
    if (log_enabled(LOG_INFO))
        write_access_log(r, seconds);
    free(r->body);
    free(r);
    *state = NULL;
    atomic_fetch_sub(&in_flight, 1);
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
    s->handler = o->handler;
    s->daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, (uint16_t)o->port, NULL,
        NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)o->threads, MHD_OPTION_CONNECTION_LIMIT, o->connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->header_memory, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
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
    http_config.draining = 1;
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    struct timespec start = clock_now();
    while (atomic_load(&in_flight) > 0 && clock_seconds_since(&start) < grace_seconds) {
        struct timespec tick = {0, 5 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    int left = atomic_load(&in_flight);
    MHD_stop_daemon(s->daemon);
    free(s);
    return left;
}
