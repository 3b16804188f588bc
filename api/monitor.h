/* Prediction monitoring: what the model is asked and what it answers, per model version, for
 * /metrics and for a periodic drift summary in the log.
 *
 * Cumulative since start: a histogram of predicted probabilities and counts of the predicted
 * class. Over a sliding window of the last MONITOR_WINDOW_SECONDS: the inputs that show drift
 * (share of missing ages, of women, the class mix, fare quantiles from fixed log-spaced buckets).
 * Recording is lock-free: each worker thread writes its own shard of relaxed atomic counters, and
 * the reader sums the shards, so /predict never waits on /metrics or on another worker. */
#ifndef TITANIC_MONITOR_H
#define TITANIC_MONITOR_H

#include "passenger.h"

#include <stdio.h>

#define MONITOR_WINDOW_SECONDS 60

/* PREDICTION_MONITORING=0 turns recording off (set before the server starts). */
extern int monitor_enabled;

/* Records one prediction of model version for passenger p. */
void monitor_record(int version, const passenger *p, double probability, int predicted);

/* Writes the prediction metrics in the Prometheus exposition format. */
void monitor_render(FILE *out);

/* Logs "prediction drift summary" every log_seconds (0: never) from then on, through
 * monitor_log_when_due, which the log thread runs (access_log_start; call this first). */
void monitor_start(int log_seconds);
void monitor_log_when_due(void);

#endif
