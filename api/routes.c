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

/* The small routes of this file, answered from the table below. */
static enum MHD_Result route_health(http_request *r);
static enum MHD_Result route_ready(http_request *r);
static enum MHD_Result route_model(http_request *r);
static enum MHD_Result route_models(http_request *r);
static enum MHD_Result route_model_report(http_request *r);
static enum MHD_Result route_metrics(http_request *r);
static enum MHD_Result route_openapi(http_request *r);

/* What runs each route: a row per method it answers, in the order its Allow header lists them
 * (HEAD counts as GET; a 405 on /v2 has the protocol's shape, as every error there).
 * Paths are matched in this order too (no path fits two templates), so the busiest come first. */
typedef struct {
    route_id route;
    const char *method;
    enum MHD_Result (*handler)(http_request *r);
} route_handler;

static const route_handler handlers[] = {
    {ROUTE_PREDICT, "POST", route_predict},
    {ROUTE_PASSENGER, "GET", route_passenger},
    {ROUTE_HEALTH, "GET", route_health},
    {ROUTE_READY, "GET", route_ready},
    {ROUTE_PASSENGERS, "GET", route_passenger_list},
    {ROUTE_PASSENGER_PREDICTION, "GET", route_passenger_prediction},
    {ROUTE_STATS, "GET", route_stats},
    {ROUTE_MODEL, "GET", route_model},
    {ROUTE_MODELS, "GET", route_models},
    {ROUTE_MODEL_REPORT, "GET", route_model_report},
    {ROUTE_PEOPLE, "GET", route_people_list},
    {ROUTE_PEOPLE, "POST", route_people_create},
    {ROUTE_PERSON, "GET", route_person_get},
    {ROUTE_PERSON, "PUT", route_person_put},
    {ROUTE_PERSON, "DELETE", route_person_delete},
    {ROUTE_METRICS, "GET", route_metrics},
    {ROUTE_OPENAPI, "GET", route_openapi},
    {ROUTE_V2_SERVER, "GET", route_v2_server},
    {ROUTE_V2_LIVE, "GET", route_v2_live},
    {ROUTE_V2_READY, "GET", route_v2_ready},
    {ROUTE_V2_MODEL, "GET", route_v2_model},
    {ROUTE_V2_MODEL_READY, "GET", route_v2_model},
    {ROUTE_V2_INFER, "POST", route_v2_model},
    {ROUTE_V2_VERSION, "GET", route_v2_model},
    {ROUTE_V2_VERSION_READY, "GET", route_v2_model},
    {ROUTE_V2_VERSION_INFER, "POST", route_v2_model},
};
#define HANDLERS (sizeof handlers / sizeof handlers[0])

/* Whether the segments of t fit a route's template (route_id.c's text, the one list of paths):
 * a "{...}" segment takes any one segment, every other must be equal. */
static int fits(const char *template, const http_target *t) {
    const char *at = template;
    for (int i = 0; i < t->n; i++) {
        if (*at++ != '/')
            return 0; /* the path has more segments than the template */
        const char *seg = t->seg[i];
        if (*at == '{') {
            while (*at && *at != '/')
                at++;
            continue;
        }
        while (*seg && *at == *seg) { /* byte by byte: this runs on every request's path */
            at++;
            seg++;
        }
        if (*seg || (*at && *at != '/'))
            return 0;
    }
    return t->n > 0 && *at == '\0';
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

/* The one place a raw request target becomes the route that will run: called before any header
 * is read (server_options.resolve), so a request refused early (401, 413, 431) is counted,
 * logged and authorised under the same route the dispatcher uses. */
static route_id resolve(const char *raw, http_target *t, int internal) {
    *t = (http_target){.body_max = http_config.max_body_bytes};
    if (decode_path(raw, t) <= 0)
        return ROUTE_UNKNOWN;
    /* the server's metadata, with or without '/' */
    int v2_root = t->buf[1] == 'v' && strcmp(t->buf, "/v2/") == 0;
    split_segments(t);
    route_id route = v2_root ? ROUTE_V2_SERVER : ROUTE_UNKNOWN;
    for (size_t i = 0; i < HANDLERS && route == ROUTE_UNKNOWN; i++) {
        if (fits(route_template(handlers[i].route), t))
            route = handlers[i].route;
    }
    /* The METRICS_PORT listener: /metrics and /health only. On the public one /metrics is
     * served there only when METRICS_PORT is set. Either way, other paths are no route. */
    int refused = internal ? route != ROUTE_METRICS && route != ROUTE_HEALTH
                           : route == ROUTE_METRICS && http_config.metrics_separate;
    if (refused) {
        t->n = 0;
        return ROUTE_UNKNOWN;
    }
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
    if (r->target.n > 0 && strcmp(r->target.seg[0], "v2") == 0) /* the protocol's error shape */
        return http_json(
            r, 404,
            json_pack("{s:s, s:s}", "error", "no such endpoint", "request_id", r->request_id));
    return http_error(r, 404, "no such resource", NULL);
}

enum MHD_Result routes_dispatch(http_request *r) {
    char allow[32] = "", message[96]; /* r->route's methods, for a 405 */
    for (size_t i = 0; i < HANDLERS; i++) {
        if (handlers[i].route != r->route)
            continue;
        if (http_method_is(r, handlers[i].method)) /* HEAD counts as GET */
            return handlers[i].handler(r);
        snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "",
                 handlers[i].method);
    }
    if (!allow[0])
        return not_found(r);
    snprintf(message, sizeof message, "method %.16s not allowed here; allowed: %s", r->method,
             allow);
    http_set_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    return http_error(r, 405, message, NULL);
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
    store_conn db = api_db_store();
    PGresult *res = db.run(db.ctx, &STORE_PING, NULL, &unavailable, err, sizeof err);
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
    metrics_single(out, "titanic_model_version", "gauge",
                   "Version of the model serving predictions (0: none).", "%d",
                   model_holder_version());
    api_db_render_metrics(out);
    lookup_batch_render_metrics(out);
    server_render_metrics(out);
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
    return http_memstream(r, out, &text, &len, "text/plain; version=0.0.4; charset=utf-8");
}

static enum MHD_Result route_openapi(http_request *r) {
    return http_text(r, 200, "application/json", openapi_document, openapi_document_length);
}
