/* Per-thread access-log buffers. See access_log.h. */
#include "access_log.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
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

static atomic_int buffering;

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

void access_log_flush(void) {
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < buffer_count; i++) {
        pthread_mutex_lock(&buffers[i]->lock);
        flush_locked(buffers[i]);
        pthread_mutex_unlock(&buffers[i]->lock);
    }
    pthread_mutex_unlock(&registry_lock);
}

void access_log_start(void) {
    atomic_store(&buffering, 1);
}

void access_log_stop(void) {
    atomic_store(&buffering, 0);
    access_log_flush();
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < buffer_count; i++) {
        pthread_mutex_destroy(&buffers[i]->lock);
        free(buffers[i]);
    }
    buffer_count = 0;
    pthread_mutex_unlock(&registry_lock);
}
