/* HTTP server lifecycle: connections, request bodies and their limits, timing, metrics and the
 * access log, and the graceful drain. What a request means is the handler's business (server.h). */
#include "server.h"

#include "access_log.h"
#include "auth.h"
#include "clock.h"
#include "conn_guard.h"
#include "log.h"
#include "metrics.h"
#include "text_out.h"

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
    route_id (*classify)(const char *url);
    int authenticate;
};

static atomic_int in_flight;
static atomic_int parked; /* requests between server_park and server_unpark */

/* ---- request lifecycle ---- */

/* libmicrohttpd's URI callback, run as soon as the request line is read and before any header:
 * the request's state starts here, so that one refused while its headers are read (431) still
 * has its route and its start time. The result becomes the request's *state. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    (void)c;
    const server *s = cls;
    http_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->started = clock_now();
    r->route = s->classify ? s->classify(uri) : ROUTE_UNKNOWN;
    snprintf(r->path, sizeof r->path, "%s", uri);
    atomic_fetch_add(&in_flight, 1);
    return r;
}

/* Completes the state on_uri began, once the headers are in. */
static void begin_request(http_request *r, struct MHD_Connection *c, const char *url,
                          const char *method) {
    r->connection = c;
    r->method = method;
    r->url = url;
    snprintf(r->path, sizeof r->path, "%s", url);
    request_id_for(c, r->request_id);
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

/* Who is calling, and whether they may: answers 401/403 (and returns 1) when not. A key is
 * looked up even where none is needed, so the access log names every known caller. */
static int refused(http_request *r) {
    const char *authorization =
        MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    int malformed = auth_identify(authorization, &r->who) != 0;
    if (!auth_enabled())
        return 0; /* no keys configured: open (main.c warns at every start) */
    auth_need need = auth_requirement(r->method, r->url, http_config.reads_need_key);
    if (need == AUTH_NEED_NOTHING)
        return 0;
    if (r->who.role == AUTH_NONE) {
        const char *message = malformed ? "malformed Authorization header; expected: Bearer KEY"
                              : authorization ? "unknown API key"
                                              : "this request needs an API key (Authorization: "
                                                "Bearer KEY)";
        http_error_with_header(r, 401, message, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                               authorization
                                   ? "Bearer realm=\"titanic-api\", error=\"invalid_token\""
                                   : "Bearer realm=\"titanic-api\"");
        return 1;
    }
    if (need == AUTH_NEED_WRITER && r->who.role < AUTH_WRITER) {
        http_error(r, 403, "this key may only read; writes need a writer or admin key", NULL);
        return 1;
    }
    return 0;
}

/* Checks made once the header is complete, before any of the body is read. Returns 1 when the
 * request has been answered. */
static int answered_early(http_request *r, const server *s) {
    conn_guard_header_complete(r->connection);
    if (conn_guard_saw_nul(r->connection)) {
        http_error(r, 400, "NUL byte (%00) in the path or query", NULL);
        return 1;
    }
    if (s->authenticate && refused(r))
        return 1;
    if (declared_too_large(r->connection)) { /* refuse before reading a byte of it */
        too_large(r);
        return 1;
    }
    return 0;
}

/* ---- parking ---- */

void server_park(http_request *r, server_continuation then, void *data) {
    r->resume = then;
    r->resume_data = data;
    atomic_fetch_add(&parked, 1);
    /* Suspended before the caller hands r to another thread: a resume must never come first. */
    MHD_suspend_connection(r->connection);
}

void server_unpark(http_request *r) {
    /* Counted here, not when the continuation runs: a client that went away while parked is
     * closed on resume without it. */
    atomic_fetch_sub(&parked, 1);
    MHD_resume_connection(r->connection);
}

/* libmicrohttpd calls on_request again once a parked connection is resumed. */
static enum MHD_Result resume_parked(http_request *r) {
    server_continuation then = r->resume;
    r->resume = NULL;
    enum MHD_Result rc = then(r);
    free(r->resume_data);
    r->resume_data = NULL;
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **state) {
    (void)version;
    const server *s = cls;
    http_request *r = *state;
    if (!r) /* on_uri could not allocate */
        return MHD_NO;
    if (!r->connection) {
        begin_request(r, c, url, method);
        answered_early(r, s);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!r->status) /* a body after an early answer is read and dropped */
            take_body(r, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->status) /* already answered (400, 401, 403, 413 before the body) */
        return MHD_YES;
    if (r->body_too_large)
        return too_large(r);
    log_set_request_id(r->request_id); /* every line logged meanwhile names the request */
    enum MHD_Result rc = r->resume ? resume_parked(r) : s->handler(r);
    log_set_request_id(NULL);
    return rc;
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

/* Writes at most max bytes of text into out as the inside of a JSON string: quotes, backslashes
 * and control or non-ASCII bytes escaped, so no client-sent text (path, method) can end the
 * string and forge fields. */
static void json_escape_into(const char *text, size_t max, char *out, size_t outlen) {
    size_t o = 0, i = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && i < max && o + 7 < outlen;
         p++, i++) {
        if (*p == '"' || *p == '\\')
            o += (size_t)snprintf(out + o, outlen - o, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7F)
            o += (size_t)snprintf(out + o, outlen - o, "\\u%04x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = '\0';
}

#define METHOD_LOG_MAX 16

/* The JSON access-log line, appended piece by piece (snprintf's format parsing was a sixth of a
 * request's own work). line holds 2048 bytes: the escaped path and method take at most 1297,
 * the request id 128, the key's label 64, the route template, numbers and names under 400. */
static int json_access_line(char *line, const struct tm *tm, long millis, const char *method,
                            const char *path, const http_request *r, long micros, const char *key) {
    text_out o = {line};
    out_str(&o, "{\"time\":\"");
    out_long_width(&o, tm->tm_year + 1900, 4);
    *o.at++ = '-';
    out_long_width(&o, tm->tm_mon + 1, 2);
    *o.at++ = '-';
    out_long_width(&o, tm->tm_mday, 2);
    *o.at++ = 'T';
    out_long_width(&o, tm->tm_hour, 2);
    *o.at++ = ':';
    out_long_width(&o, tm->tm_min, 2);
    *o.at++ = ':';
    out_long_width(&o, tm->tm_sec, 2);
    *o.at++ = '.';
    out_long_width(&o, millis, 3);
    out_str(&o, "Z\",\"level\":\"info\",\"component\":\"api\",\"message\":\"request\","
                "\"method\":\"");
    out_str(&o, method);
    out_str(&o, "\",\"path\":\"");
    out_str(&o, path);
    out_str(&o, "\",\"route\":\"");
    out_str(&o, route_template(r->route));
    out_str(&o, "\",\"status\":");
    out_long(&o, (long)r->status);
    out_str(&o, ",\"us\":");
    out_long(&o, micros);
    out_str(&o, ",\"bytes\":");
    out_long(&o, (long)r->bytes);
    out_str(&o, ",\"request_id\":\"");
    out_str(&o, r->request_id);
    out_str(&o, "\",\"key\":\"");
    out_str(&o, key);
    out_str(&o, "\"}\n");
    *o.at = '\0';
    return (int)(o.at - line);
}

/* The access log: one line per request, in the log's format (buffered per worker thread, see
 * access_log.h). */
static void write_access_log(const http_request *r, double seconds) {
    char path[HTTP_PATH_LOG_MAX * 6 + 1], method[METHOD_LOG_MAX * 6 + 1];
    json_escape_into(r->path, HTTP_PATH_LOG_MAX, path, sizeof path);
    json_escape_into(r->method, METHOD_LOG_MAX, method, sizeof method);
    /* Labels and request ids are checked against a safe charset when they are accepted. */
    const char *key = r->who.role != AUTH_NONE ? r->who.label : "";
    char line[2048];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const struct tm *tm = cached_utc(now.tv_sec);
    long micros = (long)(seconds * 1e6 + 0.5); /* integer formatting: no floating-point printf */
    int n;
    if (log_is_json())
        n = json_access_line(line, tm, now.tv_nsec / 1000000L, method, path, r, micros, key);
    else
        n = snprintf(line, sizeof line, "%02d:%02d:%02d %s %s %u %ldus %zub id=%s key=%s\n",
                     tm->tm_hour, tm->tm_min, tm->tm_sec, method, path, r->status, micros, r->bytes,
                     r->request_id, key[0] ? key : "-");
    if (n > 0)
        access_log_append(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode code) {
    (void)cls;
    http_request *r = *state;
    conn_guard_request_done(c); /* the next request's header is due from now */
    if (!r)
        return;
    if (r->status == 0) {
        /* Not answered by a handler: libmicrohttpd's own answer (431, 414, 400), or none. */
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
        r->status = info && info->http_status ? info->http_status : 0;
        if (r->status == 0 && code != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            r->status = 499; /* the client went away before an answer */
    }
    free(r->resume_data); /* only set if the request ended while parked */
    if (!r->method)       /* the headers never completed: the method is libmicrohttpd's secret */
        r->method = "OTHER";
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
    s->classify = o->classify;
    s->authenticate = o->authenticate;
    /* The logger first: a later option (a pool of one thread) may warn through it. */
    s->daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
        (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
        MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
        MHD_OPTION_CONNECTION_LIMIT, o->connection_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        o->per_ip_connection_limit, MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->header_memory, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, conn_guard_notify, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, conn_guard_unescape, NULL, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, s, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
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
    atomic_store(&http_config.draining, 1);
    /* New clients are refused from now on: shutdown takes the socket out of LISTEN at once.
     * It is closed only after MHD_stop_daemon: the worker threads remove it from their epoll
     * sets some time after quiescing, and closing it earlier races with them (TSan). */
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        shutdown(listener, SHUT_RDWR);
    struct timespec start = clock_now();
    while (atomic_load(&in_flight) > 0 && clock_seconds_since(&start) < grace_seconds) {
        struct timespec tick = {0, 5 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    int left = atomic_load(&in_flight);
    while (atomic_load(&parked) > 0) { /* bounded: parkers promise an answer (server.h) */
        struct timespec tick = {0, 5 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    MHD_stop_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    free(s);
    return left;
}
