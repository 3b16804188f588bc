/* Training a whole model document: see model.h for the document, cross_validation.h for CV. */
#ifndef TITANIC_MODEL_FIT_H
#define TITANIC_MODEL_FIT_H

#include "model.h"

/* Fits the pipeline on n passengers with known survival. training_sha256 fingerprints them
 * (model_fingerprint). The model has no metrics until model_set_cv. */
titanic_model *model_train(const passenger *rows, size_t n, const feature_set *set,
                           const logit_parameter *param, char *err, size_t errlen);

#endif
