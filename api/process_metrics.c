/* process_* metrics from /proc. See process_metrics.h. */
#include "process_metrics.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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
    double field[25] = {0};
    int i = 3;
    char *save = NULL; /* strtok_r: several workers may render /metrics at once */
    for (char *tok = strtok_r(p + 1, " ", &save); tok && i < 25;
         tok = strtok_r(NULL, " ", &save), i++)
        field[i] = strtod(tok, NULL);
    if (i < 25)
        return -1;
    double ticks = (double)sysconf(_SC_CLK_TCK);
    double btime = boot_time();
    s->cpu_seconds = (field[14] + field[15]) / ticks;
    s->start_time = btime < 0 ? -1 : btime + field[22] / ticks;
    s->virtual_bytes = field[23];
    s->resident_bytes = field[24] * (double)sysconf(_SC_PAGESIZE);
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

static void metric(FILE *out, const char *name, const char *type, const char *help, double v,
                   const char *format) {
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n%s ", name, help, name, type, name);
    fprintf(out, format, v);
    fputc('\n', out);
}

void process_metrics_render(FILE *out) {
    proc_stat s;
    if (read_stat(&s) == 0) {
        metric(out, "process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.", s.cpu_seconds, "%.2f");
        metric(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
               s.resident_bytes, "%.0f");
        metric(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
               s.virtual_bytes, "%.0f");
        if (s.start_time >= 0)
            metric(out, "process_start_time_seconds", "gauge",
                   "Start time of the process since unix epoch in seconds.", s.start_time, "%.2f");
    }
    long fds = open_fds();
    if (fds >= 0)
        metric(out, "process_open_fds", "gauge", "Number of open file descriptors.", (double)fds,
               "%.0f");
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        metric(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
               (double)rl.rlim_cur, "%.0f");
}
