/* Prometheus metrics. See metrics.h. */
#include "metrics.h"

#include "conn_guard.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "OTHER"};
#define METHOD_COUNT 6

static const unsigned status_codes[] = {200, 201, 204, 400, 404, 405, 413, 431, 500, 503, 0};
#define STATUS_COUNT 11 /* the last slot counts any other status */

static const double bucket_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0};
#define BUCKET_COUNT 15

static atomic_ulong requests[ROUTE_COUNT][METHOD_COUNT][STATUS_COUNT];
static atomic_ulong buckets[ROUTE_COUNT][BUCKET_COUNT + 1]; /* + the +Inf bucket */
static atomic_ulong duration_ns[ROUTE_COUNT];

static int method_index(const char *method) {
    for (int i = 0; i < METHOD_COUNT - 1; i++) {
        if (strcmp(method, method_names[i]) == 0)
            return i;
    }
    return METHOD_COUNT - 1;
}

static int status_index(unsigned status) {
    for (int i = 0; i < STATUS_COUNT - 1; i++) {
        if (status_codes[i] == status)
            return i;
    }
    return STATUS_COUNT - 1;
}

void metrics_record(route_id route, const char *method, unsigned status, double seconds) {
    if (route >= ROUTE_COUNT)
        route = ROUTE_UNKNOWN;
    atomic_fetch_add_explicit(&requests[route][method_index(method)][status_index(status)], 1,
                              memory_order_relaxed);
    int b = 0;
    while (b < BUCKET_COUNT && seconds > bucket_bounds[b])
        b++;
    atomic_fetch_add_explicit(&buckets[route][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&duration_ns[route], (unsigned long)(seconds * 1e9),
                              memory_order_relaxed);
}

static void render_requests(FILE *out) {
    fputs("# HELP titanic_http_requests_total HTTP requests by route template, method and "
          "status.\n# TYPE titanic_http_requests_total counter\n",
          out);
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (int m = 0; m < METHOD_COUNT; m++)
            for (int s = 0; s < STATUS_COUNT; s++) {
                unsigned long n = atomic_load(&requests[r][m][s]);
                if (n == 0)
                    continue;
                char status[8];
                if (s < STATUS_COUNT - 1)
                    snprintf(status, sizeof status, "%u", status_codes[s]);
                else
                    snprintf(status, sizeof status, "other");
                fprintf(out,
                        "titanic_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} "
                        "%lu\n",
                        route_template((route_id)r), method_names[m], status, n);
            }
}

static void render_histograms(FILE *out) {
    fputs("# HELP titanic_http_request_duration_seconds Time from request headers to response "
          "completion.\n# TYPE titanic_http_request_duration_seconds histogram\n",
          out);
    for (int r = 0; r < ROUTE_COUNT; r++) {
        unsigned long cumulative = 0;
        unsigned long counts[BUCKET_COUNT + 1];
        for (int b = 0; b <= BUCKET_COUNT; b++)
            counts[b] = atomic_load(&buckets[r][b]);
        for (int b = 0; b <= BUCKET_COUNT; b++)
            cumulative += counts[b];
        if (cumulative == 0)
            continue;
        cumulative = 0;
        for (int b = 0; b < BUCKET_COUNT; b++) {
            cumulative += counts[b];
            fprintf(out,
                    "titanic_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
                    route_template((route_id)r), bucket_bounds[b], cumulative);
        }
        cumulative += counts[BUCKET_COUNT];
        fprintf(out, "titanic_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n",
                route_template((route_id)r), cumulative);
        fprintf(out, "titanic_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n",
                route_template((route_id)r), (double)atomic_load(&duration_ns[r]) / 1e9);
        fprintf(out, "titanic_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
                route_template((route_id)r), cumulative);
    }
}

void metrics_render(FILE *out) {
    render_requests(out);
    render_histograms(out);
    fprintf(out,
            "# HELP titanic_http_header_timeouts_total Connections closed for not completing a "
            "request header within HEADER_TIMEOUT_SECONDS.\n"
            "# TYPE titanic_http_header_timeouts_total counter\n"
            "titanic_http_header_timeouts_total %ld\n",
            conn_guard_header_timeouts());
}
