/* Training a whole model: the chosen design fitted on the trainer's compact rows, its in-sample
 * figures and the training set's fingerprint, assembled into a titanic_model document. */
#include "model_fit.h"

#include "errors.h"
#include "logit.h"
#include "sha256.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A text field with its length, so no separator inside it can make two rows hash alike. */
static void append_text(unsigned char *buf, size_t *used, const char *text) {
    uint32_t len = (uint32_t)strlen(text);
    memcpy(buf + *used, &len, sizeof len);
    memcpy(buf + *used + sizeof len, text, len);
    *used += sizeof len + len;
}

/* The double's bits (every NAN as one): exact, and no printf per value (a third of reading a
 * million passengers went into formatting them). */
static void append_number(unsigned char *buf, size_t *used, double v) {
    uint64_t bits = 0x7ff8000000000000ull;
    if (!isnan(v))
        memcpy(&bits, &v, sizeof bits);
    memcpy(buf + *used, &bits, sizeof bits);
    *used += sizeof bits;
}

/* SHA-256 over one 64-bit digest per row (FNV-1a of its canonical bytes): a changed row changes
 * the fingerprint unless two different rows collide in 64 bits, and a million rows cost 8 MB of
 * SHA-256 instead of 90 (it was a sixth of reading them). */
void model_fingerprint_add(sha256_ctx *ctx, const passenger *p) {
    unsigned char buf[sizeof(passenger) + 64];
    size_t used = 0;
    int32_t head[7] = {p->id, p->survived, p->pclass, p->sex, p->embarked, p->sibsp, p->parch};
    memcpy(buf, head, sizeof head);
    used += sizeof head;
    append_text(buf, &used, p->name);
    append_text(buf, &used, p->ticket);
    append_text(buf, &used, p->cabin);
    append_number(buf, &used, p->age);
    append_number(buf, &used, p->fare);
    uint64_t digest = features_key_hash((const char *)buf, used);
    sha256_update(ctx, &digest, sizeof digest);
}

/* ---- the final fit on compact rows ---- */

/* The design of the labelled rows listed (NULL: every row), family evidence without each row
 * itself, merged into t; *fitted counts them. */
static int build_patterns(const train_data *d, const size_t *rows, size_t n,
                          const feature_state *st, train_patterns *t, size_t *fitted, char *err,
                          size_t errlen) {
    if (train_patterns_init(t, features_columns(&st->set, NULL), train_data_labelled(d)) != 0)
        goto oom;
    for (size_t k = 0; k < n; k++) {
        size_t i = rows ? rows[k] : k;
        group_evidence ev;
        double row[FEATURES_MAX_COLUMNS];
        if (train_data_row(d, i)->survived < 0)
            continue;
        train_data_evidence(d, i, 0, &ev);
        train_data_design(d, st, i, &ev, row);
        if (train_patterns_add(t, row, train_data_row(d, i)->survived) != 0)
            goto oom;
        (*fitted)++;
    }
    train_patterns_shares(t);
    return 0;
oom:
    return errorf(err, errlen, "out of memory building the design of %zu passengers", n);
}

/* Accuracy, AUC, log-loss and Brier of the fit on the merged rows, each weighted by its
 * passengers. */
static int table_metrics(const train_patterns *t, const logit_result *fit, double out[4]) {
    double *prob = malloc((t->n ? t->n : 1) * sizeof *prob);
    if (!prob)
        return -1;
    for (size_t k = 0; k < t->n; k++)
        prob[k] = logit_probability(logit_linear(fit->beta, t->x + k * t->p, t->p));
    out[0] = metric_accuracy(prob, t->y, t->w, t->n, MODEL_DEFAULT_THRESHOLD);
    out[1] = metric_auc(prob, t->y, t->w, t->n);
    out[2] = metric_log_loss(prob, t->y, t->w, t->n);
    out[3] = metric_brier(prob, t->y, t->w, t->n);
    free(prob);
    return 0;
}

/* The kept families, with their keys, as the document's table. */
static int attach_families(const train_data *d, feature_state *st) {
    size_t nf;
    const train_family *fam = train_data_families(d, &nf);
    size_t kept = 0;
    for (size_t f = 0; f < nf; f++)
        kept += fam[f].kept;
    st->wc_groups = calloc(kept ? kept : 1, sizeof *st->wc_groups);
    if (!st->wc_groups)
        return -1;
    for (size_t f = 0; f < nf; f++) {
        if (!fam[f].kept)
            continue;
        wc_group_count *g = &st->wc_groups[st->wc_count];
        if (!(g->key = strdup(train_data_family_key(d, f))))
            return -1;
        g->hash = fam[f].hash;
        g->labelled = fam[f].labelled;
        g->survivors = fam[f].survivors;
        st->wc_count++;
    }
    qsort(st->wc_groups, st->wc_count, sizeof *st->wc_groups, features_compare_wc);
    return 0;
}

/* varies[j] = 1 when column j of the merged design takes more than one value. */
static void columns_vary(const train_patterns *t, unsigned char *varies) {
    for (size_t j = 0; j < t->p; j++) {
        varies[j] = 0;
        for (size_t k = 1; k < t->n && !varies[j]; k++)
            varies[j] = t->x[k * t->p + j] != t->x[j];
    }
}

titanic_model *model_train_data(const train_data *d, const size_t *rows, size_t n,
                                const feature_set *set, const logit_parameter *param,
                                const char *training_sha256, unsigned char *varies, char *err,
                                size_t errlen) {
    feature_state st;
    train_patterns t = {0};
    logit_result fit = {0};
    titanic_model *m = NULL;
    double metrics[4];
    size_t fitted = 0;
    if (!rows)
        n = train_data_rows(d);
    if (train_data_learn(d, rows, n, set, &st, err, errlen) != 0)
        return NULL;
    if (build_patterns(d, rows, n, &st, &t, &fitted, err, errlen) != 0)
        goto done;
    if (varies)
        columns_vary(&t, varies);
    const char *names[FEATURES_MAX_COLUMNS];
    features_columns(set, names);
    logit_problem prob = {.n = t.n, .p = t.p, .x = t.x, .y = t.y, .names = names, .weight = t.w};
    if (logit_train(&prob, param, &fit, err, errlen) != 0)
        goto done;
    if (table_metrics(&t, &fit, metrics) != 0 ||
        (feature_set_has(set, FEATURE_WC_GROUP) && attach_families(d, &st) != 0)) {
        errorf(err, errlen, "out of memory");
        goto done;
    }
    fit.n = fitted; /* passengers, not the merged rows logit_train counted */
    m = model_assemble(&st, param, &fit, fitted, training_sha256, metrics);
    if (!m)
        errorf(err, errlen, "out of memory");
done:
    train_patterns_free(&t);
    if (!m) {
        feature_state_free(&st);
        logit_result_free(&fit);
    }
    return m;
}
