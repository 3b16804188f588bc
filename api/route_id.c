/* Route template names. See route_id.h. */
#include "route_id.h"

static const char *const route_names[ROUTE_COUNT] = {"/health",
                                                     "/ready",
                                                     "/passengers/{id}",
                                                     "/passengers",
                                                     "/passengers/{id}/prediction",
                                                     "/stats/survival",
                                                     "/predict",
                                                     "/model",
                                                     "/models",
                                                     "/model/report",
                                                     "/people",
                                                     "/people/{uuid}",
                                                     "/metrics",
                                                     "/openapi.json",
                                                     "unmatched"};

const char *route_template(route_id route) {
    return route < ROUTE_COUNT ? route_names[route] : "unmatched";
}
