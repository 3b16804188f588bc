/* The fitter against statsmodels: the plain design (feature_set_reference: sex, class, age with
 * the median for unknown ages, sibsp, parch, fare), read into the trainer's compact rows and
 * fitted by its final fit (model_train_data, what titanic-train runs), must give statsmodels'
 * coefficients, standard errors, z values and log-likelihood to 1e-6 relative.
 *
 *   test_logit_reference            on train.csv (TITANIC_DATA_DIR; skips without it), against
 *                                   tests/fixtures/logit_reference.json (label data)
 *   test_logit_reference generated  on 891 generated passengers (seed 1, written as CSV and read
 *                                   back like train.csv), against tests/fixtures/
 *                                   logit_generated.json (made by logit_generated.py); always runs
 *
 * TITANIC_REFERENCE_DIR, when set, is read instead of tests/fixtures. */
#include "check.h"
#include "generate.h"
#include "kaggle_csv.h"
#include "testdb.h"
#include "train_rows.h"

#include <jansson.h>
#include <unistd.h>

#ifndef TITANIC_FIXTURES_DIR
#error "TITANIC_FIXTURES_DIR (tests/fixtures) must be defined by the build"
#endif

static const char *fixture_path(const char *name) {
    static char path[1024];
    const char *dir = getenv("TITANIC_REFERENCE_DIR");
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : TITANIC_FIXTURES_DIR, name);
    return path;
}

/* The reference's names for our columns. */
static const char *reference_name(const char *column) {
    if (strcmp(column, "intercept") == 0)
        return "const";
    return column;
}

/* Writes n generated passengers (seed) as a Kaggle train CSV to a temporary file and reads it
 * back with the trainer's reader. Returns the row count, or -1 with err. */
static long generated_rows(long n, uint64_t seed, passenger **rows, char *err, size_t errlen) {
    const char *tmp = getenv("TMPDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/logit_generated.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f) {
        snprintf(err, errlen, "cannot create a temporary file in %.400s", path);
        return -1;
    }
    int wrote = generate_csv(f, n, seed);
    if (fclose(f) != 0 || wrote != 0) {
        snprintf(err, errlen, "cannot write %.400s", path);
        unlink(path);
        return -1;
    }
    long got = kaggle_csv_load(path, rows, err, errlen);
    unlink(path);
    return got;
}

int main(int argc, char **argv) {
    int generated = argc > 1 && strcmp(argv[1], "generated") == 0;
    const char *suite = generated ? "logit_generated" : "logit_reference";
    char err[512] = "";
    passenger *rows = NULL;
    long n = generated
                 ? generated_rows(891, 1, &rows, err, sizeof err)
                 : kaggle_csv_load(testdb_data_file(suite, "train.csv"), &rows, err, sizeof err);
    const char *fixture = fixture_path(generated ? "logit_generated.json" : "logit_reference.json");
    json_error_t jerr;
    json_t *ref = json_load_file(fixture, 0, &jerr);
    CHECK(ref != NULL);
    if (!ref) {
        fprintf(stderr, "%s: %s\n", fixture, jerr.text);
        free(rows);
        return check_exit_code(suite);
    }
    CHECK_INT(n, json_integer_value(json_object_get(ref, "n")));
    if (n <= 0) {
        fprintf(stderr, "%s\n", err);
        json_decref(ref);
        return check_exit_code(suite);
    }
    feature_set set;
    feature_set_reference(&set);
    titanic_model *m = train_rows_fit(rows, (size_t)n, &set, 0.0, err, sizeof err);
    CHECK(m != NULL);
    if (!m) {
        fprintf(stderr, "%s\n", err);
        free(rows);
        json_decref(ref);
        return check_exit_code(suite);
    }
    const logit_result fit = *model_fit(m);
    CHECK_CLOSE(model_features(m)->age_median,
                json_number_value(json_object_get(ref, "age_median")), 0);
    const char *names[FEATURES_MAX_COLUMNS];
    size_t p = features_columns(&set, names);
    CHECK_INT(p, json_object_size(json_object_get(ref, "coefficients")));
    json_t *coef = json_object_get(ref, "coefficients"), *se = json_object_get(ref, "std_errors"),
           *z = json_object_get(ref, "z");
    for (size_t j = 0; j < p; j++) {
        const char *name = reference_name(names[j]);
        CHECK(json_object_get(coef, name) != NULL);
        CHECK_CLOSE(fit.beta[j], json_number_value(json_object_get(coef, name)), 1e-6);
        CHECK_CLOSE(fit.se[j], json_number_value(json_object_get(se, name)), 1e-6);
        CHECK_CLOSE(fit.z[j], json_number_value(json_object_get(z, name)), 1e-6);
    }
    CHECK_CLOSE(fit.loglik, json_number_value(json_object_get(ref, "log_likelihood")), 1e-6);
    CHECK_CLOSE(fit.aic, 2.0 * (double)p - 2.0 * fit.loglik, 1e-12);
    CHECK(fit.iterations >= 4 && fit.iterations <= 12);
    model_free(m);
    free(rows);
    json_decref(ref);
    return check_exit_code(suite);
}
