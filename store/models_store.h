/* The models table (and predictions, which belong to a model version): storing a new version,
 * activating one, reading the active document, listing versions, the report, and writing
 * predictions. titanic-train writes; titanic-api reads. */
#ifndef TITANIC_MODELS_STORE_H
#define TITANIC_MODELS_STORE_H

#include "errors.h"

#include "model.h"
#include "store.h"

#include <stddef.h>

/* titanic-train NOTIFYs this channel, payload the activated version, so API servers reload. */
#define MODEL_NOTIFY_CHANNEL "titanic_model"

/* The active model, parsed. NULL with "no active model" when there is none, or with the reason
 * the stored document cannot be used. */
titanic_model *models_store_load_active(store_conn c, char *err, size_t errlen);
/* The same within limits (model.h): a document over limits->max_bytes is refused by its stored
 * size, before any of it is fetched. */
titanic_model *models_store_load_active_limited(store_conn c, const model_limits *limits, char *err,
                                                size_t errlen);

/* One stored version, active or not, within limits: NULL with *found 0 when there is no such
 * version, NULL with *found 1 when it cannot be used (err says why); *unavailable as store_run. */
titanic_model *models_store_load_version_limited(store_conn c, int version,
                                                 const model_limits *limits, int *found,
                                                 int *unavailable, char *err, size_t errlen);

/* The active version, 0 when none; -1 with err on failure. */
int models_store_active_version(store_conn c, char *err, size_t errlen);

/* One stored version (GET /models, titanic-train --list). */
typedef struct model_row {
    int version;
    char created[40];
    int active;
    long training_rows;
    char *metrics;                 /* JSON text, malloc'd */
    char last_at[40], last_by[64]; /* models_store_history: the latest activation, else "" */
    char *last_reason;             /* malloc'd, NULL when never recorded */
} model_row;

/* Every stored version, newest first (malloc'd; free with models_store_free_rows). */
int models_store_list(store_conn c, model_row **rows, int *count, int *unavailable, char *err,
                      size_t errlen);
/* The same with each version's latest activation (titanic-train --list; the API's role may not
 * read model_activations). */
int models_store_history(store_conn c, model_row **rows, int *count, char *err, size_t errlen);
void models_store_free_rows(model_row *rows, int count);

/* The active model's HTML report (malloc'd) in *html, NULL when none is active. */
int models_store_active_report(store_conn c, char **html, size_t *len, int *unavailable, char *err,
                               size_t errlen);

/* ---- titanic-train ---- */

/* A new version's rows, written once its number is known (the document and the report name it):
 * malloc'd texts, which the store frees. */
typedef struct model_record {
    long training_rows;
    const char *training_sha256;
    char *metrics_json, *document, *report_html;
} model_record;

/* Stores a new model as the next version in one transaction, under a lock so two trainers cannot
 * take the same number or both activate: fill(arg, version, r) writes its rows (-1: out of
 * memory). Refused when the active version is no longer expected_active (0: none). With activate
 * it becomes the active one, recorded with by and reason, and MODEL_NOTIFY_CHANNEL hears of it at
 * COMMIT. The version, or -1 with err. */
int models_store_publish(PGconn *conn, int expected_active, int activate, const char *by,
                         const char *reason, int (*fill)(void *arg, int version, model_record *r),
                         void *arg, char *err, size_t errlen) TITANIC_MUST_CHECK;

/* An operator's switch to a stored version (titanic-train --activate), in one transaction and
 * recorded with by and reason; refused when the version is not stored or this build could not
 * serve it. 0, 1 when it already was the active one (nothing changed), or -1 with err. */
int models_store_activate_version(PGconn *conn, int version, const char *by, const char *reason,
                                  char *err, size_t errlen) TITANIC_MUST_CHECK;

/* Replaces every prediction of version by n rows sent as one binary COPY (row(arg, i, ...) gives
 * row i), inside the caller's transaction: a million rows in about a second, where one INSERT a
 * batch took twenty. */
int models_store_copy_predictions(PGconn *conn, int version, size_t n,
                                  void (*row)(void *arg, size_t i, int32_t *id, double *probability,
                                              int *label),
                                  void *arg, char *err, size_t errlen) TITANIC_MUST_CHECK;

#endif
