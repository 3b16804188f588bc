/* The route templates the API knows, as a fixed set so that metrics and logs never grow with the
 * URLs clients send. The HTTP layer records them; the router assigns them. */
#ifndef TITANIC_ROUTE_ID_H
#define TITANIC_ROUTE_ID_H

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
    /* The Open Inference Protocol (routes_v2.c) */
    ROUTE_V2_SERVER,
    ROUTE_V2_LIVE,
    ROUTE_V2_READY,
    ROUTE_V2_MODEL,
    ROUTE_V2_MODEL_READY,
    ROUTE_V2_INFER,
    ROUTE_V2_VERSION,
    ROUTE_V2_VERSION_READY,
    ROUTE_V2_VERSION_INFER,
    ROUTE_UNKNOWN,
    ROUTE_COUNT
} route_id;

/* The templates by route ("unmatched" for ROUTE_UNKNOWN), in route_id.c. */
extern const char *const route_names[ROUTE_COUNT];

/* Inline: the router matches paths against these on every request. */
static inline const char *route_template(route_id route) {
    return route < ROUTE_COUNT ? route_names[route] : "unmatched";
}

/* Whether route is one of the Open Inference Protocol's (/v2...), whose errors have its shape. */
int route_is_open_inference(route_id route);

#endif
