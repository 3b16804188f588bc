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
    if (array_reserve((void **)&l->rows, &l->cap, l->n + 1, sizeof *l->rows, TRAIN_MAX_ROWS) != 0) {
        errorf(l->err, l->errlen, "out of memory scoring passenger %zu", l->n + 1);
        return -1;
    }
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
    if (model_version(m) <= 0) {
        errorf(err, errlen, "only a stored model can score (predictions reference models.version)");
        return -1;
    }
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    score_list l = {.model = m, .err = err, .errlen = errlen};
    /* The fare only when the model's features use it (the store sends it then). */
    const feature_set *set = &model_features(m)->set;
    int fare = feature_set_has(set, FEATURE_FARE) || feature_set_has(set, FEATURE_LOG_FARE);
    long total = passengers_store_copy_training(conn, 1, fare, score_one, &l, err, errlen);
    int ok = total >= 0 && models_store_copy_predictions(conn, model_version(m), l.n, listed_row,
                                                         &l, err, errlen) == 0;
    free(l.rows);
    return db_end(conn, ok, err, errlen) == 0 ? total : -1;
}

/* ---- activation ---- */

/* Stores m as the next version (and activates it) in one transaction, under a lock so two
 * trainers cannot take the same number or both activate; NOTIFY is delivered at COMMIT. */
static int store_model(PGconn *conn, titanic_model *m, report_input *rep, int activate,
                       int expected_active, const char *by, char *err, size_t errlen) {
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    char *document = NULL, *html = NULL, *metrics = NULL;
    int ok = 0;
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
    rep->replaced = activate;
    html = report_html(rep);
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
        (activate && (models_store_activate(c, version, err, errlen) != 0 ||
                      models_store_record_activation(c, version, expected_active, by,
                                                     rep->comparison, "train", err, errlen) != 0)))
        goto done;
    ok = 1;
done:;
    int rc = db_end(conn, ok, err, errlen);
    free(document);
    free(html);
    free(metrics);
    if (rc != 0)
        model_set_version(m, 0);
    return rc;
}

/* text to path, with a newline at the end when it has none (--out, --report). */
static int write_text(const char *path, const char *text, char *err, size_t errlen) {
    FILE *f = fopen(path, "w");
    if (!f) {
        errorf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    int ok = fputs(text, f) >= 0 && ((len && text[len - 1] == '\n') || fputc('\n', f) != EOF);
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        errorf(err, errlen, "writing %s failed", path);
    return ok ? 0 : -1;
}

/* m's document to path (--out). */
static int write_document(const char *path, const titanic_model *m, char *err, size_t errlen) {
    char *text = model_to_json_text(m);
    int rc = text ? write_text(path, text, err, errlen) : -1;
    if (!text)
        errorf(err, errlen, "out of memory writing %s", path);
    free(text);
    return rc;
}

/* --out and --report (DIR/index.html, DIR created when missing) for the model now current. */
static int write_outputs(const train_options *opt, const report_input *rep, char *err,
                         size_t errlen) {
    if (opt->out_path && write_document(opt->out_path, rep->m, err, errlen) != 0)
        return -1;
    if (opt->report_dir) {
        char path[4096];
        if (mkdir(opt->report_dir, 0755) != 0 && errno != EEXIST) {
            errorf(err, errlen, "cannot create report directory %s: %s", opt->report_dir,
                   strerror(errno));
            return -1;
        }
        if ((size_t)snprintf(path, sizeof path, "%s/index.html", opt->report_dir) >= sizeof path) {
            errorf(err, errlen, "report directory path too long");
            return -1;
        }
        char *html = report_html(rep);
        int rc = html ? write_text(path, html, err, errlen) : -1;
        free(html);
        if (rc != 0)
            return -1;
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

/* Every row of the comma-separated CSV files through the one reader, in order. */
static int read_csvs(const char *paths, int (*row)(const passenger *, void *), void *arg, char *err,
                     size_t errlen) {
    char list[4096];
    snprintf(list, sizeof list, "%s", paths);
    for (char *save = NULL, *path = strtok_r(list, ",", &save); path;
         path = strtok_r(NULL, ",", &save))
        if (kaggle_csv_read(path, row, arg, err, errlen) < 0)
            return -1;
    return 0;
}

/* Every row, from the CSV files (paths) or by COPY (conn; all_rows as in
 * passengers_store_copy_training), into d; the labelled rows' fingerprint into sha. */
static int read_rows(PGconn *conn, const char *paths, int all_rows, const train_options *opt,
                     int fare, train_data *d, char sha[65], char *err, size_t errlen) {
    train_data_set_sample(d, (size_t)opt->cv_max_rows, opt->seed);
    load_ctx c = {.d = d, .err = err, .errlen = errlen};
    sha256_init(&c.sha);
    long rc = paths
                  ? read_csvs(paths, load_row, &c, err, errlen)
                  : passengers_store_copy_training(conn, all_rows, fare, load_row, &c, err, errlen);
    sha256_final_hex(&c.sha, sha); /* also frees the digest's context */
    return rc < 0 ? -1 : 0;
}

static int candidates_need_fare(const nested_options *o) {
    for (int i = 0; i < o->ncandidates; i++)
        if (feature_set_has(&o->candidates[i], FEATURE_FARE) ||
            feature_set_has(&o->candidates[i], FEATURE_LOG_FARE))
            return 1;
    return 0;
}

/* The count and the rows in one snapshot, so the reserved arrays fit what COPY sends. */
static train_data *load_from_db(PGconn *conn, const train_options *opt, int fare, char sha[65],
                                int *current, char *err, size_t errlen) {
    long all = 0;
    train_data *d = NULL;
    if (db_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err, errlen))
        return NULL;
    if (passengers_store_count_for_training(conn, opt->include_api_rows, &all, current, err,
                                            errlen) != 0)
        goto rollback;
    if (all > TRAIN_MAX_ROWS) {
        errorf(err, errlen, "%ld passengers; this trainer reads at most %ld", all, TRAIN_MAX_ROWS);
        goto rollback;
    }
    /* Families: about half the passengers are women or boys, each at most one family; the table
     * grows if the data has more. */
    d = train_data_new((size_t)all, (size_t)all / 2, (size_t)all + 1, fare);
    if (!d) {
        errorf(err, errlen, "out of memory for %ld passengers", all);
        goto rollback;
    }
    /* With no row written through the API the ETL's view is the table itself: read the table
     * (its primary key gives the order; the view's union has to be sorted). Same snapshot. */
    int copied = read_rows(conn, NULL, opt->include_api_rows || *current, opt, fare, d, sha, err,
                           errlen) == 0;
    if (db_end(conn, copied, err, errlen) == 0 && train_data_finish(d, err, errlen) == 0)
        return d;
    train_data_free(d);
    return NULL;
rollback:
    db_end(conn, 0, err, errlen);
    train_data_free(d);
    return NULL;
}

/* ---- where the data came from (the report's header) ---- */

/* SHA-256 of Kaggle's published train.csv and test.csv: a run that loaded exactly them is the
 * real passenger list; anything else may be synthetic (titanic-etl --generate) or other data. */
static const char *kaggle_file(const char *sha) {
    if (sha && !strcmp(sha, "4a437fde05fe5264e1701a7387ac6fb75393772ba38bb2c9c566405af5af4bd7"))
        return "Kaggle's train.csv";
    if (sha && !strcmp(sha, "5c78320a80dc159b35c408363be46a5d93f078183d539db75ee42a796d6a4e95"))
        return "Kaggle's test.csv";
    return NULL;
}

/* "ETL runs 1 (train.csv: Kaggle's train.csv, 891 rows), ...; real data" and the like. */
static void data_source(PGconn *conn, int api_rows, char *buf, size_t len) {
    char err[256];
    PGresult *res = db_query(conn,
                             "SELECT run_id, source, input_sha256, rows_read FROM etl_runs "
                             "WHERE status = 'committed' ORDER BY run_id",
                             0, NULL, err, sizeof err);
    size_t used = (size_t)snprintf(buf, len, "ETL runs");
    int real = 0, other = 0, n = res ? PQntuples(res) : 0;
    for (int i = 0; i < n && used < len; i++) {
        const char *kaggle = kaggle_file(PQgetvalue(res, i, 2));
        real += kaggle != NULL;
        other += kaggle == NULL;
        used += (size_t)snprintf(buf + used, len - used, "%s %s (%s: %s, %s rows)", i ? "," : "",
                                 PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                 kaggle ? kaggle : "not a Kaggle file", PQgetvalue(res, i, 3));
    }
    if (used < len)
        snprintf(buf + used, len - used, "%s; %s%s", n ? "" : " (none recorded)",
                 other  ? "synthetic or other data (not only Kaggle's published files)"
                 : real ? "Kaggle's published passenger list"
                        : "source unknown",
                 api_rows ? "; plus rows written through the API" : "");
    PQclear(res);
}

/* ---- the family keys the document keeps ---- */

typedef struct id_family {
    int32_t id;
    size_t family;
} id_family;

static int compare_id(const void *a, const void *b) {
    int32_t x = ((const id_family *)a)->id, y = ((const id_family *)b)->id;
    return x < y ? -1 : x > y;
}

typedef struct key_ctx {
    const train_family *fam;
    id_family *ids;
    size_t n;
    char **keys;
    char *err;
    size_t errlen;
} key_ctx;

static int key_row(const passenger *p, void *arg) {
    key_ctx *c = arg;
    id_family probe = {p->id, 0};
    const id_family *hit = bsearch(&probe, c->ids, c->n, sizeof probe, compare_id);
    if (!hit)
        return 0;
    char key[FEATURES_FAMILY_KEY_MAX + 1];
    size_t len = features_family_key(p, key, sizeof key);
    if (features_key_hash(key, len) != c->fam[hit->family].hash) {
        errorf(c->err, c->errlen,
               "passenger %d changed while the model trained (its family key differs); run again",
               (int)p->id);
        return -1;
    }
    if (!(c->keys[hit->family] = strdup(key))) {
        errorf(c->err, c->errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void free_keys(char **keys, size_t n) {
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
}

/* keys[f] for every kept family, read back through its first member's row: from the database
 * (conn), or by reading the CSV files again (csv_paths). */
static char **family_keys(PGconn *conn, const char *csv_paths, int all_rows, const train_data *d,
                          char *err, size_t errlen) {
    size_t nf;
    const train_family *fam = train_data_families(d, &nf);
    key_ctx c = {.fam = fam, .err = err, .errlen = errlen};
    c.keys = calloc(nf ? nf : 1, sizeof *c.keys);
    c.ids = malloc((nf ? nf : 1) * sizeof *c.ids);
    int32_t *ids = malloc((nf ? nf : 1) * sizeof *ids);
    int ok = c.keys && c.ids && ids;
    for (size_t f = 0; ok && f < nf; f++)
        if (fam[f].kept) {
            ids[c.n] = fam[f].first_id;
            c.ids[c.n++] = (id_family){fam[f].first_id, f};
        }
    if (!ok)
        errorf(err, errlen, "out of memory");
    else
        qsort(c.ids, c.n, sizeof *c.ids, compare_id);
    if (ok && (csv_paths ? read_csvs(csv_paths, key_row, &c, err, errlen)
                         : passengers_store_by_ids(conn, all_rows, ids, c.n, key_row, &c, err,
                                                   errlen)) < 0)
        ok = 0;
    free(ids);
    free(c.ids);
    if (!ok) {
        free_keys(c.keys, nf);
        return NULL;
    }
    return c.keys;
}

/* ---- estimate, choose, fit ---- */

static void train_nested_options(const train_options *opt, nested_options *o) {
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
}

/* The procedure's identity: a model trained on the same rows with the same one is the same. */
static void config_text(const nested_options *o, const nested_options *form, long cv_max_rows,
                        char *buf, size_t len) {
    size_t used = (size_t)snprintf(buf, len, "candidates=");
    for (int i = 0; i < o->ncandidates && used < len; i++) {
        char g[256];
        feature_set_format(&o->candidates[i], g, sizeof g);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "|" : "", g);
    }
    for (int i = 0; i < form->ncandidates && used < len; i++) {
        char g[256];
        feature_set_format(&form->candidates[i], g, sizeof g);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "|" : ";form=", g);
    }
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
    char **keys;
    int current; /* the rows read are every passenger as stored now (scoring may use them) */
} run_state;

static void run_state_free(run_state *s) {
    size_t nf = 0;
    if (s->d)
        train_data_families(s->d, &nf);
    free_keys(s->keys, nf);
    train_data_free(s->d);
    nested_result_free(&s->p.est);
    nested_result_free(&s->form.est);
    free(s->y);
    free(s->female);
    model_free(s->fresh);
    model_free(s->active);
}

/* The named and the form model's procedures for opt. */
static void run_options(const train_options *opt, run_state *s) {
    train_nested_options(opt, &s->p.o);
    nested_form_options(&s->p.o, &s->form.o);
}

/* Fares are kept (8 bytes a passenger) only when a candidate of either model reads them. */
static int need_fare(const run_state *s) {
    return candidates_need_fare(&s->p.o) || candidates_need_fare(&s->form.o);
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
    s->y = malloc((ns ? ns : 1) * sizeof *s->y);
    s->female = malloc((ns ? ns : 1) * sizeof *s->female);
    if (!s->y || !s->female) {
        errorf(err, errlen, "out of memory");
        return -1;
    }
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
                         &param, s->keys, s->sha, named ? s->varies : NULL, err, errlen);
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

/* The final model: the named choice fitted on every row, carrying the form model; the family keys
 * it keeps read back from where the rows came from (family_keys). */
static int fit_final(PGconn *conn, const char *paths, int all_rows, const train_options *opt,
                     run_state *s, char *err, size_t errlen) {
    titanic_model *form = NULL;
    if (feature_set_has(&s->p.o.candidates[s->p.choice.candidate], FEATURE_WC_GROUP) &&
        !(s->keys = family_keys(conn, paths, all_rows, s->d, err, errlen)))
        return -1;
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
    if (nested_cv_run(s->d, &o, &r, NULL, why, sizeof why) != 0) {
        errorf(err, errlen,
               "cross-validating the active model's configuration (version %d) on the "
               "current data failed: %s; use --force to replace it",
               model_version(s->active), why);
        return -1;
    }
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
    if (store_model(conn, s->fresh, &s->rep, activate, expected, opt->by, err, errlen) != 0)
        return -1;
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
typedef struct fresh_scorer {
    const train_data *d;
    const titanic_model *m;
} fresh_scorer;

static void fresh_row(void *arg, size_t i, int32_t *id, double *probability, int *label) {
    const fresh_scorer *f = arg;
    group_evidence ev = {0, 0};
    double row[FEATURES_MAX_COLUMNS];
    /* As model_predict: a passenger without a known title is answered by the form model. */
    const titanic_model *form = model_form(f->m);
    const titanic_model *a = form && train_data_row(f->d, i)->title < 0 ? form : f->m;
    if (a == f->m)
        train_data_evidence(f->d, i, 1, &ev);
    train_data_design(f->d, model_features(a), i, &ev, row);
    *id = train_data_id(f->d, i);
    *probability = model_predict_row(a, row);
    *label = *probability >= model_threshold(f->m);
}

static long score_fresh(PGconn *conn, const run_state *s, char *err, size_t errlen) {
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    fresh_scorer f = {s->d, s->fresh};
    int ok = models_store_copy_predictions(conn, model_version(s->fresh), train_data_rows(s->d),
                                           fresh_row, &f, err, errlen) == 0;
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
        if (!current) {
            errorf(err, errlen, "scoring: %s", why);
            return -1;
        }
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
    run_options(opt, &s);
    struct timespec start = clock_now();
    if (!(s.d = load_from_db(conn, opt, need_fare(&s), s.sha, &s.current, err, errlen)))
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
    if (fit_final(conn, NULL, opt->include_api_rows || s.current, opt, &s, err, errlen) != 0)
        goto done;
    out->new_log_loss = s.p.est.outer.log_loss.mean;
    s.active = models_store_load_active(store_on(conn), why, sizeof why);
    data_source(conn, opt->include_api_rows, s.source, sizeof s.source);
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

/* "yes", or why this build cannot serve the document. */
static void servable(const char *document, char *why, size_t len) {
    titanic_model *m = model_from_json(document, strlen(document), why, len);
    if (m)
        snprintf(why, len, "yes");
    model_free(m);
}

static void estimate_text(const char *document, char *buf, size_t len) {
    json_t *doc = json_loads(document, 0, NULL);
    json_t *metrics = json_object_get(doc, "metrics");
    json_t *nested = json_object_get(json_object_get(metrics, "nested"), "outer");
    json_t *cv = nested ? nested : json_object_get(metrics, "cv");
    json_t *acc = json_object_get(cv, "accuracy");
    if (acc)
        snprintf(buf, len, "%.3f +- %.3f %s", json_number_value(json_object_get(acc, "mean")),
                 json_number_value(json_object_get(acc, "sd")), nested ? "nested" : "plain CV");
    else
        snprintf(buf, len, "-");
    json_decref(doc);
}

int train_list(PGconn *conn, FILE *out, char *err, size_t errlen) {
    model_ops_row *rows = NULL;
    int n = 0;
    if (models_store_list_ops(store_on(conn), &rows, &n, err, errlen) != 0)
        return TRAIN_EXIT_ERROR;
    fprintf(out, "%-7s %-6s %-19s %9s  %-26s %-10s %s\n", "version", "active", "created", "rows",
            "accuracy estimate", "servable", "last activation");
    for (int i = 0; i < n; i++) {
        char why[512], est[64];
        servable(rows[i].document, why, sizeof why);
        estimate_text(rows[i].document, est, sizeof est);
        fprintf(out, "%-7d %-6s %-19.19s %9ld  %-26s %-10s ", rows[i].version,
                rows[i].active ? "*" : "", rows[i].created, rows[i].training_rows, est,
                strcmp(why, "yes") ? "NO" : "yes");
        if (rows[i].last_reason)
            fprintf(out, "%.19s by %s: %s", rows[i].last_at, rows[i].last_by, rows[i].last_reason);
        else
            fprintf(out, "-");
        if (strcmp(why, "yes"))
            fprintf(out, " [cannot be served: %s]", why);
        fputc('\n', out);
    }
    models_store_free_ops(rows, n);
    return TRAIN_EXIT_OK;
}

/* Inside the caller's transaction: the checks and the switch. */
static int activate_locked(store_conn c, int version, const char *by, const char *reason, char *err,
                           size_t errlen) {
    int next, active;
    char *document = NULL, why[512];
    int is_active = 0;
    if (models_store_lock_next(c, &next, &active, err, errlen) != 0)
        return -1;
    int found = models_store_document(c, version, &document, &is_active, err, errlen);
    if (found != 0) {
        if (found == 1)
            errorf(err, errlen,
                   "no model version %d is stored (titanic-train --list shows the versions)",
                   version);
        return -1;
    }
    titanic_model *m = model_from_json(document, strlen(document), why, sizeof why);
    free(document);
    if (!m) {
        errorf(err, errlen,
               "refused: model version %d cannot be served by this build (titanic-api would "
               "not load it): %s",
               version, why);
        return -1;
    }
    model_free(m);
    if (is_active) {
        errorf(err, errlen, "model version %d is already the active one; nothing changed", version);
        return 1;
    }
    return models_store_activate(c, version, err, errlen) != 0 ||
                   models_store_record_activation(c, version, active, by, reason, "activate", err,
                                                  errlen) != 0
               ? -1
               : 0;
}

int train_activate(PGconn *conn, int version, const char *by, const char *reason, char *err,
                   size_t errlen) {
    char why[512];
    if (migrate_check(conn, embedded_migrations, embedded_migration_count, why, sizeof why) != 0) {
        errorf(err, errlen, "database schema: %s", why);
        return TRAIN_EXIT_ERROR;
    }
    if (db_begin(conn, err, errlen) != 0)
        return TRAIN_EXIT_ERROR;
    int rc = activate_locked(store_on(conn), version, by, reason, err, errlen);
    if (db_end(conn, rc == 0, err, errlen) == 0) {
        log_event(LOG_INFO, "model activated", "{s:i, s:s, s:s}", "version", version, "by", by,
                  "reason", reason);
        return TRAIN_EXIT_OK;
    }
    return rc == 1 ? TRAIN_EXIT_OK : TRAIN_EXIT_ERROR;
}

/* ---- without a database ---- */

static train_data *load_csvs(const char *paths, const train_options *opt, int fare, char sha[65],
                             char *err, size_t errlen) {
    train_data *d = train_data_new(0, 0, (size_t)TRAIN_MAX_ROWS, fare);
    if (!d) {
        errorf(err, errlen, "out of memory");
        return NULL;
    }
    if (read_rows(NULL, paths, 0, opt, fare, d, sha, err, errlen) == 0 &&
        train_data_finish(d, err, errlen) == 0)
        return d;
    train_data_free(d);
    return NULL;
}

int train_evaluate_csv(const char *path, const train_options *opt, char *err, size_t errlen) {
    run_state s = {0};
    int code = TRAIN_EXIT_ERROR;
    run_options(opt, &s);
    snprintf(s.source, sizeof s.source, "files %s, read directly (titanic-train --evaluate-csv)",
             path);
    if (!(s.d = load_csvs(path, opt, need_fare(&s), s.sha, err, errlen)) ||
        estimate(&s, err, errlen) != 0 ||
        /* --out: the chosen model fitted on every labelled row of the files */
        (opt->out_path && (fit_final(NULL, path, 0, opt, &s, err, errlen) != 0 ||
                           write_document(opt->out_path, s.fresh, err, errlen) != 0)))
        goto done;
    size_t ns;
    train_data_sample(s.d, &ns);
    json_t *nested = nested_json(&s.p.o, &s.p.est, &s.p.choice, s.p.calibrated, ns,
                                 train_data_labelled(s.d), (size_t)opt->cv_max_rows);
    if (nested)
        json_object_set_new(nested, "form",
                            nested_json(&s.form.o, &s.form.est, &s.form.choice, s.form.calibrated,
                                        ns, train_data_labelled(s.d), (size_t)opt->cv_max_rows));
    char *text = nested ? json_dumps(nested, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(nested);
    if (!text) {
        errorf(err, errlen, "out of memory");
        goto done;
    }
    printf("%s\n", text);
    free(text);
    code = TRAIN_EXIT_OK;
done:
    run_state_free(&s);
    return code;
}
