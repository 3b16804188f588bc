/* Route template names. See route_id.h. */
#include "route_id.h"

const char *const route_names[ROUTE_COUNT] = {"/health",
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
                                              "/v2",
                                              "/v2/health/live",
                                              "/v2/health/ready",
                                              "/v2/models/{name}",
                                              "/v2/models/{name}/ready",
                                              "/v2/models/{name}/infer",
                                              "/v2/models/{name}/versions/{version}",
                                              "/v2/models/{name}/versions/{version}/ready",
                                              "/v2/models/{name}/versions/{version}/infer",
                                              "unmatched"};

int route_is_open_inference(route_id route) {
    return route >= ROUTE_V2_SERVER && route <= ROUTE_V2_VERSION_INFER;
}
