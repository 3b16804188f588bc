/* Batched lookups of passengers by id. See lookup_batch.h. */
#include "lookup_batch.h"

#include "api_db.h"
#include "clock.h"
#include "errors.h"
#include "metrics.h"
#include "passengers_store.h"
#include "server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS_MAX 16 /* LOOKUP_THREADS' range, checked with the other settings (main.c) */

/* One parked lookup; owned by the server as the request's resume_data once parked. */
typedef struct waiting {
    struct waiting *next;
    http_request *request;
    lookup_answer answer;
    lookup_result result;
} waiting;

/* The queue: a list with its tail, filled by HTTP workers, emptied a batch at a time. Its length
 * is bounded by the server's connection limit (one request per connection at a time). */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_ready; /* on CLOCK_MONOTONIC (lookup_batch_start) */
static waiting *queue_head, *queue_tail;
static int queue_length;
static int stopping;

/* Under load, a statement per handful of lookups costs the database more than the lookups
 * themselves (about 90 us per statement against 1.4 us per row here), so a thread whose last
 * batch showed real concurrency (BUSY_BATCH lookups or more) waits up to linger_us for
 * FULL_BATCH before sending. A few clients never wait: their batches stay small. */
#define BUSY_BATCH 8
#define FULL_BATCH 32
static long linger_us;

static pthread_t threads[THREADS_MAX];
static int thread_count;
static atomic_long batch_count, lookup_count;

/* Up to PASSENGER_BATCH_MAX waiting lookups, in arrival order; blocks while there are none.
 * NULL once stopping and empty. */
static waiting *take_batch(int linger) {
    pthread_mutex_lock(&queue_lock);
    while (!queue_head && !stopping)
        pthread_cond_wait(&queue_ready, &queue_lock);
    if (linger && linger_us > 0 && !stopping) {
        struct timespec until = clock_after_us(linger_us);
        while (queue_length < FULL_BATCH && !stopping &&
               pthread_cond_timedwait(&queue_ready, &queue_lock, &until) == 0)
            ;
    }
    waiting *batch = queue_head, *last = queue_head;
    int n = last ? 1 : 0;
    for (; last && last->next && n < PASSENGER_BATCH_MAX; n++)
        last = last->next;
    if (last) {
        queue_head = last->next;
        last->next = NULL;
        queue_length -= n;
        if (!queue_head)
            queue_tail = NULL;
        else
            pthread_cond_signal(&queue_ready); /* more than one batch: wake another thread */
    }
    pthread_mutex_unlock(&queue_lock);
    return batch;
}

/* Runs one statement for the batch and fills every result. */
static int read_batch(waiting *batch) {
    int32_t ids[PASSENGER_BATCH_MAX];
    passenger *rows[PASSENGER_BATCH_MAX]; /* decoded straight into each result */
    int found[PASSENGER_BATCH_MAX];
    int n = 0;
    for (waiting *w = batch; w; w = w->next, n++) {
        ids[n] = w->result.id;
        rows[n] = &w->result.row;
    }
    char err[256];
    int unavailable = 0;
    int rc = passengers_store_get_many(api_db_store(), ids, n, rows, found, &unavailable, err,
                                       sizeof err);
    int i = 0;
    for (waiting *w = batch; w; w = w->next, i++) {
        w->result.found = rc < 0 ? -1 : found[i];
        w->result.unavailable = unavailable;
        if (rc < 0)
            memcpy(w->result.err, err, sizeof err);
    }
    atomic_fetch_add(&batch_count, 1);
    atomic_fetch_add(&lookup_count, n);
    return n;
}

/* Hands every request of the batch back to the server. After server_unpark the request (and
 * its waiting record) belong to its worker thread, so next is read first. */
static void unpark_batch(waiting *batch) {
    while (batch) {
        waiting *next = batch->next;
        server_unpark(batch->request);
        batch = next;
    }
}

static void *lookup_thread(void *arg) {
    (void)arg;
    waiting *batch;
    int last_size = 0;
    while ((batch = take_batch(last_size >= BUSY_BATCH))) {
        last_size = read_batch(batch);
        unpark_batch(batch);
    }
    return NULL;
}

int lookup_batch_start(int count, long batch_wait_us, char *err, size_t errlen) {
    linger_us = batch_wait_us;
    pthread_condattr_t monotonic;
    pthread_condattr_init(&monotonic);
    pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
    pthread_cond_init(&queue_ready, &monotonic);
    pthread_condattr_destroy(&monotonic);
    stopping = 0;
    for (thread_count = 0; thread_count < count; thread_count++) {
        if (pthread_create(&threads[thread_count], NULL, lookup_thread, NULL) != 0) {
            lookup_batch_stop();
            return errorf(err, errlen, "cannot start lookup thread %d", thread_count + 1);
        }
    }
    return 0;
}

/* The continuation: the worker thread answers from the result. */
static enum MHD_Result answer_parked(http_request *r) {
    const waiting *w = r->resume_data;
    return w->answer(r, &w->result);
}

enum MHD_Result lookup_batch_park(http_request *r, int32_t id, lookup_answer answer) {
    waiting *w = thread_count ? calloc(1, sizeof *w) : NULL;
    if (!w) { /* out of memory, or called without lookup threads: a failed lookup, logged */
        lookup_result failed = {.id = id, .found = -1};
        snprintf(failed.err, sizeof failed.err, "%s",
                 thread_count ? "out of memory" : "lookup threads not running");
        return answer(r, &failed);
    }
    w->request = r;
    w->answer = answer;
    w->result.id = id;
    server_park(r, answer_parked, w);
    pthread_mutex_lock(&queue_lock);
    if (queue_tail)
        queue_tail->next = w;
    else
        queue_head = w;
    queue_tail = w;
    /* Wake a thread only when it has something new to do: the queue was empty (an idle thread
     * waits for that), or it just filled a batch (a lingering thread waits for that). Waking on
     * every arrival woke the lingering thread up to 32 times per batch for nothing. */
    if (++queue_length == 1)
        pthread_cond_signal(&queue_ready);
    else if (queue_length == FULL_BATCH)
        pthread_cond_broadcast(&queue_ready);
    pthread_mutex_unlock(&queue_lock);
    return MHD_YES;
}

void lookup_batch_stop(void) {
    pthread_mutex_lock(&queue_lock);
    stopping = 1;
    pthread_cond_broadcast(&queue_ready);
    pthread_mutex_unlock(&queue_lock);
    for (int i = 0; i < thread_count; i++)
        pthread_join(threads[i], NULL);
    thread_count = 0;
}

void lookup_batch_render_metrics(FILE *out) {
    metrics_single(out, "titanic_lookup_statements_total", "counter",
                   "Statements run for batched passenger lookups.", "%ld",
                   atomic_load(&batch_count));
    metrics_single(out, "titanic_lookups_total", "counter",
                   "Passenger lookups answered by those statements.", "%ld",
                   atomic_load(&lookup_count));
}
