/* The HTTP helpers every route answers through: JSON bodies, error objects, plain text, query
 * parameters. See http.h. */
#include "http.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

http_settings http_config = {1 << 20, 64 << 20, 1000, 1000, 0, 0, 0};

/* ---- responses ---- */

enum MHD_Result http_response(http_request *r, unsigned status, const char *content_type,
                              struct MHD_Response *response, size_t len) {
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(response, "X-Request-Id", r->request_id);
    if (status == 503) /* every 503 is transient here: a restart, the database, the budget */
        MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (r->header)
        MHD_add_response_header(response, r->header, r->header_value);
    if (atomic_load_explicit(&http_config.draining, memory_order_relaxed))
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    r->status = status;
    r->bytes = len;
    enum MHD_Result rc = MHD_queue_response(r->connection, status, response);
    MHD_destroy_response(response);
    return rc;
}

enum MHD_Result http_owned(http_request *r, unsigned status, const char *content_type, char *text,
                           size_t len) {
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!response)
        free(text);
    return http_response(r, status, content_type, response, len);
}

enum MHD_Result http_memstream(http_request *r, FILE *out, char **text, size_t *len,
                               const char *content_type) {
    if (fclose(out) != 0) {
        free(*text);
        return http_error(r, 500, "out of memory", NULL);
    }
    return http_owned(r, 200, content_type, *text, *len);
}

enum MHD_Result http_text(http_request *r, unsigned status, const char *content_type,
                          const char *text, size_t len) {
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    return http_response(r, status, content_type, response, len);
}

void http_format_real(double value, char *out, size_t len) {
    int n = snprintf(out, len, "%.15g", value);
    if (n > 0 && (size_t)n + 2 < len && !strpbrk(out, ".eEn"))
        memcpy(out + n, ".0", 3);
    /* jansson writes an exponent without "+" or leading zeros: 1e15, 1e-7 (not 1e+15, 1e-07) */
    char *e = strchr(out, 'e');
    if (!e)
        return;
    char *digits = e + 1 + (e[1] == '-'); /* a minus stays */
    char *from = digits + (*digits == '+');
    while (*from == '0' && from[1])
        from++;
    memmove(digits, from, strlen(from) + 1);
}

enum MHD_Result http_json(http_request *r, unsigned status, json_t *body) {
    /* 15 significant digits: 71.2833 stays 71.2833, and whole reals keep their ".0". */
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(body);
    if (!text)
        return http_text(r, 500, "application/json",
                         "{\"error\":{\"status\":500,\"message\":\"out of memory\"}}", 50);
    return http_owned(r, status, "application/json", text, strlen(text));
}

/* {"error":{...}}, with the request id a client quotes when reporting it. On the Open Inference
 * Protocol's routes, the protocol's {"error": message} with the request id beside it, whoever
 * answers (a route, or the server refusing a key or a body before the route runs). */
static json_t *error_body(const http_request *r, unsigned status, const char *message,
                          const char *field) {
    if (route_is_open_inference(r->route))
        return json_pack("{s:s, s:s}", "error", message, "request_id", r->request_id);
    json_t *error = json_pack("{s:i, s:s}", "status", (int)status, "message", message);
    json_object_set_new(error, "field", field && *field ? json_string(field) : json_null());
    json_object_set_new(error, "request_id", json_string(r->request_id));
    return json_pack("{s:o}", "error", error);
}

enum MHD_Result http_error(http_request *r, unsigned status, const char *message,
                           const char *field) {
    return http_json(r, status, error_body(r, status, message, field));
}

enum MHD_Result http_database_error(http_request *r, int unavailable, const char *err) {
    /* The detail (SQL, host, port, user) is for operators: logged under the request id (the
     * server sets it for every line logged while the request runs), never sent. */
    log_event(unavailable ? LOG_WARN : LOG_ERROR, "database error", "{s:s, s:s}", "error", err,
              "route", route_template(r->route));
    return unavailable
               ? http_error(r, 503, "database unavailable; try again shortly", NULL)
               : http_error(r, 500, "internal error; quote the request_id when reporting it", NULL);
}

int http_method_is(const http_request *r, const char *method) {
    return strcmp(r->method, method) == 0 ||
           (strcmp(method, "GET") == 0 && strcmp(r->method, "HEAD") == 0);
}

const char *http_writer_label(const http_request *r) {
    return r->who.role != AUTH_NONE ? r->who.label : "anonymous";
}

const char *http_query(http_request *r, const char *key) {
    return MHD_lookup_connection_value(r->connection, MHD_GET_ARGUMENT_KIND, key);
}

int http_bad_query(http_request *r, const char *name, const char *expected) {
    char message[200];
    snprintf(message, sizeof message, "query parameter %s: expected %s", name, expected);
    http_error(r, 400, message, name);
    return -1;
}

typedef struct {
    const char *const *allowed;
    const char *unknown;
} query_check;

static enum MHD_Result check_query_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value) {
    (void)kind;
    (void)value;
    query_check *q = cls;
    for (const char *const *a = q->allowed; *a; a++) {
        if (strcmp(*a, key) == 0)
            return MHD_YES;
    }
    q->unknown = key;
    return MHD_NO;
}

int http_refuse_unknown_query(http_request *r, const char *const *allowed, const char *message) {
    query_check q = {allowed, NULL};
    MHD_get_connection_values(r->connection, MHD_GET_ARGUMENT_KIND, check_query_key, &q);
    return q.unknown ? (http_error(r, 400, message, q.unknown), 1) : 0;
}
