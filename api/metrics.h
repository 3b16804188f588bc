/* Prometheus metrics for the API: request counts by route, method and status, latency
 * histograms by route, and gauges (model version, database connections, build info). Counters
 * are lock-free atomics so recording costs nothing measurable on the request path. */
#ifndef TITANIC_METRICS_H
#define TITANIC_METRICS_H

#include <stddef.h>

/* Route templates: a fixed set, so metrics never grow with the URLs clients send. */
typedef enum {
    ROUTE_HEALTH,
    ROUTE_READY,
    ROUTE_PASSENGER,
    ROUTE_PASSENGERS,
    ROUTE_PASSENGER_PREDICTION,
    ROUTE_STATS,
    ROUTE_PREDICT,
    ROUTE_MODEL,
    ROUTE_MODELS,
    ROUTE_MODEL_REPORT,
    ROUTE_PEOPLE,
    ROUTE_PERSON,
    ROUTE_METRICS,
    ROUTE_OPENAPI,
    ROUTE_UNKNOWN,
    ROUTE_COUNT
} route_id;

const char *route_template(route_id route);

/* Records one finished request. method is the HTTP method text. */
void metrics_record(route_id route, const char *method, unsigned status, double seconds);

/* Renders the exposition text (malloc'd); *len receives its length. */
char *metrics_render(size_t *len);

#endif
