/* Request ids. See request_id.h. */
#include "request_id.h"

#include "splitmix.h"
#include "text_out.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static int request_id_valid(const char *text) {
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > REQUEST_ID_MAX)
        return 0;
    return strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:;=/+") ==
           n;
}

/* splitmix64: a made id needs to be unique, not secret, and must not cost a system call on every
 * request; each thread seeds its own generator once from the kernel. */
static uint64_t next_random(void) {
    static _Thread_local uint64_t state;
    static _Thread_local int seeded;
    if (!seeded) {
        if (getrandom(&state, sizeof state, GRND_NONBLOCK) != (ssize_t)sizeof state) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            state = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^ (uint64_t)&state;
        }
        seeded = 1;
    }
    return splitmix64_next(&state);
}

void request_id_for(struct MHD_Connection *c, char *out) {
    const char *given = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    if (!request_id_valid(given))
        given = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amzn-Trace-Id");
    if (request_id_valid(given)) {
        snprintf(out, REQUEST_ID_MAX + 1, "%s", given);
        return;
    }
    text_out o = {out}; /* 32 hex digits: far below REQUEST_ID_MAX */
    out_hex64(&o, next_random());
    out_hex64(&o, next_random());
    *o.at = '\0';
}
