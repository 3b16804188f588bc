/* Training a whole model document: see model.h for the document, nested_cv.h for the CV. */
#ifndef TITANIC_MODEL_FIT_H
#define TITANIC_MODEL_FIT_H

#include "model.h"
#include "sha256.h"
#include "train_data.h"

/* The training set's fingerprint, one passenger at a time (sha256_init first, sha256_final_hex
 * after the last). */
void model_fingerprint_add(sha256_ctx *ctx, const passenger *p);

/* Fits set with param on the rows of d listed (rows NULL: every row; n is then ignored), each
 * passenger's family evidence without its own label, identical design rows merged (so memory
 * follows the distinct rows, a few thousand for the named candidates, not the passengers); the
 * kept families with their keys are the document's wc_groups. varies (NULL, or one
 * entry per column) receives 1 for each column that takes more than one value in training (the
 * report flags the others). The model has no metrics until model_set_cv. */
titanic_model *model_train_data(const train_data *d, const size_t *rows, size_t n,
                                const feature_set *set, const logit_parameter *param,
                                const char *training_sha256, unsigned char *varies, char *err,
                                size_t errlen);

#endif
