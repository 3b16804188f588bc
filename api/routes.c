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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char openapi_document[];
extern const size_t openapi_document_length;

#define PATH_SEGMENTS_MAX 6 /* /v2/models/{name}/versions/{version}/infer */

/* A path split into its segments, pointing into buf. */
typedef struct {
    char buf[512];
    char *seg[PATH_SEGMENTS_MAX];
    int n; /* -1: deeper than any route, or not a path */
} path_parts;

/* Splits "/a/b/c" (any query string dropped) into at most PATH_SEGMENTS_MAX segments. Empty
 * segments ("//", trailing "/") count too, so "/passengers/" matches nothing rather than the
 * list. */
static void split_path(const char *url, path_parts *p) {
    size_t len = strcspn(url, "?"); /* memcpy, not snprintf: this runs on every request */
    if (len >= sizeof p->buf)
        len = sizeof p->buf - 1;
    memcpy(p->buf, url, len);
    p->buf[len] = '\0';
    p->n = -1;
    if (p->buf[0] != '/')
        return;
    int n = 0;
    char *s = p->buf + 1;
    for (;;) {
        if (n == PATH_SEGMENTS_MAX)
            return;
        p->seg[n++] = s;
        char *slash = strchr(s, '/');
        if (!slash)
            break;
        *slash = '\0';
        s = slash + 1;
    }
    p->n = n;
}

/* Whether url, less any query string, is exactly path. */
static int path_is(const char *url, const char *path) {
    size_t len = strcspn(url, "?");
    return strlen(path) == len && strncmp(url, path, len) == 0;
}

static int is(const http_request *r, const char *method) {
    return strcmp(r->method, method) == 0;
}

static int seg_is(const path_parts *p, int i, const char *text) {
    return i < p->n && strcmp(p->seg[i], text) == 0;
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
static route_id match_v2_model(const path_parts *p) {
    if (!seg_is(p, 1, "models"))
        return ROUTE_UNKNOWN;
    if (p->n == 3)
        return ROUTE_V2_MODEL;
    if (p->n == 4)
        return seg_is(p, 3, "ready")   ? ROUTE_V2_MODEL_READY
               : seg_is(p, 3, "infer") ? ROUTE_V2_INFER
                                       : ROUTE_UNKNOWN;
    if (!seg_is(p, 3, "versions"))
        return ROUTE_UNKNOWN;
    if (p->n == 5)
        return ROUTE_V2_VERSION;
    return seg_is(p, 5, "ready")   ? ROUTE_V2_VERSION_READY
           : seg_is(p, 5, "infer") ? ROUTE_V2_VERSION_INFER
                                   : ROUTE_UNKNOWN;
}

/* The route template of a path: the one matcher behind both dispatching and classifying, so a
 * request refused before routing (413, 431) is counted under the route it would have had. */
static route_id match_route(const char *url, path_parts *p) {
    p->n = -1; /* fixed routes need no segments */
    for (size_t i = 0; i < FIXED_ROUTES; i++) {
        if (path_is(url, fixed_routes[i].path))
            return fixed_routes[i].route == ROUTE_METRICS && http_config.metrics_separate
                       ? ROUTE_UNKNOWN /* served on the internal METRICS_PORT only */
                       : fixed_routes[i].route;
    }
    split_path(url, p);
    if (p->n >= 1 && strcmp(p->seg[0], "passengers") == 0) {
        if (p->n == 1)
            return ROUTE_PASSENGERS;
        if (p->n == 2)
            return ROUTE_PASSENGER;
        if (p->n == 3 && strcmp(p->seg[2], "prediction") == 0)
            return ROUTE_PASSENGER_PREDICTION;
    }
    if (p->n >= 1 && strcmp(p->seg[0], "people") == 0)
        return p->n == 1 ? ROUTE_PEOPLE : p->n == 2 ? ROUTE_PERSON : ROUTE_UNKNOWN;
    if (p->n >= 3 && strcmp(p->seg[0], "v2") == 0)
        return match_v2_model(p);
    return ROUTE_UNKNOWN;
}

route_id routes_classify(const char *url) {
    path_parts p;
    return match_route(url, &p);
}

static enum MHD_Result not_found(http_request *r) {
    r->route = ROUTE_UNKNOWN;
    if (strncmp(r->url, "/v2/", 4) == 0) /* the protocol's own error shape there */
        return route_v2_error(r, 404, "no such endpoint");
    return http_error(r, 404, "no such resource", NULL);
}

static enum MHD_Result dispatch_fixed(http_request *r, const fixed_route *f) {
    /* HEAD is answered like GET; libmicrohttpd drops the body. */
    if (is(r, f->method) || (is(r, "HEAD") && strcmp(f->method, "GET") == 0))
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
    path_parts p;
    r->route = match_route(r->url, &p);
    for (size_t i = 0; i < FIXED_ROUTES; i++) {
        if (fixed_routes[i].route == r->route)
            return dispatch_fixed(r, &fixed_routes[i]);
    }
    switch (r->route) {
    case ROUTE_PASSENGERS:
        return is(r, "GET") ? route_passenger_list(r) : http_method_not_allowed(r, "GET");
    case ROUTE_PASSENGER:
        return is(r, "GET") ? route_passenger(r, p.seg[1]) : http_method_not_allowed(r, "GET");
    case ROUTE_PASSENGER_PREDICTION:
        return is(r, "GET") ? route_passenger_prediction(r, p.seg[1])
                            : http_method_not_allowed(r, "GET");
    case ROUTE_PEOPLE:
        if (is(r, "GET"))
            return route_people_list(r);
        if (is(r, "POST"))
            return route_people_create(r);
        return http_method_not_allowed(r, "GET, POST");
    case ROUTE_PERSON:
        return dispatch_person(r, p.seg[1]);
    case ROUTE_V2_MODEL:
    case ROUTE_V2_MODEL_READY:
    case ROUTE_V2_INFER:
        return route_v2_model(r, p.seg[2], NULL);
    case ROUTE_V2_VERSION:
    case ROUTE_V2_VERSION_READY:
    case ROUTE_V2_VERSION_INFER:
        return route_v2_model(r, p.seg[2], p.seg[4]);
    default:
        return not_found(r);
    }
}

route_id routes_classify_internal(const char *url) {
    return path_is(url, "/metrics")  ? ROUTE_METRICS
           : path_is(url, "/health") ? ROUTE_HEALTH
                                     : ROUTE_UNKNOWN;
}

enum MHD_Result routes_dispatch_internal(http_request *r) {
    int get = is(r, "GET") || is(r, "HEAD");
    r->route = routes_classify_internal(r->url);
    if (r->route == ROUTE_METRICS)
        return get ? route_metrics(r) : http_method_not_allowed(r, "GET");
    if (r->route == ROUTE_HEALTH)
        return get ? route_health(r) : http_method_not_allowed(r, "GET");
    return http_error(r, 404, "no such resource", NULL);
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
    return http_owned(r, 200, "text/html; charset=utf-8", html, len);
}

/* ---- metrics and the API document ---- */

static void render_gauges(FILE *out) {
    api_db_stats db;
    api_db_get_stats(&db);
    fprintf(out,
            "# HELP titanic_model_version Version of the model serving predictions (0: none).\n"
            "# TYPE titanic_model_version gauge\ntitanic_model_version %d\n",
            model_holder_version());
    fprintf(out,
            "# HELP titanic_db_connections Worker database connections by state.\n"
            "# TYPE titanic_db_connections gauge\ntitanic_db_connections{state=\"open\"} %ld\n",
            db.open);
    fprintf(out,
            "# HELP titanic_db_connection_events_total Database connection events.\n"
            "# TYPE titanic_db_connection_events_total counter\n"
            "titanic_db_connection_events_total{event=\"connected\"} %ld\n"
            "titanic_db_connection_events_total{event=\"connect_failed\"} %ld\n"
            "titanic_db_connection_events_total{event=\"dropped\"} %ld\n",
            db.connects, db.connect_failures, db.dropped);
    long batches, lookups;
    lookup_batch_counts(&batches, &lookups);
    fprintf(out,
            "# HELP titanic_lookup_statements_total Statements run for batched passenger lookups.\n"
            "# TYPE titanic_lookup_statements_total counter\n"
            "titanic_lookup_statements_total %ld\n"
            "# HELP titanic_lookups_total Passenger lookups answered by those statements.\n"
            "# TYPE titanic_lookups_total counter\ntitanic_lookups_total %ld\n",
            batches, lookups);
    fprintf(out,
            "# HELP titanic_build_info Build of this server.\n# TYPE titanic_build_info gauge\n"
            "titanic_build_info{version=\"%s\",revision=\"%s\"} 1\n",
            TITANIC_VERSION, titanic_git_revision);
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
    if (fclose(out) != 0) {
        free(text);
        return http_error(r, 500, "cannot render metrics", NULL);
    }
    return http_owned(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static enum MHD_Result route_openapi(http_request *r) {
    return http_text(r, 200, "application/json", openapi_document, openapi_document_length);
}
