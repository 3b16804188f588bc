/* Lookups of stored passengers by id, batched: the one way a route reads a stored passenger
 * (GET /passengers/{id}, its prediction, /predict of a passenger_id, a Person read back after a
 * write). A route parks its request here (server_park)
 * instead of holding its HTTP worker thread through a database round trip; a few lookup threads,
 * each with its own connection, take every lookup that is waiting, read them all with one
 * statement (passengers_store_get_many) and unpark the requests, which are then answered on
 * their worker threads.
 *
 * Under load a batch is whatever arrived during the previous round trip, so the database runs
 * one statement per batch instead of one per request; a lone lookup still costs one round trip,
 * plus two thread hand-offs (about 0.3 ms on the 2-core bench machine). Reading a lone lookup on
 * its worker thread instead was tried and dropped: a worker that holds many connections reads
 * their requests one at a time while it blocks, so they never looked concurrent and were never
 * batched (9k lookups/s instead of 70-80k when wrk's 64 connections all landed on one worker).
 * Never stale: a lookup's statement is sent after its request arrived, so every write committed
 * before the request is seen (there is no cache to invalidate). */
#ifndef TITANIC_LOOKUP_BATCH_H
#define TITANIC_LOOKUP_BATCH_H

#include "http.h"
#include "passenger.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* What a lookup found, handed to its answer on the request's worker thread. */
typedef struct {
    int32_t id;
    int found;       /* 1 found, 0 no such passenger, -1 the statement failed */
    int unavailable; /* with found -1: the database could not be reached */
    passenger row;
    char err[256]; /* with found -1: for the log only */
} lookup_result;

/* Answers r from a finished lookup. */
typedef enum MHD_Result (*lookup_answer)(http_request *r, const lookup_result *result);

/* Starts threads lookup threads (1..16, as main.c checks LOOKUP_THREADS); under load each waits up
 * to batch_wait_us (0: never) to fill a batch. 0, or -1 with err. */
int lookup_batch_start(int threads, long batch_wait_us, char *err, size_t errlen);

/* Parks r until passenger id is read, then answers it through answer; without a lookup thread
 * (not started, or out of memory) answer gets a failed lookup at once. */
enum MHD_Result lookup_batch_park(http_request *r, int32_t id, lookup_answer answer);

/* Stops the lookup threads once the server has stopped (no request can be parked any more). */
void lookup_batch_stop(void);

/* Writes the metric families for /metrics: statements run and lookups they answered. */
void lookup_batch_render_metrics(FILE *out);

#endif
