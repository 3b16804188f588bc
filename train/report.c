/* The HTML model report with hand-drawn SVG plots. See report.h. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes text with &, <, >, " and ' escaped for HTML. */
static void html_escape(FILE *out, const char *text) {
    for (const char *p = text; *p; p++) {
        const char *entity = *p == '&'    ? "&amp;"
                             : *p == '<'  ? "&lt;"
                             : *p == '>'  ? "&gt;"
                             : *p == '"'  ? "&quot;"
                             : *p == '\'' ? "&#39;"
                                          : NULL;
        if (entity)
            fputs(entity, out);
        else
            fputc(*p, out);
    }
}

/* 97.5% normal quantile: 95% Wald intervals. */
#define Z975 1.959963984540054
#define CALIBRATION_BINS 10

/* Plot geometry shared by the square plots: a 360 x 360 canvas with a 48px margin. */
#define SQ 360.0
#define MARGIN 48.0
#define INNER (SQ - 2 * MARGIN)

/* train/report.css, compiled in (cmake/EmbedFile.cmake). */
extern const char report_style[];

/* x in [0,1] -> canvas coordinate, y flipped. */
static double px(double v) {
    return MARGIN + v * INNER;
}
static double py(double v) {
    return SQ - MARGIN - v * INNER;
}

/* Opens a square plot's svg (label: its aria-label) and draws its axes and diagonal. */
static void square_axes(FILE *b, const char *label, const char *xlabel, const char *ylabel) {
    fprintf(b, "<svg viewBox='0 0 %g %g' width='100%%' role='img' aria-label='%s'>", SQ, SQ, label);
    fprintf(b, "<rect x='%g' y='%g' width='%g' height='%g' fill='#fbfcfd' stroke='#ccd'/>", MARGIN,
            MARGIN, INNER, INNER);
    for (int i = 0; i <= 4; i++) {
        double v = i / 4.0;
        fprintf(b,
                "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#e3e6ea'/>"
                "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#e3e6ea'/>"
                "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle' "
                "fill='#667'>%.2g</text>"
                "<text x='%.1f' y='%.1f' font-size='11' text-anchor='end' "
                "fill='#667'>%.2g</text>",
                px(v), py(0), px(v), py(1), px(0), py(v), px(1), py(v), px(v), py(0) + 16, v,
                px(0) - 6, py(v) + 4, v);
    }
    fprintf(b,
            "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#99a' "
            "stroke-dasharray='4 4'/>",
            px(0), py(0), px(1), py(1));
    fprintf(b,
            "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle' "
            "fill='#334'>%s</text>"
            "<text transform='translate(14 %.1f) rotate(-90)' font-size='12' "
            "text-anchor='middle' fill='#334'>%s</text>",
            SQ / 2, SQ - 10, xlabel, SQ / 2, ylabel);
}

typedef struct {
    double prob, y;
} point;

static int by_prob_desc(const void *a, const void *b) {
    double x = ((const point *)a)->prob, z = ((const point *)b)->prob;
    return (x < z) - (x > z);
}

/* Writes the ROC curve's points (pts sorted by falling probability, pos of them positive), one
 * per distinct threshold, each as fmt with its x and y: ties move diagonally, as they should. */
static void roc_steps(FILE *b, const point *pts, size_t n, size_t pos, const char *fmt) {
    size_t tp = 0, fp = 0, neg = n - pos;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && pts[j].prob == pts[i].prob) {
            tp += pts[j].y == 1.0;
            fp += pts[j].y != 1.0;
            j++;
        }
        fprintf(b, fmt, px(neg ? (double)fp / (double)neg : 0),
                py(pos ? (double)tp / (double)pos : 0));
        i = j;
    }
}

/* -1 when out of memory (the report is then not written at all). */
static int roc_plot(FILE *b, const double *oof, const double *y, size_t n, double auc) {
    point *pts = malloc((n ? n : 1) * sizeof *pts);
    if (!pts)
        return -1;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        pts[i].prob = oof[i];
        pts[i].y = y[i];
        pos += y[i] == 1.0;
    }
    qsort(pts, n, sizeof *pts, by_prob_desc);
    square_axes(b, "ROC curve", "false positive rate", "true positive rate");
    /* The polyline steps at each distinct threshold; ties move diagonally, as they should. */
    fprintf(b, "<path d='M%.1f %.1f", px(0), py(0));
    roc_steps(b, pts, n, pos, " L%.1f %.1f");
    fprintf(b, " L%.1f %.1f L%.1f %.1f Z' fill='rgba(46,111,219,.12)' stroke='none'/>", px(1),
            py(0), px(0), py(0));
    fprintf(b, "<polyline fill='none' stroke='#2e6fdb' stroke-width='2.2' points='%.1f,%.1f", px(0),
            py(0));
    roc_steps(b, pts, n, pos, " %.1f,%.1f");
    fprintf(b, "'/>");
    fprintf(b,
            "<text x='%.1f' y='%.1f' font-size='20' font-weight='600' text-anchor='end' "
            "fill='#2e6fdb'>AUC %.3f</text></svg>",
            px(1) - 10, py(0) - 14, auc);
    free(pts);
    return 0;
}

static void calibration_plot(FILE *b, const double *oof, const double *y, size_t n) {
    double sum_p[CALIBRATION_BINS] = {0}, sum_y[CALIBRATION_BINS] = {0};
    size_t count[CALIBRATION_BINS] = {0}, most = 1;
    for (size_t i = 0; i < n; i++) {
        int k = (int)(oof[i] * CALIBRATION_BINS);
        k = k < 0 ? 0 : k >= CALIBRATION_BINS ? CALIBRATION_BINS - 1 : k;
        sum_p[k] += oof[i];
        sum_y[k] += y[i];
        count[k]++;
    }
    for (int k = 0; k < CALIBRATION_BINS; k++)
        most = count[k] > most ? count[k] : most;
    square_axes(b, "Calibration curve", "mean predicted probability", "observed survival rate");
    /* Bars along the bottom: how many passengers fall in each bin. */
    for (int k = 0; k < CALIBRATION_BINS; k++) {
        double h = 0.18 * INNER * (double)count[k] / (double)most;
        fprintf(b,
                "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#d9dee7'/>"
                "<text x='%.1f' y='%.1f' font-size='9' text-anchor='middle' fill='#556'>%zu</text>",
                px(k / (double)CALIBRATION_BINS) + 2, py(0) - h, INNER / CALIBRATION_BINS - 4, h,
                px((k + 0.5) / CALIBRATION_BINS), py(0) - h - 3, count[k]);
    }
    fprintf(b, "<polyline fill='none' stroke='#e4572e' stroke-width='2' points='");
    for (int k = 0; k < CALIBRATION_BINS; k++)
        if (count[k])
            fprintf(b, " %.1f,%.1f", px(sum_p[k] / count[k]), py(sum_y[k] / count[k]));
    fprintf(b, "'/>");
    for (int k = 0; k < CALIBRATION_BINS; k++)
        if (count[k])
            fprintf(b,
                    "<circle cx='%.1f' cy='%.1f' r='%.1f' fill='#e4572e' stroke='#fff'>"
                    "<title>predicted %.2f, observed %.2f (%zu passengers)</title></circle>",
                    px(sum_p[k] / count[k]), py(sum_y[k] / count[k]),
                    3.0 + 5.0 * sqrt((double)count[k] / (double)most), sum_p[k] / count[k],
                    sum_y[k] / count[k], count[k]);
    fprintf(b, "</svg>");
}

static void confusion_plot(FILE *b, const double *oof, const double *y, size_t n,
                           double threshold) {
    size_t cell[2][2] = {{0, 0}, {0, 0}}; /* [actual][predicted] */
    for (size_t i = 0; i < n; i++)
        cell[y[i] == 1.0][oof[i] >= threshold]++;
    const char *actual[2] = {"died", "survived"};
    fprintf(b, "<svg viewBox='0 0 360 300' width='100%%' role='img' "
               "aria-label='Confusion matrix'>");
    fprintf(b, "<text x='215' y='22' font-size='12' text-anchor='middle' fill='#334'>"
               "predicted</text>"
               "<text transform='translate(12 165) rotate(-90)' font-size='12' "
               "text-anchor='middle' fill='#334'>actual</text>");
    for (int a = 0; a < 2; a++) {
        fprintf(b,
                "<text x='%d' y='44' font-size='12' text-anchor='middle' fill='#667'>%s</text>"
                "<text x='86' y='%d' font-size='12' text-anchor='end' fill='#667'>%s</text>",
                155 + a * 120, actual[a], 115 + a * 110, actual[a]);
        size_t row_total = cell[a][0] + cell[a][1];
        for (int p = 0; p < 2; p++) {
            double share = row_total ? (double)cell[a][p] / (double)row_total : 0.0;
            int right = a == p;
            fprintf(b,
                    "<rect x='%d' y='%d' width='116' height='106' rx='8' fill='%s' "
                    "fill-opacity='%.2f'/>"
                    "<text x='%d' y='%d' font-size='26' font-weight='600' "
                    "text-anchor='middle' fill='#1d2330'>%zu</text>"
                    "<text x='%d' y='%d' font-size='12' text-anchor='middle' "
                    "fill='#445'>%.0f%% of %s</text>",
                    97 + p * 120, 56 + a * 110, right ? "#1b9e77" : "#d95f02", 0.15 + 0.7 * share,
                    155 + p * 120, 112 + a * 110, cell[a][p], 155 + p * 120, 132 + a * 110,
                    100.0 * share, actual[a]);
        }
    }
    fprintf(b, "</svg>");
}

/* 1 when column j varied in training (a constant column has no estimate worth drawing). The
 * intercept (column 0) is constant by design and always estimated. */
static int varies(const report_input *in, size_t j) {
    return j == 0 || !in->varies || in->varies[j];
}

static void coefficient_plot(FILE *b, const report_input *in) {
    const titanic_model *m = in->m;
    const logit_result *fit = model_fit(m);
    size_t rows = 0, row = 0;
    double lo = 0.0, hi = 0.0;
    for (size_t j = 1; j < fit->p; j++) {
        if (!varies(in, j))
            continue;
        rows++;
        lo = fmin(lo, fit->beta[j] - Z975 * fit->se[j]);
        hi = fmax(hi, fit->beta[j] + Z975 * fit->se[j]);
    }
    rows = rows ? rows : 1;
    /* Keep a wild interval from squashing the rest: clip the axis at +-8 log-odds. */
    lo = fmax(floor(lo), -8.0);
    hi = fmin(ceil(hi), 8.0);
    if (hi - lo < 1.0)
        hi = lo + 1.0;
    double left = 170, width = 520, top = 20, step = 26, height = top + step * (double)rows + 40;
#define CX(v) (left + ((fmin(fmax((v), lo), hi) - lo) / (hi - lo)) * width)
    fprintf(b,
            "<svg viewBox='0 0 720 %.0f' width='100%%' role='img' "
            "aria-label='Coefficients with 95%% intervals'>",
            height);
    for (double t = lo; t <= hi + 1e-9; t += 1.0)
        fprintf(b,
                "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s'/>"
                "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle' "
                "fill='#667'>%g</text>",
                CX(t), top - 6, CX(t), top + step * (double)rows, t == 0 ? "#556" : "#e3e6ea",
                CX(t), top + step * (double)rows + 16, t);
    fprintf(b,
            "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle' fill='#334'>"
            "change in log-odds of survival (95%% interval)</text>",
            left + width / 2, height - 4);
    for (size_t j = 1; j < fit->p; j++) {
        if (!varies(in, j))
            continue;
        double yy = top + step * (double)row++ + step / 2;
        double est = fit->beta[j], a = est - Z975 * fit->se[j], z = est + Z975 * fit->se[j];
        const char *colour = a > 0 ? "#1b9e77" : z < 0 ? "#d95f02" : "#7a8599";
        fprintf(b, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='end' fill='#1d2330'>",
                left - 10, yy + 4);
        html_escape(b, model_column_name(m, j));
        fprintf(b,
                "</text><line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' "
                "stroke-width='2.5' stroke-linecap='round'/>"
                "<circle cx='%.1f' cy='%.1f' r='5' fill='%s'><title>%.3f [%.3f, %.3f]"
                "</title></circle>",
                CX(a), yy, CX(z), yy, colour, CX(est), yy, colour, est, a, z);
    }
#undef CX
    fprintf(b, "</svg>");
}

/* Inference from a penalised fit is the ridge approximation, not a test: said beside it. */
static void penalty_caveat(FILE *b, const titanic_model *m) {
    if (model_parameter(m)->l2 > 0)
        fprintf(b,
                "<p class='caveat'>Fitted with an L2 penalty (&lambda; = %g): the estimates are "
                "shrunk toward 0, and the standard errors, z, p-values, intervals and AIC are "
                "those of the penalised fit (the ridge approximation). They describe this fit; "
                "they are not an unpenalised model's inference, and the p-values are not valid "
                "tests.</p>",
                model_parameter(m)->l2);
}

static void coefficient_table(FILE *b, const report_input *in) {
    const titanic_model *m = in->m;
    const logit_result *fit = model_fit(m);
    fprintf(b, "<table><tr><th>column</th><th>estimate</th><th>std. error</th><th>z</th>"
               "<th>p</th><th>odds ratio</th><th>95%% interval (odds ratio)</th></tr>");
    for (size_t j = 0; j < fit->p; j++) {
        fprintf(b, "<tr><td>");
        html_escape(b, model_column_name(m, j));
        if (!varies(in, j)) {
            fprintf(b,
                    "</td><td colspan='6' class='flag'>no variation in the training data: "
                    "not estimated (the penalty holds it at %.3g), not drawn</td></tr>",
                    fit->beta[j]);
            continue;
        }
        fprintf(b,
                "</td><td>%.4f</td><td>%.4f</td><td>%.2f</td><td%s>%.2g</td>"
                "<td>%.3g</td><td>%.3g &ndash; %.3g</td></tr>",
                fit->beta[j], fit->se[j], fit->z[j], fit->pvalue[j] < 0.05 ? " class='sig'" : "",
                fit->pvalue[j], exp(fit->beta[j]), exp(fit->beta[j] - Z975 * fit->se[j]),
                exp(fit->beta[j] + Z975 * fit->se[j]));
    }
    fprintf(b,
            "</table><p class='note'>Log-likelihood %.3f, deviance %.2f (null %.2f), "
            "AIC %.2f, %d Newton iterations, L2 penalty %g.</p>",
            fit->loglik, fit->deviance, fit->null_deviance, fit->aic, fit->iterations,
            model_parameter(m)->l2);
}

/* The figures of one model next to the baselines on the same passengers, each labelled with
 * what it is: the mean over held-out folds (the estimate) or pooled over every held-out passenger
 * (what the plots show); they differ because a mean of ratios is not the ratio of sums. */
static void estimates_table(FILE *b, const report_input *in) {
    const cv_result *cv = model_cv(in->m);
    const titanic_model *form = model_form(in->m);
    const cv_result *fcv = form ? model_cv(form) : NULL;
    fprintf(b, "<table><tr><th></th><th>accuracy</th><th>ROC AUC</th><th>log-loss</th></tr>");
    if (cv)
        fprintf(b,
                "<tr><td><b>model, mean of the %d outer held-out folds</b> (the estimate; "
                "&plusmn; sd)</td><td><b>%.3f</b> &plusmn; %.3f</td><td>%.3f &plusmn; %.3f</td>"
                "<td>%.3f &plusmn; %.3f</td></tr>",
                cv->folds * cv->repeats, cv->accuracy.mean, cv->accuracy.sd, cv->auc.mean,
                cv->auc.sd, cv->log_loss.mean, cv->log_loss.sd);
    if (fcv)
        fprintf(b,
                "<tr><td>form model (requests without a name), mean of the outer folds</td>"
                "<td>%.3f &plusmn; %.3f</td><td>%.3f &plusmn; %.3f</td><td>%.3f &plusmn; %.3f</td>"
                "</tr>",
                fcv->accuracy.mean, fcv->accuracy.sd, fcv->auc.mean, fcv->auc.sd,
                fcv->log_loss.mean, fcv->log_loss.sd);
    if (in->oof && in->n) {
        double died = 0, women = 0;
        for (size_t i = 0; i < in->n; i++) {
            died += in->y[i] == 0.0;
            women += in->female && (in->female[i] == 1.0) == (in->y[i] == 1.0);
        }
        fprintf(b,
                "<tr><td>model, pooled over the %zu held-out passengers (the plots; probability "
                "averaged over the repeats)</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>"
                "<tr><td>baseline: all die</td><td>%.3f</td><td>0.500</td><td>&mdash;</td></tr>",
                in->n, metric_accuracy(in->oof, in->y, NULL, in->n, model_threshold(in->m)),
                metric_auc(in->oof, in->y, NULL, in->n),
                metric_log_loss(in->oof, in->y, NULL, in->n), died / (double)in->n);
        if (in->female)
            fprintf(b,
                    "<tr><td>baseline: women survive</td><td>%.3f</td><td>%.3f</td>"
                    "<td>&mdash;</td></tr>",
                    women / (double)in->n, metric_auc(in->female, in->y, NULL, in->n));
    }
    fprintf(b, "</table>");
}

static void definitions(FILE *b, const titanic_model *m) {
    const feature_state *st = model_features(m);
    fprintf(b, "<dl>");
    for (int i = 0; i < st->set.count; i++) {
        fprintf(b, "<dt>%s</dt><dd>", feature_group_name(st->set.groups[i]));
        html_escape(b, feature_group_definition(st->set.groups[i]));
        fprintf(b, "</dd>");
    }
    fprintf(b, "<dt>learned in training</dt><dd>");
    for (int i = 0; i < st->set.count; i++) {
        feature_group g = st->set.groups[i];
        if (g == FEATURE_AGE) {
            fprintf(b, "median age by title:");
            for (int t = 0; t < TITLE_COUNT; t++)
                fprintf(b, " %s %.1f%s", title_name(t), st->age_by_title[t],
                        t + 1 < TITLE_COUNT ? "," : "; ");
        } else if (g == FEATURE_AGE_MEDIAN) {
            fprintf(b, "median age %.1f; ", st->age_median);
        } else if (g == FEATURE_FARE || g == FEATURE_LOG_FARE) {
            fprintf(b, "median fare by class %.2f / %.2f / %.2f; ", st->fare_by_pclass[0],
                    st->fare_by_pclass[1], st->fare_by_pclass[2]);
        } else if (g == FEATURE_EMBARKED) {
            fprintf(b, "most common port %c; ", st->embarked_mode);
        }
    }
    fprintf(b, "names without a title count as %s (men) and %s (women).</dd></dl>",
            title_name(st->title_for_sex[SEX_MALE]), title_name(st->title_for_sex[SEX_FEMALE]));
}

static double jnum(json_t *obj, const char *path) {
    /* path: "a.b.c" */
    char key[64];
    json_t *v = obj;
    while (v && *path) {
        size_t len = strcspn(path, ".");
        snprintf(key, sizeof key, "%.*s", (int)(len < 63 ? len : 63), path);
        v = json_object_get(v, key);
        path += len + (path[len] == '.');
    }
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The honest estimate: outer folds against the inner scores of what the selection chose. */
static void nested_panel(FILE *b, const titanic_model *m) {
    json_t *n = model_nested(m);
    if (!n)
        return;
    fprintf(b,
            "<div class='panel' style='margin-top:18px'><h2>Nested cross-validation</h2>"
            "<table><tr><th></th><th>accuracy</th><th>log-loss</th></tr>"
            "<tr><td>outer held-out folds (the estimate)</td><td>%.3f &plusmn; %.3f</td>"
            "<td>%.3f &plusmn; %.3f</td></tr>"
            "<tr><td>inner CV of the chosen candidates</td><td>%.3f</td><td>%.3f</td></tr>"
            "<tr><td>optimism (inner &minus; outer)</td><td>%+.3f</td><td>%+.3f</td></tr>"
            "</table>",
            jnum(n, "outer.accuracy.mean"), jnum(n, "outer.accuracy.sd"),
            jnum(n, "outer.log_loss.mean"), jnum(n, "outer.log_loss.sd"), jnum(n, "inner.accuracy"),
            jnum(n, "inner.log_loss"), jnum(n, "optimism.accuracy"), -jnum(n, "optimism.log_loss"));
    json_t *cal = json_object_get(n, "calibration");
    fprintf(b,
            "<p class='note'>Outer: %g-fold &times; %g repeats on %g passengers (of %g); each "
            "outer fold's feature set, L2 and temperature were chosen by a %g &times; %g inner CV "
            "of its training part only. Expected calibration error (10 bins, held-out): "
            "%.3f raw, %.3f with temperature %.3f; outer log-loss %.4f raw, %.4f calibrated: "
            "temperature %s.</p>",
            jnum(n, "outer.folds"), jnum(n, "outer.repeats"), jnum(n, "sample.rows"),
            jnum(n, "sample.of"), jnum(n, "inner.folds"), jnum(n, "inner.repeats"),
            jnum(n, "ece.raw"), jnum(n, "ece.calibrated"), jnum(cal, "temperature"),
            jnum(cal, "outer_log_loss_raw"), jnum(cal, "outer_log_loss_calibrated"),
            json_is_true(json_object_get(cal, "kept")) ? "kept" : "not kept (no gain)");
    json_t *cands = json_object_get(json_object_get(n, "selection"), "candidates");
    fprintf(b, "<table><tr><th>candidate features</th><th>columns</th><th>chosen in outer "
               "folds (by L2)</th></tr>");
    for (size_t i = 0; i < json_array_size(cands); i++) {
        json_t *c = json_array_get(cands, i);
        char *chosen = json_dumps(json_object_get(c, "outer_folds_chosen"), JSON_COMPACT);
        fprintf(b, "<tr><td>");
        html_escape(b, json_string_value(json_object_get(c, "features")));
        fprintf(b, "</td><td>%g</td><td>", jnum(c, "columns"));
        html_escape(b, chosen ? chosen : "");
        fprintf(b, "</td></tr>");
        free(chosen);
    }
    fprintf(b, "</table></div>");
}

/* One table cell: the spread's mean, or a dash when there is none. */
static void cell_mean(FILE *b, const metric_spread *x) {
    if (!x || isnan(x->mean))
        fprintf(b, "<td>&mdash;</td>");
    else
        fprintf(b, "<td>%.3f</td>", x->mean);
}

/* The active model beside this one: estimates, rows and features. */
static void comparison_panel(FILE *b, const titanic_model *m, const titanic_model *old,
                             int replaced) {
    if (!old)
        return;
    const cv_result *a = model_cv(m), *o = model_cv(old);
    char mine[256], theirs[256];
    feature_set_format(&model_features(m)->set, mine, sizeof mine);
    feature_set_format(&model_features(old)->set, theirs, sizeof theirs);
    fprintf(b,
            "<div class='panel' style='margin-top:18px'><h2>Compared with version %d (%s)</h2>"
            "<table><tr><th></th><th>this model</th><th>version %d</th></tr><tr><td>estimate"
            "</td><td>nested CV (outer folds)</td><td>nested CV (outer folds)</td></tr>",
            model_version(old),
            replaced ? "the active model, which this one replaced"
                     : "the active model, which this one did not replace: not activated",
            model_version(old));
    const char *labels[4] = {"accuracy", "ROC AUC", "log-loss", "Brier"};
    for (int k = 0; k < 4; k++) {
        fprintf(b, "<tr><td>%s</td>", labels[k]);
        for (int w = 0; w < 2; w++) {
            const cv_result *cv = w ? o : a;
            cell_mean(b, !cv      ? NULL
                         : k == 0 ? &cv->accuracy
                         : k == 1 ? &cv->auc
                         : k == 2 ? &cv->log_loss
                                  : &cv->brier);
        }
        fprintf(b, "</tr>");
    }
    fprintf(b,
            "<tr><td>training rows</td><td>%zu</td><td>%zu</td></tr><tr><td>features</td>"
            "<td>%s</td><td>%s</td></tr></table></div>",
            model_training_rows(m), model_training_rows(old), mine, theirs);
}

char *report_html(const report_input *in) {
    const titanic_model *m = in->m;
    char *text = NULL;
    size_t len = 0;
    FILE *b = open_memstream(&text, &len);
    if (!b)
        return NULL;
    char groups[512];
    feature_set_format(&model_features(m)->set, groups, sizeof groups);
    fprintf(b,
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Titanic survival model v%d</title><style>%s</style></head><body>"
            "<header><h1>Titanic survival model &middot; version %d</h1><p>Logistic "
            "regression on %zu passengers &middot; created %s &middot; training data "
            "sha256 %.12s&hellip; &middot; features: %s</p><p>Data: ",
            model_version(m), report_style, model_version(m), model_training_rows(m),
            model_created(m), model_training_sha256(m), groups);
    html_escape(b, in->source ? in->source : "not recorded");
    fprintf(b, "</p></header><main>");
    if (in->comparison) {
        fprintf(b, "<div class='decision'>");
        html_escape(b, in->comparison);
        fprintf(b, "</div>");
    }
    fprintf(b, "<div class='panel'><h2>How good it is</h2>");
    estimates_table(b, in);
    fprintf(b, "</div>");
    nested_panel(b, m);
    comparison_panel(b, m, in->previous, in->replaced);
    fprintf(b, "<div class='grid'>");
    int plotted = 0;
    if (in->oof && in->y && in->n > 0) {
        fprintf(b, "<div class='panel'><h2>ROC curve</h2><p class='note'>Pooled held-out "
                   "probabilities (the table's pooled row); the shaded area is that AUC.</p>");
        plotted = roc_plot(b, in->oof, in->y, in->n, metric_auc(in->oof, in->y, NULL, in->n));
        fprintf(b, "</div><div class='panel'><h2>Calibration</h2><p class='note'>Passengers "
                   "binned by predicted probability: on the diagonal, a predicted 70%% "
                   "means 70%% survived. Bars: passengers per bin (the number above).</p>");
        calibration_plot(b, in->oof, in->y, in->n);
        fprintf(b,
                "</div><div class='panel'><h2>Confusion matrix</h2><p class='note'>"
                "Pooled held-out predictions at threshold %.2f.</p>",
                model_threshold(m));
        confusion_plot(b, in->oof, in->y, in->n, model_threshold(m));
        fprintf(b, "</div>");
    }
    fprintf(b, "</div><div class='panel' style='margin-top:18px'><h2>Coefficients "
               "with 95%% intervals</h2><p class='note'>Green: survival more likely; "
               "orange: less likely; grey: interval includes zero. Fitted on all "
               "training passengers.</p>");
    penalty_caveat(b, m);
    coefficient_plot(b, in);
    fprintf(b, "</div><div class='panel' style='margin-top:18px'><h2>Coefficient table"
               "</h2>");
    penalty_caveat(b, m);
    coefficient_table(b, in);
    fprintf(b, "</div><div class='panel' style='margin-top:18px'><h2>Features</h2>");
    definitions(b, m);
    fprintf(b, "</div></main></body></html>\n");
    /* A failed write (out of memory) shows at fclose. */
    if (fclose(b) != 0 || plotted != 0) {
        free(text);
        return NULL;
    }
    return text;
}
