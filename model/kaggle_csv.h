/* A small streaming reader of Kaggle-layout passenger CSV files (train.csv, test.csv), for
 * `titanic-train --bench-csv` and the model's tests, which must read a file without a database.
 * Strict: the first invalid record stops the read with its line and field. (The ETL's reader in
 * etl/csv_passenger.h is the production parser with reject handling; this one only needs to be
 * correct for well-formed files, and to keep memory constant however many rows stream through.) */
#ifndef TITANIC_KAGGLE_CSV_H
#define TITANIC_KAGGLE_CSV_H

#include "passenger.h"

#include <stddef.h>

/* Calls row(p, arg) for every record of the file at path, in order; row returns 0 to go on.
 * Returns the number of records read, or -1 with err (open/read failure, unknown header, invalid
 * field, or a non-zero return from row). */
long kaggle_csv_read(const char *path, int (*row)(const passenger *p, void *arg), void *arg,
                     char *err, size_t errlen);

/* Reads the whole file into a malloc'd array (for the 891-row test files). */
long kaggle_csv_load(const char *path, passenger **rows, char *err, size_t errlen);

#endif
