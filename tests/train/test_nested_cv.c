/* Nested cross-validation without a database or the Kaggle files (synthetic passengers): the
 * estimate is sane and every selection read labels; a selection that looks at its outer fold (the
 * leak hook) fails the run; a family's evidence leaves the passenger itself out; the CV sample
 * rule; the calibration error. */
#include "check.h"
#include "nested_cv.h"
#include "synthetic_families.h"
#include "train_data.h"

#include <math.h>
#include <stdlib.h>

static train_data *load(const passenger *rows, size_t n, size_t sample_max) {
    train_data *d = train_data_new(0, 0, n + 1);
    char err[512];
    train_data_set_sample(d, sample_max, 1912);
    for (size_t i = 0; i < n; i++)
        CHECK_INT(train_data_add(d, &rows[i], err, sizeof err), 0);
    CHECK_INT(train_data_finish(d, err, sizeof err), 0);
    return d;
}

static void quick(nested_options *o) {
    nested_default_options(o);
    o->outer_folds = 5;
    o->outer_repeats = 1;
    o->inner_repeats = 1;
}

static void test_estimate_and_leak(const train_data *d) {
    nested_options o;
    quick(&o);
    nested_result r;
    char err[512] = "";
    int rc = nested_cv_run(d, &o, &r, NULL, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "nested_cv_run: %s\n", err);
    CHECK_INT(rc, 0);
    CHECK(r.outer.accuracy.mean > 0.6 && r.outer.accuracy.mean < 1.0);
    CHECK(r.inner_accuracy > 0.6);
    CHECK(r.labels_read > 0);
    CHECK(r.ece_raw >= 0.0 && r.ece_raw < 0.3);
    nested_result_free(&r);

    /* The hook lets each selection see its outer held-out passengers: the run must fail. */
    o.leak_outer_fold = 1;
    CHECK_INT(nested_cv_run(d, &o, &r, NULL, err, sizeof err), -1);
    CHECK_CONTAINS(err, "leak: the selection of outer fold 1");
    nested_result_free(&r);
}

/* Three labelled women of one family, one of whom survived: each one's evidence is the other two.
 */
static void test_evidence_leaves_self_out(void) {
    passenger rows[3];
    for (int i = 0; i < 3; i++) {
        passenger_init(&rows[i]);
        rows[i].id = i + 1;
        rows[i].pclass = 3;
        rows[i].sex = SEX_FEMALE;
        rows[i].embarked = 'S';
        rows[i].survived = i == 0;
        snprintf(rows[i].name, sizeof rows[i].name, "Sage, Miss. Number%d", i);
        snprintf(rows[i].ticket, sizeof rows[i].ticket, "CA. 2343");
    }
    train_data *d = load(rows, 3, 0);
    group_evidence ev;
    train_data_evidence(d, 0, 0, &ev);
    CHECK_INT(ev.labelled, 2);
    CHECK_INT(ev.survivors, 0);
    train_data_evidence(d, 1, 0, &ev);
    CHECK_INT(ev.labelled, 2);
    CHECK_INT(ev.survivors, 1);
    train_data_free(d);
}

static void test_sample_rule(const passenger *rows, size_t n) {
    train_data *a = load(rows, n, 200), *b = load(rows, n, 200);
    size_t na, nb;
    const size_t *sa = train_data_sample(a, &na), *sb = train_data_sample(b, &nb);
    CHECK_INT(na, 200);
    CHECK_INT(nb, 200);
    int same = 1, ascending = 1;
    for (size_t i = 0; i < na && i < nb; i++) {
        same &= sa[i] == sb[i];
        ascending &= i == 0 || sa[i] > sa[i - 1];
    }
    CHECK(same && ascending);
    train_data_free(a);
    train_data_free(b);
}

static void test_ece(void) {
    double p[4] = {0.25, 0.25, 0.75, 0.75}, y[4] = {0, 1, 1, 1};
    CHECK_CLOSE(nested_ece(p, y, 4), 0.5 * 0.25 + 0.5 * 0.25, 1e-12);
}

int main(void) {
    size_t n = 700;
    passenger *rows = malloc(n * sizeof *rows);
    synthetic_families(rows, n, 100, 7);
    train_data *d = load(rows, n, 1000);
    CHECK_INT(train_data_rows(d), 700);
    CHECK_INT(train_data_labelled(d), 600);
    size_t nf;
    const train_family *fam = train_data_families(d, &nf);
    int shared = 0;
    for (size_t f = 0; f < nf; f++)
        shared += fam[f].labelled > 1;
    CHECK(shared > 10);
    test_estimate_and_leak(d);
    test_evidence_leaves_self_out();
    test_sample_rule(rows, n);
    test_ece();
    train_data_free(d);
    free(rows);
    return check_exit_code("nested_cv");
}
