/* Logistic regression by Newton/IRLS on a dense design matrix, with the statistics R's glm and
 * statsmodels report (standard errors, z, p-values, log-likelihood, deviance, AIC).
 *
 * Shaped like liblinear's linear.h: a problem (the data), a parameter (how to fit), a result (the
 * fitted model), and verbs that check, train and predict. Nothing here aborts or prints: every
 * failure comes back as -1 with a message that names the column and the reason, because a fit that
 * silently returns huge coefficients for separable data is worse than no fit. */
#ifndef TITANIC_LOGIT_H
#define TITANIC_LOGIT_H

#include <stddef.h>

/* The data. x is row-major n * p and is only read (never copied: the caller's matrix is the one
 * copy of the data, which is what keeps memory at rows * columns * 8 bytes). */
typedef struct logit_problem {
    size_t n;                 /* rows */
    size_t p;                 /* columns, including the intercept column when there is one */
    const double *x;          /* n * p, row-major */
    const double *y;          /* n labels, each exactly 0 or 1 */
    const char *const *names; /* p column names for messages; may be NULL ("x3" is used then) */
} logit_problem;

typedef struct logit_parameter {
    double l2;     /* ridge penalty: maximise loglik - l2/2 * sum(beta_j^2), intercept excluded */
    double tol;    /* converged when the penalised deviance changes by less than tol, relatively */
    int max_iter;  /* Newton iterations before giving up */
    int intercept; /* index of the unpenalised intercept column, or -1 when there is none */
} logit_parameter;

typedef struct logit_result {
    size_t n, p;
    double *beta;   /* p coefficients */
    double *se;     /* p standard errors: sqrt(diag(inverse penalised Hessian)) */
    double *z;      /* beta / se */
    double *pvalue; /* two-sided normal p-values, as glm and statsmodels */
    double *cov;    /* p * p covariance (inverse penalised Hessian) */
    double loglik;  /* log-likelihood at beta (without the penalty) */
    double null_loglik;
    double deviance;      /* -2 loglik */
    double null_deviance; /* -2 loglik of the intercept-only model */
    double aic;           /* 2p - 2 loglik */
    int iterations;
    int modified_steps; /* Newton steps that needed the modified-Cholesky safe path */
} logit_result;

/* Defaults: no penalty, tol 1e-10, 50 iterations, intercept in column 0. */
void logit_default_parameter(logit_parameter *param);

/* NULL when problem and param can be fitted, else a static message saying what is wrong. Checks
 * the shape and values only; separation and rank deficiency are found by logit_train. */
const char *logit_check_parameter(const logit_problem *prob, const logit_parameter *param);

/* Fits. Returns 0 with *out filled (free with logit_result_free), or -1 with err naming the reason:
 * no rows, one class only, a rank-deficient design (which columns), perfect or quasi-complete
 * separation (which column drives it), no convergence. */
int logit_train(const logit_problem *prob, const logit_parameter *param, logit_result *out,
                char *err, size_t errlen);

void logit_result_free(logit_result *res);

/* x . beta for one row of p values. */
double logit_linear(const double *beta, const double *x, size_t p);

/* 1 / (1 + exp(-eta)), written so it neither overflows nor loses the small tail. */
double logit_probability(double eta);

/* log(1 + exp(eta)) without overflow: the building block of the log-likelihood. */
double logit_log1pexp(double eta);

#endif
