/* Per-thread access-log buffers and the log thread. See access_log.h. */
#include "access_log.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUFFER_BYTES PIPE_BUF /* one write of at most PIPE_BUF bytes is atomic on a pipe */
#define MAX_BUFFERS 1024

typedef struct {
    pthread_mutex_t lock;
    size_t used;
    char bytes[BUFFER_BYTES];
} line_buffer;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static line_buffer *buffers[MAX_BUFFERS];
static int buffer_count;
static _Thread_local line_buffer *mine;

static pthread_t log_thread;
static atomic_int buffering;
static void (*also)(void); /* access_log_start's, run after each flush */

static void write_all(const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, data, len);
        if (n <= 0)
            return; /* stderr gone: nothing better to do with a log line */
        data += n;
        len -= (size_t)n;
    }
}

/* Caller holds b->lock. */
static void flush_locked(line_buffer *b) {
    write_all(b->bytes, b->used);
    b->used = 0;
}

static line_buffer *thread_buffer(void) {
    if (mine)
        return mine;
    line_buffer *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    pthread_mutex_init(&b->lock, NULL);
    pthread_mutex_lock(&registry_lock);
    if (buffer_count < MAX_BUFFERS) {
        buffers[buffer_count++] = b;
        mine = b;
    }
    pthread_mutex_unlock(&registry_lock);
    if (!mine) {
        free(b);
        return NULL;
    }
    return mine;
}

void access_log_append(const char *line, size_t len) {
    line_buffer *b = atomic_load(&buffering) ? thread_buffer() : NULL;
    if (!b || len > BUFFER_BYTES) {
        write_all(line, len); /* no buffering available, or a line too long to buffer */
        return;
    }
    pthread_mutex_lock(&b->lock);
    if (b->used + len > BUFFER_BYTES)
        flush_locked(b);
    memcpy(b->bytes + b->used, line, len);
    b->used += len;
    pthread_mutex_unlock(&b->lock);
}

static void flush_all(void) {
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < buffer_count; i++) {
        pthread_mutex_lock(&buffers[i]->lock);
        flush_locked(buffers[i]);
        pthread_mutex_unlock(&buffers[i]->lock);
    }
    pthread_mutex_unlock(&registry_lock);
}

static void *log_thread_main(void *arg) {
    (void)arg;
    struct timespec interval = {0, ACCESS_LOG_FLUSH_INTERVAL_MS * 1000000L};
    while (atomic_load(&buffering)) {
        nanosleep(&interval, NULL);
        flush_all();
        if (also)
            also();
    }
    return NULL;
}

int access_log_start(void (*each_flush)(void)) {
    also = each_flush;
    atomic_store(&buffering, 1);
    if (pthread_create(&log_thread, NULL, log_thread_main, NULL) != 0) {
        atomic_store(&buffering, 0);
        return -1;
    }
    return 0;
}

void access_log_stop(void) {
    if (atomic_exchange(&buffering, 0))
        pthread_join(log_thread, NULL);
    flush_all();
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < buffer_count; i++) {
        pthread_mutex_destroy(&buffers[i]->lock);
        free(buffers[i]);
    }
    buffer_count = 0;
    pthread_mutex_unlock(&registry_lock);
}
