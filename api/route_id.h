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
    ROUTE_UNKNOWN,
    ROUTE_COUNT
} route_id;

const char *route_template(route_id route);

#endif
