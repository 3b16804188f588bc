/* The survival model as the API and titanic-train see it: a fitted logistic regression together
 * with everything needed to turn a passenger into its design row (feature_state), its statistics
 * and cross-validated metrics, kept as one self-describing JSON document (docs/model.md).
 *
 * A loaded model is never modified by the prediction functions, so any number of threads may call
 * model_predict / model_explain / model_summary on the same const model at once. */
#ifndef TITANIC_MODEL_H
#define TITANIC_MODEL_H

#include "logistic.h"
#include "passenger.h"
#include "passenger_features.h"
#include "scores.h"

#include <jansson.h>
#include <stddef.h>

/* The document layout this build writes ("format_version"); it reads every version from
 * MODEL_FORMAT_VERSION_MIN on (2: no form model), so an older stored model can be activated
 * again. Format 1 (ticket groups, no woman-child groups) is refused with a reason containing
 * MODEL_RETRAIN: titanic-train replaces such an active model without comparing. */
#define MODEL_FORMAT "titanic-survival-logit"
#define MODEL_FORMAT_VERSION 3
#define MODEL_FORMAT_VERSION_MIN 2
#define MODEL_RETRAIN "retrain with titanic-train"

typedef struct titanic_model titanic_model;

/* ---- prediction side (used by titanic-api) ---- */

/* What a reader accepts: a server caps it so that no stored document can make every replica run
 * out of memory at once (parsing costs about 20 times the document's size). */
typedef struct {
    size_t max_bytes; /* document size */
} model_limits;
/* MODEL_DOCUMENT_MAX bytes: what the trainer reads back of what it wrote. */
extern const model_limits model_default_limits;
/* Parses a model document within limits. NULL with a message naming what is malformed or
 * incompatible, or which limit a document beyond them exceeds. */
titanic_model *model_from_json_limited(const char *text, size_t len, const model_limits *limits,
                                       char *err, size_t errlen);
void model_free(titanic_model *m);
/* The models.version the document was stored as; 0 if never stored. */
int model_version(const titanic_model *m);
/* P(survived). Unknown fields (NAN age/fare, "" name/ticket/cabin, embarked '\0') are imputed
 * exactly as in training; the document's calibration (temperature) is applied. A passenger whose
 * name gives no known title (an app's form sends none) is answered by the document's form model
 * when it carries one (model_path). */
double model_predict(const titanic_model *m, const passenger *p);
/* The model that answers p, "named" or "form" (m's form model for a passenger without a known
 * title, when m carries one). */
const char *model_path(const titanic_model *m, const passenger *p);
/* What the answering model had to impute for p: ["title", "age", "fare", "embarked"], the ones
 * it reads and p lacks. New reference. */
json_t *model_imputed(const titanic_model *m, const passenger *p);
/* The request fields the version reads: {"required": [...], "optional": [...], "named": [...],
 * "form": [...], "path_rule": "..."}. New reference. */
json_t *model_inputs(const titanic_model *m);
/* The same from a design row already built (features_row): the trainer scores with this. */
double model_predict_row(const titanic_model *m, const double *row);
/* The label is probability >= threshold. */
double model_threshold(const titanic_model *m);
/* {"intercept": b0, "female": b * x, ...}: each column's contribution to the log-odds, scaled by
 * the calibration temperature; the values sum to logit(model_predict). */
json_t *model_explain(const titanic_model *m, const passenger *p);
/* For GET /model: version, created, format, features (groups with definitions, learned
 * imputation values), coefficients with standard errors, fit statistics, metrics, training set. */
json_t *model_summary(const titanic_model *m);
/* ---- building (titanic-train, tests) ---- */

/* The label threshold a new model starts with. */
#define MODEL_DEFAULT_THRESHOLD 0.5

/* A model from a fit: takes ownership of state's and fit's memory (on success only; NULL means
 * out of memory and leaves them to the caller). train_metrics: accuracy, AUC, log-loss, Brier on
 * the training rows. */
titanic_model *model_assemble(const feature_state *state, const logit_parameter *param,
                              const logit_result *fit, size_t training_rows,
                              const char *training_sha256, const double train_metrics[4]);
/* Records cross-validated metrics (copied) in the model. */
void model_set_cv(titanic_model *m, const cv_result *cv);
/* Temperature scaling: P = 1 / (1 + exp(-t * eta)). 1 means none. */
void model_set_temperature(titanic_model *m, double t);
/* The nested cross-validation record (metrics.nested in the document; the model takes the
 * reference). NULL when the model has none. */
void model_set_nested(titanic_model *m, json_t *nested);
json_t *model_nested(const titanic_model *m);
void model_set_version(titanic_model *m, int version);
/* The model for requests without a name, carried in the document as "form" (m takes it). */
void model_set_form(titanic_model *m, titanic_model *form);
const titanic_model *model_form(const titanic_model *m);
/* The whole document as text; doubles are written with 17 significant digits, so reading it back
 * gives bit-identical coefficients and imputation values. Caller frees. */
char *model_to_json_text(const titanic_model *m);
/* The metrics object stored in models.metrics: {"cv": {...}, "train": {...}}. New reference. */
json_t *model_metrics_json(const titanic_model *m);

/* Accessors for the trainer and the report. */
const feature_state *model_features(const titanic_model *m);
const logit_result *model_fit(const titanic_model *m);
const logit_parameter *model_parameter(const titanic_model *m);
const char *model_column_name(const titanic_model *m, size_t j);
const char *model_training_sha256(const titanic_model *m);
size_t model_training_rows(const titanic_model *m);
const char *model_created(const titanic_model *m);
/* The stored CV figures, or NULL when the model has none. */
const cv_result *model_cv(const titanic_model *m);

#endif
