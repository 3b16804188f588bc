/* What titanic-train does, as library functions so the tests drive the same code as the CronJob:
 * stream the passengers with known survival from PostgreSQL (one binary COPY into compact rows),
 * estimate the training procedure by nested cross-validation, choose the features, penalty and
 * calibration by it, fit on every row, store a new models row, activate it per the policy below,
 * NOTIFY, and optionally score every passenger. Also the model operations: list the stored
 * versions, activate any of them (roll back or forward), each activation recorded with who and
 * why.
 *
 * Activation policy (docs/model.md):
 *  - no active model: the new one is stored and activated;
 *  - the active model was trained on exactly the same rows (training sha256) with the same
 *    procedure (candidates, penalties, folds, seed, sample size): nothing is stored, the active
 *    version is kept ("unchanged");
 *  - otherwise the active model's configuration (its features and penalty, fixed) is run through
 *    the same outer folds, and the new model is activated when its outer log-loss is at least as
 *    good: new <= active - min_improvement. A worse model is stored inactive, for the record. An
 *    active model this build cannot read (a format-1 document) cannot be compared on the same
 *    folds: the new model is activated, and the report says so;
 *  - --force stores and activates unconditionally. */
#ifndef TITANIC_TRAIN_H
#define TITANIC_TRAIN_H

#include "model.h"

#include <libpq-fe.h>
#include <stdio.h>

/* Exit codes of titanic-train (a CronJob alerts on non-zero). */
#define TRAIN_EXIT_OK 0         /* a model is active: the new one, or the unchanged old one */
#define TRAIN_EXIT_ERROR 1      /* nothing activated: database, data or fit failure */
#define TRAIN_EXIT_USAGE 2      /* bad command line */
#define TRAIN_EXIT_NOT_BETTER 3 /* new model stored but not activated: worse on CV than active */

typedef struct train_options {
    feature_set features;
    logit_parameter param;
    long folds, repeats, seed; /* longs, as the command line's integers are */
    int force;
    double min_improvement;
    int score;
    int include_api_rows;   /* train on rows written through the API too (default: ETL data) */
    const char *out_path;   /* also write the document here */
    const char *report_dir; /* also write index.html here */
    int features_given;     /* --features: this one set instead of the default candidates */
    int l2_given;           /* --l2: this penalty instead of choosing one by inner CV */
    long cv_max_rows;       /* CV sample size above which the CV subsamples (docs/model.md) */
    const char *by;         /* who, for the activation record (default $USER) */
    int leak_outer_fold;    /* test hook (nested_options.leak_outer_fold); never in production */
} train_options;

/* Cross-validation sample cap: a little above the real data's 891 labelled passengers, so they
 * are never subsampled, while a million-row retraining costs the same CV as they do. */
#define TRAIN_CV_MAX_ROWS 1000
/* Most labelled passengers one run reads (memory is ~16 bytes each). */
#define TRAIN_MAX_ROWS 50000000L

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

/* `titanic-train --list`: every stored version with its estimate, whether this build can serve
 * it, and its latest activation, printed to out. Returns an exit code. */
int train_list(PGconn *conn, FILE *out, char *err, size_t errlen);

/* `titanic-train --activate VERSION`: makes version the active model, NOTIFYs, records by and
 * reason. Refused (TRAIN_EXIT_ERROR, nothing changed) when no such version exists or when its
 * document cannot be served by this build (format too new, or it fails to load). */
int train_activate(PGconn *conn, int version, const char *by, const char *reason, char *err,
                   size_t errlen);

/* Writes predictions (model version, probability, label) for every stored passenger. Returns the
 * number written, or -1 with err. */
long train_score(PGconn *conn, const titanic_model *m, char *err, size_t errlen);

/* Reads Kaggle CSVs (comma-separated paths; rows without Survived form families but give no
 * evidence) and runs the nested CV and the final selection without a database: prints the
 * estimate as JSON on stdout. Returns an exit code. */
int train_evaluate_csv(const char *path, const train_options *opt, char *err, size_t errlen);

#endif
