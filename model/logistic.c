/* The logistic function and the fitted-model data. See logistic.h. */
#include "logistic.h"

#include <math.h>
#include <stdlib.h>

void logit_default_parameter(logit_parameter *param) {
    param->l2 = 0.0;
    param->tol = 1e-10;
    param->max_iter = 50;
    param->intercept = 0;
}

double logit_probability(double eta) {
    if (eta >= 0)
        return 1.0 / (1.0 + exp(-eta));
    double e = exp(eta);
    return e / (1.0 + e);
}

double logit_linear(const double *beta, const double *x, size_t p) {
    double s = 0.0;
    for (size_t j = 0; j < p; j++)
        s += beta[j] * x[j];
    return s;
}

void logit_result_free(logit_result *res) {
    if (!res)
        return;
    free(res->beta);
    free(res->se);
    free(res->z);
    free(res->pvalue);
    free(res->cov);
    res->beta = res->se = res->z = res->pvalue = res->cov = NULL;
}
