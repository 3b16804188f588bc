/* The model document: assembling a titanic_model from a fit, writing and reading its JSON,
 * prediction, explanation and summary. See model.h and docs/model.md. */
#include "model.h"

#include "errors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Largest document we parse: the default model's is well under a megabyte (mostly woman-child
 * groups); a document many times that is not one we wrote. */
#define MODEL_DOCUMENT_MAX (64u * 1024u * 1024u)

struct titanic_model {
    int version;
    char created[32];
    feature_state st;
    logit_parameter param;
    logit_result fit;
    size_t ncols;
    const char *names[FEATURES_MAX_COLUMNS];
    double threshold;
    size_t training_rows;
    char training_sha256[65];
    int has_cv;
    cv_result cv;            /* oof is kept only in the training process, never in the document */
    double train_metrics[4]; /* accuracy, auc, log_loss, brier on the training rows */
    double temperature;      /* calibration: P = logistic(temperature * eta); 1 = none */
    json_t *nested;          /* metrics.nested, kept as stored so /model shows it unchanged */
    titanic_model *form;     /* the model for requests without a name (an app's form), or NULL */
};

void model_free(titanic_model *m) {
    if (!m)
        return;
    feature_state_free(&m->st);
    logit_result_free(&m->fit);
    cv_result_free(&m->cv);
    json_decref(m->nested);
    model_free(m->form);
    free(m);
}

void model_set_temperature(titanic_model *m, double t) {
    m->temperature = t;
}

void model_set_nested(titanic_model *m, json_t *nested) {
    json_decref(m->nested);
    m->nested = nested;
}

json_t *model_nested(const titanic_model *m) {
    return m->nested;
}

int model_version(const titanic_model *m) {
    return m->version;
}

double model_threshold(const titanic_model *m) {
    return m->threshold;
}

void model_set_version(titanic_model *m, int version) {
    m->version = version;
}

const feature_state *model_features(const titanic_model *m) {
    return &m->st;
}

const logit_result *model_fit(const titanic_model *m) {
    return &m->fit;
}

const logit_parameter *model_parameter(const titanic_model *m) {
    return &m->param;
}

const char *model_column_name(const titanic_model *m, size_t j) {
    return j < m->ncols ? m->names[j] : NULL;
}

const char *model_training_sha256(const titanic_model *m) {
    return m->training_sha256;
}

size_t model_training_rows(const titanic_model *m) {
    return m->training_rows;
}

const char *model_created(const titanic_model *m) {
    return m->created;
}

const cv_result *model_cv(const titanic_model *m) {
    return m->has_cv ? &m->cv : NULL;
}

double model_predict_row(const titanic_model *m, const double *row) {
    return logit_probability(m->temperature * logit_linear(m->fit.beta, row, m->ncols));
}

void model_set_form(titanic_model *m, titanic_model *form) {
    model_free(m->form);
    m->form = form;
}

const titanic_model *model_form(const titanic_model *m) {
    return m->form;
}

/* m's form model for a passenger without a known title, when m carries one, else m. */
static const titanic_model *model_answering(const titanic_model *m, const passenger *p) {
    return m->form && passenger_title(p->name) < 0 ? m->form : m;
}

const char *model_path(const titanic_model *m, const passenger *p) {
    return model_answering(m, p) == m->form ? "form" : "named";
}

/* The request fields, in the order of their READS_ bits (passenger_features.h). */
static const char *const input_names[] = {"pclass", "sex",      "age",  "sibsp",  "parch",
                                          "fare",   "embarked", "name", "ticket", "cabin"};

static unsigned model_reads(const titanic_model *m) {
    unsigned bits = 0;
    for (int i = 0; i < m->st.set.count; i++)
        bits |= feature_group_reads(m->st.set.groups[i]);
    return bits;
}

static json_t *input_list(unsigned bits) {
    json_t *out = json_array();
    for (size_t i = 0; i < sizeof input_names / sizeof *input_names; i++)
        if (bits & (1u << i))
            json_array_append_new(out, json_string(input_names[i]));
    return out;
}

json_t *model_inputs(const titanic_model *m) {
    /* /predict refuses a passenger without class or sex; everything else may be left out. */
    unsigned required = READS_PCLASS | READS_SEX;
    unsigned used = model_reads(m) | (m->form ? model_reads(m->form) : 0);
    json_t *out = json_pack("{s:o, s:o, s:o}", "required", input_list(required), "optional",
                            input_list(used & ~required), "named", input_list(model_reads(m)));
    if (m->form)
        json_object_set_new(out, "form", input_list(model_reads(m->form)));
    json_object_set_new(out, "path_rule",
                        json_string(m->form ? "named when the name has a known title (Mr, Mrs, "
                                              "Miss, Master, ...), else form"
                                            : "named (this version has no form model)"));
    return out;
}

json_t *model_imputed(const titanic_model *m, const passenger *p) {
    const titanic_model *a = model_answering(m, p);
    unsigned reads = model_reads(a);
    json_t *out = json_array();
    if ((reads & READS_NAME) && passenger_title(p->name) < 0)
        json_array_append_new(out, json_string("title"));
    if ((reads & READS_AGE) && isnan(p->age))
        json_array_append_new(out, json_string("age"));
    if ((reads & READS_FARE) && isnan(p->fare))
        json_array_append_new(out, json_string("fare"));
    if ((reads & READS_EMBARKED) && !p->embarked)
        json_array_append_new(out, json_string("embarked"));
    return out;
}

double model_predict(const titanic_model *m, const passenger *p) {
    m = model_answering(m, p);
    double row[FEATURES_MAX_COLUMNS];
    features_row(&m->st, p, row);
    return model_predict_row(m, row);
}

json_t *model_explain(const titanic_model *m, const passenger *p) {
    m = model_answering(m, p);
    double row[FEATURES_MAX_COLUMNS];
    features_row(&m->st, p, row);
    json_t *out = json_object();
    if (!out)
        return NULL;
    for (size_t j = 0; j < m->ncols; j++) {
        /* + 0.0 turns the -0.0 of a negative coefficient times an absent feature into 0.0. */
        double contribution = m->temperature * m->fit.beta[j] * row[j] + 0.0;
        if (json_object_set_new(out, m->names[j], json_real(contribution)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

titanic_model *model_assemble(const feature_state *state, const logit_parameter *param,
                              const logit_result *fit, size_t training_rows,
                              const char *training_sha256, const double train_metrics[4]) {
    titanic_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->ncols = features_columns(&state->set, m->names);
    m->threshold = MODEL_DEFAULT_THRESHOLD;
    m->temperature = 1.0;
    m->st = *state;
    m->fit = *fit;
    m->param = *param;
    m->training_rows = training_rows;
    snprintf(m->training_sha256, sizeof m->training_sha256, "%s", training_sha256);
    memcpy(m->train_metrics, train_metrics, sizeof m->train_metrics);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(m->created, sizeof m->created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return m;
}

void model_set_cv(titanic_model *m, const cv_result *cv) {
    cv_result_free(&m->cv);
    m->cv = *cv;
    m->cv.oof = NULL;
    m->has_cv = 1;
}

/* ---- writing the document ---- */

/* A JSON number, or null for a figure that does not exist (the AUC of a one-class fold). */
static json_t *number(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *spread_json(const metric_spread *s) {
    return json_pack("{s:o, s:o, s:o, s:o}", "mean", number(s->mean), "sd", number(s->sd), "min",
                     number(s->min), "max", number(s->max));
}

/* The keys of train_metrics in metrics.train. */
static const char *const train_metric_keys[4] = {"accuracy", "auc", "log_loss", "brier"};

json_t *model_metrics_json(const titanic_model *m) {
    json_t *out = json_object(), *train = json_object();
    for (int k = 0; k < 4; k++)
        json_object_set_new(train, train_metric_keys[k], number(m->train_metrics[k]));
    json_object_set_new(out, "train", train);
    if (m->has_cv) {
        json_object_set_new(
            out, "cv",
            json_pack("{s:i, s:i, s:I, s:I, s:o, s:o, s:o, s:o}", "folds", m->cv.folds, "repeats",
                      m->cv.repeats, "seed", (json_int_t)m->cv.seed, "rows", (json_int_t)m->cv.n,
                      "accuracy", spread_json(&m->cv.accuracy), "auc", spread_json(&m->cv.auc),
                      "log_loss", spread_json(&m->cv.log_loss), "brier",
                      spread_json(&m->cv.brier)));
    }
    /* A copy, not a shared reference: the caller may still be writing this out on its own
     * thread after the model is released and freed by a reload on another (the API's /model;
     * jansson's reference counts are not something TSan, or a reader, can rely on here). */
    if (m->nested)
        json_object_set_new(out, "nested", json_deep_copy(m->nested));
    return out;
}

static json_t *imputation_json(const feature_state *st) {
    json_t *by_title = json_object();
    for (int t = 0; t < TITLE_COUNT; t++)
        json_object_set_new(by_title, title_name(t), json_real(st->age_by_title[t]));
    char port[2] = {st->embarked_mode, '\0'};
    return json_pack(
        "{s:o, s:f, s:{s:s, s:s}, s:{s:f, s:f, s:f}, s:s}", "age_by_title", by_title, "age_median",
        st->age_median, "title_for_sex", "male", title_name(st->title_for_sex[SEX_MALE]), "female",
        title_name(st->title_for_sex[SEX_FEMALE]), "fare_by_pclass", "1", st->fare_by_pclass[0],
        "2", st->fare_by_pclass[1], "3", st->fare_by_pclass[2], "embarked_mode", port);
}

/* whole: the document keeps the woman-child table; the summary (GET /model) only its size. */
static json_t *features_json(const titanic_model *m, int whole) {
    json_t *groups = json_array();
    for (int i = 0; i < m->st.set.count; i++)
        json_array_append_new(
            groups, json_pack("{s:s, s:s}", "name", feature_group_name(m->st.set.groups[i]),
                              "definition", feature_group_definition(m->st.set.groups[i])));
    json_t *columns = json_array();
    for (size_t j = 0; j < m->ncols; j++)
        json_array_append_new(columns, json_string(m->names[j]));
    json_t *titles = json_array();
    for (int t = 0; t < TITLE_COUNT; t++)
        json_array_append_new(titles, json_string(title_name(t)));
    json_t *out = json_pack("{s:o, s:o, s:o, s:{s:o, s:[i,i,i], s:[s,s,s], s:[s,s,s]}}", "groups",
                            groups, "columns", columns, "imputation", imputation_json(&m->st),
                            "levels", "title", titles, "pclass", 1, 2, 3, "embarked", "C", "Q", "S",
                            "sex", "male", "female", "other");
    if (feature_set_has(&m->st.set, FEATURE_WC_GROUP)) {
        if (whole) {
            json_t *groups = json_array();
            for (size_t i = 0; i < m->st.wc_count; i++) {
                const wc_group_count *g = &m->st.wc_groups[i];
                json_array_append_new(
                    groups, json_pack("[s, i, i]", g->key, (int)g->labelled, (int)g->survivors));
            }
            json_object_set_new(out, "wc_groups", groups);
        } else {
            json_object_set_new(out, "wc_group_count", json_integer((json_int_t)m->st.wc_count));
        }
    }
    return out;
}

static json_t *calibration_json(const titanic_model *m) {
    if (m->temperature == 1.0)
        return json_pack("{s:s}", "method", "none");
    return json_pack("{s:s, s:f}", "method", "temperature", "temperature", m->temperature);
}

static json_t *coefficients_json(const titanic_model *m) {
    json_t *out = json_array();
    for (size_t j = 0; j < m->ncols; j++)
        json_array_append_new(out, json_pack("{s:s, s:f, s:f, s:f, s:f}", "name", m->names[j],
                                             "estimate", m->fit.beta[j], "std_error", m->fit.se[j],
                                             "z", m->fit.z[j], "p_value", m->fit.pvalue[j]));
    return out;
}

static json_t *fit_json(const titanic_model *m) {
    return json_pack("{s:s, s:f, s:f, s:i, s:i, s:I, s:f, s:f, s:f, s:f, s:f}", "method",
                     "newton-irls", "l2", m->param.l2, "tol", m->param.tol, "max_iter",
                     m->param.max_iter, "iterations", m->fit.iterations, "rows",
                     (json_int_t)m->training_rows, "log_likelihood", m->fit.loglik,
                     "null_log_likelihood", m->fit.null_loglik, "deviance", m->fit.deviance,
                     "null_deviance", m->fit.null_deviance, "aic", m->fit.aic);
}

static json_t *document_json(const titanic_model *m, int whole) {
    json_t *doc =
        json_pack("{s:s, s:i, s:i, s:s, s:o, s:o, s:f, s:o, s:o, s:o, s:{s:I, s:s}}", "format",
                  MODEL_FORMAT, "format_version", MODEL_FORMAT_VERSION, "version", m->version,
                  "created", m->created, "features", features_json(m, whole), "coefficients",
                  coefficients_json(m), "threshold", m->threshold, "calibration",
                  calibration_json(m), "fit", fit_json(m), "metrics", model_metrics_json(m),
                  "training", "rows", (json_int_t)m->training_rows, "sha256", m->training_sha256);
    if (doc && m->form)
        json_object_set_new(doc, "form", document_json(m->form, whole));
    return doc;
}

char *model_to_json_text(const titanic_model *m) {
    json_t *doc = document_json(m, 1);
    if (!doc)
        return NULL;
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(17) | JSON_ENSURE_ASCII);
    json_decref(doc);
    return text;
}

/* 95% Wald intervals beside each coefficient, so a client need not know the normal quantile. */
static void add_intervals(const titanic_model *m, json_t *doc) {
    json_t *coefs = json_object_get(doc, "coefficients");
    for (size_t j = 0; j < json_array_size(coefs); j++) {
        json_t *c = json_array_get(coefs, j);
        json_object_set_new(c, "ci95_low",
                            json_real(m->fit.beta[j] - 1.959963984540054 * m->fit.se[j]));
        json_object_set_new(c, "ci95_high",
                            json_real(m->fit.beta[j] + 1.959963984540054 * m->fit.se[j]));
    }
}

json_t *model_summary(const titanic_model *m) {
    json_t *doc = document_json(m, 0);
    if (!doc)
        return NULL;
    add_intervals(m, doc);
    if (m->form)
        add_intervals(m->form, json_object_get(doc, "form"));
    json_object_set_new(doc, "inputs", model_inputs(m));
    return doc;
}

/* ---- reading the document ---- */

/* A finite number at key in obj, or -1 with err naming where. */
static int get_number(json_t *obj, const char *key, const char *where, double *out, char *err,
                      size_t errlen) {
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return errorf(err, errlen, "model document: %s.%s must be a finite number", where, key);
    *out = json_number_value(v);
    return 0;
}

static int title_from_name(const char *s) {
    for (int t = 0; t < TITLE_COUNT; t++)
        if (s && strcmp(s, title_name(t)) == 0)
            return t;
    return -1;
}

static int read_groups(titanic_model *m, json_t *features, char *err, size_t errlen) {
    json_t *groups = json_object_get(features, "groups");
    if (!json_is_array(groups) || json_array_size(groups) > FEATURE_GROUP_COUNT)
        return errorf(err, errlen,
                      "model document: features.groups must be an array of at most %d groups",
                      FEATURE_GROUP_COUNT);
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(groups); i++) {
        const char *name = json_string_value(json_object_get(json_array_get(groups, i), "name"));
        if (!name || strlen(name) > 32)
            return errorf(err, errlen,
                          "model document: features.groups[%zu].name must be a short string", i);
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? "," : "", name);
    }
    feature_set set;
    char why[400];
    if (used == 0)
        set.count = 0;
    else if (feature_set_parse(list, &set, why, sizeof why) != 0)
        return errorf(err, errlen, "model document incompatible with this build: %s", why);
    m->st.set = set;
    m->ncols = features_columns(&set, m->names);
    json_t *columns = json_object_get(features, "columns");
    if (!json_is_array(columns) || json_array_size(columns) != m->ncols)
        return errorf(err, errlen,
                      "model document: features.columns must list the %zu columns of groups %s",
                      m->ncols, list);
    for (size_t j = 0; j < m->ncols; j++) {
        const char *c = json_string_value(json_array_get(columns, j));
        if (!c || strcmp(c, m->names[j]) != 0)
            return errorf(err, errlen,
                          "model document incompatible: column %zu is \"%s\", this build "
                          "expects \"%s\"",
                          j, c ? c : "(not a string)", m->names[j]);
    }
    return 0;
}

static int read_imputation(titanic_model *m, json_t *features, char *err, size_t errlen) {
    json_t *imp = json_object_get(features, "imputation");
    json_t *by_title = json_object_get(imp, "age_by_title");
    json_t *fares = json_object_get(imp, "fare_by_pclass");
    json_t *tsex = json_object_get(imp, "title_for_sex");
    if (!json_is_object(imp) || !json_is_object(by_title) || !json_is_object(fares) ||
        !json_is_object(tsex))
        return errorf(err, errlen,
                      "model document: features.imputation must hold age_by_title, "
                      "fare_by_pclass and title_for_sex objects");
    for (int t = 0; t < TITLE_COUNT; t++)
        if (get_number(by_title, title_name(t), "features.imputation.age_by_title",
                       &m->st.age_by_title[t], err, errlen) != 0)
            return -1;
    const char *cls[3] = {"1", "2", "3"};
    for (int c = 0; c < 3; c++)
        if (get_number(fares, cls[c], "features.imputation.fare_by_pclass",
                       &m->st.fare_by_pclass[c], err, errlen) != 0)
            return -1;
    if (get_number(imp, "age_median", "features.imputation", &m->st.age_median, err, errlen) != 0)
        return -1;
    int tm = title_from_name(json_string_value(json_object_get(tsex, "male")));
    int tf = title_from_name(json_string_value(json_object_get(tsex, "female")));
    if (tm < 0 || tf < 0)
        return errorf(err, errlen,
                      "model document: features.imputation.title_for_sex must name a title "
                      "(Mr, Mrs, Miss, Master, Rare) for male and female");
    m->st.title_for_sex[SEX_MALE] = tm;
    m->st.title_for_sex[SEX_FEMALE] = tf;
    const char *port = json_string_value(json_object_get(imp, "embarked_mode"));
    if (!port || strlen(port) != 1 || !strchr("CQS", port[0]))
        return errorf(err, errlen,
                      "model document: features.imputation.embarked_mode must be C, Q or S");
    m->st.embarked_mode = port[0];
    return 0;
}

/* One [key, labelled >= 1, 0 <= survivors <= labelled] entry of features.wc_groups. */
static int read_wc_entry(json_t *e, size_t i, wc_group_count *g, char *err, size_t errlen) {
    const char *k = json_string_value(json_array_get(e, 0));
    json_t *nl = json_array_get(e, 1), *ns = json_array_get(e, 2);
    if (!k || !*k || strlen(k) > FEATURES_FAMILY_KEY_MAX || !json_is_integer(nl) ||
        !json_is_integer(ns) || json_integer_value(nl) < 1 || json_integer_value(nl) > 2147483647 ||
        json_integer_value(ns) < 0 || json_integer_value(ns) > json_integer_value(nl))
        return errorf(
            err, errlen,
            "model document: features.wc_groups[%zu] must be [family key, labelled >= 1, 0 <= "
            "survivors <= labelled]",
            i);
    if (!(g->key = strdup(k)))
        return errorf(err, errlen, "out of memory");
    g->labelled = (int32_t)json_integer_value(nl);
    g->survivors = (int32_t)json_integer_value(ns);
    g->hash = features_key_hash(k, strlen(k));
    return 0;
}

static int read_wc_groups(titanic_model *m, json_t *features, char *err, size_t errlen) {
    json_t *groups = json_object_get(features, "wc_groups");
    if (!groups)
        return 0;
    size_t n = json_array_size(groups);
    if (!json_is_array(groups) || n > FEATURES_WC_GROUPS_MAX)
        return errorf(err, errlen,
                      "model document: features.wc_groups must be an array of at most %d",
                      FEATURES_WC_GROUPS_MAX);
    if (!(m->st.wc_groups = calloc(n ? n : 1, sizeof *m->st.wc_groups)))
        return errorf(err, errlen, "out of memory");
    for (size_t i = 0; i < n; i++, m->st.wc_count++)
        if (read_wc_entry(json_array_get(groups, i), i, &m->st.wc_groups[i], err, errlen) != 0)
            return -1;
    qsort(m->st.wc_groups, n, sizeof *m->st.wc_groups, features_compare_wc);
    for (size_t i = 1; i < n; i++) {
        if (m->st.wc_groups[i - 1].hash == m->st.wc_groups[i].hash)
            return errorf(err, errlen,
                          "model document: features.wc_groups has two entries for \"%s\"",
                          m->st.wc_groups[i].key);
    }
    return 0;
}

/* calibration: absent or "none", or a temperature in (0, 100]. */
static int read_calibration(titanic_model *m, json_t *doc, char *err, size_t errlen) {
    m->temperature = 1.0;
    json_t *cal = json_object_get(doc, "calibration");
    const char *method = json_string_value(json_object_get(cal, "method"));
    if (!cal || (method && strcmp(method, "none") == 0))
        return 0;
    double t = NAN;
    if (!method || strcmp(method, "temperature") != 0)
        return errorf(err, errlen,
                      "model document: calibration.method must be \"none\" or \"temperature\"");
    if (get_number(cal, "temperature", "calibration", &t, err, errlen) != 0)
        return -1;
    if (!(t > 0.0 && t <= 100.0))
        return errorf(err, errlen, "model document: calibration.temperature must lie in (0, 100]");
    m->temperature = t;
    return 0;
}

static int read_coefficients(titanic_model *m, json_t *doc, char *err, size_t errlen) {
    json_t *coefs = json_object_get(doc, "coefficients");
    if (!json_is_array(coefs) || json_array_size(coefs) != m->ncols)
        return errorf(err, errlen,
                      "model document: coefficients must be an array of %zu entries, one per "
                      "column",
                      m->ncols);
    m->fit.p = m->ncols;
    m->fit.beta = calloc(m->ncols, sizeof(double));
    m->fit.se = calloc(m->ncols, sizeof(double));
    m->fit.z = calloc(m->ncols, sizeof(double));
    m->fit.pvalue = calloc(m->ncols, sizeof(double));
    if (!m->fit.beta || !m->fit.se || !m->fit.z || !m->fit.pvalue)
        return errorf(err, errlen, "out of memory");
    for (size_t j = 0; j < m->ncols; j++) {
        json_t *c = json_array_get(coefs, j);
        const char *name = json_string_value(json_object_get(c, "name"));
        if (!name || strcmp(name, m->names[j]) != 0)
            return errorf(err, errlen, "model document: coefficients[%zu] must be named \"%s\"", j,
                          m->names[j]);
        if (get_number(c, "estimate", name, &m->fit.beta[j], err, errlen) ||
            get_number(c, "std_error", name, &m->fit.se[j], err, errlen) ||
            get_number(c, "z", name, &m->fit.z[j], err, errlen) ||
            get_number(c, "p_value", name, &m->fit.pvalue[j], err, errlen))
            return -1;
    }
    return 0;
}

static void read_spread(json_t *obj, const char *key, metric_spread *s) {
    json_t *v = json_object_get(obj, key);
    s->mean = json_number_value(json_object_get(v, "mean"));
    s->sd = json_number_value(json_object_get(v, "sd"));
    s->min = json_number_value(json_object_get(v, "min"));
    s->max = json_number_value(json_object_get(v, "max"));
}

/* Fit statistics and metrics are descriptive: read what is there, do not refuse a model over them.
 */
static void read_descriptive(titanic_model *m, json_t *doc) {
    json_t *fit = json_object_get(doc, "fit");
    m->param.l2 = json_number_value(json_object_get(fit, "l2"));
    m->param.tol = json_number_value(json_object_get(fit, "tol"));
    m->param.max_iter = (int)json_integer_value(json_object_get(fit, "max_iter"));
    m->param.intercept = 0;
    m->fit.iterations = (int)json_integer_value(json_object_get(fit, "iterations"));
    m->fit.loglik = json_number_value(json_object_get(fit, "log_likelihood"));
    m->fit.null_loglik = json_number_value(json_object_get(fit, "null_log_likelihood"));
    m->fit.deviance = json_number_value(json_object_get(fit, "deviance"));
    m->fit.null_deviance = json_number_value(json_object_get(fit, "null_deviance"));
    m->fit.aic = json_number_value(json_object_get(fit, "aic"));
    json_t *metrics = json_object_get(doc, "metrics");
    json_t *train = json_object_get(metrics, "train");
    for (int k = 0; k < 4; k++)
        m->train_metrics[k] = json_number_value(json_object_get(train, train_metric_keys[k]));
    json_t *nested = json_object_get(metrics, "nested");
    if (json_is_object(nested))
        m->nested = json_incref(nested);
    json_t *cv = json_object_get(metrics, "cv");
    if (json_is_object(cv)) {
        m->has_cv = 1;
        m->cv.folds = (int)json_integer_value(json_object_get(cv, "folds"));
        m->cv.repeats = (int)json_integer_value(json_object_get(cv, "repeats"));
        m->cv.seed = (unsigned long)json_integer_value(json_object_get(cv, "seed"));
        m->cv.n = (size_t)json_integer_value(json_object_get(cv, "rows"));
        read_spread(cv, "accuracy", &m->cv.accuracy);
        read_spread(cv, "auc", &m->cv.auc);
        read_spread(cv, "log_loss", &m->cv.log_loss);
        read_spread(cv, "brier", &m->cv.brier);
    }
}

static int read_header(titanic_model *m, json_t *doc, char *err, size_t errlen) {
    const char *format = json_string_value(json_object_get(doc, "format"));
    if (!format || strcmp(format, MODEL_FORMAT) != 0)
        return errorf(err, errlen, "not a model document: format is \"%s\", expected \"%s\"",
                      format ? format : "(missing)", MODEL_FORMAT);
    json_t *fv = json_object_get(doc, "format_version");
    if (json_is_integer(fv) && json_integer_value(fv) < MODEL_FORMAT_VERSION_MIN)
        return errorf(
            err, errlen,
            "model document format_version %lld is no longer read by this build (reads %d to "
            "%d): " MODEL_RETRAIN,
            (long long)json_integer_value(fv), MODEL_FORMAT_VERSION_MIN, MODEL_FORMAT_VERSION);
    if (!json_is_integer(fv) || json_integer_value(fv) > MODEL_FORMAT_VERSION)
        return errorf(err, errlen,
                      "model document format_version %lld is not supported by this build "
                      "(reads %d to %d)",
                      json_is_integer(fv) ? (long long)json_integer_value(fv) : -1LL,
                      MODEL_FORMAT_VERSION_MIN, MODEL_FORMAT_VERSION);
    json_t *v = json_object_get(doc, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 2147483647)
        return errorf(err, errlen, "model document: version must be an integer >= 0");
    m->version = (int)json_integer_value(v);
    const char *created = json_string_value(json_object_get(doc, "created"));
    snprintf(m->created, sizeof m->created, "%s", created ? created : "");
    double threshold = NAN;
    if (get_number(doc, "threshold", "document", &threshold, err, errlen) != 0)
        return -1;
    if (!(threshold > 0.0 && threshold < 1.0))
        return errorf(err, errlen, "model document: threshold must lie strictly between 0 and 1");
    m->threshold = threshold;
    json_t *training = json_object_get(doc, "training");
    const char *sha = json_string_value(json_object_get(training, "sha256"));
    json_t *rows = json_object_get(training, "rows");
    if (!sha || strlen(sha) != 64 || !json_is_integer(rows) || json_integer_value(rows) < 0)
        return errorf(err, errlen, "model document: training must hold rows and a 64-digit sha256");
    snprintf(m->training_sha256, sizeof m->training_sha256, "%s", sha);
    m->training_rows = (size_t)json_integer_value(rows);
    return 0;
}

static int read_features(titanic_model *m, json_t *features, char *err, size_t errlen) {
    if (!json_is_object(features))
        return errorf(err, errlen, "model document: features must be an object");
    if (read_groups(m, features, err, errlen) || read_imputation(m, features, err, errlen) ||
        read_wc_groups(m, features, err, errlen))
        return -1;
    return 0;
}

static titanic_model *model_from_doc(json_t *doc, int with_form, char *err, size_t errlen);

/* doc's form model, when it carries one (only at the top: a form has none). */
static int read_form(titanic_model *m, json_t *doc, int with_form, char *err, size_t errlen) {
    json_t *form = json_object_get(doc, "form");
    if (!form)
        return 0;
    if (!with_form || !json_is_object(form))
        return errorf(err, errlen,
                      "model document: form must be a model document (and only at the top)");
    char why[400];
    if (!(m->form = model_from_doc(form, 0, why, sizeof why)))
        return errorf(err, errlen, "form model: %s", why);
    return 0;
}

/* The model in doc; with_form: doc may carry a form model. */
static titanic_model *model_from_doc(json_t *doc, int with_form, char *err, size_t errlen) {
    if (!json_is_object(doc)) {
        errorf(err, errlen, "model document must be a JSON object");
        return NULL;
    }
    titanic_model *m = calloc(1, sizeof *m);
    if (!m) {
        errorf(err, errlen, "out of memory");
        return NULL;
    }
    if (read_header(m, doc, err, errlen) ||
        read_features(m, json_object_get(doc, "features"), err, errlen) ||
        read_calibration(m, doc, err, errlen) || read_coefficients(m, doc, err, errlen) ||
        read_form(m, doc, with_form, err, errlen)) {
        model_free(m);
        return NULL;
    }
    read_descriptive(m, doc);
    return m;
}

const model_limits model_default_limits = {MODEL_DOCUMENT_MAX};

titanic_model *model_from_json_limited(const char *text, size_t len, const model_limits *limits,
                                       char *err, size_t errlen) {
    size_t max = limits->max_bytes < MODEL_DOCUMENT_MAX ? limits->max_bytes : MODEL_DOCUMENT_MAX;
    if (!text || len == 0) {
        errorf(err, errlen, "model document is empty");
        return NULL;
    }
    if (len > max) {
        errorf(err, errlen, "model document of %zu bytes exceeds the %zu-byte limit", len, max);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        errorf(err, errlen, "model document is not valid JSON: %s (line %d, column %d)", jerr.text,
               jerr.line, jerr.column);
        return NULL;
    }
    titanic_model *m = model_from_doc(doc, 1, err, errlen);
    json_decref(doc);
    return m;
}
