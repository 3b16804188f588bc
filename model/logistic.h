/* The logistic function and a fitted logistic regression as data: what prediction needs and what
 * a model document stores. No fitting here (that is train/logit.h, on GSL), so the prediction
 * library and titanic-api link no numerical library. */
#ifndef TITANIC_LOGISTIC_H
#define TITANIC_LOGISTIC_H

#include <stddef.h>

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
} logit_result;

/* Defaults: no penalty, tol 1e-10, 50 iterations, intercept in column 0. */
void logit_default_parameter(logit_parameter *param);

void logit_result_free(logit_result *res);

/* x . beta for one row of p values. */
double logit_linear(const double *beta, const double *x, size_t p);

/* 1 / (1 + exp(-eta)), written so it neither overflows nor loses the small tail. */
double logit_probability(double eta);

#endif
