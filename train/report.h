/* The model report: one self-contained HTML page with SVG plots drawn here (SVG is text, so no
 * plotting stack): ROC curve with AUC, calibration curve, coefficients with 95% intervals,
 * confusion matrix, and the coefficient table. The plots use the cross-validated (held-out)
 * probabilities, so the page shows how the model does on passengers it did not see. */
#ifndef TITANIC_REPORT_H
#define TITANIC_REPORT_H

#include "model.h"

#include <stddef.h>

/* The page for model m. oof: n held-out probabilities (cv_result.oof) with labels y. comparison:
 * one sentence about the activation decision, or NULL. previous: the model m replaces (its
 * metrics and coefficients are shown beside m's), or NULL. Returns malloc'd HTML or NULL. */
char *report_html(const titanic_model *m, const double *oof, const double *y, size_t n,
                  const char *comparison, const titanic_model *previous);

/* Writes html to DIR/index.html, creating DIR when missing. -1 with err on failure. */
int report_write(const char *dir, const char *html, char *err, size_t errlen);

#endif
