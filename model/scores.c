/* Scores of predicted probabilities against outcomes. See scores.h. */
#include "scores.h"

#include <math.h>
#include <stdlib.h>

/* Row i stands for w[i] passengers (w NULL: one), a share y[i] of whom survived. */
static double weight_of(const double *w, size_t i) {
    return w ? w[i] : 1.0;
}

double metric_accuracy(const double *prob, const double *y, const double *w, size_t n,
                       double threshold) {
    double right = 0.0, all = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = weight_of(w, i), pos = wi * y[i];
        right += prob[i] >= threshold ? pos : wi - pos;
        all += wi;
    }
    return n ? right / all : NAN;
}

typedef struct {
    double prob, pos, neg;
} scored;

static int compare_scored(const void *a, const void *b) {
    double x = ((const scored *)a)->prob, z = ((const scored *)b)->prob;
    return (x > z) - (x < z);
}

double metric_auc(const double *prob, const double *y, const double *w, size_t n) {
    scored *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NAN;
    double pos = 0.0, neg = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = weight_of(w, i);
        s[i] = (scored){prob[i], wi * y[i], wi - wi * y[i]};
        pos += s[i].pos;
        neg += s[i].neg;
    }
    qsort(s, n, sizeof *s, compare_scored);
    /* Positive-negative pairs ranked right, a tie counting half (exact in doubles for counts). */
    double below = 0.0, pairs = 0.0;
    for (size_t i = 0; i < n;) {
        double tpos = 0.0, tneg = 0.0;
        size_t j = i;
        for (; j < n && s[j].prob == s[i].prob; j++) {
            tpos += s[j].pos;
            tneg += s[j].neg;
        }
        pairs += tpos * (below + 0.5 * tneg);
        below += tneg;
        i = j;
    }
    free(s);
    return pos > 0.0 && neg > 0.0 ? pairs / (pos * neg) : NAN;
}

double metric_log_loss(const double *prob, const double *y, const double *w, size_t n) {
    double s = 0.0, all = 0.0;
    for (size_t i = 0; i < n; i++) {
        double p = fmin(fmax(prob[i], 1e-15), 1 - 1e-15), wi = weight_of(w, i), pos = wi * y[i];
        if (pos > 0.0) /* one logarithm for a single passenger, as it is one outcome */
            s -= pos * log(p);
        if (wi - pos > 0.0)
            s -= (wi - pos) * log1p(-p);
        all += wi;
    }
    return n ? s / all : NAN;
}

double metric_brier(const double *prob, const double *y, const double *w, size_t n) {
    double s = 0.0, all = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = weight_of(w, i), pos = wi * y[i];
        s += pos * (1 - prob[i]) * (1 - prob[i]) + (wi - pos) * prob[i] * prob[i];
        all += wi;
    }
    return n ? s / all : NAN;
}

void cv_result_free(cv_result *res) {
    if (res) {
        free(res->oof);
        res->oof = NULL;
    }
}
