/* Newton/IRLS logistic regression with GSL. See logit.h.
 *
 * Each iteration makes three passes over the design: eta = X beta, the gradient X'(y - mu), and the
 * Hessian X'WX accumulated row by row, each visiting only the row's nonzero columns (listed once
 * per fit, 2 bytes a cell), so the only O(n) memory besides the caller's X is that list and a few
 * n-vectors. */
#include "logit.h"

#include "errors.h"

#include <gsl/gsl_blas.h>
#include <pthread.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_permutation.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fitted |eta| beyond this means a probability within ~1e-11 of 0 or 1: the likelihood is
 * being pushed to its supremum by separation, not converging to an interior maximum. */
#define SEPARATION_ETA 25.0
/* Pivots of the unit-diagonal Gram matrix below this mean a column is (numerically) a linear
 * combination of the others. */
#define RANK_TOLERANCE 1e-9
/* Step halvings before a Newton step that does not decrease the deviance is declared stuck. */
#define MAX_HALVINGS 40

static const char *column_name(const logit_problem *prob, size_t j, char *buf, size_t len) {
    if (prob->names && prob->names[j])
        return prob->names[j];
    snprintf(buf, len, "x%zu", j);
    return buf;
}

const char *logit_check_parameter(const logit_problem *prob, const logit_parameter *param) {
    if (!prob || !param)
        return "no problem or parameter given";
    if (prob->n == 0)
        return "no training rows";
    if (prob->p == 0)
        return "no columns in the design";
    if (!prob->x || !prob->y)
        return "design matrix or labels missing";
    if (prob->n > (size_t)-1 / prob->p / sizeof(double))
        return "design too large";
    if (prob->p > UINT16_MAX)
        return "more than 65535 columns";
    if (!(param->l2 >= 0.0) || !isfinite(param->l2))
        return "l2 must be a finite number >= 0";
    if (!(param->tol > 0.0) || !(param->tol < 1.0))
        return "tol must lie in (0, 1)";
    if (param->max_iter < 1 || param->max_iter > 10000)
        return "max_iter must lie in 1..10000";
    if (param->intercept < -1 || (param->intercept >= 0 && (size_t)param->intercept >= prob->p))
        return "intercept column out of range";
    return NULL;
}

static double row_weight(const logit_problem *prob, size_t i) {
    return prob->weight ? prob->weight[i] : 1.0;
}

/* Values must be finite and labels exactly 0/1 (shares in [0, 1] for weighted rows, weights
 * finite and > 0); sums the positives and the rows' weight. */
static int check_data(const logit_problem *prob, double *positives, double *total, char *err,
                      size_t errlen) {
    char buf[32];
    double pos = 0.0, all = 0.0;
    for (size_t i = 0; i < prob->n; i++) {
        double y = prob->y[i], w = row_weight(prob, i);
        int bad = prob->weight ? !(y >= 0.0 && y <= 1.0) : (y != 0.0 && y != 1.0);
        if (bad || !(w > 0.0) || !isfinite(w))
            return errorf(err, errlen, "label of row %zu is %g (weight %g); labels must be 0 or 1",
                          i, y, w);
        pos += w * y;
        all += w;
        const double *row = prob->x + i * prob->p;
        for (size_t j = 0; j < prob->p; j++) {
            if (!isfinite(row[j]))
                return errorf(err, errlen, "column %s of row %zu is not a finite number",
                              column_name(prob, j, buf, sizeof buf), i);
        }
    }
    if (pos == 0.0 || pos == all)
        return errorf(err, errlen,
                      "only one class in the training data (all %.0f rows have label %d)", all,
                      pos == 0.0 ? 0 : 1);
    *positives = pos;
    *total = all;
    return 0;
}

/* The nonzero columns of each row, in column order. Most design columns are indicators, so a row
 * has a few nonzeros of its p columns, and every pass of every Newton iteration visits only those.
 * Leaving out a zero term changes no bit: with finite values x * 0 is a zero, and adding a zero to
 * a sum that started at +0 leaves it as it was (such a sum is never -0). */
typedef struct nonzeros {
    uint16_t *col; /* row i's in col[i * p ...], count[i] of them */
    uint16_t *count;
} nonzeros;

static void nonzeros_free(nonzeros *nz) {
    free(nz->col);
    free(nz->count);
}

static int nonzeros_build(const logit_problem *prob, nonzeros *nz) {
    nz->col = malloc(prob->n * prob->p * sizeof *nz->col);
    nz->count = malloc(prob->n * sizeof *nz->count);
    if (!nz->col || !nz->count)
        return -1; /* the caller frees what was allocated */
    for (size_t i = 0; i < prob->n; i++) {
        const double *x = prob->x + i * prob->p;
        uint16_t *c = nz->col + i * prob->p, k = 0;
        for (size_t j = 0; j < prob->p; j++)
            if (x[j] != 0.0)
                c[k++] = (uint16_t)j;
        nz->count[i] = k;
    }
    return 0;
}

/* eta = X beta, each row's terms summed in column order as dgemv does. */
static void linear_predictor(const logit_problem *prob, const nonzeros *nz, const double *beta,
                             double *eta) {
    for (size_t i = 0; i < prob->n; i++) {
        const double *x = prob->x + i * prob->p;
        const uint16_t *c = nz->col + i * prob->p;
        double t = 0.0;
        for (size_t k = 0; k < nz->count[i]; k++)
            t += x[c[k]] * beta[c[k]];
        eta[i] = t;
    }
}

/* grad = X' r, row by row as dgemv (transposed) does. */
static void gradient(const logit_problem *prob, const nonzeros *nz, const double *r, double *grad) {
    memset(grad, 0, prob->p * sizeof *grad);
    for (size_t i = 0; i < prob->n; i++) {
        const double *x = prob->x + i * prob->p;
        const uint16_t *c = nz->col + i * prob->p;
        for (size_t k = 0; k < nz->count[i]; k++)
            grad[c[k]] += r[i] * x[c[k]];
    }
}

/* H = X' diag(w) X (w NULL: all ones): the lower triangle row by row over the row's nonzeros,
 * then mirrored (this loop was a third of a cross-validation run under dsyrk). */
static void accumulate_hessian(const logit_problem *prob, const nonzeros *nz, const double *w,
                               gsl_matrix *H) {
    gsl_matrix_set_zero(H);
    size_t p = prob->p, tda = H->tda;
    double *h = H->data;
    for (size_t i = 0; i < prob->n; i++) {
        const double *x = prob->x + i * p;
        const uint16_t *c = nz->col + i * p;
        double wi = w ? w[i] : 1.0;
        for (size_t ka = 0; ka < nz->count[i]; ka++) {
            size_t a = c[ka];
            double s = wi * x[a];
            if (s == 0.0)
                continue;
            double *row = h + a * tda;
            for (size_t kb = 0; kb <= ka; kb++)
                row[c[kb]] += s * x[c[kb]];
        }
    }
    for (size_t a = 0; a < p; a++)
        for (size_t b = a + 1; b < p; b++)
            h[a * tda + b] = h[b * tda + a];
}

/* Rank check on X'X scaled to unit diagonal, by GSL's pivoted Cholesky (LDL', the largest
 * remaining diagonal first): once a pivot D_k is tiny, every remaining column is a combination of
 * the ones before it. Names them. */
static int check_rank(const logit_problem *prob, gsl_matrix *G, char *err, size_t errlen) {
    size_t p = prob->p, rank = 0;
    char buf[32];
    for (size_t j = 0; j < p; j++) {
        if (gsl_matrix_get(G, j, j) <= 0.0)
            return errorf(err, errlen, "rank-deficient design: column %s is all zeros",
                          column_name(prob, j, buf, sizeof buf));
    }
    gsl_permutation *order = gsl_permutation_alloc(p);
    gsl_vector *scale = gsl_vector_alloc(p);
    if (!order || !scale || gsl_linalg_pcholesky_decomp2(G, order, scale) != GSL_SUCCESS) {
        gsl_permutation_free(order);
        gsl_vector_free(scale);
        return errorf(err, errlen, "out of memory");
    }
    while (rank < p && gsl_matrix_get(G, rank, rank) >= RANK_TOLERANCE)
        rank++;
    if (rank < p) {
        size_t used = (size_t)snprintf(err, errlen,
                                       "rank-deficient design (rank %zu of %zu columns): "
                                       "dependent on the others:",
                                       rank, p);
        for (size_t k = rank; k < p && used < errlen; k++)
            used +=
                (size_t)snprintf(err + used, errlen - used, " %s",
                                 column_name(prob, gsl_permutation_get(order, k), buf, sizeof buf));
    }
    gsl_permutation_free(order);
    gsl_vector_free(scale);
    return rank < p ? -1 : 0;
}

/* Per-row log-likelihood summed, from eta; also stores each row's fitted probability in mu, so the
 * next iteration's weights need no second exp() (transcendentals dominate a pass over the rows). */
static double loglik_from_eta(const logit_problem *prob, const gsl_vector *eta, gsl_vector *mu) {
    double ll = 0.0;
    const double *e_of = eta->data; /* the workspace's vectors are contiguous */
    double *mu_of = mu->data;
    for (size_t i = 0; i < prob->n; i++) {
        double e = e_of[i];
        double t = exp(-fabs(e)); /* in (0, 1]: never overflows */
        ll += row_weight(prob, i) * (prob->y[i] * e - (e > 0 ? e : 0.0) - log1p(t));
        mu_of[i] = e >= 0 ? 1.0 / (1.0 + t) : t / (1.0 + t);
    }
    return ll;
}

static double penalty(const logit_parameter *param, const gsl_vector *beta) {
    if (param->l2 == 0.0)
        return 0.0;
    double s = 0.0;
    for (size_t j = 0; j < beta->size; j++)
        if ((int)j != param->intercept)
            s += gsl_vector_get(beta, j) * gsl_vector_get(beta, j);
    return param->l2 * s;
}

/* Solves H d = g by GSL's modified Cholesky (Schnabel-Eskow, pivoted): for a positive definite H
 * it is the Cholesky solve; when H is not numerically positive definite (a near-singular design,
 * or weights underflowing far from the solution) it perturbs H just enough to give a descent
 * direction instead of failing. */
static int newton_direction(const gsl_matrix *H, const gsl_vector *g, gsl_vector *d,
                            gsl_matrix *work, gsl_permutation *perm) {
    gsl_matrix_memcpy(work, H);
    return gsl_linalg_mcholesky_decomp(work, perm, NULL) == GSL_SUCCESS &&
                   gsl_linalg_mcholesky_solve(work, perm, g, d) == GSL_SUCCESS
               ? 0
               : -1;
}

/* Weights and residuals from the probabilities in w; then gradient and Hessian of the penalised
 * loglik. */
static void derivatives(const logit_problem *prob, const nonzeros *nz, const logit_parameter *param,
                        const gsl_vector *beta, gsl_vector *w, gsl_vector *resid, gsl_vector *grad,
                        gsl_matrix *H) {
    double *w_of = w->data, *r_of = resid->data;
    for (size_t i = 0; i < prob->n; i++) {
        double mu = w_of[i]; /* loglik_from_eta left the probabilities here */
        double weight = row_weight(prob, i);
        w_of[i] = weight * mu * (1.0 - mu);
        r_of[i] = weight * (prob->y[i] - mu);
    }
    gradient(prob, nz, r_of, grad->data);
    accumulate_hessian(prob, nz, w_of, H);
    if (param->l2 > 0.0) {
        for (size_t j = 0; j < prob->p; j++) {
            if ((int)j == param->intercept)
                continue;
            gsl_vector_set(grad, j, gsl_vector_get(grad, j) - param->l2 * gsl_vector_get(beta, j));
            gsl_matrix_set(H, j, j, gsl_matrix_get(H, j, j) + param->l2);
        }
    }
}

/* After the iterations: a fitted probability pinned at 0 or 1 means separation. Blames the column
 * with the largest |beta_j| * max|x_j|, the one doing the separating. */
static int check_separation(const logit_problem *prob, const gsl_vector *beta,
                            const gsl_vector *eta, int intercept, char *err, size_t errlen) {
    size_t pinned = 0;
    for (size_t i = 0; i < prob->n; i++)
        pinned += fabs(gsl_vector_get(eta, i)) > SEPARATION_ETA;
    if (pinned == 0)
        return 0;
    size_t worst = 0;
    double worst_size = -1.0;
    for (size_t j = 0; j < prob->p; j++) {
        if ((int)j == intercept)
            continue;
        double xmax = 0.0;
        for (size_t i = 0; i < prob->n; i++)
            xmax = fmax(xmax, fabs(prob->x[i * prob->p + j]));
        double size = fabs(gsl_vector_get(beta, j)) * xmax;
        if (size > worst_size) {
            worst_size = size;
            worst = j;
        }
    }
    char buf[32];
    return errorf(
        err, errlen,
        "perfect or quasi-complete separation: %zu of %zu rows are fitted with probability "
        "0 or 1 and column %s grows without bound (use an L2 penalty or drop the column)",
        pinned, prob->n, column_name(prob, worst, buf, sizeof buf));
}

static int allocate_result(logit_result *out, size_t n, size_t p) {
    memset(out, 0, sizeof *out);
    out->n = n;
    out->p = p;
    out->beta = calloc(p, sizeof(double));
    out->se = calloc(p, sizeof(double));
    out->z = calloc(p, sizeof(double));
    out->pvalue = calloc(p, sizeof(double));
    out->cov = calloc(p * p, sizeof(double));
    if (!out->beta || !out->se || !out->z || !out->pvalue || !out->cov) {
        logit_result_free(out);
        return -1;
    }
    return 0;
}

/* Fills standard errors, z and p from the inverse of the penalised Hessian at the solution. */
static int fill_statistics(const logit_problem *prob, gsl_matrix *H, logit_result *out, char *err,
                           size_t errlen) {
    size_t p = prob->p;
    if (gsl_linalg_cholesky_decomp1(H) != GSL_SUCCESS || gsl_linalg_cholesky_invert(H))
        return errorf(err, errlen,
                      "the information matrix is singular at the solution; the design is "
                      "(nearly) rank-deficient");
    gsl_matrix_view cov = gsl_matrix_view_array(out->cov, p, p);
    gsl_matrix_memcpy(&cov.matrix, H);
    for (size_t j = 0; j < p; j++) {
        out->se[j] = sqrt(out->cov[j * p + j]);
        out->z[j] = out->beta[j] / out->se[j];
        out->pvalue[j] = 2.0 * gsl_cdf_ugaussian_Q(fabs(out->z[j]));
    }
    return 0;
}

typedef struct {
    gsl_vector *beta, *trial, *grad, *dir;   /* p each: the rows of by_column */
    gsl_vector *eta, *trial_eta, *w, *resid; /* n each: the rows of by_row */
    gsl_vector_view rows[8];                 /* what the eight point at */
    gsl_matrix *by_column, *by_row, *H, *work;
    gsl_permutation *perm;
    nonzeros nz;
} workspace;

static void workspace_free(workspace *ws) {
    nonzeros_free(&ws->nz);
    gsl_matrix_free(ws->by_column);
    gsl_matrix_free(ws->by_row);
    gsl_matrix_free(ws->H);
    gsl_matrix_free(ws->work);
    gsl_permutation_free(ws->perm);
}

static int workspace_alloc(workspace *ws, const logit_problem *prob) {
    size_t n = prob->n, p = prob->p;
    memset(ws, 0, sizeof *ws);
    ws->by_column = gsl_matrix_calloc(4, p);
    ws->by_row = gsl_matrix_calloc(4, n);
    ws->H = gsl_matrix_calloc(p, p);
    ws->work = gsl_matrix_calloc(p, p);
    ws->perm = gsl_permutation_calloc(p);
    if (!ws->by_column || !ws->by_row || !ws->H || !ws->work || !ws->perm ||
        nonzeros_build(prob, &ws->nz) != 0) {
        workspace_free(ws);
        return -1;
    }
    gsl_vector **vectors[] = {&ws->beta, &ws->trial,     &ws->grad, &ws->dir,
                              &ws->eta,  &ws->trial_eta, &ws->w,    &ws->resid};
    for (size_t i = 0; i < 8; i++) {
        ws->rows[i] = gsl_matrix_row(i < 4 ? ws->by_column : ws->by_row, i % 4);
        *vectors[i] = &ws->rows[i].vector;
    }
    return 0;
}

/* One damped Newton step from ws->beta: halves the step until the penalised deviance does not
 * increase. Returns the new penalised deviance, or NAN when no step helps. */
static double newton_step(const logit_problem *prob, const logit_parameter *param, workspace *ws,
                          double dev_old) {
    double step = 1.0;
    for (int h = 0; h <= MAX_HALVINGS; h++, step *= 0.5) {
        gsl_vector_memcpy(ws->trial, ws->beta);
        gsl_blas_daxpy(step, ws->dir, ws->trial);
        linear_predictor(prob, &ws->nz, ws->trial->data, ws->trial_eta->data);
        double dev =
            -2.0 * loglik_from_eta(prob, ws->trial_eta, ws->resid) + penalty(param, ws->trial);
        /* Tiny increases are rounding at the optimum, not divergence. */
        if (isfinite(dev) && dev <= dev_old + 1e-12 * fabs(dev_old)) {
            gsl_vector_memcpy(ws->beta, ws->trial);
            gsl_vector_swap(ws->eta, ws->trial_eta);
            gsl_vector_swap(ws->w, ws->resid); /* the accepted step's probabilities into w */
            return dev;
        }
    }
    return NAN;
}

static int iterate(const logit_problem *prob, const logit_parameter *param, workspace *ws,
                   logit_result *out, char *err, size_t errlen) {
    linear_predictor(prob, &ws->nz, ws->beta->data, ws->eta->data);
    double dev = -2.0 * loglik_from_eta(prob, ws->eta, ws->w) + penalty(param, ws->beta);
    for (int it = 1; it <= param->max_iter; it++) {
        derivatives(prob, &ws->nz, param, ws->beta, ws->w, ws->resid, ws->grad, ws->H);
        if (newton_direction(ws->H, ws->grad, ws->dir, ws->work, ws->perm))
            return errorf(err, errlen,
                          "Newton step failed: the information matrix cannot be factored");
        double next = newton_step(prob, param, ws, dev);
        if (isnan(next))
            return errorf(err, errlen, "no Newton step decreases the deviance at iteration %d", it);
        out->iterations = it;
        int converged = fabs(dev - next) / (fabs(next) + 0.1) < param->tol;
        dev = next;
        if (converged)
            return 0;
    }
    if (param->l2 == 0.0 &&
        check_separation(prob, ws->beta, ws->eta, param->intercept, err, errlen) != 0)
        return -1;
    return errorf(err, errlen, "did not converge in %d iterations", param->max_iter);
}

static void gsl_handler_off(void) {
    gsl_set_error_handler_off();
}

int logit_train(const logit_problem *prob, const logit_parameter *param, logit_result *out,
                char *err, size_t errlen) {
    /* GSL's default handler aborts the process; errors must come back as return codes. Once per
     * process: cross-validation fits on several threads at a time. */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, gsl_handler_off);
    memset(out, 0, sizeof *out);
    const char *bad = logit_check_parameter(prob, param);
    if (bad)
        return errorf(err, errlen, "%s", bad);
    double positives = 0.0, total = 0.0;
    if (check_data(prob, &positives, &total, err, errlen) != 0)
        return -1;
    workspace ws;
    if (workspace_alloc(&ws, prob) != 0)
        return errorf(err, errlen, "out of memory for %zu rows x %zu columns", prob->n, prob->p);
    int rc = -1;
    if (param->l2 == 0.0) {
        accumulate_hessian(prob, &ws.nz, prob->weight, ws.H);
        if (check_rank(prob, ws.H, err, errlen) != 0)
            goto done;
    }
    if (allocate_result(out, prob->n, prob->p) != 0) {
        errorf(err, errlen, "out of memory");
        goto done;
    }
    double ybar = positives / total;
    if (prob->start)
        for (size_t j = 0; j < prob->p; j++)
            gsl_vector_set(ws.beta, j, prob->start[j]);
    else if (param->intercept >= 0)
        gsl_vector_set(ws.beta, (size_t)param->intercept, log(ybar / (1.0 - ybar)));
    if (iterate(prob, param, &ws, out, err, errlen) != 0)
        goto done;
    if (param->l2 == 0.0 &&
        check_separation(prob, ws.beta, ws.eta, param->intercept, err, errlen) != 0)
        goto done;
    for (size_t j = 0; j < prob->p; j++)
        out->beta[j] = gsl_vector_get(ws.beta, j);
    if (!prob->estimates_only) {
        derivatives(prob, &ws.nz, param, ws.beta, ws.w, ws.resid, ws.grad, ws.H);
        if (fill_statistics(prob, ws.H, out, err, errlen) != 0)
            goto done;
    }
    out->loglik = loglik_from_eta(prob, ws.eta, ws.resid);
    out->deviance = -2.0 * out->loglik;
    out->null_loglik = positives * log(ybar) + (total - positives) * log1p(-ybar);
    out->null_deviance = -2.0 * out->null_loglik;
    out->aic = 2.0 * (double)prob->p - 2.0 * out->loglik;
    rc = 0;
done:
    if (rc != 0)
        logit_result_free(out);
    workspace_free(&ws);
    return rc;
}
