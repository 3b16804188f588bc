/* How good a model is on passengers it did not see: the metrics (accuracy, ROC AUC, log-loss,
 * Brier score) and repeated stratified k-fold cross-validation, deterministic for a seed so two
 * configurations can be compared on exactly the same folds. */
#ifndef TITANIC_EVALUATE_H
#define TITANIC_EVALUATE_H

#include "passenger_features.h"
#include "logit.h"
#include "passenger.h"

#include <stddef.h>

double metric_accuracy(const double *prob, const double *y, size_t n, double threshold);
/* Area under the ROC curve, ties counted half (the Mann-Whitney statistic); NAN for one class. */
double metric_auc(const double *prob, const double *y, size_t n);
/* Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15] as sklearn does. */
double metric_log_loss(const double *prob, const double *y, size_t n);
double metric_brier(const double *prob, const double *y, size_t n);

/* The whole training pipeline on n passengers: learns the feature state, builds the design
 * (training rows excluded from their own ticket groups) and fits. The column names are those of
 * features_columns. On failure nothing needs freeing. */
int pipeline_fit(const feature_set *set, const logit_parameter *param, const passenger *rows,
                 size_t n, feature_state *state, logit_result *fit, char *err, size_t errlen);

/* P(survived) of p under a fitted pipeline: the one formula training, CV and the API share. */
double pipeline_predict(const feature_state *state, const double *beta, const passenger *p);

typedef struct metric_spread {
    double mean, sd, min, max; /* over the folds x repeats held-out folds; sd with n - 1 */
} metric_spread;

typedef struct cv_result {
    int folds, repeats;
    unsigned long seed;
    size_t n;
    metric_spread accuracy, auc, log_loss, brier;
    double *oof; /* n held-out probabilities, averaged over the repeats (for the report's plots) */
} cv_result;

/* Repeated stratified k-fold CV of the whole pipeline (feature learning, imputation values and
 * ticket groups included: each fold learns them from its training part only). Fails with err
 * when any fold's fit fails. */
int cv_run(const feature_set *set, const logit_parameter *param, const passenger *rows, size_t n,
           int folds, int repeats, unsigned long seed, cv_result *out, char *err, size_t errlen);

void cv_result_free(cv_result *res);

#endif
