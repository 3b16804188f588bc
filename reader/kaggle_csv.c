/* Reading a passenger CSV file without a database, for `titanic-train --bench-csv` and the model's
 * tests: a strict front end on the passenger-file reader (csv_passenger.c), so there is one CSV
 * parser in the project. The first invalid record stops the read with its line and reason. */
#include "kaggle_csv.h"

#include "csv_passenger.h"
#include "errors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int (*row)(const passenger *p, void *arg);
    void *arg;
    long rows;
    char problem[512];
} strict_read;

static int accept_row(const passenger *p, const csv_row_text *text, long line, void *arg) {
    (void)text;
    strict_read *s = arg;
    if (s->row(p, s->arg) != 0) {
        snprintf(s->problem, sizeof s->problem, "line %ld: stopped by the caller", line);
        return -1;
    }
    s->rows++;
    return 0;
}

static int refuse_reject(long line, const char *field, const char *reason, const char *raw,
                         size_t raw_len, void *arg) {
    (void)field;
    (void)raw;
    (void)raw_len;
    strict_read *s = arg;
    snprintf(s->problem, sizeof s->problem, "line %ld: %s", line, reason);
    return -1;
}

long kaggle_csv_read(const char *path, int (*row)(const passenger *p, void *arg), void *arg,
                     char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return errorf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    strict_read s = {row, arg, 0, ""};
    csv_callbacks callbacks = {accept_row, refuse_reject, &s};
    csv_reader *reader = csv_reader_new(&callbacks, CSV_DEFAULT_ID_BASE);
    char chunk[65536];
    int rc = reader ? 0 : -1;
    size_t n;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = csv_reader_feed(reader, chunk, n, err, errlen);
    if (rc == 0 && ferror(f))
        rc = errorf(err, errlen, "cannot read %s", path);
    if (rc == 0)
        rc = csv_reader_finish(reader, err, errlen);
    if (rc != 0 && s.problem[0])
        snprintf(err, errlen, "%s: %s", path, s.problem);
    csv_reader_free(reader);
    fclose(f);
    return rc == 0 ? s.rows : -1;
}
