/* Scores of predicted probabilities against outcomes. See scores.h. */
#include "scores.h"

#include <math.h>
#include <stdlib.h>

double metric_accuracy(const double *prob, const double *y, size_t n, double threshold) {
    size_t right = 0;
    for (size_t i = 0; i < n; i++)
        right += (prob[i] >= threshold) == (y[i] == 1.0);
    return n ? (double)right / (double)n : NAN;
}

typedef struct {
    double prob, y;
} scored;

static int compare_scored(const void *a, const void *b) {
    double x = ((const scored *)a)->prob, z = ((const scored *)b)->prob;
    return (x > z) - (x < z);
}

double metric_auc(const double *prob, const double *y, size_t n) {
    scored *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NAN;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        s[i].prob = prob[i];
        s[i].y = y[i];
        pos += y[i] == 1.0;
    }
    if (pos == 0 || pos == n) {
        free(s);
        return NAN;
    }
    qsort(s, n, sizeof *s, compare_scored);
    /* Sum of the positives' mid-ranks (1-based), ties sharing their average rank. */
    double rank_sum = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j].prob == s[i].prob)
            j++;
        double mid = 0.5 * (double)(i + 1 + j);
        for (size_t k = i; k < j; k++)
            if (s[k].y == 1.0)
                rank_sum += mid;
        i = j;
    }
    free(s);
    double np = (double)pos, nn = (double)(n - pos);
    return (rank_sum - np * (np + 1) / 2) / (np * nn);
}

double metric_log_loss(const double *prob, const double *y, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double p = fmin(fmax(prob[i], 1e-15), 1 - 1e-15);
        s -= y[i] == 1.0 ? log(p) : log1p(-p);
    }
    return n ? s / (double)n : NAN;
}

double metric_brier(const double *prob, const double *y, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (prob[i] - y[i]) * (prob[i] - y[i]);
    return n ? s / (double)n : NAN;
}

void cv_result_free(cv_result *res) {
    if (res) {
        free(res->oof);
        res->oof = NULL;
    }
}
