/* Kaggle-layout CSV reader on libcsv. See kaggle_csv.h. */
#include "kaggle_csv.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    COL_ID,
    COL_SURVIVED,
    COL_PCLASS,
    COL_NAME,
    COL_SEX,
    COL_AGE,
    COL_SIBSP,
    COL_PARCH,
    COL_TICKET,
    COL_FARE,
    COL_CABIN,
    COL_EMBARKED,
    COL_COUNT
};

static const char *const headers[COL_COUNT] = {"PassengerId", "Survived", "Pclass", "Name",
                                               "Sex",         "Age",      "SibSp",  "Parch",
                                               "Ticket",      "Fare",     "Cabin",  "Embarked"};

#define MAX_FIELDS 16

typedef struct {
    int (*row)(const passenger *p, void *arg);
    void *arg;
    int column_of_field[MAX_FIELDS]; /* header position -> COL_*, -1 for unknown columns */
    int field;                       /* position within the current record */
    int header_done;
    long line; /* data record number (1-based) */
    long rows;
    passenger current;
    int failed;
    char *err;
    size_t errlen;
} reader;

static void stop(reader *r, const char *field, const char *reason) {
    if (!r->failed)
        snprintf(r->err, r->errlen, "record %ld, column %s: %s", r->line, field, reason);
    r->failed = 1;
}

static void header_field(reader *r, const char *text, size_t len) {
    if (r->field >= MAX_FIELDS) {
        stop(r, "header", "too many columns");
        return;
    }
    r->column_of_field[r->field] = -1;
    for (int c = 0; c < COL_COUNT; c++)
        if (strlen(headers[c]) == len && strncasecmp(text, headers[c], len) == 0)
            r->column_of_field[r->field] = c;
}

static void data_field(reader *r, const char *text, size_t len) {
    if (r->field >= MAX_FIELDS || r->column_of_field[r->field] < 0 || len == 0)
        return;
    int c = r->column_of_field[r->field];
    passenger *p = &r->current;
    char why[256];
    int rc = 0;
    switch (c) {
    case COL_ID:
        rc = passenger_parse_id(text, len, &p->id, why, sizeof why);
        break;
    case COL_SURVIVED:
        rc = passenger_parse_survived(text, len, &p->survived, why, sizeof why);
        break;
    case COL_PCLASS:
        rc = passenger_parse_pclass(text, len, &p->pclass, why, sizeof why);
        break;
    case COL_NAME:
        rc = passenger_parse_text(text, len, PASSENGER_NAME_MAX, p->name, why, sizeof why);
        break;
    case COL_SEX:
        rc = passenger_parse_sex(text, len, 0, &p->sex, why, sizeof why);
        break;
    case COL_AGE:
        rc = passenger_parse_age(text, len, &p->age, why, sizeof why);
        break;
    case COL_SIBSP:
        rc = passenger_parse_family(text, len, &p->sibsp, why, sizeof why);
        break;
    case COL_PARCH:
        rc = passenger_parse_family(text, len, &p->parch, why, sizeof why);
        break;
    case COL_TICKET:
        rc = passenger_parse_text(text, len, PASSENGER_TICKET_MAX, p->ticket, why, sizeof why);
        break;
    case COL_FARE:
        rc = passenger_parse_fare(text, len, &p->fare, why, sizeof why);
        break;
    case COL_CABIN:
        rc = passenger_parse_text(text, len, PASSENGER_CABIN_MAX, p->cabin, why, sizeof why);
        break;
    case COL_EMBARKED:
        rc = passenger_parse_embarked(text, len, &p->embarked, why, sizeof why);
        break;
    }
    if (rc != 0)
        stop(r, headers[c], why);
}

static void on_field(void *data, size_t len, void *arg) {
    reader *r = arg;
    if (r->failed)
        return;
    if (!r->header_done)
        header_field(r, data ? data : "", data ? len : 0);
    else
        data_field(r, data ? data : "", data ? len : 0);
    r->field++;
}

static void check_header(reader *r) {
    int seen[COL_COUNT] = {0};
    for (int f = 0; f < r->field && f < MAX_FIELDS; f++)
        if (r->column_of_field[f] >= 0)
            seen[r->column_of_field[f]] = 1;
    for (int c = 0; c < COL_COUNT; c++)
        if (!seen[c] && c != COL_SURVIVED)
            stop(r, headers[c], "missing from the header (expected the Kaggle layout)");
}

static void on_record(int term, void *arg) {
    (void)term;
    reader *r = arg;
    if (r->failed)
        return;
    if (!r->header_done) {
        r->header_done = 1;
        check_header(r);
    } else {
        if (r->current.id <= 0 || r->current.pclass == 0 || !r->current.name[0])
            stop(r, "PassengerId/Pclass/Name", "required value missing");
        else if (r->row(&r->current, r->arg) != 0)
            stop(r, "-", "stopped by the caller");
        r->rows++;
    }
    r->line++;
    r->field = 0;
    passenger_init(&r->current);
}

long kaggle_csv_read(const char *path, int (*row)(const passenger *p, void *arg), void *arg,
                     char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct csv_parser parser;
    if (csv_init(&parser, CSV_APPEND_NULL) != 0) {
        fclose(f);
        snprintf(err, errlen, "cannot initialise the CSV parser");
        return -1;
    }
    reader r = {.row = row, .arg = arg, .err = err, .errlen = errlen};
    passenger_init(&r.current);
    char buf[1 << 16];
    size_t got;
    while (!r.failed && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (csv_parse(&parser, buf, got, on_field, on_record, &r) != got) {
            snprintf(err, errlen, "%s: %s", path, csv_strerror(csv_error(&parser)));
            r.failed = 1;
        }
    }
    if (!r.failed && ferror(f)) {
        snprintf(err, errlen, "reading %s: %s", path, strerror(errno));
        r.failed = 1;
    }
    if (!r.failed)
        csv_fini(&parser, on_field, on_record, &r);
    csv_free(&parser);
    fclose(f);
    if (!r.failed && !r.header_done) {
        snprintf(err, errlen, "%s is empty (no header)", path);
        return -1;
    }
    return r.failed ? -1 : r.rows;
}

typedef struct {
    passenger *rows;
    size_t n, cap;
} collector;

/* Bounded like the ETL: more rows than a passenger id can number is not a Titanic file. */
static int collect(const passenger *p, void *arg) {
    collector *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        if (cap > (size_t)PASSENGER_ID_MAX)
            return -1;
        passenger *rows = realloc(c->rows, cap * sizeof *rows);
        if (!rows)
            return -1;
        c->rows = rows;
        c->cap = cap;
    }
    c->rows[c->n++] = *p;
    return 0;
}

long kaggle_csv_load(const char *path, passenger **rows, char *err, size_t errlen) {
    collector c = {0};
    long n = kaggle_csv_read(path, collect, &c, err, errlen);
    if (n < 0) {
        free(c.rows);
        *rows = NULL;
        return -1;
    }
    *rows = c.rows;
    return n;
}
