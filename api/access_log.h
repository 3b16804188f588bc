/* Buffered access-log output. One write(2) per request was a measurable share of a /predict
 * (bench/api.sh); instead each worker thread appends its lines to its own buffer, which is
 * written out when it fills and every ACCESS_LOG_FLUSH_INTERVAL_MS by the log thread, so a line
 * reaches stderr within a tenth of a second. Writes never exceed PIPE_BUF and always end on a line
 * boundary, so lines from different threads never interleave even on a pipe. The log thread is
 * its own, not the connection guard's sweeper: a stderr that blocks (a full pipe) must never
 * stop the deadlines being enforced. */
#ifndef TITANIC_ACCESS_LOG_H
#define TITANIC_ACCESS_LOG_H

#include <stddef.h>

#define ACCESS_LOG_FLUSH_INTERVAL_MS 100

/* Appends one complete line (ending in '\n') from the calling thread. */
void access_log_append(const char *line, size_t len);

/* Turns buffering on (until then every line is written at once) and starts the log thread, which
 * also runs each_flush (NULL: nothing) after each flush: other periodic log output (the
 * monitor's drift summary). Returns 0, or -1 when the thread cannot start (lines then go out at
 * once). */
int access_log_start(void (*each_flush)(void));

/* Stops the log thread, turns buffering off and writes out everything buffered (call after the
 * workers stopped). */
void access_log_stop(void);

#endif
