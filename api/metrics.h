/* Prometheus metrics of the HTTP layer: request counts by route, method and status code, latency
 * histograms by route, and the process_* metrics every Prometheus client library exports (CPU
 * seconds, resident and virtual memory, open and maximum file descriptors, start time), read from
 * /proc at each scrape, so dashboards and alerts written for any Prometheus-instrumented service
 * work here too. Counters are lock-free atomics so recording costs nothing measurable on the
 * request path. The API's own gauges (model, database) are written by its /metrics route. */
#ifndef TITANIC_METRICS_H
#define TITANIC_METRICS_H

#include "errors.h"
#include "route_id.h"

#include <stdio.h>

/* Records one finished request. method is the HTTP method text. */
void metrics_record(route_id route, const char *method, unsigned status, double seconds);

/* Writes the request counters and latency histograms, the header timeouts and the process_*
 * metrics in the exposition format. */
void metrics_render(FILE *out);

/* A metric family's HELP and TYPE lines, which its samples follow: the one place every family
 * of /metrics (this file's, the API's gauges, the prediction monitoring) is opened. */
void metrics_family(FILE *out, const char *name, const char *type, const char *help);

/* A family of one unlabelled sample: its HELP and TYPE, then "name value", value written by
 * format. */
void metrics_single(FILE *out, const char *name, const char *type, const char *help,
                    const char *format, ...) TITANIC_PRINTF(5, 6);

#endif
