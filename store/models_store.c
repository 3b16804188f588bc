/* The models and predictions tables' SQL. See models_store.h. */
#include "models_store.h"

#include "copy_binary.h"
#include "db.h"
#include "errors.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The model of version, or the active one when version is 0, within limits. One row of version,
 * octet_length(document), and the document, NULL when it is over the cap (the size is read
 * first, the document only within the cap: a huge row never crosses the network, let alone gets
 * parsed). Errors name what was asked for ("active model", "model version 3") and what it is
 * ("active model", "model"). */
static titanic_model *load_model(store_conn c, int version, const model_limits *limits, int *found,
                                 int *unavailable, char *err, size_t errlen) {
    static const store_statement one = {
        NULL,
        "SELECT version, octet_length(document), "
        "CASE WHEN octet_length(document) <= $2::bigint THEN document END FROM models "
        "WHERE CASE WHEN $1::integer = 0 THEN active ELSE version = $1::integer END",
        2, 1};
    char v[24], max[24], name[48], why[512];
    store_text_of_long(version, v);
    snprintf(max, sizeof max, "%zu", limits->max_bytes);
    snprintf(name, sizeof name, version ? "model version %d" : "active model", version);
    const char *kind = version ? "model" : "active model", *params[] = {v, max};
    *found = 0;
    PGresult *res = store_run(c, &one, params, unavailable, why, sizeof why);
    if (!res) {
        errorf(err, errlen, "reading %s: %s", name, why);
        return NULL;
    }
    titanic_model *m = NULL;
    int stored = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    if (!(*found = PQntuples(res) == 1))
        errorf(err, errlen, "no %s", name);
    else if (PQgetisnull(res, 0, 2))
        errorf(err, errlen, "%s version %d: document of %s bytes exceeds the %zu-byte limit", kind,
               stored, PQgetvalue(res, 0, 1), limits->max_bytes);
    else if (!(m = model_from_json_limited(PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2),
                                           limits, why, sizeof why)))
        errorf(err, errlen, "%s version %d: %s", kind, stored, why);
    else
        model_set_version(m, stored);
    PQclear(res);
    return m;
}

titanic_model *models_store_load_active(store_conn c, char *err, size_t errlen) {
    return models_store_load_active_limited(c, &model_default_limits, err, errlen);
}

titanic_model *models_store_load_active_limited(store_conn c, const model_limits *limits, char *err,
                                                size_t errlen) {
    int found;
    return load_model(c, 0, limits, &found, NULL, err, errlen);
}

titanic_model *models_store_load_version_limited(store_conn c, int version,
                                                 const model_limits *limits, int *found,
                                                 int *unavailable, char *err, size_t errlen) {
    if (version < 1) { /* versions start at 1; 0 would ask load_model for the active one */
        *found = 0;
        errorf(err, errlen, "no model version %d", version);
        return NULL;
    }
    return load_model(c, version, limits, found, unavailable, err, errlen);
}

int models_store_active_version(store_conn c, char *err, size_t errlen) {
    static const store_statement active = {NULL, "SELECT version FROM models WHERE active", 0, 1};
    long version;
    return store_run_long(c, &active, NULL, &version, NULL, err, errlen) ? -1 : (int)version;
}

/* The rows st reads: the columns of model_row in order; the last activation's three only when st
 * has them (the API's role may not read model_activations). */
static int list_models(store_conn c, const store_statement *st, model_row **rows, int *count,
                       int *unavailable, char *err, size_t errlen) {
    PGresult *res =
        store_run_rows(c, st, NULL, sizeof **rows, (void **)rows, unavailable, err, errlen);
    if (!res)
        return -1;
    int n = PQntuples(res), activations = PQnfields(res) == 8;
    for (int i = 0; i < n; i++) {
        model_row *r = &(*rows)[i];
        r->version = atoi(PQgetvalue(res, i, 0));
        snprintf(r->created, sizeof r->created, "%s", PQgetvalue(res, i, 1));
        r->active = strcmp(PQgetvalue(res, i, 2), "t") == 0;
        r->training_rows = atol(PQgetvalue(res, i, 3));
        r->metrics = strdup(PQgetvalue(res, i, 4));
        if (!activations)
            continue;
        snprintf(r->last_at, sizeof r->last_at, "%s", PQgetvalue(res, i, 5));
        snprintf(r->last_by, sizeof r->last_by, "%s", PQgetvalue(res, i, 6));
        r->last_reason = PQgetisnull(res, i, 7) ? NULL : strdup(PQgetvalue(res, i, 7));
    }
    *count = n;
    PQclear(res);
    return 0;
}

#define MODEL_COLUMNS                                                                              \
    "SELECT m.version, to_json(m.created_at)#>>'{}', m.active, m.training_rows, m.metrics::text"

int models_store_list(store_conn c, model_row **rows, int *count, int *unavailable, char *err,
                      size_t errlen) {
    static const store_statement list = {
        NULL, MODEL_COLUMNS " FROM models m ORDER BY m.version DESC", 0, 1};
    return list_models(c, &list, rows, count, unavailable, err, errlen);
}

int models_store_history(store_conn c, model_row **rows, int *count, char *err, size_t errlen) {
    static const store_statement list = {
        NULL,
        MODEL_COLUMNS ", coalesce(to_json(a.activated_at)#>>'{}', ''), "
                      "coalesce(a.activated_by, ''), a.reason FROM models m LEFT JOIN LATERAL "
                      "(SELECT * FROM model_activations x WHERE x.version = m.version ORDER BY "
                      "x.activated_at DESC, x.activation_id DESC LIMIT 1) a ON true "
                      "ORDER BY m.version DESC",
        0, 1};
    return list_models(c, &list, rows, count, NULL, err, errlen);
}

void models_store_free_rows(model_row *rows, int count) {
    for (int i = 0; rows && i < count; i++) {
        free(rows[i].metrics);
        free(rows[i].last_reason);
    }
    free(rows);
}

int models_store_active_report(store_conn c, char **html, size_t *len, int *unavailable, char *err,
                               size_t errlen) {
    static const store_statement report = {NULL, "SELECT report_html FROM models WHERE active", 0,
                                           1};
    *html = NULL;
    PGresult *res = store_run(c, &report, NULL, unavailable, err, errlen);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        *len = (size_t)PQgetlength(res, 0, 0);
        if (!(*html = strdup(PQgetvalue(res, 0, 0)))) /* text holds no NUL byte */
            rc = errorf(err, errlen, "out of memory");
    }
    PQclear(res);
    return rc;
}

/* ---- titanic-train ---- */

static int run_command(store_conn c, const store_statement *st, const char *const *params,
                       char *err, size_t errlen) {
    PGresult *res = store_run(c, st, params, NULL, err, errlen);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* Locks models against a concurrent trainer and reads the next version and the active one. */
static int lock_next(store_conn c, int *next_version, int *active_version, char *err,
                     size_t errlen) {
    static const store_statement lock = {NULL, "LOCK TABLE models IN SHARE ROW EXCLUSIVE MODE", 0,
                                         0};
    static const store_statement next = {
        NULL,
        "SELECT coalesce(max(version), 0) + 1, "
        "coalesce((SELECT version FROM models WHERE active), 0) FROM models",
        0, 1};
    char why[512];
    if (run_command(c, &lock, NULL, err, errlen) != 0)
        return -1;
    PGresult *res = store_run(c, &next, NULL, NULL, why, sizeof why);
    if (!res)
        return errorf(err, errlen, "choosing the version: %s", why);
    *next_version = atoi(PQgetvalue(res, 0, 0));
    *active_version = atoi(PQgetvalue(res, 0, 1));
    PQclear(res);
    return 0;
}

static int insert_version(store_conn c, int version, const model_record *m, char *err,
                          size_t errlen) {
    static const store_statement insert = {
        NULL,
        "INSERT INTO models (version, training_rows, training_sha256, metrics, document, "
        "report_html) VALUES ($1, $2, $3, $4::jsonb, $5, $6)",
        6, 0};
    char text[24], rows[24];
    store_text_of_long(version, text);
    store_text_of_long(m->training_rows, rows);
    const char *params[6] = {text,        rows,          m->training_sha256, m->metrics_json,
                             m->document, m->report_html};
    return run_command(c, &insert, params, err, errlen);
}

/* Makes version the active one and NOTIFYs MODEL_NOTIFY_CHANNEL (delivered at COMMIT). */
static int activate(store_conn c, int version, char *err, size_t errlen) {
    static const store_statement deactivate = {
        NULL, "UPDATE models SET active = false WHERE active", 0, 0};
    static const store_statement set_active = {
        NULL, "UPDATE models SET active = true WHERE version = $1", 1, 0};
    static const store_statement notify = {NULL, "SELECT pg_notify($1, $2)", 2, 0};
    char text[24];
    store_text_of_long(version, text);
    const char *one[1] = {text};
    const char *note[2] = {MODEL_NOTIFY_CHANNEL, text};
    return run_command(c, &deactivate, NULL, err, errlen) ||
                   run_command(c, &set_active, one, err, errlen) ||
                   run_command(c, &notify, note, err, errlen)
               ? -1
               : 0;
}

/* ---- model operations (migration 004) ---- */

/* Records an activation (model_activations, migration 004). source: "train" or "activate".
 * previous_version 0 = none. */
static int record_activation(store_conn c, int version, int previous_version, const char *by,
                             const char *reason, const char *source, char *err, size_t errlen) {
    static const store_statement record = {
        NULL,
        "INSERT INTO model_activations (version, previous_version, activated_by, reason, source) "
        "VALUES ($1, NULLIF($2::integer, 0), $3, $4, $5)",
        5, 0};
    char v[24], pv[24];
    store_text_of_long(version, v);
    store_text_of_long(previous_version, pv);
    const char *params[5] = {v, pv, by, reason, source};
    return run_command(c, &record, params, err, errlen);
}

static void record_free(model_record *r) {
    free(r->metrics_json);
    free(r->document);
    free(r->report_html);
}

/* Inside publish's transaction: the checks, the new row and the switch. */
static int publish_locked(store_conn c, int expected_active, int activate_it, const char *by,
                          const char *reason, int (*fill)(void *, int, model_record *), void *arg,
                          char *err, size_t errlen) {
    int version, active_now;
    if (lock_next(c, &version, &active_now, err, errlen) != 0)
        return -1;
    if (active_now != expected_active)
        return errorf(err, errlen,
                      "another titanic-train changed the active model (now version %d, was %d) "
                      "while this one trained; run again",
                      active_now, expected_active);
    model_record r = {0};
    int rc = fill(arg, version, &r);
    if (rc != 0)
        errorf(err, errlen, "out of memory writing the model document");
    rc = rc == 0 && insert_version(c, version, &r, err, errlen) == 0 &&
                 (!activate_it || (activate(c, version, err, errlen) == 0 &&
                                   record_activation(c, version, expected_active, by, reason,
                                                     "train", err, errlen) == 0))
             ? version
             : -1;
    record_free(&r);
    return rc;
}

int models_store_publish(PGconn *conn, int expected_active, int activate_it, const char *by,
                         const char *reason, int (*fill)(void *arg, int version, model_record *r),
                         void *arg, char *err, size_t errlen) {
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    int version = publish_locked(store_on(conn), expected_active, activate_it, by, reason, fill,
                                 arg, err, errlen);
    return db_end(conn, version > 0, err, errlen) == 0 ? version : -1;
}

/* Inside activate_version's transaction: the checks and the switch. */
static int activate_locked(store_conn c, int version, const char *by, const char *reason, char *err,
                           size_t errlen) {
    int next, active, found;
    char why[512];
    if (lock_next(c, &next, &active, err, errlen) != 0)
        return -1;
    titanic_model *m = load_model(c, version, &model_default_limits, &found, NULL, why, sizeof why);
    model_free(m);
    if (!m && found)
        errorf(err, errlen,
               "refused: model version %d cannot be served by this build (titanic-api would "
               "not load it): %s",
               version, why);
    else if (!m)
        errorf(err, errlen, "%s (titanic-train --list shows the stored versions)", why);
    if (!m)
        return -1;
    if (version == active) {
        errorf(err, errlen, "model version %d is already the active one; nothing changed", version);
        return 1;
    }
    return activate(c, version, err, errlen) != 0 ||
                   record_activation(c, version, active, by, reason, "activate", err, errlen) != 0
               ? -1
               : 0;
}

int models_store_activate_version(PGconn *conn, int version, const char *by, const char *reason,
                                  char *err, size_t errlen) {
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    int rc = activate_locked(store_on(conn), version, by, reason, err, errlen);
    return db_end(conn, rc == 0, err, errlen) == 0 ? 0 : rc == 1 ? 1 : -1;
}

/* ---- predictions by binary COPY ---- */

int models_store_copy_predictions(PGconn *conn, int version, size_t n,
                                  void (*row)(void *arg, size_t i, int32_t *id, double *probability,
                                              int *label),
                                  void *arg, char *err, size_t errlen) {
    /* A new version (the usual case) is copied straight in; a version scored before goes through
     * a staging table and one upsert (the trainer's role may insert and update, not delete). */
    static const store_statement stage = {
        NULL,
        "CREATE TEMP TABLE predictions_stage (LIKE predictions INCLUDING DEFAULTS) "
        "ON COMMIT DROP",
        0, 0};
    static const store_statement upsert = {
        NULL,
        "INSERT INTO predictions (model_version, passenger_id, probability, label) "
        "SELECT model_version, passenger_id, probability, label FROM predictions_stage "
        "ON CONFLICT (model_version, passenger_id) DO UPDATE SET "
        "probability = EXCLUDED.probability, label = EXCLUDED.label, scored_at = now()",
        0, 0};
    static const store_statement any = {
        NULL, "SELECT EXISTS (SELECT 1 FROM predictions WHERE model_version = $1)::int", 1, 1};
    char v[24];
    store_text_of_long(version, v);
    const char *params[1] = {v};
    long again; /* 1 when version has predictions already */
    if (store_run_long(store_on(conn), &any, params, &again, NULL, err, errlen) != 0 ||
        (again && run_command(store_on(conn), &stage, NULL, err, errlen) != 0))
        return -1;
    store_copy copy;
    if (store_copy_begin(&copy, conn,
                         again ? "COPY predictions_stage (model_version, passenger_id, "
                                 "probability, label) FROM STDIN (FORMAT binary)"
                               : "COPY predictions (model_version, passenger_id, "
                                 "probability, label) FROM STDIN (FORMAT binary)",
                         err, errlen) != 0)
        return -1;
    char *at;
    for (size_t i = 0; i < n && (at = store_copy_room(&copy, 64)) != NULL; i++) {
        int32_t id;
        double probability;
        int label;
        row(arg, i, &id, &probability, &label);
        copy_binary_tuple(&at, 4);
        copy_binary_int4(&at, version);
        copy_binary_int4(&at, id);
        copy_binary_float8(&at, probability);
        copy_binary_int2(&at, label);
        copy.used = (size_t)(at - copy.buf);
    }
    if (store_copy_end(&copy, NULL, err, errlen) != 0)
        return -1;
    return again ? run_command(store_on(conn), &upsert, NULL, err, errlen) : 0;
}
