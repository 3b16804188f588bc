/* Fitting the whole pipeline, and repeated stratified k-fold cross-validation. See
 * cross_validation.h. */
#include "cross_validation.h"

#include "feature_learning.h"
#include "logit.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pipeline_fit(const feature_set *set, const logit_parameter *param, const passenger *rows,
                 size_t n, feature_state *state, logit_result *fit, char *err, size_t errlen) {
    memset(fit, 0, sizeof *fit);
    if (n == 0) {
        snprintf(err, errlen, "no training rows (no passenger with known survival)");
        memset(state, 0, sizeof *state);
        return -1;
    }
    if (features_learn(set, rows, n, state, err, errlen) != 0)
        return -1;
    double *x = NULL, *y = NULL;
    if (features_design(state, rows, n, 1, &x, &y, err, errlen) != 0) {
        feature_state_free(state);
        return -1;
    }
    const char *names[FEATURES_MAX_COLUMNS];
    size_t p = features_columns(set, names);
    logit_problem prob = {.n = n, .p = p, .x = x, .y = y, .names = names};
    int rc = logit_train(&prob, param, fit, err, errlen);
    free(x);
    free(y);
    if (rc != 0)
        feature_state_free(state);
    return rc;
}

static void spread(const double *v, size_t n, metric_spread *out) {
    double sum = 0.0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
    }
    double mean = sum / (double)n, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    out->mean = mean;
    out->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    out->min = lo;
    out->max = hi;
}

/* Stratified fold numbers for one repeat: each class shuffled separately and dealt round-robin,
 * so every fold has the overall survival rate (to within one passenger). */
static void assign_folds(const passenger *rows, size_t n, int folds, gsl_rng *rng, int *fold,
                         size_t *scratch) {
    /* Positives continue the deal where negatives stopped, so fold sizes differ by <= 1. */
    size_t dealt = 0;
    for (int cls = 0; cls <= 1; cls++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (rows[i].survived == cls)
                scratch[m++] = i;
        gsl_ran_shuffle(rng, scratch, m, sizeof *scratch);
        for (size_t k = 0; k < m; k++)
            fold[scratch[k]] = (int)((dealt + k) % (size_t)folds);
        dealt += m;
    }
}

typedef struct {
    passenger *train, *test;
    double *prob, *y, *values;
    int *fold;
    size_t *scratch;
} cv_buffers;

static void buffers_free(cv_buffers *b) {
    free(b->train);
    free(b->test);
    free(b->prob);
    free(b->y);
    free(b->values);
    free(b->fold);
    free(b->scratch);
}

/* Fits on every fold but k and scores fold k; writes its four metrics into metrics[0..3]. */
static int run_fold(const feature_set *set, const logit_parameter *param, const passenger *rows,
                    size_t n, int k, cv_buffers *b, double *oof_sum, double metrics[4], char *err,
                    size_t errlen) {
    size_t ntrain = 0, ntest = 0;
    for (size_t i = 0; i < n; i++) {
        if (b->fold[i] == k)
            b->test[ntest++] = rows[i];
        else
            b->train[ntrain++] = rows[i];
    }
    feature_state st;
    logit_result fit;
    char why[512];
    if (pipeline_fit(set, param, b->train, ntrain, &st, &fit, why, sizeof why) != 0) {
        snprintf(err, errlen, "cross-validation fold %d: %s", k + 1, why);
        return -1;
    }
    size_t t = 0;
    for (size_t i = 0; i < n; i++) {
        if (b->fold[i] != k)
            continue;
        b->prob[t] = pipeline_predict(&st, fit.beta, &rows[i]);
        b->y[t] = rows[i].survived;
        oof_sum[i] += b->prob[t];
        t++;
    }
    metrics[0] = metric_accuracy(b->prob, b->y, ntest, 0.5);
    metrics[1] = metric_auc(b->prob, b->y, ntest);
    metrics[2] = metric_log_loss(b->prob, b->y, ntest);
    metrics[3] = metric_brier(b->prob, b->y, ntest);
    feature_state_free(&st);
    logit_result_free(&fit);
    return 0;
}

int cv_run(const feature_set *set, const logit_parameter *param, const passenger *rows, size_t n,
           int folds, int repeats, unsigned long seed, cv_result *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (folds < 2 || repeats < 1 || (size_t)folds > n) {
        snprintf(err, errlen,
                 "cross-validation needs 2 <= folds <= rows and repeats >= 1 (folds "
                 "%d, repeats %d, rows %zu)",
                 folds, repeats, n);
        return -1;
    }
    size_t runs = (size_t)folds * (size_t)repeats;
    cv_buffers b = {
        .train = malloc(n * sizeof(passenger)),
        .test = malloc(n * sizeof(passenger)),
        .prob = malloc(n * sizeof(double)),
        .y = malloc(n * sizeof(double)),
        .values = malloc(4 * runs * sizeof(double)),
        .fold = malloc(n * sizeof(int)),
        .scratch = malloc(n * sizeof(size_t)),
    };
    out->oof = calloc(n, sizeof(double));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = -1;
    if (!b.train || !b.test || !b.prob || !b.y || !b.values || !b.fold || !b.scratch || !out->oof ||
        !rng) {
        snprintf(err, errlen, "out of memory for cross-validation");
        goto done;
    }
    gsl_rng_set(rng, seed);
    for (int r = 0; r < repeats; r++) {
        assign_folds(rows, n, folds, rng, b.fold, b.scratch);
        for (int k = 0; k < folds; k++) {
            double *m = b.values + 4 * ((size_t)r * (size_t)folds + (size_t)k);
            if (run_fold(set, param, rows, n, k, &b, out->oof, m, err, errlen) != 0)
                goto done;
        }
    }
    metric_spread *targets[4] = {&out->accuracy, &out->auc, &out->log_loss, &out->brier};
    double *tmp = malloc(runs * sizeof *tmp);
    if (!tmp) {
        snprintf(err, errlen, "out of memory for cross-validation");
        goto done;
    }
    for (int m = 0; m < 4; m++) {
        for (size_t i = 0; i < runs; i++)
            tmp[i] = b.values[4 * i + (size_t)m];
        spread(tmp, runs, targets[m]);
    }
    free(tmp);
    for (size_t i = 0; i < n; i++)
        out->oof[i] /= repeats;
    out->folds = folds;
    out->repeats = repeats;
    out->seed = seed;
    out->n = n;
    rc = 0;
done:
    if (rc != 0) {
        free(out->oof);
        out->oof = NULL;
    }
    gsl_rng_free(rng);
    buffers_free(&b);
    return rc;
}
