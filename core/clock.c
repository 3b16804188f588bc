/* Monotonic time. See clock.h. */
#include "clock.h"

struct timespec clock_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now;
}

double clock_seconds_since(const struct timespec *start) {
    struct timespec now = clock_now();
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

struct timespec clock_after_us(long microseconds) {
    struct timespec t = clock_now();
    t.tv_sec += microseconds / 1000000;
    t.tv_nsec += (microseconds % 1000000) * 1000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}
