/* titanic-train's pipeline against a real PostgreSQL on the real Kaggle rows (train.csv labelled,
 * test.csv not): it stores and activates version 1 with a nested estimate above 0.8 and NOTIFYs; a
 * second run on unchanged data keeps it; --force stores version 2; a worse configuration is stored
 * inactive with exit code 3; --score fills predictions with the active model's exact
 * probabilities; no data fails clearly and activates nothing. (test_model_ops covers the same
 * machinery on synthetic passengers, without the Kaggle files.) */
#include "check.h"
#include "db.h"
#include "kaggle_csv.h"
#include "models_store.h"
#include "passengers_store.h"
#include "train.h"
#include "testdb.h"

static train_options quick_options(void) {
    train_options opt;
    train_default_options(&opt);
    opt.folds = 5;
    opt.repeats = 1;
    return opt;
}

int main(void) {
    /* testdb_data_file returns a static buffer: copy each path. */
    char *train_csv = strdup(testdb_data_file("train_db", "train.csv"));
    char *test_csv = strdup(testdb_data_file("train_db", "test.csv"));
    PGconn *conn = testdb_create("train_db");
    char err[1024] = "";
    train_outcome out;
    train_options opt = quick_options();

    /* No passengers: nothing is activated, and the message says what to do. */
    CHECK_INT(train_run(conn, &opt, &out, err, sizeof err), TRAIN_EXIT_ERROR);
    CHECK_CONTAINS(err, "no passengers with known survival");
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM models"), 0);

    passenger *rows = NULL, *test_rows = NULL;
    long n = kaggle_csv_load(train_csv, &rows, err, sizeof err);
    long nt = kaggle_csv_load(test_csv, &test_rows, err, sizeof err);
    CHECK_INT(n, 891);
    CHECK_INT(nt, 418);
    testdb_insert_passengers(conn, rows, n);
    testdb_insert_passengers(conn, test_rows, nt);

    PGconn *listener = db_connect(testdb_conninfo(), "listener", err, sizeof err);
    CHECK(listener != NULL);
    CHECK_INT(db_exec(listener, "LISTEN " MODEL_NOTIFY_CHANNEL, 0, NULL, err, sizeof err), 0);

    /* First run: version 1 stored, activated, announced. */
    opt.report_dir = "train_db_report";
    opt.out_path = "train_db_model.json";
    int code = train_run(conn, &opt, &out, err, sizeof err);
    if (code != 0)
        fprintf(stderr, "first run: %s\n", err);
    CHECK_INT(code, TRAIN_EXIT_OK);
    CHECK_INT(out.stored_version, 1);
    CHECK_INT(out.activated, 1);
    CHECK_INT(testdb_long(conn, "SELECT version FROM models WHERE active"), 1);
    CHECK_INT(testdb_long(conn, "SELECT training_rows FROM models WHERE version = 1"), 891);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM models WHERE report_html LIKE '%<svg%'"), 1);
    char *good = testdb_text(conn, "SELECT (metrics->'cv'->'accuracy'->>'mean')::float8 > 0.8 "
                                   "FROM models WHERE version = 1");
    CHECK_STR(good, "t");
    free(good);
    char payload[64];
    testdb_next_notification(listener, MODEL_NOTIFY_CHANNEL, payload, sizeof payload);
    CHECK_STR(payload, "1");
    FILE *f = fopen("train_db_report/index.html", "r");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    f = fopen("train_db_model.json", "r");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    opt.report_dir = NULL;
    opt.out_path = NULL;

    /* Same data, same configuration: kept, nothing stored, no notification. */
    CHECK_INT(train_run(conn, &opt, &out, err, sizeof err), TRAIN_EXIT_OK);
    CHECK_INT(out.unchanged, 1);
    CHECK_INT(out.stored_version, 0);
    CHECK_INT(out.active_version, 1);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM models"), 1);

    /* --force: version 2, active, announced. */
    opt.force = 1;
    CHECK_INT(train_run(conn, &opt, &out, err, sizeof err), TRAIN_EXIT_OK);
    CHECK_INT(out.stored_version, 2);
    CHECK_INT(testdb_long(conn, "SELECT version FROM models WHERE active"), 2);
    testdb_next_notification(listener, MODEL_NOTIFY_CHANNEL, payload, sizeof payload);
    CHECK_STR(payload, "2");
    opt.force = 0;

    /* The plain reference design is worse on the same outer folds: stored inactive, exit 3. */
    feature_set_reference(&opt.features);
    opt.features_given = 1;
    code = train_run(conn, &opt, &out, err, sizeof err);
    CHECK_INT(code, TRAIN_EXIT_NOT_BETTER);
    CHECK_CONTAINS(err, "not activated");
    CHECK_INT(out.stored_version, 3);
    CHECK_INT(out.activated, 0);
    CHECK(out.new_log_loss > out.active_log_loss);
    CHECK_INT(testdb_long(conn, "SELECT version FROM models WHERE active"), 2);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM models"), 3);
    feature_set_default(&opt.features);
    opt.features_given = 0;

    /* --score: every stored passenger, with the active model's exact probability. */
    opt.score = 1;
    CHECK_INT(train_run(conn, &opt, &out, err, sizeof err), TRAIN_EXIT_OK);
    CHECK_INT(out.scored, 891 + 418);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM predictions WHERE model_version = 2"),
              891 + 418);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM predictions "
                                "WHERE label <> (probability >= 0.5)::int"),
              0);
    titanic_model *active = models_store_load_active(store_on(conn), err, sizeof err);
    CHECK(active != NULL);
    if (active) {
        CHECK_INT(model_version(active), 2);
        char *stored = testdb_text(conn, "SELECT probability::text FROM predictions "
                                         "WHERE model_version = 2 AND passenger_id = 892");
        double expected = model_predict(active, &test_rows[0]);
        CHECK(stored && strtod(stored, NULL) == expected);
        free(stored);
        json_t *summary = model_summary(active);
        CHECK_INT(json_integer_value(json_object_get(summary, "version")), 2);
        CHECK(json_array_size(json_object_get(summary, "coefficients")) > 5);
        json_decref(summary);
        model_free(active);
    }
    /* A database whose active document is unreadable: refused without --force. */
    CHECK_INT(db_exec(conn, "UPDATE models SET document = '{\"format\": \"x\"}' WHERE active", 0,
                      NULL, err, sizeof err),
              0);
    opt.score = 0;
    feature_set_reference(&opt.features);
    opt.features_given = 1;
    CHECK_INT(train_run(conn, &opt, &out, err, sizeof err), TRAIN_EXIT_ERROR);
    CHECK_CONTAINS(err, "not a model document");
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM models"), 3);

    PQfinish(listener);
    free(rows);
    free(test_rows);
    free(train_csv);
    free(test_csv);
    testdb_drop(conn);
    return check_exit_code("train_db");
}
