/* titanic-train's work: load, fit, cross-validate, store, activate, notify, score. See train.h. */
#include "train.h"

#include "clock.h"
#include "cross_validation.h"
#include "db.h"
#include "errors.h"
#include "feature_learning.h"
#include "kaggle_csv.h"
#include "log.h"
#include "logit.h"
#include "migrate.h"
#include "model_fit.h"
#include "models_store.h"
#include "passengers_store.h"
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Rows per FETCH and per INSERT when scoring: bounded memory however many passengers. */
#define SCORE_BATCH 5000

void train_default_options(train_options *opt) {
    memset(opt, 0, sizeof *opt);
    feature_set_default(&opt->features);
    logit_default_parameter(&opt->param);
    /* A light ridge: chosen by CV (log-loss 0.3765 vs 0.3777 unpenalised, docs/model.md), and it
     * keeps a small or unlucky CV fold from failing on quasi-separation. */
    opt->param.l2 = 0.1;
    opt->folds = 10;
    opt->repeats = 5;
    opt->seed = 1912;
    opt->min_improvement = 0.0;
}

/* ---- scoring ---- */

/* One batch of scoring: predictions for rows, written in one statement. */
typedef struct {
    PGconn *conn;
    const titanic_model *model;
    char *err;
    size_t errlen;
} score_batch;

static int score_rows(const passenger *rows, int n, void *arg) {
    score_batch *b = arg;
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    double *probs = malloc((size_t)n * sizeof *probs);
    int *labels = malloc((size_t)n * sizeof *labels);
    int rc = -1;
    if (!ids || !probs || !labels) {
        errorf(b->err, b->errlen, "out of memory while scoring");
    } else {
        for (int i = 0; i < n; i++) {
            ids[i] = rows[i].id;
            probs[i] = model_predict(b->model, &rows[i]);
            labels[i] = probs[i] >= model_threshold(b->model);
        }
        rc = models_store_save_predictions(store_on(b->conn), model_version(b->model), ids, probs,
                                           labels, n, b->err, b->errlen);
    }
    free(ids);
    free(probs);
    free(labels);
    return rc;
}

static long train_score(PGconn *conn, const titanic_model *m, char *err, size_t errlen) {
    if (model_version(m) <= 0) {
        errorf(err, errlen, "only a stored model can score (predictions reference models.version)");
        return -1;
    }
    if (db_exec(conn, "BEGIN", 0, NULL, err, errlen) != 0)
        return -1;
    score_batch b = {conn, m, err, errlen};
    long total = passengers_store_scan(conn, SCORE_BATCH, score_rows, &b, err, errlen);
    if (total >= 0 && db_exec(conn, "COMMIT", 0, NULL, err, errlen) == 0)
        return total;
    char ignored[256];
    db_exec(conn, "ROLLBACK", 0, NULL, ignored, sizeof ignored);
    return -1;
}

/* ---- activation ---- */

static int same_set(const feature_set *a, const feature_set *b) {
    if (a->count != b->count)
        return 0;
    for (int i = 0; i < a->count; i++)
        if (a->groups[i] != b->groups[i])
            return 0;
    return 1;
}

/* Trained on the same rows with the same configuration: retraining cannot change anything. */
static int same_as_active(const titanic_model *active, const titanic_model *fresh,
                          const train_options *opt) {
    const cv_result *cv = model_cv(active);
    return strcmp(model_training_sha256(active), model_training_sha256(fresh)) == 0 &&
           model_training_rows(active) == model_training_rows(fresh) &&
           same_set(&model_features(active)->set, &opt->features) &&
           model_parameter(active)->l2 == opt->param.l2 && cv && cv->folds == opt->folds &&
           cv->repeats == opt->repeats && cv->seed == opt->seed;
}

/* Stores m as the next version (and activates it) in one transaction, under a lock so two
 * trainers cannot take the same number or both activate; NOTIFY is delivered at COMMIT. */
static int store_model(PGconn *conn, titanic_model *m, int activate, int expected_active,
                       const double *oof, const double *y, size_t n, const char *comparison,
                       char *err, size_t errlen) {
    if (db_exec(conn, "BEGIN", 0, NULL, err, errlen) != 0)
        return -1;
    char *document = NULL, *html = NULL, *metrics = NULL;
    int rc = -1;
    store_conn c = store_on(conn);
    int version, active_now;
    if (models_store_lock_next(c, &version, &active_now, err, errlen) != 0)
        goto done;
    if (active_now != expected_active) {
        errorf(err, errlen,
               "another titanic-train changed the active model (now version %d, was %d) "
               "while this one trained; run again",
               active_now, expected_active);
        goto done;
    }
    model_set_version(m, version);
    document = model_to_json_text(m);
    html = report_html(m, oof, y, n, comparison);
    json_t *mj = model_metrics_json(m);
    metrics = mj ? json_dumps(mj, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(mj);
    if (!document || !html || !metrics) {
        errorf(err, errlen, "out of memory writing the model document");
        goto done;
    }
    model_record record = {
        version, (long)model_training_rows(m), model_training_sha256(m), metrics, document, html};
    if (models_store_insert(c, &record, err, errlen) != 0 ||
        (activate && models_store_activate(c, version, err, errlen) != 0))
        goto done;
    if (db_exec(conn, "COMMIT", 0, NULL, err, errlen) != 0)
        goto done_no_rollback;
    rc = 0;
    goto done_no_rollback;
done:;
    char ignored[256];
    db_exec(conn, "ROLLBACK", 0, NULL, ignored, sizeof ignored);
done_no_rollback:
    free(document);
    free(html);
    free(metrics);
    if (rc != 0)
        model_set_version(m, 0);
    return rc;
}

static int write_file(const char *path, const char *text, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f) {
        errorf(err, errlen, "cannot write %s", path);
        return -1;
    }
    int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        errorf(err, errlen, "writing %s failed", path);
    return ok ? 0 : -1;
}

/* --out and --report for the model that is now current. */
static int write_outputs(const train_options *opt, const titanic_model *m, const double *oof,
                         const double *y, size_t n, const char *comparison, char *err,
                         size_t errlen) {
    if (opt->out_path) {
        char *doc = model_to_json_text(m);
        int rc = doc ? write_file(opt->out_path, doc, err, errlen) : -1;
        free(doc);
        if (rc != 0)
            return -1;
    }
    if (opt->report_dir) {
        char *html = report_html(m, oof, y, n, comparison);
        int rc = html ? report_write(opt->report_dir, html, err, errlen) : -1;
        free(html);
        if (rc != 0)
            return -1;
    }
    return 0;
}

typedef struct {
    passenger *rows;
    long n;
    double *y;
    titanic_model *fresh, *active;
    cv_result cv;
} run_state;

static void run_state_free(run_state *s) {
    free(s->rows);
    free(s->y);
    model_free(s->fresh);
    model_free(s->active);
    cv_result_free(&s->cv);
}

/* Fits and cross-validates the new model on the loaded rows. */
static int fit_new(const train_options *opt, run_state *s, char *err, size_t errlen) {
    struct timespec start = clock_now();
    s->fresh = model_train(s->rows, (size_t)s->n, &opt->features, &opt->param, err, errlen);
    if (!s->fresh)
        return -1;
    if (cv_run(&opt->features, &opt->param, s->rows, (size_t)s->n, opt->folds, opt->repeats,
               opt->seed, &s->cv, err, errlen) != 0)
        return -1;
    model_set_cv(s->fresh, &s->cv);
    s->y = malloc((size_t)s->n * sizeof *s->y);
    if (!s->y) {
        errorf(err, errlen, "out of memory");
        return -1;
    }
    for (long i = 0; i < s->n; i++)
        s->y[i] = s->rows[i].survived;
    log_event(LOG_INFO, "model fitted and cross-validated",
              "{s:I, s:i, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:f}", "rows", (json_int_t)s->n,
              "iterations", model_fit(s->fresh)->iterations, "log_likelihood",
              model_fit(s->fresh)->loglik, "cv_accuracy", s->cv.accuracy.mean, "cv_auc",
              s->cv.auc.mean, "cv_log_loss", s->cv.log_loss.mean, "cv_brier", s->cv.brier.mean,
              "folds", opt->folds, "repeats", opt->repeats, "seconds", clock_seconds_since(&start));
    return 0;
}

/* The active configuration's CV log-loss on the current rows, same folds as the new model. */
static int active_log_loss(const train_options *opt, run_state *s, double *out, char *err,
                           size_t errlen) {
    cv_result cv;
    char why[512];
    if (cv_run(&model_features(s->active)->set, model_parameter(s->active), s->rows, (size_t)s->n,
               opt->folds, opt->repeats, opt->seed, &cv, why, sizeof why) != 0) {
        errorf(err, errlen,
               "cross-validating the active model's configuration (version %d) on the "
               "current data failed: %s; use --force to replace it",
               model_version(s->active), why);
        return -1;
    }
    *out = cv.log_loss.mean;
    cv_result_free(&cv);
    return 0;
}

int train_run(PGconn *conn, const train_options *opt, train_outcome *out, char *err,
              size_t errlen) {
    memset(out, 0, sizeof *out);
    out->active_log_loss = NAN;
    char why[512];
    if (migrate_check(conn, embedded_migrations, embedded_migration_count, why, sizeof why) != 0) {
        errorf(err, errlen, "database schema: %s", why);
        return TRAIN_EXIT_ERROR;
    }
    run_state s = {0};
    int code = TRAIN_EXIT_ERROR;
    s.n = passengers_store_labelled(store_on(conn), opt->include_api_rows, &s.rows, err, errlen);
    if (s.n < 0)
        goto done;
    if (s.n == 0) {
        errorf(err, errlen,
               "no passengers with known survival in the database; load train.csv "
               "with titanic-etl first");
        goto done;
    }
    if (fit_new(opt, &s, err, errlen) != 0)
        goto done;
    out->new_log_loss = s.cv.log_loss.mean;
    s.active = models_store_load_active(store_on(conn), why, sizeof why);
    if (!s.active && strcmp(why, "no active model") != 0 && !opt->force) {
        errorf(err, errlen, "%s; the new model was not stored (use --force to replace it)", why);
        goto done;
    }
    int expected_active = s.active ? model_version(s.active) : 0;
    char comparison[512];
    int activate = 1;
    if (s.active && !opt->force && same_as_active(s.active, s.fresh, opt)) {
        out->unchanged = 1;
        out->active_version = expected_active;
        model_set_version(s.fresh, expected_active);
        snprintf(comparison, sizeof comparison,
                 "Trained on the same %ld rows with the same "
                 "configuration as active version %d: kept it.",
                 s.n, expected_active);
        log_event(LOG_INFO, "training data and configuration unchanged; keeping the active model",
                  "{s:i}", "version", expected_active);
    } else {
        if (s.active && !opt->force) {
            if (active_log_loss(opt, &s, &out->active_log_loss, err, errlen) != 0)
                goto done;
            activate = out->new_log_loss <= out->active_log_loss - opt->min_improvement;
            snprintf(comparison, sizeof comparison,
                     "CV log-loss %.4f vs %.4f for the active version %d's configuration on the "
                     "same folds: %s.",
                     out->new_log_loss, out->active_log_loss, expected_active,
                     activate ? "activated" : "not activated (worse)");
        } else {
            snprintf(comparison, sizeof comparison, "%s",
                     opt->force ? "Activated by --force." : "First model: activated.");
        }
        if (store_model(conn, s.fresh, activate, expected_active, s.cv.oof, s.y, (size_t)s.n,
                        comparison, err, errlen) != 0)
            goto done;
        out->stored_version = model_version(s.fresh);
        out->activated = activate;
        out->active_version = activate ? out->stored_version : expected_active;
        log_event(activate ? LOG_INFO : LOG_WARN,
                  activate ? "model stored and activated" : "model stored but not activated",
                  "{s:i, s:i, s:f, s:o, s:s}", "version", out->stored_version, "active_version",
                  out->active_version, "cv_log_loss", out->new_log_loss, "active_cv_log_loss",
                  isnan(out->active_log_loss) ? json_null() : json_real(out->active_log_loss),
                  "reason", comparison);
    }
    if (write_outputs(opt, s.fresh, s.cv.oof, s.y, (size_t)s.n, comparison, err, errlen) != 0)
        goto done;
    if (opt->score) {
        titanic_model *current = models_store_load_active(store_on(conn), why, sizeof why);
        if (!current) {
            errorf(err, errlen, "scoring: %s", why);
            goto done;
        }
        out->scored = train_score(conn, current, err, errlen);
        int version = model_version(current);
        model_free(current);
        if (out->scored < 0)
            goto done;
        log_event(LOG_INFO, "predictions written", "{s:i, s:I}", "version", version, "passengers",
                  (json_int_t)out->scored);
    }
    code = out->unchanged || out->activated ? TRAIN_EXIT_OK : TRAIN_EXIT_NOT_BETTER;
    if (code == TRAIN_EXIT_NOT_BETTER)
        errorf(err, errlen, "%s", comparison);
done:
    run_state_free(&s);
    return code;
}

/* ---- without a database ---- */

int train_evaluate_csv(const char *path, const train_options *opt, char *err, size_t errlen) {
    passenger *rows = NULL;
    long n = kaggle_csv_load(path, &rows, err, errlen);
    if (n < 0)
        return TRAIN_EXIT_ERROR;
    cv_result cv;
    if (cv_run(&opt->features, &opt->param, rows, (size_t)n, opt->folds, opt->repeats, opt->seed,
               &cv, err, errlen) != 0) {
        free(rows);
        return TRAIN_EXIT_ERROR;
    }
    char groups[512];
    feature_set_format(&opt->features, groups, sizeof groups);
    printf("{\"features\": \"%s\", \"l2\": %.17g, \"rows\": %ld, \"folds\": %d, \"repeats\": %d, "
           "\"seed\": %lu,\n \"accuracy\": [%.4f, %.4f], \"auc\": [%.4f, %.4f], "
           "\"log_loss\": [%.4f, %.4f], \"brier\": [%.4f, %.4f]}\n",
           groups, opt->param.l2, n, cv.folds, cv.repeats, cv.seed, cv.accuracy.mean,
           cv.accuracy.sd, cv.auc.mean, cv.auc.sd, cv.log_loss.mean, cv.log_loss.sd, cv.brier.mean,
           cv.brier.sd);
    cv_result_free(&cv);
    free(rows);
    return TRAIN_EXIT_OK;
}

/* What the single-pass benchmark reader keeps of a row whose design values wait for the learned
 * state (typically an unknown age): ~40 bytes for those rows only, instead of a second pass. */
typedef struct {
    size_t row;
    double age, fare;
    int16_t sibsp, parch;
    int8_t survived, pclass, sex, title;
    char embarked, cabin_known;
} deferred_row;

typedef struct {
    feature_learner *learner;
    const feature_set *set;
    double *x, *y;
    size_t p, n, cap;
    deferred_row *deferred;
    size_t ndeferred, deferred_cap;
    char *err;
    size_t errlen;
} bench_pass;

static int grow(void **ptr, size_t *cap, size_t need, size_t unit) {
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap : 4096;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(*ptr, cap2 * unit);
    if (!p)
        return -1;
    *ptr = p;
    *cap = cap2;
    return 0;
}

static int defer_row(bench_pass *b, const passenger *p) {
    size_t cap = b->deferred_cap;
    if (grow((void **)&b->deferred, &cap, b->ndeferred + 1, sizeof *b->deferred) != 0)
        return -1;
    b->deferred_cap = cap;
    b->deferred[b->ndeferred++] = (deferred_row){
        .row = b->n,
        .age = p->age,
        .fare = p->fare,
        .sibsp = p->sibsp,
        .parch = p->parch,
        .survived = p->survived,
        .pclass = p->pclass,
        .sex = p->sex,
        .title = (int8_t)passenger_title(p->name),
        .embarked = p->embarked,
        .cabin_known = p->cabin[0] != '\0',
    };
    return 0;
}

/* A passenger that features_row treats exactly like the original row: the name reduced to its
 * title word, the cabin to known / unknown. */
static void rebuild_passenger(const deferred_row *d, passenger *p) {
    static const char *const words[TITLE_COUNT] = {"Mr", "Mrs", "Miss", "Master", "Dr"};
    passenger_init(p);
    p->age = d->age;
    p->fare = d->fare;
    p->sibsp = d->sibsp;
    p->parch = d->parch;
    p->survived = d->survived;
    p->pclass = d->pclass;
    p->sex = d->sex;
    p->embarked = d->embarked;
    if (d->title >= 0 && d->title < TITLE_COUNT)
        snprintf(p->name, sizeof p->name, "X, %s. Y", words[d->title]);
    else
        snprintf(p->name, sizeof p->name, "X Y");
    if (d->cabin_known)
        snprintf(p->cabin, sizeof p->cabin, "X");
}

/* One pass: learn, and write every row whose values are already final straight into X. */
static int bench_row(const passenger *p, void *arg) {
    bench_pass *b = arg;
    if (p->survived < 0) {
        errorf(b->err, b->errlen, "passenger %d has no Survived value", (int)p->id);
        return -1;
    }
    if (features_learner_add(b->learner, p, b->err, b->errlen) != 0)
        return -1;
    size_t cap = b->cap, ycap = b->cap;
    if (grow((void **)&b->x, &cap, b->n + 1, b->p * sizeof(double)) != 0 ||
        grow((void **)&b->y, &ycap, b->n + 1, sizeof(double)) != 0) {
        errorf(b->err, b->errlen, "out of memory at row %zu", b->n + 1);
        return -1;
    }
    b->cap = cap;
    if (features_row_needs_state(b->set, p)) {
        if (defer_row(b, p) != 0) {
            errorf(b->err, b->errlen, "out of memory at row %zu", b->n + 1);
            return -1;
        }
    } else {
        /* No value of this row depends on the state: an empty one gives the final row. */
        static const feature_state no_state;
        feature_state st = no_state;
        st.set = *b->set;
        features_row(&st, p, 1, b->x + b->n * b->p);
    }
    b->y[b->n++] = p->survived;
    return 0;
}

int train_bench_csv(const char *path, const train_options *opt, char *err, size_t errlen) {
    if (features_row_needs_state(
            &opt->features,
            &(passenger){.name = "X, Mr. Y", .age = 1, .fare = 1, .embarked = 'S'})) {
        errorf(err, errlen,
               "--bench-csv streams the file once and cannot build ticket-group "
               "features; choose a feature set without ticket_group");
        return TRAIN_EXIT_USAGE;
    }
    struct timespec start = clock_now();
    bench_pass b = {.set = &opt->features, .err = err, .errlen = errlen};
    const char *names[FEATURES_MAX_COLUMNS];
    b.p = features_columns(&opt->features, names);
    b.learner = features_learner_new(&opt->features);
    feature_state st = {0};
    int code = TRAIN_EXIT_ERROR;
    if (!b.learner) {
        errorf(err, errlen, "out of memory");
        goto done;
    }
    char why[512];
    if (kaggle_csv_read(path, bench_row, &b, why, sizeof why) < 0) {
        if (!strstr(why, "stopped by the caller"))
            errorf(err, errlen, "%s", why);
        features_learner_finish(b.learner, &st, why, sizeof why);
        goto done;
    }
    if (features_learner_finish(b.learner, &st, err, errlen) != 0)
        goto done;
    for (size_t k = 0; k < b.ndeferred; k++) {
        passenger p;
        rebuild_passenger(&b.deferred[k], &p);
        features_row(&st, &p, 1, b.x + b.deferred[k].row * b.p);
    }
    free(b.deferred);
    b.deferred = NULL;
    double read_s = clock_seconds_since(&start);
    logit_problem prob = {.n = b.n, .p = b.p, .x = b.x, .y = b.y, .names = names};
    logit_result fit;
    if (logit_train(&prob, &opt->param, &fit, err, errlen) != 0)
        goto done;
    double total_s = clock_seconds_since(&start);
    printf("{\"rows\": %zu, \"columns\": %zu, \"deferred_rows\": %zu, \"read_seconds\": %.3f, "
           "\"fit_seconds\": %.3f, \"total_seconds\": %.3f, \"iterations\": %d, "
           "\"log_likelihood\": %.17g,\n \"coefficients\": {",
           b.n, b.p, b.ndeferred, read_s, total_s - read_s, total_s, fit.iterations, fit.loglik);
    for (size_t j = 0; j < b.p; j++)
        printf("%s\"%s\": [%.17g, %.17g]", j ? ", " : "", names[j], fit.beta[j], fit.se[j]);
    printf("}}\n");
    logit_result_free(&fit);
    code = TRAIN_EXIT_OK;
done:
    free(b.x);
    free(b.y);
    free(b.deferred);
    feature_state_free(&st);
    return code;
}
