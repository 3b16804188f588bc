/* Prometheus metrics. See metrics.h. */
#include "metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

void metrics_family(FILE *out, const char *name, const char *type, const char *help) {
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_single(FILE *out, const char *name, const char *type, const char *help,
                    const char *format, ...) {
    metrics_family(out, name, type, help);
    fprintf(out, "%s ", name);
    va_list ap;
    va_start(ap, format);
    vfprintf(out, format, ap);
    va_end(ap);
    fputc('\n', out);
}

static void render_requests(FILE *out) {
    metrics_family(out, "titanic_http_requests_total", "counter",
                   "HTTP requests by route template, method and status code.");
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
    metrics_family(out, "titanic_http_request_duration_seconds", "histogram",
                   "Time from request headers to response completion.");
    for (int r = 0; r < ROUTE_COUNT; r++) {
        unsigned long counts[BUCKET_COUNT + 1], total = 0, cumulative = 0;
        for (int b = 0; b <= BUCKET_COUNT; b++)
            total += counts[b] = atomic_load(&buckets[r][b]);
        if (total == 0)
            continue;
        for (int b = 0; b < BUCKET_COUNT; b++) {
            cumulative += counts[b];
            fprintf(out,
                    "titanic_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
                    route_template((route_id)r), bucket_bounds[b], cumulative);
        }
        fprintf(out, "titanic_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n",
                route_template((route_id)r), total);
        fprintf(out, "titanic_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n",
                route_template((route_id)r), (double)atomic_load(&duration_ns[r]) / 1e9);
        fprintf(out, "titanic_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
                route_template((route_id)r), total);
    }
}

/* ---- the process_* metrics, from /proc ---- */

typedef struct {
    double cpu_seconds, start_time;
    double resident_bytes, virtual_bytes;
} proc_stat;

/* Seconds since the epoch at which the system booted (btime in /proc/stat), or -1. */
static double boot_time(void) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    char line[256];
    double btime = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "btime ", 6) == 0) {
            btime = strtod(line + 6, NULL);
            break;
        }
    }
    fclose(f);
    return btime;
}

/* /proc/self/stat: the fields after the command name (which may hold spaces and parentheses,
 * so parsing starts after its last ')'). Returns 0 or -1. */
static int read_stat(proc_stat *s) {
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* Field 3 (state) is the first after ')'; we need 14 utime, 15 stime, 22 starttime,
     * 23 vsize, 24 rss (pages). */
    double utime, stime, starttime, vsize, rss;
    if (sscanf(p + 1,
               "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %lf %lf %*s %*s %*s %*s %*s %*s %lf "
               "%lf %lf",
               &utime, &stime, &starttime, &vsize, &rss) != 5)
        return -1;
    double ticks = (double)sysconf(_SC_CLK_TCK);
    double btime = boot_time();
    s->cpu_seconds = (utime + stime) / ticks;
    s->start_time = btime < 0 ? -1 : btime + starttime / ticks;
    s->virtual_bytes = vsize;
    s->resident_bytes = rss * (double)sysconf(_SC_PAGESIZE);
    return 0;
}

static long open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    return n - 1; /* not counting the descriptor of the listing itself */
}

/* The process_* metrics; one that cannot be read (no /proc) is left out. */
static void render_process(FILE *out) {
    proc_stat s;
    if (read_stat(&s) == 0) {
        metrics_single(out, "process_cpu_seconds_total", "counter",
                       "Total user and system CPU time spent in seconds.", "%.2f", s.cpu_seconds);
        metrics_single(out, "process_resident_memory_bytes", "gauge",
                       "Resident memory size in bytes.", "%.0f", s.resident_bytes);
        metrics_single(out, "process_virtual_memory_bytes", "gauge",
                       "Virtual memory size in bytes.", "%.0f", s.virtual_bytes);
        if (s.start_time >= 0)
            metrics_single(out, "process_start_time_seconds", "gauge",
                           "Start time of the process since unix epoch in seconds.", "%.2f",
                           s.start_time);
    }
    long fds = open_fds();
    if (fds >= 0)
        metrics_single(out, "process_open_fds", "gauge", "Number of open file descriptors.", "%.0f",
                       (double)fds);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        metrics_single(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
                       "%.0f", (double)rl.rlim_cur);
}

void metrics_render(FILE *out) {
    render_requests(out);
    render_histograms(out);
    render_process(out);
}
