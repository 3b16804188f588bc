/* URL dispatch and the small routes: health, readiness, model metadata, report, metrics and the
 * OpenAPI document. The passenger, prediction and people routes have files of their own. */
#include "build_info.h"
#include "routes.h"

#include "api_db.h"
#include "lookup_batch.h"
#include "log.h"
#include "metrics.h"
#include "model_holder.h"
#include "models_store.h"
#include "monitor.h"
#include "passengers_store.h"
#include "server.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char openapi_document[];
extern const size_t openapi_document_length;

static int is(const http_request *r, const char *method) {
    return http_method_is(r, method);
}

static int seg_is(const http_target *t, int i, const char *text) {
    return i < t->n && strcmp(t->seg[i], text) == 0;
}

/* The small routes of this file, answered from the fixed table below. */
static enum MHD_Result route_health(http_request *r);
static enum MHD_Result route_ready(http_request *r);
static enum MHD_Result route_model(http_request *r);
static enum MHD_Result route_models(http_request *r);
static enum MHD_Result route_model_report(http_request *r);
static enum MHD_Result route_metrics(http_request *r);
static enum MHD_Result route_openapi(http_request *r);

/* Fixed paths: {path, route, method, handler}. */
typedef struct {
    const char *path;
    route_id route;
    const char *method;
    enum MHD_Result (*handler)(http_request *r);
} fixed_route;

static const fixed_route fixed_routes[] = {
    {"/health", ROUTE_HEALTH, "GET", route_health},
    {"/ready", ROUTE_READY, "GET", route_ready},
    {"/predict", ROUTE_PREDICT, "POST", route_predict},
    {"/stats/survival", ROUTE_STATS, "GET", route_stats},
    {"/model", ROUTE_MODEL, "GET", route_model},
    {"/models", ROUTE_MODELS, "GET", route_models},
    {"/model/report", ROUTE_MODEL_REPORT, "GET", route_model_report},
    {"/metrics", ROUTE_METRICS, "GET", route_metrics},
    {"/openapi.json", ROUTE_OPENAPI, "GET", route_openapi},
    {"/v2", ROUTE_V2_SERVER, "GET", route_v2_server},
    {"/v2/", ROUTE_V2_SERVER, "GET", route_v2_server},
    {"/v2/health/live", ROUTE_V2_LIVE, "GET", route_v2_live},
    {"/v2/health/ready", ROUTE_V2_READY, "GET", route_v2_ready},
};
#define FIXED_ROUTES (sizeof fixed_routes / sizeof fixed_routes[0])

/* /v2/models/{name}[/versions/{version}][/ready|/infer] */
static route_id match_v2_model(const http_target *t) {
    if (!seg_is(t, 1, "models"))
        return ROUTE_UNKNOWN;
    if (t->n == 3)
        return ROUTE_V2_MODEL;
    if (t->n == 4)
        return seg_is(t, 3, "ready")   ? ROUTE_V2_MODEL_READY
               : seg_is(t, 3, "infer") ? ROUTE_V2_INFER
                                       : ROUTE_UNKNOWN;
    if (!seg_is(t, 3, "versions"))
        return ROUTE_UNKNOWN;
    if (t->n == 5)
        return ROUTE_V2_VERSION;
    return seg_is(t, 5, "ready")   ? ROUTE_V2_VERSION_READY
           : seg_is(t, 5, "infer") ? ROUTE_V2_VERSION_INFER
                                   : ROUTE_UNKNOWN;
}

static int refuse(http_target *t, unsigned status, const char *why) {
    t->refuse = status;
    t->why = why;
    t->n = 0;
    return -1;
}

/* Percent-decodes the path of raw (up to any '?') into t->buf, once. A decoded '?', '#', NUL or
 * '/' would make the path mean one thing here and another to whoever decodes it again (the
 * key check once read "/people%3F/infer" as an inference, the router as POST /people): 400. */
static int decode_path(const char *raw, http_target *t) {
    /* libmicrohttpd answers a target longer than its header buffer with 414 itself. */
    size_t len = strlen(raw), query = strcspn(raw, "?");
    int args = query < len;
    for (const char *q = raw + query; *q; q++)
        args += *q == '&';
    if (args > HTTP_QUERY_ARGS_MAX)
        return refuse(t, 414, "more than 64 query parameters");
    if (raw[0] != '/' || memchr(raw, '#', len))
        return refuse(t, 400, "the request target must be a path starting with '/', without '#'");
    size_t o = 0;
    for (size_t i = 0; i < query; i++) {
        char c = raw[i];
        if (c == '%') {
            int hi = i + 2 < query ? OPENSSL_hexchar2int((unsigned char)raw[i + 1]) : -1;
            int lo = hi >= 0 ? OPENSSL_hexchar2int((unsigned char)raw[i + 2]) : -1;
            if (lo < 0)
                return refuse(t, 400, "malformed percent-encoding in the path");
            c = (char)(hi << 4 | lo);
            i += 2;
            if (c == '?' || c == '#' || c == '\0' || c == '/')
                return refuse(t, 400, "the path decodes to '?', '#', NUL or '/' inside a segment");
        }
        if (o + 1 >= sizeof t->buf)
            return 0; /* longer than any route: no route (404) */
        t->buf[o++] = c;
    }
    t->buf[o] = '\0';
    return 1;
}

/* Cuts the decoded path in t->buf into segments. Empty ones ("//", a trailing "/") count too,
 * so "/passengers/1/" matches nothing rather than the passenger; more than any route has leaves
 * n at 0: no route. */
static void split_segments(http_target *t) {
    char *s = t->buf + 1;
    for (int n = 0; n < HTTP_SEGMENTS_MAX; n++) {
        char *slash = strchr(s, '/');
        t->seg[n] = s;
        if (!slash) {
            t->n = n + 1;
            return;
        }
        *slash = '\0';
        s = slash + 1;
    }
}

/* The route of a decoded target's segments. */
static route_id match_segments(const http_target *t) {
    if (t->n >= 1 && strcmp(t->seg[0], "passengers") == 0) {
        if (t->n == 1)
            return ROUTE_PASSENGERS;
        if (t->n == 2)
            return ROUTE_PASSENGER;
        if (t->n == 3 && strcmp(t->seg[2], "prediction") == 0)
            return ROUTE_PASSENGER_PREDICTION;
    }
    if (t->n >= 1 && strcmp(t->seg[0], "people") == 0)
        return t->n == 1 ? ROUTE_PEOPLE : t->n == 2 ? ROUTE_PERSON : ROUTE_UNKNOWN;
    if (t->n >= 3 && strcmp(t->seg[0], "v2") == 0)
        return match_v2_model(t);
    return ROUTE_UNKNOWN;
}

/* The one place a raw request target becomes the route that will run: called before any header
 * is read (server_options.resolve), so a request refused early (401, 413, 431) is counted,
 * logged and authorised under the same route the dispatcher uses. */
static route_id resolve(const char *raw, http_target *t, int internal) {
    *t = (http_target){.body_max = http_config.max_body_bytes};
    if (decode_path(raw, t) <= 0)
        return ROUTE_UNKNOWN;
    route_id route = ROUTE_UNKNOWN;
    for (size_t i = 0; i < FIXED_ROUTES && route == ROUTE_UNKNOWN; i++) {
        if (strcmp(t->buf, fixed_routes[i].path) == 0)
            route = fixed_routes[i].route;
    }
    if (internal) /* the METRICS_PORT listener: /metrics and /health only */
        return route == ROUTE_METRICS || route == ROUTE_HEALTH ? route : ROUTE_UNKNOWN;
    if (route == ROUTE_METRICS && http_config.metrics_separate)
        return ROUTE_UNKNOWN; /* served on the internal METRICS_PORT only */
    split_segments(t);
    if (route == ROUTE_UNKNOWN)
        route = match_segments(t);
    if (route == ROUTE_PREDICT || route == ROUTE_V2_INFER || route == ROUTE_V2_VERSION_INFER) {
        /* a batch of at most MAX_BATCH passengers, and no more */
        size_t batch = 1024 + (size_t)http_config.max_batch * HTTP_PREDICT_ITEM_BYTES;
        t->body_max = batch < t->body_max ? batch : t->body_max;
    }
    return route;
}

route_id routes_resolve(const char *raw_target, http_target *t) {
    return resolve(raw_target, t, 0);
}

route_id routes_resolve_internal(const char *raw_target, http_target *t) {
    return resolve(raw_target, t, 1);
}

static enum MHD_Result not_found(http_request *r) {
    r->route = ROUTE_UNKNOWN;
    if (seg_is(&r->target, 0, "v2")) /* the protocol's own error shape there */
        return http_json(
            r, 404,
            json_pack("{s:s, s:s}", "error", "no such endpoint", "request_id", r->request_id));
    return http_error(r, 404, "no such resource", NULL);
}

static enum MHD_Result dispatch_fixed(http_request *r, const fixed_route *f) {
    if (is(r, f->method))
        return f->handler(r);
    return http_method_not_allowed(r, f->method);
}

static enum MHD_Result dispatch_person(http_request *r, const char *uuid) {
    if (is(r, "GET"))
        return route_person_get(r, uuid);
    if (is(r, "PUT"))
        return route_person_put(r, uuid);
    if (is(r, "DELETE"))
        return route_person_delete(r, uuid);
    return http_method_not_allowed(r, "GET, PUT, DELETE");
}

enum MHD_Result routes_dispatch(http_request *r) {
    const http_target *p = &r->target; /* r->route and this: routes_resolve's */
    for (size_t i = 0; i < FIXED_ROUTES; i++) {
        if (fixed_routes[i].route == r->route)
            return dispatch_fixed(r, &fixed_routes[i]);
    }
    switch (r->route) {
    case ROUTE_PASSENGERS:
        return is(r, "GET") ? route_passenger_list(r) : http_method_not_allowed(r, "GET");
    case ROUTE_PASSENGER:
        return is(r, "GET") ? route_passenger(r, p->seg[1]) : http_method_not_allowed(r, "GET");
    case ROUTE_PASSENGER_PREDICTION:
        return is(r, "GET") ? route_passenger_prediction(r, p->seg[1])
                            : http_method_not_allowed(r, "GET");
    case ROUTE_PEOPLE:
        if (is(r, "GET"))
            return route_people_list(r);
        if (is(r, "POST"))
            return route_people_create(r);
        return http_method_not_allowed(r, "GET, POST");
    case ROUTE_PERSON:
        return dispatch_person(r, p->seg[1]);
    case ROUTE_V2_MODEL:
    case ROUTE_V2_MODEL_READY:
    case ROUTE_V2_INFER:
        return route_v2_model(r, p->seg[2], NULL);
    case ROUTE_V2_VERSION:
    case ROUTE_V2_VERSION_READY:
    case ROUTE_V2_VERSION_INFER:
        return route_v2_model(r, p->seg[2], p->seg[4]);
    default:
        return not_found(r);
    }
}

/* ---- health, readiness ---- */

static enum MHD_Result route_health(http_request *r) {
    return http_text(r, 200, "application/json", "{\"status\":\"ok\"}", 15);
}

static enum MHD_Result route_ready(http_request *r) {
    char reason[600];
    if (atomic_load(&http_config.draining))
        return http_error(r, 503, "shutting down", NULL);
    /* /ready is public (the ALB checks it): reasons that name the database stay in the log. */
    if (model_holder_schema_problem(reason, sizeof reason)) {
        log_warn("not ready: database schema", "{s:s}", "error", reason);
        return http_error(r, 503, "database schema does not match this build", NULL);
    }
    int version = model_holder_version();
    if (version == 0)
        return route_no_model(r);
    int unavailable = 0;
    char err[512];
    PGresult *res = api_db_query(&STORE_PING, NULL, &unavailable, err, sizeof err);
    if (!res) {
        log_warn("not ready: database not answering", "{s:s}", "error", err);
        return http_error(r, 503, "database not answering", NULL);
    }
    PQclear(res);
    return http_json(r, 200, json_pack("{s:s, s:i}", "status", "ready", "model_version", version));
}

/* ---- model metadata ---- */

static enum MHD_Result route_model(http_request *r) {
    model_ref *ref = model_holder_acquire();
    if (!ref)
        return route_no_model(r);
    json_t *summary = model_summary(model_ref_model(ref));
    model_holder_release(ref);
    return http_json(r, 200, summary);
}

static enum MHD_Result route_models(http_request *r) {
    int unavailable, count = 0;
    char err[512];
    model_row *rows = NULL;
    if (models_store_list(api_db_store(), &rows, &count, &unavailable, err, sizeof err) != 0)
        return http_database_error(r, unavailable, err);
    json_t *list = json_array();
    for (int i = 0; i < count; i++) {
        json_t *metrics = rows[i].metrics ? json_loads(rows[i].metrics, 0, NULL) : NULL;
        json_array_append_new(list,
                              json_pack("{s:i, s:s, s:b, s:I, s:o}", "version", rows[i].version,
                                        "created_at", rows[i].created, "active", rows[i].active,
                                        "training_rows", (json_int_t)rows[i].training_rows,
                                        "metrics", metrics ? metrics : json_null()));
    }
    models_store_free_rows(rows, count);
    return http_json(r, 200, json_pack("{s:o}", "models", list));
}

static enum MHD_Result route_model_report(http_request *r) {
    int unavailable;
    char err[512], *html = NULL;
    size_t len = 0;
    if (models_store_active_report(api_db_store(), &html, &len, &unavailable, err, sizeof err) != 0)
        return http_database_error(r, unavailable, err);
    if (!html)
        return http_error(r, 404, "the active model has no report (or no model is active)", NULL);
    return http_owned(r, 200, "text/html; charset=utf-8", html, len, NULL, NULL);
}

/* ---- metrics and the API document ---- */

static void render_gauges(FILE *out) {
    api_db_stats db;
    api_db_get_stats(&db);
    long batches, lookups;
    lookup_batch_counts(&batches, &lookups);
    conn_guard_counts conns;
    conn_guard_get_counts(&conns);
    metrics_single(out, "titanic_model_version", "gauge",
                   "Version of the model serving predictions (0: none).", "%d",
                   model_holder_version());
    metrics_family(out, "titanic_db_connections", "gauge", "Worker database connections by state.");
    fprintf(out, "titanic_db_connections{state=\"open\"} %ld\n", db.open);
    metrics_family(out, "titanic_db_connection_events_total", "counter",
                   "Database connection events.");
    fprintf(out,
            "titanic_db_connection_events_total{event=\"connected\"} %ld\n"
            "titanic_db_connection_events_total{event=\"connect_failed\"} %ld\n"
            "titanic_db_connection_events_total{event=\"dropped\"} %ld\n",
            db.connects, db.connect_failures, db.dropped);
    metrics_single(out, "titanic_lookup_statements_total", "counter",
                   "Statements run for batched passenger lookups.", "%ld", batches);
    metrics_single(out, "titanic_lookups_total", "counter",
                   "Passenger lookups answered by those statements.", "%ld", lookups);
    metrics_single(out, "titanic_http_requests_in_flight", "gauge",
                   "Requests begun and not finished (this one included).", "%d",
                   server_in_flight());
    metrics_single(out, "titanic_http_body_budget_bytes", "gauge",
                   "Request body bytes buffered now (BODY_BUDGET_BYTES caps them).", "%zu",
                   server_body_budget_used());
    metrics_family(out, "titanic_http_connections_closed_total", "counter",
                   "Connections the server closed: request deadline missed, idle ones yielding to "
                   "new ones, new ones refused (all slots busy).");
    fprintf(out,
            "titanic_http_connections_closed_total{reason=\"request_timeout\"} %ld\n"
            "titanic_http_connections_closed_total{reason=\"idle_yield\"} %ld\n"
            "titanic_http_connections_closed_total{reason=\"refused\"} %ld\n",
            conns.request_timeouts, conns.idle_yields, conns.refused);
    metrics_family(out, "titanic_build_info", "gauge", "Build of this server.");
    fprintf(out, "titanic_build_info{version=\"%s\",revision=\"%s\"} 1\n", TITANIC_VERSION,
            titanic_git_revision);
}

static enum MHD_Result route_metrics(http_request *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return http_error(r, 500, "cannot render metrics", NULL);
    metrics_render(out);
    render_gauges(out);
    monitor_render(out);
    return http_memstream(r, out, &text, &len, "text/plain; version=0.0.4; charset=utf-8", NULL,
                          NULL);
}

static enum MHD_Result route_openapi(http_request *r) {
    return http_text(r, 200, "application/json", openapi_document, openapi_document_length);
}
