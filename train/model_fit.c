/* Training a whole model: the pipeline fitted on passengers with known survival, its in-sample
 * figures and the training set's fingerprint, assembled into a titanic_model document. */
#include "model_fit.h"

#include "cross_validation.h"
#include "errors.h"
#include "sha256.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append_field(sha256_ctx *ctx, const char *text) {
    sha256_update(ctx, text, strlen(text));
    sha256_update(ctx, "\t", 1);
}

static void append_number(sha256_ctx *ctx, double v) {
    char buf[40];
    if (isnan(v))
        snprintf(buf, sizeof buf, "NA");
    else
        snprintf(buf, sizeof buf, "%.17g", v);
    append_field(ctx, buf);
}

static void model_fingerprint(const passenger *rows, size_t n, char hex[65]) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    for (size_t i = 0; i < n; i++) {
        const passenger *p = &rows[i];
        char buf[64];
        snprintf(buf, sizeof buf, "%d\t%d\t%d\t%s\t%c", (int)p->id, (int)p->survived,
                 (int)p->pclass, passenger_sex_name(p->sex), p->embarked ? p->embarked : '-');
        append_field(&ctx, buf);
        append_field(&ctx, p->name);
        append_number(&ctx, p->age);
        snprintf(buf, sizeof buf, "%d\t%d", (int)p->sibsp, (int)p->parch);
        append_field(&ctx, buf);
        append_field(&ctx, p->ticket);
        append_number(&ctx, p->fare);
        append_field(&ctx, p->cabin);
        sha256_update(&ctx, "\n", 1);
    }
    sha256_final_hex(&ctx, hex);
}

/* Accuracy, AUC, log-loss and Brier on the training rows themselves, each row scored without its
 * own label in its ticket group: next to the CV figures they show the optimism. */
static int in_sample_metrics(const feature_state *st, const logit_result *fit,
                             const passenger *rows, size_t n, double out[4]) {
    double *prob = malloc(n * sizeof *prob), *y = malloc(n * sizeof *y);
    if (!prob || !y) {
        free(prob);
        free(y);
        return -1;
    }
    size_t ncols = features_columns(&st->set, NULL);
    for (size_t i = 0; i < n; i++) {
        double row[FEATURES_MAX_COLUMNS];
        features_row(st, &rows[i], 1, row);
        prob[i] = logit_probability(logit_linear(fit->beta, row, ncols));
        y[i] = rows[i].survived;
    }
    out[0] = metric_accuracy(prob, y, n, MODEL_DEFAULT_THRESHOLD);
    out[1] = metric_auc(prob, y, n);
    out[2] = metric_log_loss(prob, y, n);
    out[3] = metric_brier(prob, y, n);
    free(prob);
    free(y);
    return 0;
}

titanic_model *model_train(const passenger *rows, size_t n, const feature_set *set,
                           const logit_parameter *param, char *err, size_t errlen) {
    feature_state st;
    logit_result fit;
    if (pipeline_fit(set, param, rows, n, &st, &fit, err, errlen) != 0)
        return NULL;
    double train_metrics[4];
    char sha[65];
    titanic_model *m = NULL;
    if (in_sample_metrics(&st, &fit, rows, n, train_metrics) == 0) {
        model_fingerprint(rows, n, sha);
        m = model_assemble(&st, param, &fit, n, sha, train_metrics);
    }
    if (!m) {
        feature_state_free(&st);
        logit_result_free(&fit);
        errorf(err, errlen, "out of memory");
    }
    return m;
}
