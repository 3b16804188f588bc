/* Monotonic time for durations (request latency, load progress, drain deadlines): never the wall
 * clock, which jumps. */
#ifndef TITANIC_CLOCK_H
#define TITANIC_CLOCK_H

#include <time.h>

/* Now, on CLOCK_MONOTONIC. */
struct timespec clock_now(void);

/* Seconds from start to now (CLOCK_MONOTONIC). */
double clock_seconds_since(const struct timespec *start);

/* now + microseconds on CLOCK_MONOTONIC: a deadline for a condition variable on that clock. */
struct timespec clock_after_us(long microseconds);

#endif
