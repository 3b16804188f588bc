/* The training half of the features: learning a feature_state from passengers with known
 * survival, and building the design matrix the fitter reads. See passenger_features.h for the
 * groups and for turning one passenger into its row. */
#ifndef TITANIC_FEATURE_LEARNING_H
#define TITANIC_FEATURE_LEARNING_H

#include "passenger_features.h"

#include <stddef.h>

/* Streaming learner, so a million CSV rows need not be held as passenger records. */
typedef struct feature_learner feature_learner;
feature_learner *features_learner_new(const feature_set *set);
int features_learner_add(feature_learner *learner, const passenger *p, char *err, size_t errlen);
/* Computes the state; the learner is freed either way. */
int features_learner_finish(feature_learner *learner, feature_state *state, char *err,
                            size_t errlen);

/* Learns from n passengers in one call. */
int features_learn(const feature_set *set, const passenger *rows, size_t n, feature_state *state,
                   char *err, size_t errlen);

/* Builds the design of n passengers: *x (n * features_columns values, row-major) and *y (their
 * survival, 0/1; rows with unknown survival are refused). Caller frees both. */
int features_design(const feature_state *state, const passenger *rows, size_t n, int exclude_self,
                    double **x, double **y, char *err, size_t errlen);

#endif
