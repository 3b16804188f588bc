/* The process_* metrics that Prometheus client libraries export (CPU seconds, resident and
 * virtual memory, open and maximum file descriptors, start time), read from /proc at each scrape,
 * so dashboards and alerts written for any Prometheus-instrumented service work here too. */
#ifndef TITANIC_PROCESS_METRICS_H
#define TITANIC_PROCESS_METRICS_H

#include <stdio.h>

/* Writes the process_* metrics; one that cannot be read (no /proc) is left out. */
void process_metrics_render(FILE *out);

#endif
