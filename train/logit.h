/* Logistic regression by Newton/IRLS on a dense design matrix, with the statistics R's glm and
 * statsmodels report (standard errors, z, p-values, log-likelihood, deviance, AIC).
 *
 * Shaped like liblinear's linear.h: a problem (the data), a parameter (how to fit), a result (the
 * fitted model), and verbs that check, train and predict. Nothing here aborts or prints: every
 * failure comes back as -1 with a message that names the column and the reason, because a fit that
 * silently returns huge coefficients for separable data is worse than no fit. */
#ifndef TITANIC_LOGIT_H
#define TITANIC_LOGIT_H

#include "logistic.h"

#include <stddef.h>

/* The data. x is row-major n * p and is only read (never copied: the caller's matrix is the one
 * copy of the data, which is what keeps memory at rows * columns * 8 bytes). */
typedef struct logit_problem {
    size_t n;                 /* rows */
    size_t p;                 /* columns, including the intercept column when there is one */
    const double *x;          /* n * p, row-major */
    const double *y;          /* n labels, each exactly 0 or 1 (with weights: a share in [0, 1]) */
    const char *const *names; /* p column names for messages; may be NULL ("x3" is used then) */
    /* NULL: every row is one passenger. Otherwise row i stands for weight[i] > 0 passengers with
     * the same design row, y[i] of them surviving: the same likelihood as the rows written out,
     * so a million passengers with a few thousand distinct rows fit in a few thousand rows. */
    const double *weight;
    /* NULL: start from zeros with the intercept at the base rate. Otherwise p starting values (a
     * neighbouring penalty's solution: cross-validation fits a path of penalties, and each
     * starts where the last ended, in a couple of Newton steps instead of six). */
    const double *start;
    /* 1: only beta and the likelihoods (no standard errors, z, p or covariance), for fits whose
     * coefficients are only used to predict a held-out fold. */
    int estimates_only;
} logit_problem;

/* NULL when problem and param can be fitted, else a static message saying what is wrong. Checks
 * the shape and values only; separation and rank deficiency are found by logit_train. */
const char *logit_check_parameter(const logit_problem *prob, const logit_parameter *param);

/* Fits. Returns 0 with *out filled (free with logit_result_free), or -1 with err naming the reason:
 * no rows, one class only, a rank-deficient design (which columns), perfect or quasi-complete
 * separation (which column drives it), no convergence. */
int logit_train(const logit_problem *prob, const logit_parameter *param, logit_result *out,
                char *err, size_t errlen);

#endif
