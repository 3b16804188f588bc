/* A strict front end on the passenger-file reader (csv_passenger.h) for `titanic-train
 * --bench-csv`/`--evaluate-csv` and the model's tests, which read a file without a database: the
 * first invalid record stops the read with its line and field, where the ETL records rejects and
 * goes on. Memory stays constant however many rows stream through kaggle_csv_read. */
#ifndef TITANIC_KAGGLE_CSV_H
#define TITANIC_KAGGLE_CSV_H

#include "passenger.h"

#include <stddef.h>

/* Calls row(p, arg) for every record of the file at path, in order; row returns 0 to go on.
 * Returns the number of records read, or -1 with err (open/read failure, unknown header, invalid
 * field, or a non-zero return from row). */
long kaggle_csv_read(const char *path, int (*row)(const passenger *p, void *arg), void *arg,
                     char *err, size_t errlen);

#endif
