/* The fitter on data whose answer is known: coefficients drawn from a known model are recovered
 * within their standard errors; empty data, one class, separable data and a rank-deficient design
 * fail with messages naming the reason; the L2 penalty shrinks; the metrics are right on small
 * hand-checked cases. */
#include "check.h"
#include "logit.h"
#include "scores.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define N 20000
#define P 4

static double x[N * P], y[N];
static const char *names[P] = {"intercept", "a", "b", "c"};

/* y ~ Bernoulli(logit^-1(x . truth)), columns: 1, normal, uniform(0,3), indicator. */
static void simulate(const double *truth, unsigned long seed) {
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    for (size_t i = 0; i < N; i++) {
        double *r = x + i * P;
        r[0] = 1.0;
        r[1] = gsl_ran_gaussian(rng, 1.0);
        r[2] = 3.0 * gsl_rng_uniform(rng);
        r[3] = gsl_rng_uniform(rng) < 0.3;
        y[i] = gsl_rng_uniform(rng) < logit_probability(logit_linear(truth, r, P));
    }
    gsl_rng_free(rng);
}

static void test_recovers_known_model(void) {
    const double truth[P] = {-0.5, 1.2, -0.8, 0.7};
    simulate(truth, 42);
    logit_problem prob = {.n = N, .p = P, .x = x, .y = y, .names = names};
    logit_parameter param;
    logit_default_parameter(&param);
    logit_result fit;
    char err[512] = "";
    CHECK_INT(logit_train(&prob, &param, &fit, err, sizeof err), 0);
    for (size_t j = 0; j < P; j++) {
        /* Within 3 standard errors (a 1-in-370 miss per coefficient for a correct fitter; the
         * seed is fixed, so this is deterministic). */
        CHECK(fabs(fit.beta[j] - truth[j]) < 3.0 * fit.se[j]);
        CHECK(fit.se[j] > 0.0 && fit.se[j] < 0.1);
        CHECK_CLOSE(fit.z[j], fit.beta[j] / fit.se[j], 1e-12);
    }
    CHECK(fit.loglik < 0.0 && fit.loglik > fit.null_loglik);
    CHECK_CLOSE(fit.deviance, -2.0 * fit.loglik, 1e-12);
    CHECK_CLOSE(fit.aic, 2.0 * P + fit.deviance, 1e-12);
    /* The gradient is zero at the optimum: sum of residuals (intercept score) ~ 0. */
    double score = 0.0;
    for (size_t i = 0; i < N; i++)
        score += y[i] - logit_probability(logit_linear(fit.beta, x + i * P, P));
    CHECK(fabs(score) < 1e-6);
    CHECK(fit.iterations >= 3 && fit.iterations < 15);
    logit_result_free(&fit);
}

static void test_penalty_shrinks(void) {
    const double truth[P] = {-0.5, 1.2, -0.8, 0.7};
    simulate(truth, 7);
    logit_problem prob = {.n = N, .p = P, .x = x, .y = y, .names = names};
    logit_parameter param;
    logit_default_parameter(&param);
    logit_result plain, ridge;
    char err[512];
    CHECK_INT(logit_train(&prob, &param, &plain, err, sizeof err), 0);
    param.l2 = 2000.0;
    CHECK_INT(logit_train(&prob, &param, &ridge, err, sizeof err), 0);
    for (size_t j = 1; j < P; j++)
        CHECK(fabs(ridge.beta[j]) < fabs(plain.beta[j]));
    /* Penalised optimum: score of column j equals l2 * beta_j. */
    double score1 = 0.0;
    for (size_t i = 0; i < N; i++)
        score1 += x[i * P + 1] * (y[i] - logit_probability(logit_linear(ridge.beta, x + i * P, P)));
    CHECK_CLOSE(score1, param.l2 * ridge.beta[1], 1e-6);
    logit_result_free(&plain);
    logit_result_free(&ridge);
}

static void test_refuses_bad_data(void) {
    logit_parameter param;
    logit_default_parameter(&param);
    logit_result fit;
    char err[512];
    double xs[8] = {1, 0, 1, 1, 1, 2, 1, 3}, ys[4] = {0, 0, 1, 1};
    const char *nm[2] = {"intercept", "age"};

    logit_problem empty = {.n = 0, .p = 2, .x = xs, .y = ys, .names = nm};
    CHECK_INT(logit_train(&empty, &param, &fit, err, sizeof err), -1);
    CHECK_CONTAINS(err, "no training rows");

    double same[4] = {1, 1, 1, 1};
    logit_problem one = {.n = 4, .p = 2, .x = xs, .y = same, .names = nm};
    CHECK_INT(logit_train(&one, &param, &fit, err, sizeof err), -1);
    CHECK_CONTAINS(err, "only one class");

    /* age < 1.5 exactly predicts death: complete separation. */
    logit_problem sep = {.n = 4, .p = 2, .x = xs, .y = ys, .names = nm};
    CHECK_INT(logit_train(&sep, &param, &fit, err, sizeof err), -1);
    CHECK_CONTAINS(err, "separation");
    CHECK_CONTAINS(err, "age");
    /* ... which an L2 penalty makes fittable. */
    param.l2 = 1.0;
    CHECK_INT(logit_train(&sep, &param, &fit, err, sizeof err), 0);
    CHECK(fit.beta[1] > 0.0 && isfinite(fit.beta[1]));
    logit_result_free(&fit);
    param.l2 = 0.0;

    /* Quasi-complete separation: age >= 2 all survive, age 1 mixed. */
    double xq[10] = {1, 0, 1, 1, 1, 1, 1, 2, 1, 3}, yq[5] = {0, 0, 1, 1, 1};
    logit_problem quasi = {.n = 5, .p = 2, .x = xq, .y = yq, .names = nm};
    CHECK_INT(logit_train(&quasi, &param, &fit, err, sizeof err), -1);
    CHECK_CONTAINS(err, "separation");

    double bad_label[4] = {0, 2, 1, 0};
    logit_problem lab = {.n = 4, .p = 2, .x = xs, .y = bad_label, .names = nm};
    CHECK_INT(logit_train(&lab, &param, &fit, err, sizeof err), -1);
    CHECK_CONTAINS(err, "labels must be 0 or 1");

    double nan_x[8] = {1, 0, 1, NAN, 1, 2, 1, 3};
    logit_problem nanp = {.n = 4, .p = 2, .x = nan_x, .y = ys, .names = nm};
    CHECK_INT(logit_train(&nanp, &param, &fit, err, sizeof err), -1);
    CHECK_CONTAINS(err, "column age of row 1 is not a finite number");

    logit_parameter badp = param;
    badp.l2 = -1;
    CHECK(logit_check_parameter(&sep, &badp) != NULL);
    badp = param;
    badp.max_iter = 0;
    CHECK(logit_check_parameter(&sep, &badp) != NULL);
    CHECK(logit_check_parameter(&sep, &param) == NULL);
}

static void test_rank_deficiency(void) {
    const double truth[P] = {-0.5, 1.2, -0.8, 0.7};
    simulate(truth, 3);
    /* Column c := 2a + 1 (a combination of intercept and a). */
    for (size_t i = 0; i < N; i++)
        x[i * P + 3] = 2.0 * x[i * P + 1] + 1.0;
    logit_problem prob = {.n = N, .p = P, .x = x, .y = y, .names = names};
    logit_parameter param;
    logit_default_parameter(&param);
    logit_result fit;
    char err[512];
    CHECK_INT(logit_train(&prob, &param, &fit, err, sizeof err), -1);
    CHECK_CONTAINS(err, "rank-deficient");
    CHECK_CONTAINS(err, "rank 3 of 4");
    for (size_t i = 0; i < N; i++)
        x[i * P + 3] = 0.0;
    CHECK_INT(logit_train(&prob, &param, &fit, err, sizeof err), -1);
    CHECK_CONTAINS(err, "column c is all zeros");
}

static void test_metrics(void) {
    double prob[4] = {0.1, 0.4, 0.35, 0.8}, yy[4] = {0, 0, 1, 1};
    CHECK_CLOSE(metric_auc(prob, yy, NULL, 4), 0.75, 1e-15);
    CHECK_CLOSE(metric_accuracy(prob, yy, NULL, 4, 0.5), 0.75, 1e-15);
    CHECK_CLOSE(metric_brier(prob, yy, NULL, 4), (0.01 + 0.16 + 0.4225 + 0.04) / 4, 1e-15);
    CHECK_CLOSE(metric_log_loss(prob, yy, NULL, 4),
                -(log(0.9) + log(0.6) + log(0.35) + log(0.8)) / 4, 1e-15);
    double tied[4] = {0.5, 0.5, 0.5, 0.5};
    CHECK_CLOSE(metric_auc(tied, yy, NULL, 4), 0.5, 1e-15);
    CHECK(isnan(metric_auc(prob, (double[]){1, 1, 1, 1}, NULL, 4)));
    CHECK_CLOSE(logit_probability(-800), 0.0, 1);
    CHECK(logit_probability(-800) >= 0.0);
    CHECK_CLOSE(logit_probability(0), 0.5, 0);
}

int main(void) {
    test_recovers_known_model();
    test_penalty_shrinks();
    test_refuses_bad_data();
    test_rank_deficiency();
    test_metrics();
    return check_exit_code("logit");
}
