/* Route handlers. Each answers one request through the helpers in http.h. */
#ifndef TITANIC_ROUTES_H
#define TITANIC_ROUTES_H

#include "http.h"
#include "passenger_json.h"

/* Runs the route routes_resolve found (r->route, r->target) for r->method; on the internal
 * METRICS_PORT listener, whose resolver finds only /metrics and /health, those or 404. */
enum MHD_Result routes_dispatch(http_request *r);

/* The route a raw request target (path and query, as sent) will run, and its decoded segments
 * in *t; t->refuse is 400 or 414 when the target is unacceptable (server_options.resolve). */
route_id routes_resolve(const char *raw_target, http_target *t);
route_id routes_resolve_internal(const char *raw_target, http_target *t);

/* The routes of the other files. A route whose template has a "{...}" segment reads it from
 * r->target.seg (the passenger id or person uuid is seg[1], the model name seg[2], its version
 * seg[4]). */
enum MHD_Result route_passenger(http_request *r);
enum MHD_Result route_passenger_list(http_request *r);
enum MHD_Result route_passenger_prediction(http_request *r);
enum MHD_Result route_stats(http_request *r);
enum MHD_Result route_predict(http_request *r);
enum MHD_Result route_people_list(http_request *r);
enum MHD_Result route_people_create(http_request *r);
enum MHD_Result route_person_get(http_request *r);
enum MHD_Result route_person_put(http_request *r);
enum MHD_Result route_person_delete(http_request *r);

/* 400 naming the field of an input error, and what is wrong with it. */
enum MHD_Result route_invalid(http_request *r, const input_error *e);

/* The one "no model loaded" answer: 503 in the route's error shape (the protocol's on /v2). */
#define ROUTE_NO_MODEL "no model loaded (train one with titanic-train)"
enum MHD_Result route_no_model(http_request *r);

/* The Open Inference Protocol v2 (routes_v2.c). route_v2_model serves r->route's metadata,
 * readiness or inference for the model named in the path, at the version it names (none: the
 * active one). */
enum MHD_Result route_v2_server(http_request *r);
enum MHD_Result route_v2_live(http_request *r);
enum MHD_Result route_v2_ready(http_request *r);
enum MHD_Result route_v2_model(http_request *r);

#endif
