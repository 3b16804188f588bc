/* The HTTP layer shared by all routes: one request's state, and the helpers that answer it
 * (JSON bodies, error objects, plain text). Routes never touch libmicrohttpd directly except
 * through these, so every answer is logged, counted and shaped the same way. */
#ifndef TITANIC_HTTP_H
#define TITANIC_HTTP_H

#include "auth.h"
#include "metrics.h"
#include "request_id.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#define HTTP_PATH_LOG_MAX 200
#define HTTP_QUERY_ARGS_MAX 64       /* most query parameters: more is a 414 */
#define HTTP_SEGMENTS_MAX 6          /* /v2/models/{name}/versions/{version}/infer */
#define HTTP_PREDICT_ITEM_BYTES 2048 /* room per passenger in a /predict or infer body */

/* What a raw request target resolves to (routes_resolve): the route the dispatcher will run and
 * the decoded path segments it runs with. Authorisation, metrics and the access log all use it. */
typedef struct {
    char buf[512];                /* the decoded path, cut into segments */
    char *seg[HTTP_SEGMENTS_MAX]; /* pointing into buf */
    int n;                        /* segments; 0 when the path names no route */
    unsigned refuse;              /* 0, or 400/414: the target itself is unacceptable */
    const char *why;              /* the reason, for the error body */
    size_t body_max;              /* the largest body this route takes */
} http_target;

typedef struct http_request {
    struct MHD_Connection *connection;
    const char *method;
    route_id route;
    http_target target;
    int open;           /* the server counts it in flight until it is finished */
    size_t budget_held; /* bytes of the server-wide body budget this request holds */
    /* One extra header on the answer (http_set_header), or NULL: Link to a list's next page,
     * Location of a 201, WWW-Authenticate of a 401, Allow of a 405. */
    const char *header, *header_value;
    struct timespec started;
    char *body;
    size_t body_len;
    unsigned body_refusal; /* 413 or 503 once the body outgrew its limit or the budget */
    unsigned status;
    size_t bytes;
    char path[HTTP_PATH_LOG_MAX + 1];    /* the raw path as sent, for the access log, bounded */
    char request_id[REQUEST_ID_MAX + 1]; /* sent back, logged, in error bodies */
    auth_identity who;                   /* the caller's key (role AUTH_NONE: none or unknown) */
    /* While parked (server_park): what answers the request once it is unparked, and its data
     * (freed by the server after that). */
    enum MHD_Result (*resume)(struct http_request *r);
    void *resume_data;
} http_request;

/* Limits and switches, from the environment (main.c). */
typedef struct {
    size_t max_body_bytes;
    size_t body_budget_bytes; /* all buffered request bodies together (BODY_BUDGET_BYTES) */
    int max_batch;
    size_t people_list_max;
    atomic_int draining;  /* set on SIGTERM by the signal thread, read by the workers: answers
                           * carry Connection: close */
    int reads_need_key;   /* AUTH_REQUIRED_FOR_READS=1 */
    int metrics_separate; /* METRICS_PORT set: /metrics only there, 404 on the public port */
} http_settings;

extern http_settings http_config;

/* Puts header: value on r's answer, whichever helper below makes it; value must stay valid
 * until then (it is copied into the response). */
static inline void http_set_header(http_request *r, const char *header, const char *value) {
    r->header = header;
    r->header_value = value;
}

/* Answers with a JSON value (stolen) and status. Every answer carries X-Request-Id, and the
 * header set by http_set_header; a 503 also Retry-After. */
enum MHD_Result http_json(http_request *r, unsigned status, json_t *body);
/* Answers {"error":{"status":..,"message":..,"field":..}}; field may be NULL. */
enum MHD_Result http_error(http_request *r, unsigned status, const char *message,
                           const char *field);
/* Answers with bytes (copied) and a content type. */
enum MHD_Result http_text(http_request *r, unsigned status, const char *content_type,
                          const char *text, size_t len);
/* Answers with a malloc'd buffer, which the server frees after sending. */
enum MHD_Result http_owned(http_request *r, unsigned status, const char *content_type, char *text,
                           size_t len);
/* Closes out, an open_memstream(text, len), and answers 200 with what it holds (http_owned);
 * 500 when it could not be written (out of memory). */
enum MHD_Result http_memstream(http_request *r, FILE *out, char **text, size_t *len,
                               const char *content_type);
/* Answers with a response the route made (a streamed body: MHD_create_response_from_callback;
 * len is what the access log counts); NULL (out of memory) is MHD_NO. */
enum MHD_Result http_response(http_request *r, unsigned status, const char *content_type,
                              struct MHD_Response *response, size_t len);
/* After a failed query: 503 when the database is unreachable (clients should retry), else 500.
 * Either way the client gets a generic message and the request id; err (which may hold SQL and
 * connection details) goes only to the log, under that id. */
enum MHD_Result http_database_error(http_request *r, int unavailable, const char *err);

/* A real number as http_json (jansson) writes it: 15 significant digits, ".0" on whole numbers,
 * an exponent without "+" or leading zeros. */
void http_format_real(double value, char *out, size_t len);

/* Whether r's method is method, HEAD counting as GET (RFC 9110: HEAD is GET without the body,
 * which libmicrohttpd leaves out). */
int http_method_is(const http_request *r, const char *method);

/* The name a write through the API is recorded under: the key's label, or "anonymous" when the
 * server runs without API_KEYS_FILE. */
const char *http_writer_label(const http_request *r);

/* A query-string value, or NULL. */
const char *http_query(http_request *r, const char *key);

/* Answers 400 "query parameter NAME: expected EXPECTED", naming NAME as the field; returns -1. */
int http_bad_query(http_request *r, const char *name, const char *expected);

/* Answers 400 with message, naming the first query parameter not in allowed (NULL-terminated) as
 * the field, and returns 1; 0 when all are known. */
int http_refuse_unknown_query(http_request *r, const char *const *allowed, const char *message);

#endif
