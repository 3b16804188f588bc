/* The HTML report (issue 22, item 5): baselines (all die, women survive) beside the model on the
 * same passengers, each figure labelled with what it is (mean of the held-out folds, or pooled),
 * the penalised-fit caveat, a feature without variation flagged and not drawn (the final fit
 * finds which), "replaced" only for a model that was activated, the data's source in the header,
 * and calibration counts on the page rather than in tooltips. */
#include "check.h"
#include "report.h"
#include "train/synthetic_families.h"
#include "train/train_rows.h"

#include <string.h>

/* Generated passengers without families (the generator makes families on shared tickets; each
 * passenger gets a ticket of their own here): the woman-child columns never vary. */
static titanic_model *fit_without_families(unsigned char *varies) {
    enum { N = 600 };
    static passenger rows[N];
    generator g;
    generator_init(&g, 5);
    for (int i = 0; i < N; i++) {
        generator_next(&g, i + 1, &rows[i]);
        snprintf(rows[i].ticket, sizeof rows[i].ticket, "U%dX", i + 1);
    }
    char err[512] = "";
    train_data *d = train_rows_load(rows, N, N, err, sizeof err);
    CHECK(d != NULL);
    if (!d)
        return NULL;
    feature_set set;
    feature_set_default(&set);
    logit_parameter param;
    logit_default_parameter(&param);
    param.l2 = 3.0;
    char sha[65];
    memset(sha, '0', 64);
    sha[64] = '\0';
    titanic_model *m = model_train_data(d, NULL, 0, &set, &param, sha, varies, err, sizeof err);
    CHECK(m != NULL);
    if (!m)
        fprintf(stderr, "model_train_data: %s\n", err);
    train_data_free(d);
    return m;
}

/* The text between two markers (the report's sections), or "" when one is missing. */
static char *section(const char *html, const char *from, const char *to) {
    const char *a = strstr(html, from), *b = a ? strstr(a, to) : NULL;
    size_t n = a && b ? (size_t)(b - a) : 0;
    char *out = malloc(n + 1);
    memcpy(out, a ? a : "", n);
    out[n] = '\0';
    return out;
}

int main(void) {
    unsigned char varies[FEATURES_MAX_COLUMNS];
    titanic_model *m = fit_without_families(varies);
    if (!m)
        return check_exit_code("report");
    /* The final fit says which columns vary: titles and class do, the family columns do not. */
    const char *names[FEATURES_MAX_COLUMNS];
    size_t p = features_columns(&model_features(m)->set, names);
    for (size_t j = 1; j < p; j++)
        CHECK_INT(varies[j], strchr(names[j], ':') == NULL);
    cv_result cv = {.folds = 10, .repeats = 5, .seed = 1912, .n = 10};
    cv.accuracy = (metric_spread){0.81, 0.04, 0.7, 0.9};
    cv.auc = (metric_spread){0.85, 0.03, 0.8, 0.9};
    cv.log_loss = (metric_spread){0.45, 0.05, 0.4, 0.5};
    model_set_cv(m, &cv);
    /* Ten passengers: 3 survived; 7 died (all die: 0.700); women survive right on 8 (0.800). */
    double y[10] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0}, female[10] = {1, 1, 0, 1, 0, 0, 0, 0, 0, 0};
    double oof[10] = {.9, .8, .3, .6, .2, .1, .2, .1, .3, .2};
    report_input in = {.m = m,
                       .oof = oof,
                       .y = y,
                       .female = female,
                       .n = 10,
                       .varies = varies,
                       .source = "ETL runs 1 (gen.csv: not a Kaggle file, 600 rows); synthetic",
                       .previous = m,
                       .replaced = 0};
    char *html = report_html(&in);
    CHECK(html != NULL);
    if (html) {
        CHECK_CONTAINS(html, "baseline: all die</td><td>0.700</td>");
        CHECK_CONTAINS(html, "baseline: women survive</td><td>0.800</td>");
        CHECK_CONTAINS(html, "mean of the 50 outer held-out folds</b> (the estimate");
        CHECK_CONTAINS(html, "pooled over the 10 held-out passengers");
        CHECK_CONTAINS(html, "Fitted with an L2 penalty (&lambda; = 3)");
        CHECK_CONTAINS(html, "Data: ETL runs 1 (gen.csv: not a Kaggle file, 600 rows); synthetic");
        CHECK_CONTAINS(html, "which this one did not replace");
        CHECK(strstr(html, "which this one replaced") == NULL);
        CHECK_CONTAINS(html, "female:wc_died</td><td colspan='6' class='flag'>no variation");
        CHECK(strstr(html, "intercept</td><td colspan") == NULL); /* constant by design */
        char *plot = section(html, "<h2>Coefficients with 95%", "<h2>Coefficient table");
        CHECK(plot[0] != '\0');
        CHECK(strstr(plot, "female:wc_died") == NULL); /* flagged, not drawn */
        CHECK(strstr(plot, "title_mrs") != NULL);
        free(plot);
        char *cal = section(html, "aria-label='Calibration curve'", "</svg>");
        CHECK(strstr(cal, ">3</text>") != NULL); /* the 0.2-0.3 bin's count, on the page */
        CHECK(strstr(cal, "<title>") == NULL || strstr(cal, "passengers)</title>") != NULL);
        free(cal);
    }
    free(html);
    in.replaced = 1;
    html = report_html(&in);
    CHECK(html && strstr(html, "which this one replaced") != NULL);
    free(html);
    model_free(m);
    return check_exit_code("report");
}
