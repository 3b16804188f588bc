/* Prometheus metrics. See metrics.h. */
#include "metrics.h"

#include "conn_guard.h"
#include "process_metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "OTHER"};
#define METHOD_COUNT 6

/* Every status is counted as itself: the slots are seeded with the statuses this server and
 * libmicrohttpd answer with, and a status not among them takes a free slot the first time it is
 * seen. The label set stays bounded by STATUS_COUNT; only if that many distinct statuses ever
 * appeared (none of the code paths can produce them) would the last slot count the rest, as
 * code="other". */
#define STATUS_COUNT 32
static atomic_uint status_codes[STATUS_COUNT] = {200, 201, 204, 400, 401, 403, 404, 405,
                                                 408, 411, 413, 414, 415, 417, 422, 429,
                                                 431, 499, 500, 501, 503, 505};

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
        unsigned seen = atomic_load_explicit(&status_codes[i], memory_order_relaxed);
        if (seen == status)
            return i;
        if (seen == 0 &&
            (atomic_compare_exchange_strong(&status_codes[i], &seen, status) || seen == status))
            return i; /* claimed for this status, by us or by another thread just now */
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
          "status code.\n# TYPE titanic_http_requests_total counter\n",
          out);
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (int m = 0; m < METHOD_COUNT; m++)
            for (int s = 0; s < STATUS_COUNT; s++) {
                unsigned long n = atomic_load(&requests[r][m][s]);
                if (n == 0)
                    continue;
                char code[8];
                if (s < STATUS_COUNT - 1)
                    snprintf(code, sizeof code, "%u", atomic_load(&status_codes[s]));
                else
                    snprintf(code, sizeof code, "other");
                fprintf(out,
                        "titanic_http_requests_total{route=\"%s\",method=\"%s\",code=\"%s\"} "
                        "%lu\n",
                        route_template((route_id)r), method_names[m], code, n);
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
    conn_guard_counts conns;
    conn_guard_get_counts(&conns);
    fprintf(out,
            "# HELP titanic_http_header_timeouts_total Connections closed for not completing a "
            "request header within HEADER_TIMEOUT_SECONDS.\n"
            "# TYPE titanic_http_header_timeouts_total counter\n"
            "titanic_http_header_timeouts_total %ld\n",
            conns.header_timeouts);
    process_metrics_render(out);
}
