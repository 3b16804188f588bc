/* The fitter against statsmodels: the plain design of logit_reference.json on train.csv must give
 * the same coefficients, standard errors, z values and log-likelihood to 1e-6 relative. */
#include "check.h"
#include "cross_validation.h"
#include "feature_learning.h"
#include "model_fit.h"
#include "kaggle_csv.h"
#include "testdb.h"

#include <jansson.h>

static const char *reference_path(void) {
    static char path[1024];
    const char *dir = getenv("TITANIC_REFERENCE_DIR");
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/logit_reference.json", dir);
    } else {
        const char *data = getenv("TITANIC_DATA_DIR");
        if (!data || !*data)
            check_skip("logit_reference", "neither TITANIC_REFERENCE_DIR nor TITANIC_DATA_DIR set");
        snprintf(path, sizeof path, "%s/../../reference/logit_reference.json", data);
    }
    return path;
}

/* The reference's names for our columns. */
static const char *reference_name(const char *column) {
    if (strcmp(column, "intercept") == 0)
        return "const";
    return column;
}

int main(void) {
    const char *train = testdb_data_file("logit_reference", "train.csv");
    json_error_t jerr;
    json_t *ref = json_load_file(reference_path(), 0, &jerr);
    if (!ref)
        check_skip("logit_reference", "reference file not readable");
    char err[512];
    passenger *rows = NULL;
    long n = kaggle_csv_load(train, &rows, err, sizeof err);
    CHECK_INT(n, json_integer_value(json_object_get(ref, "n")));
    if (n <= 0) {
        fprintf(stderr, "%s\n", err);
        return check_exit_code("logit_reference");
    }
    feature_set set;
    feature_set_reference(&set);
    logit_parameter param;
    logit_default_parameter(&param);
    feature_state st;
    logit_result fit;
    int rc = pipeline_fit(&set, &param, rows, (size_t)n, &st, &fit, err, sizeof err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        return check_exit_code("logit_reference");
    }
    CHECK_CLOSE(st.age_median, json_number_value(json_object_get(ref, "age_median")), 0);
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
    logit_result_free(&fit);
    feature_state_free(&st);
    free(rows);
    json_decref(ref);
    return check_exit_code("logit_reference");
}
