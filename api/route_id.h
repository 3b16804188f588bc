/* The route templates the API knows, as a fixed set so that metrics and logs never grow with the
 * URLs clients send. The HTTP layer records them; the router assigns them. */
#ifndef TITANIC_ROUTE_ID_H
#define TITANIC_ROUTE_ID_H

/* Route templates: a fixed set, so metrics never grow with the URLs clients send. One list
 * gives both the enum and the template text, so the two cannot drift apart. The Open Inference
 * Protocol's (routes_v2.c) are the ROUTE_V2_ ones, from ROUTE_V2_SERVER to
 * ROUTE_V2_VERSION_INFER. */
#define ROUTE_LIST(X)                                                                              \
    X(ROUTE_HEALTH, "/health")                                                                     \
    X(ROUTE_READY, "/ready")                                                                       \
    X(ROUTE_PASSENGER, "/passengers/{id}")                                                         \
    X(ROUTE_PASSENGERS, "/passengers")                                                             \
    X(ROUTE_PASSENGER_PREDICTION, "/passengers/{id}/prediction")                                   \
    X(ROUTE_STATS, "/stats/survival")                                                              \
    X(ROUTE_PREDICT, "/predict")                                                                   \
    X(ROUTE_MODEL, "/model")                                                                       \
    X(ROUTE_MODELS, "/models")                                                                     \
    X(ROUTE_MODEL_REPORT, "/model/report")                                                         \
    X(ROUTE_PEOPLE, "/people")                                                                     \
    X(ROUTE_PERSON, "/people/{uuid}")                                                              \
    X(ROUTE_METRICS, "/metrics")                                                                   \
    X(ROUTE_OPENAPI, "/openapi.json")                                                              \
    X(ROUTE_V2_SERVER, "/v2")                                                                      \
    X(ROUTE_V2_LIVE, "/v2/health/live")                                                            \
    X(ROUTE_V2_READY, "/v2/health/ready")                                                          \
    X(ROUTE_V2_MODEL, "/v2/models/{name}")                                                         \
    X(ROUTE_V2_MODEL_READY, "/v2/models/{name}/ready")                                             \
    X(ROUTE_V2_INFER, "/v2/models/{name}/infer")                                                   \
    X(ROUTE_V2_VERSION, "/v2/models/{name}/versions/{version}")                                    \
    X(ROUTE_V2_VERSION_READY, "/v2/models/{name}/versions/{version}/ready")                        \
    X(ROUTE_V2_VERSION_INFER, "/v2/models/{name}/versions/{version}/infer")                        \
    X(ROUTE_UNKNOWN, "unmatched")

#define ROUTE_ENUM(id, template) id,
typedef enum { ROUTE_LIST(ROUTE_ENUM) ROUTE_COUNT } route_id;
#undef ROUTE_ENUM

/* The templates by route ("unmatched" for ROUTE_UNKNOWN), in route_id.c. */
extern const char *const route_names[ROUTE_COUNT];

/* Inline: the router matches paths against these on every request. */
static inline const char *route_template(route_id route) {
    return route < ROUTE_COUNT ? route_names[route] : "unmatched";
}

/* Whether route is one of the Open Inference Protocol's (/v2...), whose errors have its shape. */
static inline int route_is_open_inference(route_id route) {
    return route >= ROUTE_V2_SERVER && route <= ROUTE_V2_VERSION_INFER;
}

#endif
