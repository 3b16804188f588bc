/* The model report: one self-contained HTML page with SVG plots drawn here (SVG is text, so no
 * plotting stack). It says where the data came from, what each figure is (the mean over held-out
 * folds, or pooled over every held-out passenger, labelled so), sets the model beside the
 * baselines (all die, women survive) on the same passengers, and shows the ROC and calibration
 * curves (counts written on the page), the confusion matrix and the coefficients, with a caveat
 * when they come from a penalised fit and features that did not vary flagged instead of drawn. */
#ifndef TITANIC_REPORT_H
#define TITANIC_REPORT_H

#include "model.h"

#include <stddef.h>

typedef struct report_input {
    const titanic_model *m;
    /* The CV sample: held-out probabilities (cv_result.oof), survival and sex (1 female). */
    const double *oof, *y, *female;
    size_t n;
    const unsigned char *varies;   /* per design column: 1 when it varied in training; NULL: all */
    const char *source;            /* where the training rows came from (ETL runs, files) */
    const char *comparison;        /* the activation decision in one sentence, or NULL */
    const titanic_model *previous; /* the active model before this run, or NULL */
    int replaced;                  /* 1 when m was activated in previous's place */
} report_input;

/* The page, malloc'd, or NULL when out of memory. */
char *report_html(const report_input *in);

#endif
