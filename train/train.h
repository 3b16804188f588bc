/* What titanic-train does, as library functions so the tests drive the same code as the CronJob:
 * read the passengers with known survival from PostgreSQL, fit and cross-validate, store a new
 * models row, activate it per the policy below, NOTIFY, and optionally score every passenger.
 *
 * Activation policy (docs/model.md):
 *  - no active model: the new one is stored and activated;
 *  - the active model was trained on exactly the same rows (training sha256) with the same
 *    features, penalty and CV settings: nothing is stored, the active version is kept
 * ("unchanged");
 *  - otherwise the active model's configuration is cross-validated on the current rows with the
 *    same folds, and the new model is activated when its mean CV log-loss is at least as good:
 *    new <= active - min_improvement. A worse model is stored inactive, for the record;
 *  - --force stores and activates unconditionally. */
#ifndef TITANIC_TRAIN_H
#define TITANIC_TRAIN_H

#include "model.h"

#include <libpq-fe.h>

/* Exit codes of titanic-train (a CronJob alerts on non-zero). */
#define TRAIN_EXIT_OK 0         /* a model is active: the new one, or the unchanged old one */
#define TRAIN_EXIT_ERROR 1      /* nothing activated: database, data or fit failure */
#define TRAIN_EXIT_USAGE 2      /* bad command line */
#define TRAIN_EXIT_NOT_BETTER 3 /* new model stored but not activated: worse on CV than active */

typedef struct train_options {
    feature_set features;
    logit_parameter param;
    int folds, repeats;
    unsigned long seed;
    int force;
    double min_improvement;
    int score;
    int include_api_rows;   /* train on rows written through the API too (default: ETL data) */
    const char *out_path;   /* also write the document here */
    const char *report_dir; /* also write index.html here */
} train_options;

void train_default_options(train_options *opt);

typedef struct train_outcome {
    int stored_version;     /* 0 when nothing was stored */
    int active_version;     /* the active version afterwards (0: none) */
    int activated;          /* 1 when stored_version became active */
    int unchanged;          /* 1 when the active model already matched */
    double new_log_loss;    /* mean CV log-loss of the new model */
    double active_log_loss; /* the active configuration's, on the same folds (NAN: not compared) */
    long scored;            /* predictions written by --score */
} train_outcome;

/* The whole run. Returns one of the TRAIN_EXIT_* codes; err says why when it is not 0. */
int train_run(PGconn *conn, const train_options *opt, train_outcome *out, char *err, size_t errlen);

/* Reads a Kaggle CSV, fits and cross-validates without a database (feature selection, docs):
 * prints the CV metrics as JSON on stdout. Returns an exit code. */
int train_evaluate_csv(const char *path, const train_options *opt, char *err, size_t errlen);

/* The benchmark path: streams the CSV twice (learn imputation values, then build the design
 * directly into one n x p matrix), fits without CV, prints timings and coefficients as JSON. */
int train_bench_csv(const char *path, const train_options *opt, char *err, size_t errlen);

#endif
