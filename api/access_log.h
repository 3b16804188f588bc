/* Buffered access-log output. One write(2) per request was a measurable share of a /predict
 * (bench/api.sh); instead each worker thread appends its lines to its own buffer, which is
 * written out when it fills and by a flusher thread every FLUSH_INTERVAL_MS, so a line reaches
 * stderr within a tenth of a second. Writes never exceed PIPE_BUF and always end on a line
 * boundary, so lines from different threads never interleave even on a pipe. */
#ifndef TITANIC_ACCESS_LOG_H
#define TITANIC_ACCESS_LOG_H

#include <stddef.h>

#define ACCESS_LOG_FLUSH_INTERVAL_MS 100

/* Appends one complete line (ending in '\n') from the calling thread. */
void access_log_append(const char *line, size_t len);

/* Starts the flusher thread. Returns 0 or -1. */
int access_log_start(void);

/* Stops the flusher and writes out everything buffered (call after the workers stopped). */
void access_log_stop(void);

#endif
