/* Prometheus metrics of the HTTP layer: request counts by route, method and status code, latency
 * histograms by route, and the process_* metrics every Prometheus client library exports. Counters
 * are lock-free atomics so recording costs nothing measurable on the request path. The API's own
 * gauges (model, database) are written by its /metrics route. */
#ifndef TITANIC_METRICS_H
#define TITANIC_METRICS_H

#include "route_id.h"

#include <stdio.h>

/* Records one finished request. method is the HTTP method text. */
void metrics_record(route_id route, const char *method, unsigned status, double seconds);

/* Writes the request counters and latency histograms in the exposition format. */
void metrics_render(FILE *out);

#endif
