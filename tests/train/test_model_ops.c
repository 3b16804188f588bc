/* Model operations against a real PostgreSQL, on synthetic passengers (no Kaggle files needed):
 * titanic-train stores a model with its nested estimate (CV subsampled above --cv-max-rows) and
 * records the activation; a selection that looks at an outer fold fails the run and stores
 * nothing; --list shows every version; --activate rolls back with who and why and NOTIFYs;
 * activation is refused for an unknown version and for documents the API cannot serve (a newer
 * format, a document that fails validation); --score writes, for every passenger, exactly the
 * probability the stored document gives (from the trainer's compact rows for a fresh model, by
 * streaming the passengers otherwise); an active format-1 document (no longer read) is replaced
 * by the next training run. */
#include "check.h"
#include "db.h"
#include "models_store.h"
#include "passengers_store.h"
#include "synthetic_families.h"
#include "testdb.h"
#include "train.h"

#include <math.h>
#include <stdlib.h>

/* Stored predictions of version equal model_predict of the stored document for every passenger
 * listed. */
static void check_predictions(PGconn *conn, int version, const passenger *rows, size_t n) {
    char err[512];
    titanic_model *m = models_store_load_active(store_on(conn), err, sizeof err);
    CHECK(m != NULL && model_version(m) == version);
    for (size_t i = 0; m && i < n; i++) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "SELECT probability::text FROM predictions WHERE model_version = %d "
                 "AND passenger_id = %d",
                 version, (int)rows[i].id);
        char *stored = testdb_text(conn, sql);
        CHECK(stored && strtod(stored, NULL) == model_predict(m, &rows[i]));
        free(stored);
    }
    model_free(m);
}

static void test_first_model(PGconn *conn, PGconn *listener, train_options *opt,
                             const passenger *rows, size_t n) {
    train_outcome out;
    char err[1024] = "", payload[64];
    opt->score = 1; /* the fresh model scores from the trainer's compact rows */
    int code = train_run(conn, opt, &out, err, sizeof err);
    opt->score = 0;
    CHECK_INT(out.scored, 1200);
    check_predictions(conn, 1, rows, n);
    if (code != 0)
        fprintf(stderr, "first run: %s\n", err);
    CHECK_INT(code, TRAIN_EXIT_OK);
    CHECK_INT(out.stored_version, 1);
    testdb_next_notification(listener, MODEL_NOTIFY_CHANNEL, payload, sizeof payload);
    CHECK_STR(payload, "1");
    /* The nested record as stored: outer spread, inner, optimism, ECE, calibration, sample. */
    char *ok = testdb_text(
        conn, "SELECT (d->'outer'->'accuracy'->>'sd')::float8 > 0 "
              "AND d->'inner'->>'accuracy' IS NOT NULL AND d->'optimism' IS NOT NULL "
              "AND (d->'ece'->>'raw')::float8 >= 0 AND d->'calibration'->>'method' = 'temperature' "
              "AND (d->'sample'->>'rows')::int = 500 AND (d->'sample'->>'of')::int = 1000 "
              "FROM (SELECT document::jsonb->'metrics'->'nested' AS d FROM models "
              "WHERE version = 1) x");
    CHECK_STR(ok, "t");
    free(ok);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM model_activations WHERE version = 1 "
                                "AND source = 'train' AND previous_version IS NULL"),
              1);
}

static void test_leak_fails(PGconn *conn, train_options *opt) {
    train_outcome out;
    char err[1024] = "";
    opt->leak_outer_fold = 1;
    opt->force = 1;
    CHECK_INT(train_run(conn, opt, &out, err, sizeof err), TRAIN_EXIT_ERROR);
    CHECK_CONTAINS(err, "leak: the selection of outer fold");
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM models"), 1);
    opt->leak_outer_fold = 0;
    /* --force stores version 2; its report puts version 1 beside it. */
    CHECK_INT(train_run(conn, opt, &out, err, sizeof err), TRAIN_EXIT_OK);
    CHECK_INT(out.stored_version, 2);
    opt->force = 0;
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM models WHERE version = 2 AND active "
                                "AND report_html LIKE '%Compared with version 1%'"),
              1);
}

static char *list_text(PGconn *conn) {
    char *text = NULL, err[512];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK_INT(train_list(conn, f, err, sizeof err), TRAIN_EXIT_OK);
    fclose(f);
    return text;
}

static void test_activate(PGconn *conn, PGconn *listener) {
    char err[1024] = "", payload[64];
    CHECK_INT(train_activate(conn, 1, "alice", "roll back: checking v2", err, sizeof err),
              TRAIN_EXIT_OK);
    CHECK_INT(testdb_long(conn, "SELECT version FROM models WHERE active"), 1);
    testdb_next_notification(listener, MODEL_NOTIFY_CHANNEL, payload, sizeof payload);
    CHECK_STR(payload, "1");
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM model_activations WHERE version = 1 "
                                "AND activated_by = 'alice' AND reason = 'roll back: checking v2' "
                                "AND previous_version = 2 AND source = 'activate'"),
              1);
    /* Already active: nothing changes, nothing is recorded. */
    CHECK_INT(train_activate(conn, 1, "alice", "again", err, sizeof err), TRAIN_EXIT_OK);
    CHECK_CONTAINS(err, "already the active one");
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM model_activations"), 3);
    CHECK_INT(train_activate(conn, 99, "alice", "typo", err, sizeof err), TRAIN_EXIT_ERROR);
    CHECK_CONTAINS(err, "no model version 99");
}

/* Version 3: a document from a newer build; version 4: one that fails validation. */
static void test_refusals(PGconn *conn) {
    char err[1024] = "";
    CHECK_INT(db_exec(conn,
                      "INSERT INTO models (version, training_rows, training_sha256, metrics, "
                      "document) SELECT v, training_rows, training_sha256, metrics, "
                      "CASE v WHEN 3 THEN replace(document, '\"format_version\": 3', "
                      "'\"format_version\": 99') ELSE replace(document, '\"coefficients\"', "
                      "'\"coefficients_gone\"') END FROM models, (VALUES (3), (4)) t(v) "
                      "WHERE version = 2",
                      0, NULL, err, sizeof err),
              0);
    CHECK_INT(train_activate(conn, 3, "bob", "forward", err, sizeof err), TRAIN_EXIT_ERROR);
    CHECK_CONTAINS(err, "cannot be served by this build");
    CHECK_CONTAINS(err, "format_version 99 is not supported");
    CHECK_INT(train_activate(conn, 4, "bob", "forward", err, sizeof err), TRAIN_EXIT_ERROR);
    CHECK_CONTAINS(err, "coefficients must be an array");
    CHECK_INT(testdb_long(conn, "SELECT version FROM models WHERE active"), 1);
    char *list = list_text(conn);
    CHECK(list != NULL);
    if (list) {
        CHECK_CONTAINS(list, "by alice: roll back: checking v2");
        CHECK_CONTAINS(list,
                       "[cannot be served: model version 3: model document format_version 99");
        free(list);
    }
}

static void test_score(PGconn *conn, train_options *opt, const passenger *rows, size_t n) {
    train_outcome out;
    char err[1024] = "";
    opt->score = 1;
    /* Same rows, same procedure as the active version 1: kept, then scored with it. */
    CHECK_INT(train_run(conn, opt, &out, err, sizeof err), TRAIN_EXIT_OK);
    CHECK_INT(out.unchanged, 1);
    CHECK_INT(out.scored, 1200);
    check_predictions(conn, 1, rows, n);
    /* A stored model other than the fresh one streams the passengers through model_predict. */
    int found = 0;
    titanic_model *m2 = models_store_load_version_limited(store_on(conn), 2, &model_default_limits,
                                                          &found, NULL, err, sizeof err);
    CHECK(m2 != NULL);
    if (m2) {
        CHECK_INT(train_score(conn, m2, err, sizeof err), 1200);
        char *p = testdb_text(conn, "SELECT probability::text FROM predictions "
                                    "WHERE model_version = 2 AND passenger_id = 1150");
        CHECK(p && strtod(p, NULL) == model_predict(m2, &rows[1149]));
        free(p);
        model_free(m2);
    }
}

/* An active format-1 document, which this build no longer reads, does not block training: the
 * new model replaces it, and the activation says why. */
static void test_old_format_replaced(PGconn *conn, train_options *opt) {
    train_outcome out;
    char err[1024] = "";
    CHECK_INT(db_exec(conn,
                      "INSERT INTO models (version, training_rows, training_sha256, metrics, "
                      "document) SELECT 5, training_rows, training_sha256, metrics, "
                      "replace(document, '\"format_version\": 3', '\"format_version\": 1') "
                      "FROM models WHERE version = 1",
                      0, NULL, err, sizeof err),
              0);
    CHECK_INT(
        db_exec(conn, "UPDATE models SET active = false WHERE active", 0, NULL, err, sizeof err),
        0);
    CHECK_INT(db_exec(conn, "UPDATE models SET active = true WHERE version = 5", 0, NULL, err,
                      sizeof err),
              0);
    int code = train_run(conn, opt, &out, err, sizeof err);
    if (code != TRAIN_EXIT_OK)
        fprintf(stderr, "over a format-1 model: %s\n", err);
    CHECK_INT(code, TRAIN_EXIT_OK);
    CHECK_INT(out.activated, 1);
    CHECK_INT(out.stored_version, 6);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM model_activations WHERE version = 6 "
                                "AND previous_version = 5 AND reason LIKE "
                                "'%cannot read it%format_version 1%retrain with titanic-train%'"),
              1);
}

int main(void) {
    PGconn *conn = testdb_create("model_ops");
    size_t n = 1200;
    passenger *rows = malloc(n * sizeof *rows);
    synthetic_families(rows, n, 200, 11);
    testdb_insert_passengers(conn, rows, (long)n);
    char err[512];
    PGconn *listener = db_connect(testdb_conninfo(), "listener", err, sizeof err);
    CHECK(listener != NULL);
    CHECK_INT(db_exec(listener, "LISTEN " MODEL_NOTIFY_CHANNEL, 0, NULL, err, sizeof err), 0);
    train_options opt;
    train_default_options(&opt);
    opt.folds = 5;
    opt.repeats = 1;
    opt.cv_max_rows = 500;
    test_first_model(conn, listener, &opt, rows, n);
    test_leak_fails(conn, &opt);
    testdb_next_notification(listener, MODEL_NOTIFY_CHANNEL, err, sizeof err); /* version 2's */
    test_activate(conn, listener);
    test_refusals(conn);
    test_score(conn, &opt, rows, n);
    test_old_format_replaced(conn, &opt);
    PQfinish(listener);
    free(rows);
    testdb_drop(conn);
    return check_exit_code("model_ops");
}
