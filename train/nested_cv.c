/* Nested cross-validation of the selection procedure. See nested_cv.h. */
#include "nested_cv.h"

#include "errors.h"
#include "logit.h"

#include <gsl/gsl_randist.h>
#include <pthread.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ECE_BINS 10

void nested_default_options(nested_options *o) {
    memset(o, 0, sizeof *o);
    /* docs/model.md: nested from the default set (titles, class, woman-child evidence) upwards. */
    static const feature_group extra[] = {FEATURE_SEX_PCLASS, FEATURE_FAMILY_SIZE, FEATURE_AGE};
    feature_set s;
    feature_set_default(&s);
    o->candidates[o->ncandidates++] = s;
    for (size_t i = 0; i < 3; i++) {
        s.groups[s.count++] = extra[i];
        o->candidates[o->ncandidates++] = s;
    }
    static const double l2s[] = {0.1, 0.3, 1.0, 3.0, 10.0};
    for (size_t i = 0; i < sizeof l2s / sizeof l2s[0]; i++)
        o->l2s[o->nl2++] = l2s[i];
    o->outer_folds = 10;
    o->outer_repeats = 5;
    o->inner_folds = 5;
    o->inner_repeats = 2;
    o->seed = 1912;
    logit_default_parameter(&o->param);
}

void nested_form_options(const nested_options *named, nested_options *o) {
    *o = *named; /* the same folds, seed, fitter settings (and test hook) */
    /* docs/model.md: what a form sends; "boy" stands in for the title Master, age, fare and
     * port for what a title and a family's fate told. */
    static const feature_group form[] = {FEATURE_SEX,      FEATURE_PCLASS,     FEATURE_SEX_PCLASS,
                                         FEATURE_BOY,      FEATURE_AGE_MEDIAN, FEATURE_FAMILY_SIZE,
                                         FEATURE_LOG_FARE, FEATURE_EMBARKED};
    o->ncandidates = 1;
    o->candidates[0].count = 0;
    for (size_t i = 0; i < sizeof form / sizeof *form; i++)
        o->candidates[0].groups[o->candidates[0].count++] = form[i];
    static const double l2s[] = {1.0, 3.0, 10.0};
    o->nl2 = 0;
    for (size_t i = 0; i < sizeof l2s / sizeof l2s[0]; i++)
        o->l2s[o->nl2++] = l2s[i];
}

/* ---- the CV sample and its labels ---- */

/* One array to carve out of a shared block: where its pointer goes, and its size in bytes. */
typedef struct carving {
    void **where;
    size_t bytes;
} carving;

/* One zeroed block for all the arrays listed, each starting at a multiple of 8 bytes (aligned for
 * any of their element types); the block to free, or NULL when out of memory. */
static void *carve(const carving *parts, size_t count) {
    size_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += (parts[i].bytes + 7) / 8 * 8;
    char *block = calloc(total ? total : 1, 1), *next = block;
    for (size_t i = 0; block && i < count; i++) {
        *parts[i].where = next;
        next += (parts[i].bytes + 7) / 8 * 8;
    }
    return block;
}

typedef struct cv_ctx {
    const train_data *d;
    const nested_options *o;
    size_t n;           /* sample rows */
    const size_t *rows; /* sample row -> data row */
    int32_t *group;     /* sample row -> local family, -1 none */
    size_t ngroups;
    int32_t *base_lab, *base_surv; /* evidence from labelled passengers outside the sample */
    int8_t *label;                 /* read only through label_of */
    uint8_t *seen;                 /* labels read since the last reset (the leak check) */
    size_t reads;
    int32_t *lab, *surv; /* per-fold scratch, ngroups each */
    double *x;           /* n x FEATURES_MAX_COLUMNS design scratch */
    /* One selection's scratch, n rows each unless said: allocated once, as folds come and go. */
    double *acc, *ll;       /* [cand][l2][inner fold] scores */
    double *oof;            /* [cand][l2][sample row], averaged over the inner repeats */
    int *fold;              /* each row's inner fold */
    size_t *val, *fit_rows; /* an inner fold's held-out rows; a fit's training rows (data rows) */
    double *probs, *yv;     /* nl2 x n held-out probabilities; labels */
    uint8_t *inner_train;   /* the inner fold's training part */
    gsl_rng *rng;           /* the inner folds' shuffles */
    void *block;            /* every array above, carved out of one allocation */
} cv_ctx;

static int label_of(cv_ctx *c, size_t k) {
    if (!c->seen[k]) {
        c->seen[k] = 1;
        c->reads++;
    }
    return c->label[k];
}

static void ctx_free(cv_ctx *c) {
    free(c->block);
    gsl_rng_free(c->rng);
}

/* Dense local numbers for the sample's families, and the evidence of everyone outside it. */
static int ctx_groups(cv_ctx *c) {
    size_t nfam;
    const train_family *fam = train_data_families(c->d, &nfam);
    int32_t *local = malloc((nfam ? nfam : 1) * sizeof *local);
    if (!local)
        return -1;
    for (size_t f = 0; f < nfam; f++)
        local[f] = -1;
    for (size_t k = 0; k < c->n; k++) {
        int32_t g = train_data_row(c->d, c->rows[k])->group;
        if (g >= 0 && fam[g].kept && local[g] < 0)
            local[g] = (int32_t)c->ngroups++;
        c->group[k] = g >= 0 && fam[g].kept ? local[g] : -1;
    }
    for (size_t f = 0; f < nfam; f++)
        if (local[f] >= 0) {
            c->base_lab[local[f]] = fam[f].labelled;
            c->base_surv[local[f]] = fam[f].survivors;
        }
    /* Sample members come off the base here, before any fold exists, so a fold's evidence is
     * built by adding its training labels, never by subtracting held-out ones. */
    for (size_t k = 0; k < c->n; k++)
        if (c->group[k] >= 0) {
            c->base_lab[c->group[k]]--;
            c->base_surv[c->group[k]] -= c->label[k] == 1;
        }
    free(local);
    return 0;
}

static int ctx_init(cv_ctx *c, const train_data *d, const nested_options *o) {
    memset(c, 0, sizeof *c);
    c->d = d;
    c->o = o;
    c->rows = train_data_sample(d, &c->n);
    size_t n = c->n ? c->n : 1, cells = (size_t)o->ncandidates * (size_t)o->nl2;
    size_t inner = (size_t)o->inner_folds * (size_t)o->inner_repeats;
    /* A family has at least one sample row, so the per-family arrays take n entries at most. */
    carving parts[] = {{(void **)&c->group, n * sizeof *c->group},
                       {(void **)&c->base_lab, n * sizeof *c->base_lab},
                       {(void **)&c->base_surv, n * sizeof *c->base_surv},
                       {(void **)&c->label, n * sizeof *c->label},
                       {(void **)&c->seen, n * sizeof *c->seen},
                       {(void **)&c->lab, n * sizeof *c->lab},
                       {(void **)&c->surv, n * sizeof *c->surv},
                       {(void **)&c->x, n * FEATURES_MAX_COLUMNS * sizeof *c->x},
                       {(void **)&c->acc, cells * inner * sizeof *c->acc},
                       {(void **)&c->ll, cells * inner * sizeof *c->ll},
                       {(void **)&c->oof, cells * n * sizeof *c->oof},
                       {(void **)&c->fold, n * sizeof *c->fold},
                       {(void **)&c->val, n * sizeof *c->val},
                       {(void **)&c->fit_rows, n * sizeof *c->fit_rows},
                       {(void **)&c->probs, (size_t)o->nl2 * n * sizeof *c->probs},
                       {(void **)&c->yv, n * sizeof *c->yv},
                       {(void **)&c->inner_train, n * sizeof *c->inner_train}};
    c->block = carve(parts, sizeof parts / sizeof *parts);
    c->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!c->block || !c->rng)
        return -1;
    for (size_t k = 0; k < c->n; k++)
        c->label[k] = train_data_row(d, c->rows[k])->survived;
    return ctx_groups(c);
}

/* ---- one fit on a fold ---- */

/* The fold's family evidence: outside passengers plus the training part's labels. */
static void fold_evidence(cv_ctx *c, const uint8_t *train) {
    memcpy(c->lab, c->base_lab, c->ngroups * sizeof *c->lab);
    memcpy(c->surv, c->base_surv, c->ngroups * sizeof *c->surv);
    for (size_t k = 0; k < c->n; k++)
        if (train[k] && c->group[k] >= 0) {
            c->lab[c->group[k]]++;
            c->surv[c->group[k]] += label_of(c, k) == 1;
        }
}

/* Design rows of every sample row for set, with the fold's evidence (a training row's own label
 * taken out). */
static int fold_design(cv_ctx *c, const uint8_t *train, const feature_set *set, size_t ntrain,
                       const size_t *train_rows, feature_state *st, char *err, size_t errlen) {
    if (train_data_learn(c->d, train_rows, ntrain, set, st, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < c->n; k++) {
        group_evidence ev = {0, 0};
        if (c->group[k] >= 0) {
            ev.labelled = c->lab[c->group[k]];
            ev.survivors = c->surv[c->group[k]];
            if (train[k]) {
                ev.labelled -= 1;
                ev.survivors -= label_of(c, k) == 1;
            }
        }
        train_data_design(c->d, st, c->rows[k], &ev, c->x + k * FEATURES_MAX_COLUMNS);
    }
    return 0;
}

/* Fits set on the training part with each penalty and writes the probabilities of the rows in
 * pred (nl2 x npred). */
static int fold_fit(cv_ctx *c, const uint8_t *train, const feature_set *set, const double *l2s,
                    int nl2, const size_t *pred, size_t npred, double *probs, char *err,
                    size_t errlen) {
    size_t ntrain = 0, p = features_columns(set, NULL);
    train_patterns pat = {0};
    feature_state st = {0};
    int rc = -1;
    if (train_patterns_init(&pat, p, c->n) != 0) {
        errorf(err, errlen, "out of memory for a cross-validation fold");
        goto done;
    }
    for (size_t k = 0; k < c->n; k++)
        if (train[k])
            c->fit_rows[ntrain++] = c->rows[k];
    fold_evidence(c, train);
    if (fold_design(c, train, set, ntrain, c->fit_rows, &st, err, errlen) != 0)
        goto done;
    for (size_t k = 0; k < c->n; k++)
        if (train[k] &&
            train_patterns_add(&pat, c->x + k * FEATURES_MAX_COLUMNS, label_of(c, k)) != 0) {
            errorf(err, errlen, "out of memory for a cross-validation fold");
            goto done;
        }
    train_patterns_shares(&pat);
    /* The penalties as a path: each fit starts where the previous one ended (a couple of Newton
     * steps instead of six), and only the estimates are computed, since a fold's fit only
     * predicts its held-out rows. */
    double start[FEATURES_MAX_COLUMNS];
    for (int l = 0; l < nl2; l++) {
        logit_parameter param = c->o->param;
        param.l2 = l2s[l];
        logit_problem prob = {.n = pat.n,
                              .p = p,
                              .x = pat.x,
                              .y = pat.y,
                              .weight = pat.w,
                              .start = l > 0 ? start : NULL,
                              .estimates_only = 1};
        logit_result fit;
        if (logit_train(&prob, &param, &fit, err, errlen) != 0)
            goto done;
        memcpy(start, fit.beta, p * sizeof *start);
        for (size_t j = 0; j < npred; j++)
            probs[(size_t)l * npred + j] =
                logit_probability(logit_linear(fit.beta, c->x + pred[j] * FEATURES_MAX_COLUMNS, p));
        logit_result_free(&fit);
    }
    rc = 0;
done:
    train_patterns_free(&pat);
    feature_state_free(&st);
    return rc;
}

/* ---- folds ---- */

/* Stratified folds of the rows listed: each class shuffled and dealt round-robin. */
static void assign_folds(cv_ctx *c, const size_t *rows, size_t n, int folds, gsl_rng *rng,
                         int *fold, size_t *scratch) {
    size_t dealt = 0;
    for (int cls = 0; cls <= 1; cls++) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if (label_of(c, rows[j]) == cls)
                scratch[m++] = rows[j];
        gsl_ran_shuffle(rng, scratch, m, sizeof *scratch);
        for (size_t k = 0; k < m; k++)
            fold[scratch[k]] = (int)((dealt + k) % (size_t)folds);
        dealt += m;
    }
}

static double temperature_fit(const double *prob, const double *y, size_t n) {
    /* Newton on t for P = logistic(t * logit(prob)); t = 1 when it will not converge. */
    double t = 1.0;
    for (int it = 0; it < 50; it++) {
        double g = 0.0, h = 0.0;
        for (size_t i = 0; i < n; i++) {
            double pr = fmin(fmax(prob[i], 1e-15), 1 - 1e-15);
            double z = log(pr / (1 - pr)), mu = logit_probability(t * z);
            g += (y[i] - mu) * z;
            h += mu * (1 - mu) * z * z;
        }
        if (!(h > 0))
            return 1.0;
        double step = g / h;
        t += step;
        if (fabs(step) < 1e-10)
            break;
    }
    return isfinite(t) && t > 0.0 && t <= 100.0 ? t : 1.0;
}

static double calibrate(double prob, double t) {
    double pr = fmin(fmax(prob, 1e-15), 1 - 1e-15);
    return logit_probability(t * log(pr / (1 - pr)));
}

static size_t cell(const nested_options *o, int c, int l) {
    return (size_t)c * (size_t)o->nl2 + (size_t)l;
}

/* One inner fold: every candidate and penalty fitted on the rest, scored on the fold. */
static int inner_fold(cv_ctx *c, const size_t *rows, size_t n, int k, int f, char *err,
                      size_t errlen) {
    const nested_options *o = c->o;
    size_t nv = 0, nf = (size_t)(o->inner_folds * o->inner_repeats);
    memset(c->inner_train, 0, c->n);
    for (size_t j = 0; j < n; j++) {
        if (c->fold[rows[j]] == k)
            c->val[nv++] = rows[j];
        else
            c->inner_train[rows[j]] = 1;
    }
    int rc = 0;
    for (int ci = 0; ci < o->ncandidates && rc == 0; ci++) {
        rc = fold_fit(c, c->inner_train, &o->candidates[ci], o->l2s, o->nl2, c->val, nv, c->probs,
                      err, errlen);
        for (int l = 0; l < o->nl2 && rc == 0; l++) {
            const double *pr = c->probs + (size_t)l * nv;
            for (size_t j = 0; j < nv; j++) {
                c->yv[j] = label_of(c, c->val[j]);
                c->oof[cell(o, ci, l) * c->n + c->val[j]] += pr[j] / o->inner_repeats;
            }
            c->acc[cell(o, ci, l) * nf + (size_t)f] = metric_accuracy(pr, c->yv, NULL, nv, 0.5);
            c->ll[cell(o, ci, l) * nf + (size_t)f] = metric_log_loss(pr, c->yv, NULL, nv);
        }
    }
    return rc;
}

/* The mean of n fold scores (GSL's, as every mean and sd here). */
static double mean_of(const double *v, int n) {
    return gsl_stats_mean(v, 1, (size_t)n);
}

/* Best mean inner accuracy, then the one-standard-error rule: fewest columns, strongest penalty,
 * lowest log-loss. */
static void choose(const cv_ctx *c, nested_choice *out) {
    const nested_options *o = c->o;
    int bc = 0, bl = 0, nf = o->inner_folds * o->inner_repeats;
    for (int ci = 0; ci < o->ncandidates; ci++)
        for (int l = 0; l < o->nl2; l++)
            if (mean_of(c->acc + cell(o, ci, l) * nf, nf) >
                mean_of(c->acc + cell(o, bc, bl) * nf, nf)) {
                bc = ci;
                bl = l;
            }
    const double *best = c->acc + cell(o, bc, bl) * nf;
    double floor = mean_of(best, nf) - gsl_stats_sd(best, 1, (size_t)nf) / sqrt(nf);
    int cc = bc, cl = bl;
    for (int ci = 0; ci < o->ncandidates; ci++)
        for (int l = 0; l < o->nl2; l++) {
            if (mean_of(c->acc + cell(o, ci, l) * nf, nf) < floor)
                continue;
            size_t cols = features_columns(&o->candidates[ci], NULL);
            size_t ccols = features_columns(&o->candidates[cc], NULL);
            double ll = mean_of(c->ll + cell(o, ci, l) * nf, nf);
            double cll = mean_of(c->ll + cell(o, cc, cl) * nf, nf);
            if (cols < ccols || (cols == ccols && (o->l2s[l] > o->l2s[cl] ||
                                                   (o->l2s[l] == o->l2s[cl] && ll < cll)))) {
                cc = ci;
                cl = l;
            }
        }
    out->candidate = cc;
    out->l2_index = cl;
    out->l2 = o->l2s[cl];
    out->inner_accuracy = mean_of(c->acc + cell(o, cc, cl) * nf, nf);
    out->inner_log_loss = mean_of(c->ll + cell(o, cc, cl) * nf, nf);
}

/* The procedure on the sample rows listed: inner CV, choice, temperature. */
static int select_on(cv_ctx *c, const size_t *rows, size_t n, unsigned long seed,
                     nested_choice *out, char *err, size_t errlen) {
    const nested_options *o = c->o;
    memset(c->oof, 0, (size_t)o->ncandidates * (size_t)o->nl2 * c->n * sizeof *c->oof);
    gsl_rng_set(c->rng, seed);
    for (int r = 0, f = 0; r < o->inner_repeats; r++) {
        assign_folds(c, rows, n, o->inner_folds, c->rng, c->fold, c->val);
        for (int k = 0; k < o->inner_folds; k++, f++)
            if (inner_fold(c, rows, n, k, f, err, errlen) != 0)
                return -1;
    }
    choose(c, out);
    const double *oof = c->oof + cell(o, out->candidate, out->l2_index) * c->n;
    for (size_t j = 0; j < n; j++) {
        c->probs[j] = oof[rows[j]];
        c->yv[j] = label_of(c, rows[j]);
    }
    out->temperature = temperature_fit(c->probs, c->yv, n);
    return 0;
}

double nested_ece(const double *prob, const double *y, size_t n) {
    double sp[ECE_BINS] = {0}, sy[ECE_BINS] = {0};
    size_t cnt[ECE_BINS] = {0};
    for (size_t i = 0; i < n; i++) {
        int b = (int)(prob[i] * ECE_BINS);
        b = b < 0 ? 0 : b >= ECE_BINS ? ECE_BINS - 1 : b;
        sp[b] += prob[i];
        sy[b] += y[i];
        cnt[b]++;
    }
    double e = 0.0;
    for (int b = 0; b < ECE_BINS; b++)
        if (cnt[b])
            e += fabs(sp[b] - sy[b]) / (double)n;
    return e;
}

/* ---- the outer loop ---- */

/* The spread of n values, every stride-th from v. */
static void spread_of(const double *v, size_t stride, size_t n, metric_spread *out) {
    gsl_stats_minmax(&out->min, &out->max, v, stride, n);
    out->mean = gsl_stats_mean(v, stride, n);
    out->sd = gsl_stats_sd(v, stride, n);
}

typedef struct outer_buffers {
    int *fold;
    size_t *rows, *test, *scratch;
    double *prob, *y, *cal, *raw_oof, *cal_oof, *ally;
    uint8_t *train; /* the outer fold's training part */
    /* [run][10]: accuracy, AUC, log-loss, Brier, calibrated log-loss, the chosen candidate's inner
     * accuracy and log-loss, the chosen candidate and penalty (index), and the labels its
     * selection read */
    double *values;
    void *block; /* every array above, carved out of one allocation */
} outer_buffers;

#define OUTER_VALUES 10

static void outer_free(outer_buffers *b) {
    free(b->block);
}

static int outer_alloc(outer_buffers *b, size_t n, size_t runs) {
    n = n ? n : 1;
    carving parts[] = {{(void **)&b->fold, n * sizeof *b->fold},
                       {(void **)&b->rows, n * sizeof *b->rows},
                       {(void **)&b->test, n * sizeof *b->test},
                       {(void **)&b->scratch, n * sizeof *b->scratch},
                       {(void **)&b->prob, n * sizeof *b->prob},
                       {(void **)&b->y, n * sizeof *b->y},
                       {(void **)&b->cal, n * sizeof *b->cal},
                       {(void **)&b->raw_oof, n * sizeof *b->raw_oof},
                       {(void **)&b->cal_oof, n * sizeof *b->cal_oof},
                       {(void **)&b->ally, n * sizeof *b->ally},
                       {(void **)&b->train, n * sizeof *b->train},
                       {(void **)&b->values, runs * OUTER_VALUES * sizeof *b->values}};
    b->block = carve(parts, sizeof parts / sizeof *parts);
    return b->block ? 0 : -1;
}

/* The leak check: the selection just run must have read no label of the held-out rows. */
static int check_no_leak(const cv_ctx *c, const outer_buffers *b, size_t ntest, int r, int k,
                         char *err, size_t errlen) {
    for (size_t j = 0; j < ntest; j++)
        if (c->seen[b->test[j]])
            return errorf(err, errlen,
                          "leak: the selection of outer fold %d (repeat %d) read the survival of a "
                          "held-out passenger (sample row %zu); its estimate would not be honest",
                          k + 1, r + 1, b->test[j]);
    return 0;
}

/* One outer fold: select on the rest, refit the choice, score the fold. */
static int outer_fold(cv_ctx *c, outer_buffers *b, int r, int k, size_t run, char *err,
                      size_t errlen) {
    const nested_options *o = c->o;
    size_t ntrain = 0, ntest = 0;
    uint8_t *train = b->train;
    memset(train, 0, c->n);
    for (size_t j = 0; j < c->n; j++) {
        if (b->fold[j] == k) {
            b->test[ntest++] = j;
        } else {
            b->rows[ntrain++] = j;
            train[j] = 1;
        }
    }
    /* The hook hands the selection every row, held-out ones included. */
    if (o->leak_outer_fold)
        for (size_t j = 0; j < c->n; j++)
            b->rows[j] = j;
    size_t nsel = o->leak_outer_fold ? c->n : ntrain;
    memset(c->seen, 0, c->n);
    c->reads = 0;
    nested_choice ch;
    int rc = select_on(c, b->rows, nsel, o->seed * 1000003ul + run + 1, &ch, err, errlen);
    double *v = b->values + run * OUTER_VALUES;
    v[9] = (double)c->reads;
    c->reads = 0;
    if (rc == 0)
        rc = check_no_leak(c, b, ntest, r, k, err, errlen);
    if (rc == 0)
        rc = fold_fit(c, train, &o->candidates[ch.candidate], &ch.l2, 1, b->test, ntest, b->prob,
                      err, errlen);
    if (rc != 0)
        return -1;
    for (size_t j = 0; j < ntest; j++) {
        b->y[j] = c->label[b->test[j]];
        b->cal[j] = calibrate(b->prob[j], ch.temperature);
        b->raw_oof[b->test[j]] = b->prob[j];
        b->cal_oof[b->test[j]] = b->cal[j];
    }
    v[0] = metric_accuracy(b->prob, b->y, NULL, ntest, 0.5);
    v[1] = metric_auc(b->prob, b->y, NULL, ntest);
    v[2] = metric_log_loss(b->prob, b->y, NULL, ntest);
    v[3] = metric_brier(b->prob, b->y, NULL, ntest);
    v[4] = metric_log_loss(b->cal, b->y, NULL, ntest);
    v[5] = ch.inner_accuracy;
    v[6] = ch.inner_log_loss;
    v[7] = ch.candidate;
    v[8] = ch.l2_index;
    return 0;
}

static void outer_summary(const outer_buffers *b, size_t runs, nested_result *out) {
    metric_spread *targets[5] = {&out->outer.accuracy, &out->outer.auc, &out->outer.log_loss,
                                 &out->outer.brier, &out->log_loss_calibrated};
    for (int m = 0; m < 5; m++)
        spread_of(b->values + m, OUTER_VALUES, runs, targets[m]);
    out->inner_accuracy = out->inner_log_loss = 0.0;
    for (size_t i = 0; i < runs; i++) {
        const double *v = b->values + i * OUTER_VALUES;
        out->inner_accuracy += v[5] / (double)runs;
        out->inner_log_loss += v[6] / (double)runs;
        out->choices[(int)v[7]][(int)v[8]]++;
        out->labels_read += (size_t)v[9];
    }
}

/* ---- outer folds on threads ---- */

/* The outer folds of a repeat are independent: each worker has its own context and scratch and
 * takes every NESTED_THREADS-th fold; they share only the fold numbers (read) and the outputs,
 * which they write at disjoint places (their folds' rows and runs). The results do not depend on
 * the number of workers. */
#define NESTED_THREADS 2

typedef struct worker {
    pthread_t thread;
    cv_ctx ctx;
    outer_buffers scratch; /* rows, test, prob, y, cal of its own; the rest shared */
    outer_buffers *shared;
    int repeat, first;
    char err[512];
    int rc;
} worker;

static void *worker_run(void *arg) {
    worker *w = arg;
    const nested_options *o = w->ctx.o;
    outer_buffers b = w->scratch;
    b.fold = w->shared->fold;
    b.raw_oof = w->shared->raw_oof;
    b.cal_oof = w->shared->cal_oof;
    b.values = w->shared->values;
    w->rc = 0;
    for (int k = w->first; k < o->outer_folds && w->rc == 0; k += NESTED_THREADS)
        w->rc = outer_fold(&w->ctx, &b, w->repeat, k,
                           (size_t)w->repeat * (size_t)o->outer_folds + (size_t)k, w->err,
                           sizeof w->err);
    return NULL;
}

/* One repeat's folds on the workers; their error, if any, into err. */
static int run_repeat(worker *w, int nw, outer_buffers *b, int r, char *err, size_t errlen) {
    int started[NESTED_THREADS] = {0}, rc = 0;
    for (int t = 0; t < nw; t++) {
        w[t].shared = b;
        w[t].repeat = r;
        w[t].first = t;
        /* The calling thread takes the first worker's folds, and any whose thread cannot start. */
        started[t] = t > 0 && pthread_create(&w[t].thread, NULL, worker_run, &w[t]) == 0;
    }
    for (int t = 0; t < nw; t++) {
        if (started[t])
            pthread_join(w[t].thread, NULL);
        else
            worker_run(&w[t]);
        if (w[t].rc != 0 && rc == 0) {
            errorf(err, errlen, "%s", w[t].err);
            rc = -1;
        }
    }
    return rc;
}

static void workers_free(worker *w, int nw) {
    for (int t = 0; t < nw; t++) {
        ctx_free(&w[t].ctx);
        outer_free(&w[t].scratch);
    }
}

int nested_cv_run(const train_data *d, const nested_options *o, nested_result *out,
                  nested_choice *final, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    outer_buffers b = {0};
    worker w[NESTED_THREADS];
    memset(w, 0, sizeof w);
    cv_ctx *c = &w[0].ctx; /* between repeats, the first worker's context deals the folds */
    size_t runs = (size_t)o->outer_folds * (size_t)o->outer_repeats;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = -1, ok = rng != NULL;
    for (int t = 0; ok && t < NESTED_THREADS; t++)
        ok = ctx_init(&w[t].ctx, d, o) == 0 && outer_alloc(&w[t].scratch, c->n, 1) == 0;
    if (!ok || outer_alloc(&b, c->n, runs) != 0 ||
        !(out->outer.oof = calloc(c->n ? c->n : 1, sizeof(double)))) {
        errorf(err, errlen, "out of memory for the nested cross-validation");
        goto done;
    }
    if (c->n < (size_t)o->outer_folds * (size_t)o->inner_folds * 2) {
        errorf(err, errlen, "%zu passengers with known survival are too few for %d x %d folds",
               c->n, o->outer_folds, o->inner_folds);
        goto done;
    }
    gsl_rng_set(rng, o->seed);
    for (int r = 0; r < o->outer_repeats; r++) {
        for (size_t j = 0; j < c->n; j++)
            b.rows[j] = j;
        assign_folds(c, b.rows, c->n, o->outer_folds, rng, b.fold, b.scratch);
        if (run_repeat(w, NESTED_THREADS, &b, r, err, errlen) != 0)
            goto done;
        for (size_t j = 0; j < c->n; j++) {
            b.ally[j] = c->label[j];
            out->outer.oof[j] += b.cal_oof[j] / o->outer_repeats;
        }
        out->ece_raw += nested_ece(b.raw_oof, b.ally, c->n) / o->outer_repeats;
        out->ece_calibrated += nested_ece(b.cal_oof, b.ally, c->n) / o->outer_repeats;
    }
    outer_summary(&b, runs, out);
    out->outer.folds = o->outer_folds;
    out->outer.repeats = o->outer_repeats;
    out->outer.seed = o->seed;
    out->outer.n = c->n;
    for (size_t j = 0; j < c->n; j++)
        b.rows[j] = j;
    rc = final ? select_on(c, b.rows, c->n, o->seed * 1000003ul + 7, final, err, errlen) : 0;
done:
    if (rc != 0) {
        free(out->outer.oof);
        out->outer.oof = NULL;
    }
    gsl_rng_free(rng);
    workers_free(w, NESTED_THREADS);
    outer_free(&b);
    return rc;
}

void nested_result_free(nested_result *r) {
    cv_result_free(&r->outer);
}

/* ci95: mean +- 1.96 sd / sqrt(folds), the interval of the mean of one repeat's folds taken as
 * independent (they share training rows, so it is a little narrow; min and max show the spread). */
static json_t *spread_json(const metric_spread *s, int folds) {
    double half = 1.959963984540054 * s->sd / sqrt(folds > 0 ? folds : 1);
    return json_pack("{s:f, s:f, s:f, s:f, s:[f,f]}", "mean", s->mean, "sd", s->sd, "min", s->min,
                     "max", s->max, "ci95", s->mean - half, s->mean + half);
}

static json_t *candidates_json(const nested_options *o, const nested_result *r) {
    json_t *out = json_array();
    for (int ci = 0; ci < o->ncandidates; ci++) {
        char groups[512];
        feature_set_format(&o->candidates[ci], groups, sizeof groups);
        json_t *chosen = json_object();
        for (int l = 0; l < o->nl2; l++)
            if (r->choices[ci][l]) {
                char key[32];
                snprintf(key, sizeof key, "%g", o->l2s[l]);
                json_object_set_new(chosen, key, json_integer(r->choices[ci][l]));
            }
        json_array_append_new(out, json_pack("{s:s, s:I, s:o}", "features", groups, "columns",
                                             (json_int_t)features_columns(&o->candidates[ci], NULL),
                                             "outer_folds_chosen", chosen));
    }
    return out;
}

json_t *nested_json(const nested_options *o, const nested_result *r, const nested_choice *final,
                    int calibrated, size_t sample_rows, size_t rows, size_t sample_max) {
    json_t *l2s = json_array();
    for (int l = 0; l < o->nl2; l++)
        json_array_append_new(l2s, json_real(o->l2s[l]));
    char chosen[512];
    feature_set_format(&o->candidates[final->candidate], chosen, sizeof chosen);
    const cv_result *cv = &r->outer;
    return json_pack(
        "{s:{s:i, s:i, s:I, s:I, s:o, s:o, s:o, s:o, s:o}, s:{s:i, s:i, s:f, s:f},"
        " s:{s:f, s:f}, s:{s:i, s:f, s:f}, s:{s:s, s:b, s:f, s:f, s:f},"
        " s:{s:s, s:o, s:o, s:{s:s, s:f, s:f, s:f}}, s:{s:I, s:I, s:I, s:s}, s:I}",
        "outer", "folds", cv->folds, "repeats", cv->repeats, "seed", (json_int_t)cv->seed, "rows",
        (json_int_t)cv->n, "accuracy", spread_json(&cv->accuracy, cv->folds), "auc",
        spread_json(&cv->auc, cv->folds), "log_loss", spread_json(&cv->log_loss, cv->folds),
        "brier", spread_json(&cv->brier, cv->folds), "log_loss_calibrated",
        spread_json(&r->log_loss_calibrated, cv->folds), "inner", "folds", o->inner_folds,
        "repeats", o->inner_repeats, "accuracy", r->inner_accuracy, "log_loss", r->inner_log_loss,
        "optimism", "accuracy", r->inner_accuracy - cv->accuracy.mean, "log_loss",
        cv->log_loss.mean - r->inner_log_loss, "ece", "bins", ECE_BINS, "raw", r->ece_raw,
        "calibrated", r->ece_calibrated, "calibration", "method", "temperature", "kept", calibrated,
        "temperature", final->temperature, "outer_log_loss_raw", cv->log_loss.mean,
        "outer_log_loss_calibrated", r->log_loss_calibrated.mean, "selection", "rule",
        "best mean inner accuracy, then one standard error: fewest columns, strongest l2",
        "candidates", candidates_json(o, r), "l2_grid", l2s, "chosen", "features", chosen, "l2",
        final->l2, "inner_accuracy", final->inner_accuracy, "inner_log_loss", final->inner_log_loss,
        "sample", "rows", (json_int_t)sample_rows, "of", (json_int_t)rows, "max_rows",
        (json_int_t)sample_max, "rule",
        "all passengers with known survival up to max_rows; above it, the max_rows whose "
        "passenger_id hashes lowest (splitmix64 with the seed)",
        "labels_read_by_selection", (json_int_t)r->labels_read);
}
