/* Fitting the whole pipeline (features learned, design built, logistic regression fitted) and
 * repeated stratified k-fold cross-validation of it, deterministic for a seed so two
 * configurations can be compared on exactly the same folds. */
#ifndef TITANIC_CROSS_VALIDATION_H
#define TITANIC_CROSS_VALIDATION_H

#include "logistic.h"
#include "passenger.h"
#include "passenger_features.h"
#include "scores.h"

#include <stddef.h>

/* The whole training pipeline on n passengers: learns the feature state, builds the design
 * (training rows excluded from their own ticket groups) and fits. The column names are those of
 * features_columns. On failure nothing needs freeing. */
int pipeline_fit(const feature_set *set, const logit_parameter *param, const passenger *rows,
                 size_t n, feature_state *state, logit_result *fit, char *err, size_t errlen);

/* Repeated stratified k-fold CV of the whole pipeline (feature learning, imputation values and
 * ticket groups included: each fold learns them from its training part only). Fails with err
 * when any fold's fit fails. */
int cv_run(const feature_set *set, const logit_parameter *param, const passenger *rows, size_t n,
           int folds, int repeats, unsigned long seed, cv_result *out, char *err, size_t errlen);

#endif
