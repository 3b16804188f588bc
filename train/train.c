/* titanic-train's work: load, fit, cross-validate, store, activate, notify, score. See train.h. */
#include "train.h"

#include "array.h"
#include "clock.h"
#include "db.h"
#include "errors.h"
#include "kaggle_csv.h"
#include "log.h"
#include "logit.h"
#include "migrate.h"
#include "model_fit.h"
#include "models_store.h"
#include "nested_cv.h"
#include "sha256.h"
#include "train_data.h"
#include "passengers_store.h"
#include "report.h"
#include "runs_store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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
    opt->cv_max_rows = TRAIN_CV_MAX_ROWS;
    const char *user = getenv("USER");
    opt->by = user && *user ? user : "titanic-train";
}

/* ---- scoring ---- */

/* Scoring with a stored model: every passenger streamed by binary COPY through model_predict, the
 * answers (16 bytes a passenger) written back by binary COPY. */
typedef struct score_list {
    const titanic_model *model;
    struct scored_passenger {
        int32_t id;
        double probability;
    } * rows;
    size_t n, cap;
    char *err;
    size_t errlen;
} score_list;

static int score_one(const passenger *p, void *arg) {
    score_list *l = arg;
    if (array_reserve((void **)&l->rows, &l->cap, l->n + 1, sizeof *l->rows, TRAIN_MAX_ROWS) != 0)
        return errorf(l->err, l->errlen, "out of memory scoring passenger %zu", l->n + 1);
    l->rows[l->n++] = (struct scored_passenger){p->id, model_predict(l->model, p)};
    return 0;
}

static void listed_row(void *arg, size_t i, int32_t *id, double *probability, int *label) {
    const score_list *l = arg;
    *id = l->rows[i].id;
    *probability = l->rows[i].probability;
    *label = *probability >= model_threshold(l->model);
}

long train_score(PGconn *conn, const titanic_model *m, char *err, size_t errlen) {
    if (model_version(m) <= 0)
        return errorf(err, errlen,
                      "only a stored model can score (predictions reference models.version)");
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    score_list l = {.model = m, .err = err, .errlen = errlen};
    long total = passengers_store_copy_training(conn, 1, score_one, &l, err, errlen);
    int ok = total >= 0 && models_store_copy_predictions(conn, model_version(m), l.n, listed_row,
                                                         &l, err, errlen) == 0;
    free(l.rows);
    return db_end(conn, ok, err, errlen) == 0 ? total : -1;
}

/* ---- output files ---- */

/* text to path, with a newline at the end when it has none (--out, --report); frees text, which
 * is NULL when it could not be written for want of memory. */
static int write_text(const char *path, char *text, char *err, size_t errlen) {
    FILE *f = text ? fopen(path, "w") : NULL;
    if (!f) {
        if (text)
            errorf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        else
            errorf(err, errlen, "out of memory writing %s", path);
        free(text);
        return -1;
    }
    size_t len = strlen(text);
    int ok = fputs(text, f) >= 0 && ((len && text[len - 1] == '\n') || fputc('\n', f) != EOF);
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        errorf(err, errlen, "writing %s failed", path);
    free(text);
    return ok ? 0 : -1;
}

/* --out and --report (DIR/index.html, DIR created when missing) for the model now current. */
static int write_outputs(const train_options *opt, const report_input *rep, char *err,
                         size_t errlen) {
    if (opt->out_path && write_text(opt->out_path, model_to_json_text(rep->m), err, errlen) != 0)
        return -1;
    if (opt->report_dir) {
        char path[4096];
        if (mkdir(opt->report_dir, 0755) != 0 && errno != EEXIST)
            return errorf(err, errlen, "cannot create report directory %s: %s", opt->report_dir,
                          strerror(errno));
        if ((size_t)snprintf(path, sizeof path, "%s/index.html", opt->report_dir) >= sizeof path)
            return errorf(err, errlen, "report directory path too long");
        return write_text(path, report_html(rep), err, errlen);
    }
    return 0;
}

/* ---- reading the training passengers ---- */

typedef struct load_ctx {
    train_data *d;
    sha256_ctx sha;
    char *err;
    size_t errlen;
} load_ctx;

static int load_row(const passenger *p, void *arg) {
    load_ctx *c = arg;
    if (p->survived == 0 || p->survived == 1)
        model_fingerprint_add(&c->sha, p);
    return train_data_add(c->d, p, c->err, c->errlen);
}

/* Every row, from the comma-separated CSV files (paths, in order, through the one reader) or by
 * COPY (conn; all_rows as in passengers_store_copy_training), into d, which is then finished; the
 * labelled rows' fingerprint into sha. Fares are always read: the form model's log_fare needs
 * them. */
static int read_rows(PGconn *conn, const char *paths, int all_rows, const train_options *opt,
                     train_data *d, char sha[65], char *err, size_t errlen) {
    train_data_set_sample(d, (size_t)opt->cv_max_rows, opt->seed);
    load_ctx c = {.d = d, .err = err, .errlen = errlen};
    sha256_init(&c.sha);
    char list[4096];
    snprintf(list, sizeof list, "%s", paths ? paths : "");
    long rc = paths ? 0 : passengers_store_copy_training(conn, all_rows, load_row, &c, err, errlen);
    for (char *save = NULL, *path = strtok_r(list, ",", &save); path && rc >= 0;
         path = strtok_r(NULL, ",", &save))
        rc = kaggle_csv_read(path, load_row, &c, err, errlen);
    sha256_final_hex(&c.sha, sha); /* also frees the digest's context */
    return rc < 0 ? -1 : train_data_finish(d, err, errlen);
}

/* The count and the rows in one snapshot, so the reserved arrays fit what COPY sends. */
static train_data *load_from_db(PGconn *conn, const train_options *opt, char sha[65], int *current,
                                char *err, size_t errlen) {
    long all = 0;
    train_data *d = NULL;
    int copied = 0;
    if (db_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err, errlen))
        return NULL;
    if (passengers_store_count_for_training(conn, opt->include_api_rows, &all, current, err,
                                            errlen) != 0)
        goto done;
    if (all > TRAIN_MAX_ROWS) {
        errorf(err, errlen, "%ld passengers; this trainer reads at most %ld", all, TRAIN_MAX_ROWS);
        goto done;
    }
    /* Families: about half the passengers are women or boys, each at most one family; the table
     * grows if the data has more. */
    d = train_data_new((size_t)all, (size_t)all / 2, (size_t)all + 1);
    if (!d) {
        errorf(err, errlen, "out of memory for %ld passengers", all);
        goto done;
    }
    /* With no row written through the API the ETL's view is the table itself: read the table
     * (its primary key gives the order; the view's union has to be sorted). Same snapshot. */
    copied =
        read_rows(conn, NULL, opt->include_api_rows || *current, opt, d, sha, err, errlen) == 0;
done:
    if (db_end(conn, copied, err, errlen) == 0) /* rolls back (and fails) when not copied */
        return d;
    train_data_free(d);
    return NULL;
}

/* ---- estimate, choose, fit ---- */

/* The named and the form model's procedures for opt. */
static void run_options(const train_options *opt, nested_options *o, nested_options *form) {
    nested_default_options(o);
    o->outer_folds = opt->folds;
    o->outer_repeats = opt->repeats;
    o->seed = opt->seed;
    o->param = opt->param;
    if (opt->features_given) {
        o->candidates[0] = opt->features;
        o->ncandidates = 1;
    }
    if (opt->l2_given) {
        o->l2s[0] = opt->param.l2;
        o->nl2 = 1;
    }
    o->leak_outer_fold = opt->leak_outer_fold;
    nested_form_options(o, form);
}

/* o's candidate feature sets after buf[0..used), the first after label, the others after "|". */
static size_t append_candidates(const nested_options *o, const char *label, char *buf, size_t len,
                                size_t used) {
    for (int i = 0; i < o->ncandidates && used < len; i++) {
        char g[256];
        feature_set_format(&o->candidates[i], g, sizeof g);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "|" : label, g);
    }
    return used;
}

/* The procedure's identity: a model trained on the same rows with the same one is the same. */
static void config_text(const nested_options *o, const nested_options *form, long cv_max_rows,
                        char *buf, size_t len) {
    size_t used = append_candidates(o, "candidates=", buf, len, 0);
    used = append_candidates(form, ";form=", buf, len, used);
    for (int l = 0; l < o->nl2 && used < len; l++)
        used += (size_t)snprintf(buf + used, len - used, "%s%g", l ? "," : ";l2=", o->l2s[l]);
    if (used < len)
        snprintf(buf + used, len - used, ";outer=%dx%d;inner=%dx%d;seed=%lu;cv_max_rows=%ld",
                 o->outer_folds, o->outer_repeats, o->inner_folds, o->inner_repeats, o->seed,
                 cv_max_rows);
}

/* One selection procedure, its nested estimate and its choice. */
typedef struct procedure {
    nested_options o;
    nested_result est;
    nested_choice choice;
    int calibrated;
} procedure;

typedef struct run_state {
    train_data *d;
    char sha[65];
    procedure p, form;  /* the named model's and the form model's */
    double *y, *female; /* survival and sex of the CV sample, for the report */
    unsigned char varies[FEATURES_MAX_COLUMNS]; /* the final design's columns that vary */
    char source[1024];                          /* where the rows came from, for the report */
    report_input rep; /* labels of the CV sample, for the report's plots */
    titanic_model *fresh, *active;
    int active_version; /* the active row's version, loaded or not; 0: none */
    char refused[512];  /* why this build cannot read the active model (an old format), or "" */
    int current;        /* the rows read are every passenger as stored now (scoring may use them) */
} run_state;

static void run_state_free(run_state *s) {
    train_data_free(s->d);
    nested_result_free(&s->p.est);
    nested_result_free(&s->form.est);
    free(s->y); /* and female */
    model_free(s->fresh);
    model_free(s->active);
}

/* One procedure's nested estimate and final choice; logs both. */
static int estimate_one(const train_data *d, procedure *p, const char *which, char *err,
                        size_t errlen) {
    struct timespec start = clock_now();
    if (nested_cv_run(d, &p->o, &p->est, &p->choice, err, errlen) != 0)
        return -1;
    /* Kept only when it lowered the held-out log-loss of the outer folds. */
    p->calibrated = p->est.log_loss_calibrated.mean < p->est.outer.log_loss.mean;
    char groups[256];
    feature_set_format(&p->o.candidates[p->choice.candidate], groups, sizeof groups);
    log_event(LOG_INFO, "nested cross-validation done",
              "{s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:f, s:f, s:b, s:f}", "model", which,
              "rows", (json_int_t)train_data_labelled(d), "outer_accuracy",
              p->est.outer.accuracy.mean, "outer_accuracy_sd", p->est.outer.accuracy.sd,
              "outer_auc", p->est.outer.auc.mean, "inner_accuracy", p->est.inner_accuracy,
              "outer_log_loss", p->est.outer.log_loss.mean, "ece", p->est.ece_raw, "chosen", groups,
              "l2", p->choice.l2, "temperature", p->choice.temperature, "calibrated", p->calibrated,
              "seconds", clock_seconds_since(&start));
    return 0;
}

/* Nested estimates and final choices of the named and the form model. */
static int estimate(run_state *s, char *err, size_t errlen) {
    if (estimate_one(s->d, &s->p, "named", err, errlen) != 0 ||
        estimate_one(s->d, &s->form, "form", err, errlen) != 0)
        return -1;
    size_t ns;
    const size_t *sample = train_data_sample(s->d, &ns);
    s->y = malloc((ns ? ns : 1) * 2 * sizeof *s->y); /* female: its second half */
    if (!s->y)
        return errorf(err, errlen, "out of memory");
    s->female = s->y + ns;
    for (size_t k = 0; k < ns; k++) {
        s->y[k] = train_data_row(s->d, sample[k])->survived;
        s->female[k] = train_data_row(s->d, sample[k])->sex == SEX_FEMALE;
    }
    return 0;
}

/* p's choice fitted on every row, with its nested record. */
static titanic_model *fit_one(const train_options *opt, run_state *s, const procedure *p, char *err,
                              size_t errlen) {
    logit_parameter param = opt->param;
    param.l2 = p->choice.l2;
    /* The form model reads continuous age and fare, so its design rows do not merge: it is
     * fitted on the CV sample (all of the real list), which keeps its cost constant. */
    size_t ns;
    const size_t *sample = train_data_sample(s->d, &ns);
    int named = p == &s->p;
    titanic_model *m =
        model_train_data(s->d, named ? NULL : sample, ns, &p->o.candidates[p->choice.candidate],
                         &param, s->sha, named ? s->varies : NULL, err, errlen);
    if (!m)
        return NULL;
    if (p->calibrated)
        model_set_temperature(m, p->choice.temperature);
    json_t *nested = nested_json(&p->o, &p->est, &p->choice, p->calibrated, ns,
                                 train_data_labelled(s->d), (size_t)opt->cv_max_rows);
    char config[2048];
    config_text(&s->p.o, &s->form.o, opt->cv_max_rows, config, sizeof config);
    if (!nested || json_object_set_new(nested, "config", json_string(config)) != 0) {
        json_decref(nested);
        model_free(m);
        errorf(err, errlen, "out of memory");
        return NULL;
    }
    model_set_nested(m, nested);
    model_set_cv(m, &p->est.outer);
    return m;
}

/* The final model: the named choice fitted on every row, carrying the form model. */
static int fit_final(const train_options *opt, run_state *s, char *err, size_t errlen) {
    titanic_model *form = NULL;
    if (!(s->fresh = fit_one(opt, s, &s->p, err, errlen)) ||
        !(form = fit_one(opt, s, &s->form, err, errlen)))
        return -1;
    model_set_form(s->fresh, form);
    size_t ns;
    train_data_sample(s->d, &ns);
    s->rep = (report_input){.m = s->fresh,
                            .oof = s->p.est.outer.oof,
                            .y = s->y,
                            .female = s->female,
                            .n = ns,
                            .varies = s->varies,
                            .source = s->source,
                            .previous = s->active};
    return 0;
}

/* ---- activation ---- */

static const char *config_of(const titanic_model *m) {
    return m ? json_string_value(json_object_get(model_nested(m), "config")) : NULL;
}

/* Trained on the same rows by the same procedure: retraining cannot change anything. */
static int same_as_active(const titanic_model *active, const titanic_model *fresh) {
    const char *a = config_of(active), *f = config_of(fresh);
    return a && f && strcmp(a, f) == 0 &&
           strcmp(model_training_sha256(active), model_training_sha256(fresh)) == 0 &&
           model_training_rows(active) == model_training_rows(fresh);
}

/* The active configuration (features and penalty fixed) through the same outer folds. */
static int active_log_loss(run_state *s, double *out, char *err, size_t errlen) {
    nested_options o = s->p.o;
    o.candidates[0] = model_features(s->active)->set;
    o.ncandidates = 1;
    o.l2s[0] = model_parameter(s->active)->l2;
    o.nl2 = 1;
    o.leak_outer_fold = 0;
    nested_result r;
    char why[512];
    if (nested_cv_run(s->d, &o, &r, NULL, why, sizeof why) != 0)
        return errorf(err, errlen,
                      "cross-validating the active model's configuration (version %d) on the "
                      "current data failed: %s; use --force to replace it",
                      model_version(s->active), why);
    *out = r.outer.log_loss.mean;
    nested_result_free(&r);
    return 0;
}

/* Decides whether the new model replaces the active one; writes the reason. */
static int decide(const train_options *opt, run_state *s, train_outcome *out, char *comparison,
                  size_t len, char *err, size_t errlen) {
    int expected = s->active_version;
    if (s->refused[0] && !opt->force) {
        snprintf(comparison, len,
                 "Active version %d cannot be compared: this build cannot read it (%s). Activated "
                 "the new model (nested outer log-loss %.4f).",
                 expected, s->refused, s->p.est.outer.log_loss.mean);
        return 1;
    }
    if (!s->active || opt->force) {
        snprintf(comparison, len, "%s",
                 opt->force ? "Activated by --force." : "First model: activated.");
        return 1;
    }
    if (active_log_loss(s, &out->active_log_loss, err, errlen) != 0)
        return -1;
    int activate = out->new_log_loss <= out->active_log_loss - opt->min_improvement;
    snprintf(comparison, len,
             "Outer-fold log-loss %.4f vs %.4f for the active version %d's configuration on the "
             "same folds: %s.",
             out->new_log_loss, out->active_log_loss, expected,
             activate ? "activated" : "not activated (worse)");
    return activate;
}

/* What models_store_publish stores for a new version: the fresh model's document, metrics and
 * report, which name the version. */
static int fill_record(void *arg, int version, model_record *r) {
    const run_state *s = arg;
    model_set_version(s->fresh, version);
    json_t *metrics = model_metrics_json(s->fresh);
    *r =
        (model_record){(long)model_training_rows(s->fresh), model_training_sha256(s->fresh),
                       metrics ? json_dumps(metrics, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL,
                       model_to_json_text(s->fresh), report_html(&s->rep)};
    json_decref(metrics);
    return r->metrics_json && r->document && r->report_html ? 0 : -1;
}

/* Stores (and maybe activates) the new model, or keeps the active one when nothing changed. */
static int publish(PGconn *conn, const train_options *opt, run_state *s, train_outcome *out,
                   char *comparison, size_t len, char *err, size_t errlen) {
    int expected = s->active_version;
    if (s->active && !opt->force && same_as_active(s->active, s->fresh)) {
        out->unchanged = 1;
        out->active_version = expected;
        model_set_version(s->fresh, expected);
        snprintf(comparison, len,
                 "Trained on the same %zu rows by the same procedure as active version %d: "
                 "kept it.",
                 train_data_labelled(s->d), expected);
        log_event(LOG_INFO, "training data and configuration unchanged; keeping the active model",
                  "{s:i}", "version", expected);
        return 0;
    }
    int activate = decide(opt, s, out, comparison, len, err, errlen);
    if (activate < 0)
        return -1;
    s->rep.comparison = comparison;
    s->rep.replaced = activate;
    if (models_store_publish(conn, expected, activate, opt->by, comparison, fill_record, s, err,
                             errlen) < 0) {
        model_set_version(s->fresh, 0);
        return -1;
    }
    out->stored_version = model_version(s->fresh);
    out->activated = activate;
    out->active_version = activate ? out->stored_version : expected;
    log_event(activate ? LOG_INFO : LOG_WARN,
              activate ? "model stored and activated" : "model stored but not activated",
              "{s:i, s:i, s:f, s:o, s:s}", "version", out->stored_version, "active_version",
              out->active_version, "outer_log_loss", out->new_log_loss, "active_outer_log_loss",
              isnan(out->active_log_loss) ? json_null() : json_real(out->active_log_loss), "reason",
              comparison);
    return 0;
}

/* The fresh model's prediction for every passenger read, from the compact rows: the same
 * features_row and model_predict_row the API's model_predict runs, with the family evidence the
 * document's table gives (test_model_ops compares them); computed once per distinct input. */
static void fresh_row(void *arg, size_t i, int32_t *id, double *probability, int *label) {
    const run_state *s = arg;
    group_evidence ev = {0, 0};
    double row[FEATURES_MAX_COLUMNS];
    /* As model_predict: a passenger without a known title is answered by the form model. */
    const titanic_model *form = model_form(s->fresh);
    const titanic_model *a = form && train_data_row(s->d, i)->title < 0 ? form : s->fresh;
    if (a == s->fresh)
        train_data_evidence(s->d, i, 1, &ev);
    train_data_design(s->d, model_features(a), i, &ev, row);
    *id = train_data_id(s->d, i);
    *probability = model_predict_row(a, row);
    *label = *probability >= model_threshold(s->fresh);
}

static long score_fresh(PGconn *conn, const run_state *s, char *err, size_t errlen) {
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    int ok = models_store_copy_predictions(conn, model_version(s->fresh), train_data_rows(s->d),
                                           fresh_row, (void *)s, err, errlen) == 0;
    return db_end(conn, ok, err, errlen) == 0 ? (long)train_data_rows(s->d) : -1;
}

static int score_active(PGconn *conn, const run_state *s, train_outcome *out, char *err,
                        size_t errlen) {
    /* The fresh model is the active one, or equals it (same rows, same procedure), and the rows
     * read are the passengers as stored now (not the ETL's versions of rows the API changed):
     * score from them. */
    struct timespec start = clock_now();
    int version = out->active_version;
    if (s->current &&
        ((out->activated && out->active_version == model_version(s->fresh)) || out->unchanged)) {
        out->scored = score_fresh(conn, s, err, errlen);
    } else {
        char why[512];
        titanic_model *current = models_store_load_active(store_on(conn), why, sizeof why);
        if (!current)
            return errorf(err, errlen, "scoring: %s", why);
        version = model_version(current);
        out->scored = train_score(conn, current, err, errlen);
        model_free(current);
    }
    if (out->scored < 0)
        return -1;
    log_event(LOG_INFO, "predictions written", "{s:i, s:I, s:f}", "version", version, "passengers",
              (json_int_t)out->scored, "seconds", clock_seconds_since(&start));
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
    run_options(opt, &s.p.o, &s.form.o);
    struct timespec start = clock_now();
    if (!(s.d = load_from_db(conn, opt, s.sha, &s.current, err, errlen)))
        goto done;
    log_event(LOG_INFO, "passengers read", "{s:I, s:I, s:f}", "rows",
              (json_int_t)train_data_rows(s.d), "labelled", (json_int_t)train_data_labelled(s.d),
              "seconds", clock_seconds_since(&start));
    if (train_data_labelled(s.d) == 0) {
        errorf(err, errlen,
               "no passengers with known survival in the database; load train.csv "
               "with titanic-etl first");
        goto done;
    }
    if (estimate(&s, err, errlen) != 0)
        goto done;
    if (fit_final(opt, &s, err, errlen) != 0)
        goto done;
    out->new_log_loss = s.p.est.outer.log_loss.mean;
    s.active = models_store_load_active(store_on(conn), why, sizeof why);
    runs_store_describe(conn, opt->include_api_rows, s.source, sizeof s.source);
    if (!s.active && strstr(why, MODEL_RETRAIN)) {
        /* A format this build no longer reads: the new model replaces it (decide says why). */
        snprintf(s.refused, sizeof s.refused, "%s", why);
    } else if (!s.active && strcmp(why, "no active model") != 0 && !opt->force) {
        errorf(err, errlen, "%s; the new model was not stored (use --force to replace it)", why);
        goto done;
    }
    s.active_version = s.active ? model_version(s.active)
                                : models_store_active_version(store_on(conn), err, errlen);
    if (s.active_version < 0)
        goto done;
    char comparison[1024];
    s.rep.previous = s.active;
    s.rep.comparison = comparison;
    if (publish(conn, opt, &s, out, comparison, sizeof comparison, err, errlen) != 0 ||
        write_outputs(opt, &s.rep, err, errlen) != 0)
        goto done;
    if (opt->score && score_active(conn, &s, out, err, errlen) != 0)
        goto done;
    code = out->unchanged || out->activated ? TRAIN_EXIT_OK : TRAIN_EXIT_NOT_BETTER;
    if (code == TRAIN_EXIT_NOT_BETTER)
        errorf(err, errlen, "%s", comparison);
done:
    run_state_free(&s);
    return code;
}

/* ---- model operations ---- */

/* 1 when this build can serve the stored version; else 0, and why says why. */
static int servable(PGconn *conn, int version, char *why, size_t len) {
    int found;
    titanic_model *m = models_store_load_version_limited(
        store_on(conn), version, &model_default_limits, &found, NULL, why, len);
    model_free(m);
    return m != NULL;
}

/* "0.848 +- 0.012 nested" from a version's metrics (a format-1 model's: "plain CV"), or "-". */
static void estimate_text(const char *metrics, char *buf, size_t len) {
    json_t *all = metrics ? json_loads(metrics, 0, NULL) : NULL;
    json_t *nested = json_object_get(json_object_get(all, "nested"), "outer");
    json_t *acc = json_object_get(nested ? nested : json_object_get(all, "cv"), "accuracy");
    if (acc)
        snprintf(buf, len, "%.3f +- %.3f %s", json_number_value(json_object_get(acc, "mean")),
                 json_number_value(json_object_get(acc, "sd")), nested ? "nested" : "plain CV");
    else
        snprintf(buf, len, "-");
    json_decref(all);
}

int train_list(PGconn *conn, FILE *out, char *err, size_t errlen) {
    model_row *rows = NULL;
    int n = 0;
    if (models_store_history(store_on(conn), &rows, &n, err, errlen) != 0)
        return TRAIN_EXIT_ERROR;
    fprintf(out, "%-7s %-6s %-19s %9s  %-26s %-10s %s\n", "version", "active", "created", "rows",
            "accuracy estimate", "servable", "last activation");
    for (int i = n - 1; i >= 0; i--) { /* oldest first */
        char why[512], est[64];
        int ok = servable(conn, rows[i].version, why, sizeof why);
        estimate_text(rows[i].metrics, est, sizeof est);
        fprintf(out, "%-7d %-6s %-19.19s %9ld  %-26s %-10s ", rows[i].version,
                rows[i].active ? "*" : "", rows[i].created, rows[i].training_rows, est,
                ok ? "yes" : "NO");
        if (rows[i].last_reason)
            fprintf(out, "%.19s by %s: %s", rows[i].last_at, rows[i].last_by, rows[i].last_reason);
        else
            fprintf(out, "-");
        if (!ok)
            fprintf(out, " [cannot be served: %s]", why);
        fputc('\n', out);
    }
    models_store_free_rows(rows, n);
    return TRAIN_EXIT_OK;
}

int train_activate(PGconn *conn, int version, const char *by, const char *reason, char *err,
                   size_t errlen) {
    char why[512];
    if (migrate_check(conn, embedded_migrations, embedded_migration_count, why, sizeof why) != 0) {
        errorf(err, errlen, "database schema: %s", why);
        return TRAIN_EXIT_ERROR;
    }
    int rc = models_store_activate_version(conn, version, by, reason, err, errlen);
    if (rc == 0) {
        log_event(LOG_INFO, "model activated", "{s:i, s:s, s:s}", "version", version, "by", by,
                  "reason", reason);
        return TRAIN_EXIT_OK;
    }
    return rc == 1 ? TRAIN_EXIT_OK : TRAIN_EXIT_ERROR;
}

/* ---- without a database ---- */

int train_evaluate_csv(const char *path, const train_options *opt, char *err, size_t errlen) {
    run_state s = {0};
    int code = TRAIN_EXIT_ERROR;
    run_options(opt, &s.p.o, &s.form.o);
    snprintf(s.source, sizeof s.source, "files %s, read directly (titanic-train --evaluate-csv)",
             path);
    if (!(s.d = train_data_new(0, 0, (size_t)TRAIN_MAX_ROWS))) {
        errorf(err, errlen, "out of memory");
        goto done;
    }
    if (read_rows(NULL, path, 0, opt, s.d, s.sha, err, errlen) != 0 ||
        estimate(&s, err, errlen) != 0 ||
        /* --out: the chosen model fitted on every labelled row of the files */
        (opt->out_path &&
         (fit_final(opt, &s, err, errlen) != 0 ||
          write_text(opt->out_path, model_to_json_text(s.fresh), err, errlen) != 0)))
        goto done;
    size_t ns;
    train_data_sample(s.d, &ns);
    json_t *nested = nested_json(&s.p.o, &s.p.est, &s.p.choice, s.p.calibrated, ns,
                                 train_data_labelled(s.d), (size_t)opt->cv_max_rows);
    if (nested)
        json_object_set_new(nested, "form",
                            nested_json(&s.form.o, &s.form.est, &s.form.choice, s.form.calibrated,
                                        ns, train_data_labelled(s.d), (size_t)opt->cv_max_rows));
    if (nested && json_dumpf(nested, stdout, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) == 0 &&
        putchar('\n') != EOF)
        code = TRAIN_EXIT_OK;
    else
        errorf(err, errlen, "out of memory writing the estimate");
    json_decref(nested);
done:
    run_state_free(&s);
    return code;
}
