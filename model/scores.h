/* How good predicted probabilities are against known outcomes: accuracy, ROC AUC, log-loss,
 * Brier score, and the cross-validated figures a model document carries. Pure arithmetic: the
 * prediction library shares it with the trainer. */
#ifndef TITANIC_SCORES_H
#define TITANIC_SCORES_H

#include <stddef.h>

/* Each of n rows has a probability and an outcome y (0 or 1); w NULL: a row is one passenger.
 * Otherwise row i stands for w[i] passengers with the same probability, a share y[i] of whom
 * survived (the final fit's merged design rows), and the figure is the one over the passengers. */
double metric_accuracy(const double *prob, const double *y, const double *w, size_t n,
                       double threshold);
/* Area under the ROC curve, ties counted half (the Mann-Whitney statistic); NAN for one class. */
double metric_auc(const double *prob, const double *y, const double *w, size_t n);
/* Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15] as sklearn does. */
double metric_log_loss(const double *prob, const double *y, const double *w, size_t n);
double metric_brier(const double *prob, const double *y, const double *w, size_t n);

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

void cv_result_free(cv_result *res);

#endif
