/* Nested cross-validation: how good the whole training procedure is on passengers it never saw.
 *
 * The procedure (select) chooses a feature set and an L2 penalty by an inner repeated stratified
 * k-fold CV (best mean accuracy, then the one-standard-error rule: among the candidates within one
 * standard error of the best, the fewest columns, then the strongest penalty), and a calibration
 * temperature from the chosen candidate's inner out-of-fold probabilities. The outer CV runs that
 * whole procedure on each outer training part and scores the outer held-out part, which took no
 * part in any choice: its figures are the honest estimate; the chosen candidates' inner scores
 * beside them show the optimism of selecting.
 *
 * Held-out passengers count as unlabelled everywhere: their survival gives no family evidence to
 * anyone (passengers outside the CV sample always count as labelled, as in deployment). Every
 * read of a sample passenger's label goes through one function that records it, and each outer
 * fold checks that its selection read no label of its held-out part: a selection step that looks
 * at an outer fold fails the run instead of reporting a flattering number. */
#ifndef TITANIC_NESTED_CV_H
#define TITANIC_NESTED_CV_H

#include "logistic.h"
#include "scores.h"
#include "train_data.h"

#include <jansson.h>

#define NESTED_MAX_CANDIDATES 8
#define NESTED_MAX_L2 8

typedef struct nested_options {
    feature_set candidates[NESTED_MAX_CANDIDATES];
    int ncandidates;
    double l2s[NESTED_MAX_L2];
    int nl2;
    int outer_folds, outer_repeats, inner_folds, inner_repeats;
    unsigned long seed;
    logit_parameter param; /* tol, max_iter, intercept; l2 comes from l2s */
    /* Test hook: lets each outer fold's selection see the outer held-out passengers (their labels
     * join the inner folds). The leak check must then fail the run. Never set in production. */
    int leak_outer_fold;
} nested_options;

/* The default procedure: the candidates and penalties of docs/model.md, 10 x 5 outer folds with
 * 5 x 2 inner folds, seed 1912. */
void nested_default_options(nested_options *o);

/* The form model's procedure: named's folds, seed and rule, over a candidate that reads only what
 * an app's form sends (class, sex, age, sibsp, parch, fare, port; no name, ticket or cabin). */
void nested_form_options(const nested_options *named, nested_options *o);

/* What one selection chose. */
typedef struct nested_choice {
    int candidate; /* index into candidates */
    int l2_index;  /* into l2s */
    double l2;
    double temperature;    /* from the inner out-of-fold probabilities */
    double inner_accuracy; /* the chosen candidate's mean inner accuracy */
    double inner_log_loss; /* and log-loss */
} nested_choice;

typedef struct nested_result {
    cv_result outer; /* outer held-out figures (raw); oof: calibrated, averaged */
    metric_spread log_loss_calibrated;
    double inner_accuracy, inner_log_loss; /* means over outer folds of the chosen's inner scores */
    double ece_raw, ece_calibrated;        /* pooled over each repeat's held-out rows, mean */
    int choices[NESTED_MAX_CANDIDATES][NESTED_MAX_L2]; /* how often each was chosen */
    size_t labels_read; /* labels the selections read (the leak check's work) */
} nested_result;

/* The outer CV of the procedure on the data's CV sample, and (final not NULL) the procedure on the
 * whole sample: the choice the final model is fitted with. -1 with err on a failed fit or a leak.
 */
int nested_cv_run(const train_data *d, const nested_options *o, nested_result *out,
                  nested_choice *final, char *err, size_t errlen);

/* Expected calibration error: |mean probability - survival rate| over ten equal-width bins,
 * weighted by the bins' shares. */
double nested_ece(const double *prob, const double *y, size_t n);

/* The nested record for the document (metrics.nested). New reference. */
json_t *nested_json(const nested_options *o, const nested_result *r, const nested_choice *final,
                    int calibrated, size_t sample_rows, size_t rows, size_t sample_max);

void nested_result_free(nested_result *r);

#endif
