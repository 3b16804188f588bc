/* Passenger records into the trainer's compact rows and through its final fit
 * (model_train_data), the path titanic-train runs: for tests that need a fitted model or the
 * trainer's rows without a database. */
#ifndef TITANIC_TEST_TRAIN_ROWS_H
#define TITANIC_TEST_TRAIN_ROWS_H

#include "model_fit.h"
#include "train_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rows[0..n) as the trainer reads them; NULL with err on a bad row. */
static inline train_data *train_rows_load(const passenger *rows, size_t n, size_t sample_max,
                                          char *err, size_t errlen) {
    train_data *d = train_data_new(0, 0, n + 1);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    train_data_set_sample(d, sample_max, 1912);
    for (size_t i = 0; i < n; i++)
        if (train_data_add(d, &rows[i], err, errlen) != 0) {
            train_data_free(d);
            return NULL;
        }
    if (train_data_finish(d, err, errlen) != 0) {
        train_data_free(d);
        return NULL;
    }
    return d;
}

/* set with l2 fitted on every labelled row of rows, as titanic-train's final fit does. */
static inline titanic_model *train_rows_fit(const passenger *rows, size_t n, const feature_set *set,
                                            double l2, char *err, size_t errlen) {
    train_data *d = train_rows_load(rows, n, n, err, errlen);
    if (!d)
        return NULL;
    sha256_ctx ctx;
    char sha[65];
    sha256_init(&ctx);
    for (size_t i = 0; i < n; i++)
        if (rows[i].survived >= 0)
            model_fingerprint_add(&ctx, &rows[i]);
    sha256_final_hex(&ctx, sha);
    logit_parameter param;
    logit_default_parameter(&param);
    param.l2 = l2;
    titanic_model *m = model_train_data(d, NULL, 0, set, &param, sha, NULL, err, errlen);
    train_data_free(d);
    return m;
}

#endif
