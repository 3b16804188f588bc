/* URL dispatch and the small routes: health, readiness, model metadata, report, metrics and the
 * OpenAPI document. The passenger, prediction and people routes have files of their own. */
#include "routes.h"

#include "api_db.h"
#include "log.h"
#include "metrics.h"
#include "model_holder.h"
#include "passenger_cache.h"
#include "models_store.h"
#include "passengers_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char openapi_document[];
extern const size_t openapi_document_length;

/* Splits "/a/b/c" into at most max segments pointing into buf. Returns the count, or -1 when
 * there are more (no route is that deep). Empty segments ("//", trailing "/") count too, so
 * "/passengers/" matches nothing rather than the list. */
static int split_path(const char *url, char *buf, size_t buflen, char **segments, int max) {
    snprintf(buf, buflen, "%s", url);
    if (buf[0] != '/')
        return -1;
    int n = 0;
    char *p = buf + 1;
    for (;;) {
        if (n == max)
            return -1;
        segments[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
        p = slash + 1;
    }
    return n;
}

static int is(const http_request *r, const char *method) {
    return strcmp(r->method, method) == 0;
}

static enum MHD_Result not_found(http_request *r) {
    return http_error(r, 404, "no such resource", NULL);
}

static enum MHD_Result dispatch_passengers(http_request *r, char **seg, int n) {
    if (n == 1) {
        r->route = ROUTE_PASSENGERS;
        return is(r, "GET") ? route_passenger_list(r) : http_method_not_allowed(r, "GET");
    }
    if (n == 2) {
        r->route = ROUTE_PASSENGER;
        return is(r, "GET") ? route_passenger(r, seg[1]) : http_method_not_allowed(r, "GET");
    }
    if (n == 3 && strcmp(seg[2], "prediction") == 0) {
        r->route = ROUTE_PASSENGER_PREDICTION;
        return is(r, "GET") ? route_passenger_prediction(r, seg[1])
                            : http_method_not_allowed(r, "GET");
    }
    return not_found(r);
}

static enum MHD_Result dispatch_people(http_request *r, char **seg, int n) {
    if (n == 1) {
        r->route = ROUTE_PEOPLE;
        if (is(r, "GET"))
            return route_people_list(r);
        if (is(r, "POST"))
            return route_people_create(r);
        return http_method_not_allowed(r, "GET, POST");
    }
    if (n != 2)
        return not_found(r);
    r->route = ROUTE_PERSON;
    if (is(r, "GET"))
        return route_person_get(r, seg[1]);
    if (is(r, "PUT"))
        return route_person_put(r, seg[1]);
    if (is(r, "DELETE"))
        return route_person_delete(r, seg[1]);
    return http_method_not_allowed(r, "GET, PUT, DELETE");
}

/* Single-segment and fixed routes: {path, route, handler}. */
/* The small routes of this file, answered from the fixed table below. */
static enum MHD_Result route_health(http_request *r);
static enum MHD_Result route_ready(http_request *r);
static enum MHD_Result route_model(http_request *r);
static enum MHD_Result route_models(http_request *r);
static enum MHD_Result route_model_report(http_request *r);
static enum MHD_Result route_metrics(http_request *r);
static enum MHD_Result route_openapi(http_request *r);

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
};

enum MHD_Result routes_dispatch(http_request *r) {
    for (size_t i = 0; i < sizeof fixed_routes / sizeof fixed_routes[0]; i++) {
        const fixed_route *f = &fixed_routes[i];
        if (strcmp(r->url, f->path) != 0)
            continue;
        if (f->route == ROUTE_METRICS && http_config.metrics_separate)
            break; /* served on the internal METRICS_PORT only */
        r->route = f->route;
        /* HEAD is answered like GET; libmicrohttpd drops the body. */
        if (is(r, f->method) || (is(r, "HEAD") && strcmp(f->method, "GET") == 0))
            return f->handler(r);
        return http_method_not_allowed(r, f->method);
    }
    char buf[512];
    char *seg[4];
    int n = split_path(r->url, buf, sizeof buf, seg, 4);
    if (n >= 1 && strcmp(seg[0], "passengers") == 0)
        return dispatch_passengers(r, seg, n);
    if (n >= 1 && strcmp(seg[0], "people") == 0)
        return dispatch_people(r, seg, n);
    return not_found(r);
}

enum MHD_Result routes_dispatch_internal(http_request *r) {
    int get = is(r, "GET") || is(r, "HEAD");
    if (strcmp(r->url, "/metrics") == 0) {
        r->route = ROUTE_METRICS;
        return get ? route_metrics(r) : http_method_not_allowed(r, "GET");
    }
    if (strcmp(r->url, "/health") == 0) {
        r->route = ROUTE_HEALTH;
        return get ? route_health(r) : http_method_not_allowed(r, "GET");
    }
    return not_found(r);
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
        return http_error(r, 503, "no model loaded (train one with titanic-train)", NULL);
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
        return http_error(r, 503, "no model loaded", NULL);
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
    unsigned long hits, misses;
    passenger_cache_counts(&hits, &misses);
    fprintf(out,
            "# HELP titanic_passenger_cache_total Lookups answered from the passenger cache (hit) "
            "or the database (miss).\n# TYPE titanic_passenger_cache_total counter\n"
            "titanic_passenger_cache_total{result=\"hit\"} %lu\n"
            "titanic_passenger_cache_total{result=\"miss\"} %lu\n",
            hits, misses);
    fprintf(out,
            "# HELP titanic_build_info Build of this server.\n# TYPE titanic_build_info gauge\n"
            "titanic_build_info{version=\"%s\"} 1\n",
            TITANIC_VERSION);
}

static enum MHD_Result route_metrics(http_request *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return http_error(r, 500, "cannot render metrics", NULL);
    metrics_render(out);
    render_gauges(out);
    if (fclose(out) != 0) {
        free(text);
        return http_error(r, 500, "cannot render metrics", NULL);
    }
    return http_owned(r, 200, "text/plain; version=0.0.4", text, len);
}

static enum MHD_Result route_openapi(http_request *r) {
    return http_text(r, 200, "application/json", openapi_document, openapi_document_length);
}
