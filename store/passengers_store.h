/* The passengers table: its column lists, reading rows into passenger records, and every
 * statement that reads or writes it — lookups and filtered lists for the API, survival counts,
 * the /people contract's writes, the trainer's reads, and the ETL's COPY and merge. */
#ifndef TITANIC_PASSENGERS_STORE_H
#define TITANIC_PASSENGERS_STORE_H

#include "passenger.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* The stored columns, in the order passenger_from_row reads them. */
#define PASSENGER_COLUMNS                                                                          \
    "passenger_id, uuid, survived, pclass, name, sex, age, sibsp, parch, ticket, fare, cabin, "    \
    "embarked"
#define PASSENGER_COLUMN_COUNT 13
/* What the ETL's COPY sends: the stored columns and the run that wrote them. */
#define PASSENGER_COPY_COLUMNS PASSENGER_COLUMNS ", inserted_run, updated_run"

/* Fills p from row of a result whose first PASSENGER_COLUMN_COUNT columns are
 * PASSENGER_COLUMNS (text format). */
void passenger_from_row(const PGresult *res, int row, passenger *p);

extern const store_statement PASSENGER_BY_ID;
extern const store_statement STORE_PING;

/* One passenger. 1 found, 0 not found, -1 error. */
int passengers_store_get(store_conn c, int32_t id, passenger *out, int *unavailable, char *err,
                         size_t errlen);

/* ---- filtered lists (GET /passengers) ---- */

typedef enum {
    PASSENGER_SORT_ID,
    PASSENGER_SORT_NAME,
    PASSENGER_SORT_AGE,
    PASSENGER_SORT_FARE,
    PASSENGER_SORT_PCLASS,
    PASSENGER_SORT_SURVIVED,
    PASSENGER_SORT_COUNT
} passenger_sort;

/* Filters as validated text (NULL = no filter); name is matched as a case-insensitive substring. */
typedef struct passenger_query {
    const char *pclass, *sex, *survived, *embarked, *min_age, *max_age, *name;
    passenger_sort sort;
    int descending;
    long limit, offset;
} passenger_query;

/* The sort key a query parameter names ("fare", "-age"), or -1. */
int passenger_sort_parse(const char *text, passenger_sort *sort, int *descending);

/* The page of q (at most q->limit rows, malloc'd; free with free) and the number of matching rows
 * in *total. -1 with err on failure. */
int passengers_store_list(store_conn c, const passenger_query *q, passenger **rows, int *count,
                          long *total, int *unavailable, char *err, size_t errlen);

/* ---- survival statistics (GET /stats/survival) ---- */

#define SURVIVAL_MAX_DIMENSIONS 3

typedef struct survival_dimension {
    const char *name;
    int integer; /* values are numbers (pclass); the others are labels */
} survival_dimension;

/* The dimensions survival counts can be grouped by, NULL-name terminated. */
extern const survival_dimension survival_dimensions[];

typedef struct survival_group {
    char value[SURVIVAL_MAX_DIMENSIONS][24]; /* "" with is_null set for NULL */
    int is_null[SURVIVAL_MAX_DIMENSIONS];
    long passengers, known, survived;
} survival_group;

/* Counts grouped by the chosen dimensions (indexes into survival_dimensions), ordered by them,
 * and overall. *groups is malloc'd. */
int passengers_store_survival(store_conn c, const int *dimensions, int count,
                              survival_group **groups, int *ngroups, survival_group *overall,
                              int *unavailable, char *err, size_t errlen);

/* ---- the /people contract ---- */

/* The first limit passengers by id (malloc'd). */
int passengers_store_first(store_conn c, long limit, passenger **rows, int *count, int *unavailable,
                           char *err, size_t errlen);
/* Stores p under a new id from the API's id sequence (set in p->id). */
int passengers_store_create(store_conn c, passenger *p, int *unavailable, char *err, size_t errlen);
/* Rewrites the Person fields of p->id (ticket, cabin and port stay). 1 updated, 0 no such row. */
int passengers_store_update_person(store_conn c, const passenger *p, int *unavailable, char *err,
                                   size_t errlen);
/* 1 deleted, 0 no such row. */
int passengers_store_delete(store_conn c, int32_t id, int *unavailable, char *err, size_t errlen);

/* ---- the trainer ---- */

/* Every passenger with known survival, by id (malloc'd). Returns the count or -1. */
long passengers_store_labelled(store_conn c, passenger **rows, char *err, size_t errlen);

/* Streams every passenger by id through a cursor, batch rows at a time, to each(batch, n, arg)
 * (which returns 0 to go on), inside the caller's transaction. Returns the count or -1. */
long passengers_store_scan(PGconn *conn, int batch,
                           int (*each)(const passenger *rows, int n, void *arg), void *arg,
                           char *err, size_t errlen);

/* Streams every passenger, by id, as one binary COPY (passengers_copy.c): nothing is held but the
 * row being parsed. What the model reads, not the whole record: the cabin is "X" when one is
 * recorded, the fare unknown unless with_fare, no uuid. Run it inside a REPEATABLE READ
 * transaction with passengers_store_count so the count and the rows agree. Returns the count or
 * -1. */
long passengers_store_copy_all(PGconn *conn, int with_fare,
                               int (*each)(const passenger *p, void *arg), void *arg, char *err,
                               size_t errlen);

/* How many passengers there are: what the trainer reserves memory for. */
int passengers_store_count(PGconn *conn, long *all, char *err, size_t errlen);

/* The passengers with the n ids given (any order; missing ids are skipped), to each. */
long passengers_store_by_ids(PGconn *conn, const int32_t *ids, size_t n,
                             int (*each)(const passenger *p, void *arg), void *arg, char *err,
                             size_t errlen);

/* ---- the ETL (see etl/loader.c for how they are used) ---- */

extern const char PASSENGERS_LOCK_SQL[];
extern const char PASSENGERS_EMPTY_SQL[];
extern const char PASSENGERS_COPY_SQL[];
extern const char PASSENGERS_CREATE_STAGE_SQL[];
extern const char PASSENGERS_COPY_STAGE_SQL[];
extern const char PASSENGERS_MERGE_STAGE_SQL[];

#endif
