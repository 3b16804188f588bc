/* Route handlers. Each answers one request through the helpers in http.h. */
#ifndef TITANIC_ROUTES_H
#define TITANIC_ROUTES_H

#include "http.h"

/* Finds the route for r->url and r->method and runs it (sets r->route for metrics). */
enum MHD_Result routes_dispatch(http_request *r);
/* The internal METRICS_PORT listener: /metrics and /health, 404 for anything else. */
enum MHD_Result routes_dispatch_internal(http_request *r);

enum MHD_Result route_passenger(http_request *r, const char *id_text);
enum MHD_Result route_passenger_list(http_request *r);
enum MHD_Result route_passenger_prediction(http_request *r, const char *id_text);
enum MHD_Result route_stats(http_request *r);
enum MHD_Result route_predict(http_request *r);
enum MHD_Result route_people_list(http_request *r);
enum MHD_Result route_people_create(http_request *r);
enum MHD_Result route_person_get(http_request *r, const char *uuid);
enum MHD_Result route_person_put(http_request *r, const char *uuid);
enum MHD_Result route_person_delete(http_request *r, const char *uuid);

#endif
