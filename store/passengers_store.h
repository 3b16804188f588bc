/* The passengers table: its column lists, reading rows into passenger records, and every
 * statement that reads or writes it — lookups and filtered lists for the API, survival counts,
 * the /people contract's writes, the trainer's reads, and the ETL's COPY and merge. */
#ifndef TITANIC_PASSENGERS_STORE_H
#define TITANIC_PASSENGERS_STORE_H

#include "errors.h"

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

extern const store_statement PASSENGERS_BY_IDS;
extern const store_statement STORE_PING;

/* The most ids passengers_store_get_many takes in one statement. */
#define PASSENGER_BATCH_MAX 256

/* Up to PASSENGER_BATCH_MAX passengers in one statement (the API's batched lookups; an id may
 * repeat): found[i] is 1 and *out[i] the passenger when ids[i] exists, else found[i] is 0. out
 * points into the callers' own records, so rows are decoded where they are wanted.
 * 0, or -1 on error. */
int passengers_store_get_many(store_conn c, const int32_t *ids, int n, passenger *const *out,
                              int *found, int *unavailable, char *err, size_t errlen);

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

/* Offsets deeper than this are refused by the API: an offset reads and drops every row before
 * it, so its cost grows with the table; the cursor (after) does not. */
#define PASSENGER_LIST_MAX_OFFSET 10000L
/* Where a page ended: the last row's id and its value of the sort column (text as PostgreSQL
 * writes it, so it compares exactly). Used as the position after which the next page starts. */
typedef struct passenger_cursor {
    int present;
    int32_t id;
    int value_is_null;
    char value[PASSENGER_NAME_MAX + 1];
} passenger_cursor;

/* Filters as validated text (NULL = no filter); name is matched as a case-insensitive substring
 * of at most PASSENGER_NAME_MAX bytes. */
typedef struct passenger_query {
    const char *pclass, *sex, *survived, *embarked, *min_age, *max_age, *name;
    passenger_sort sort;
    int descending;
    long limit, offset;     /* offset counts from the cursor when there is one */
    passenger_cursor after; /* not present: from the start */
} passenger_query;

/* The sort key a query parameter names ("fare", "-age"), or -1. */
int passenger_sort_parse(const char *text, passenger_sort *sort, int *descending);
/* The column's name ("fare"). */
const char *passenger_sort_name(passenger_sort sort);
/* 0 when cursor (from a client) fits sort: its value parses as that column's type, and it is
 * NULL only where the column can be. */
int passenger_cursor_check(passenger_sort sort, const passenger_cursor *cursor);

/* The page of q, at most q->limit rows (malloc'd; free with free), in the order "column ASC
 * NULLS LAST, passenger_id" or, descending, "column DESC NULLS LAST, passenger_id DESC": each is
 * an index of migration 003 read forwards or backwards, so a page costs the same at any depth.
 * *next is the cursor of the last row when more rows follow, else not present. */
int passengers_store_list(store_conn c, const passenger_query *q, passenger **rows, int *count,
                          passenger_cursor *next, int *unavailable, char *err, size_t errlen);

/* The number of rows q's filters match. Exact (*exact 1) from the survival summary when the
 * filters are only pclass, sex, survived and embarked, at any size; otherwise PostgreSQL's
 * estimate (*exact 0), from planning alone: counting rows that match a name or an age range
 * reads each of them (60 ms for 1001 rows of name=smith at 1M), so it is not done. A caller
 * whose page holds every match knows the exact count without this. */
int passengers_store_count(store_conn c, const passenger_query *q, long *total, int *exact,
                           int *unavailable, char *err, size_t errlen);

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
 * and overall, in one statement (one snapshot) over passenger_survival_summary, which triggers
 * keep current in every writer's transaction (migration 003): its cost does not depend on the
 * number of passengers. *groups is malloc'd. */
int passengers_store_survival(store_conn c, const int *dimensions, int count,
                              survival_group **groups, int *ngroups, survival_group *overall,
                              int *unavailable, char *err, size_t errlen);

/* ---- the /people contract ---- */

/* The writes record writer (the API key's label) in api_writer; a change or delete of a row as the
 * ETL left it first saves that version in passengers_etl_saved, in the same database function
 * (migrations 002 and 005; the API role has no other write), so no API write changes what the
 * trainer learns from by default (passengers_etl_view stays exactly what the ETL loaded). */
/* Stores p under a new id from the API's id sequence (set in p->id). */
int passengers_store_create(store_conn c, passenger *p, const char *writer, int *unavailable,
                            char *err, size_t errlen) TITANIC_MUST_CHECK;
/* Rewrites the Person fields of p->id (ticket, cabin and port stay). 1 updated, 0 no such row. */
int passengers_store_update_person(store_conn c, const passenger *p, const char *writer,
                                   int *unavailable, char *err, size_t errlen) TITANIC_MUST_CHECK;
/* 1 deleted, 0 no such row. */
int passengers_store_delete(store_conn c, int32_t id, const char *writer, int *unavailable,
                            char *err, size_t errlen) TITANIC_MUST_CHECK;

/* ---- the trainer ---- */

/* Streams every passenger the trainer learns from, by id, as one binary COPY (passengers_copy.c):
 * nothing is held but the row being parsed. The ETL's data (passengers_etl_view) unless all_rows,
 * then every row as stored now; labelled or not. What the model reads, not the whole record: the
 * cabin is "X" when one is recorded, no uuid. Run it inside a REPEATABLE READ transaction with
 * passengers_store_count_for_training so the count and the rows agree. Returns the count or -1. */
long passengers_store_copy_training(PGconn *conn, int all_rows,
                                    int (*each)(const passenger *p, void *arg), void *arg,
                                    char *err, size_t errlen);

/* How many passengers that COPY will send (what the trainer reserves memory for), and whether
 * they are exactly the passengers as stored now (all_rows, or no row written through the API). */
int passengers_store_count_for_training(PGconn *conn, int all_rows, long *count, int *current,
                                        char *err, size_t errlen);

/* ---- the ETL's load (passengers_load.c) ---- */

/* A decimal cell exactly as the file wrote it ("28.50"), stored with that scale; text NULL for
 * an empty cell. */
typedef struct passenger_decimal {
    const char *text;
    size_t len;
} passenger_decimal;

/* Connections a first load builds passengers_next's indexes on at once (migration 009): the
 * trigram GIN index on one, the rest on the other. */
#define PASSENGERS_LOAD_BUILDERS 2

/* One load into passengers, in one transaction on conn that holds the load lock throughout. Into
 * an empty table (a first load) the rows go by binary COPY into passengers_next on a side
 * connection, are indexed on PASSENGERS_LOAD_BUILDERS connections at once, and take passengers'
 * place in conn's transaction; otherwise into a temporary staging table merged in one
 * statement. */
typedef struct passengers_load {
    PGconn *conn;
    PGconn *side[PASSENGERS_LOAD_BUILDERS]; /* a first load's: side[0] runs the COPY */
    long run;    /* written into every row's inserted_run and updated_run */
    int dry_run; /* stage and count only: the caller rolls back */
    int first;   /* set by passengers_load_begin: passengers is empty */
    long rows;   /* rows sent */
    store_copy copy;
} passengers_load;

/* Opens the load's transaction on l->conn, takes the load lock and sets l->first (never for a
 * dry run, which stages to count); the caller sets conn, run and dry_run. 0, or -1 with err. */
int passengers_load_begin(passengers_load *l, char *err, size_t errlen);
/* Starts the rows' COPY. 0, or -1 with err. */
int passengers_load_copy(passengers_load *l, char *err, size_t errlen);
/* Sends one valid row, from line of the file. 0, or -1 with the reason in l->copy.error. */
int passengers_load_row(passengers_load *l, const passenger *p, const passenger_decimal *age,
                        const passenger_decimal *fare, long line);
/* Ends the COPY (abort_reason set: discards it). A first load then builds the indexes and puts
 * passengers_next in passengers' place (closing its side connections, also on failure);
 * a staged one moves later duplicates to etl_rejects when duplicates_unchecked (*moved), then
 * inserts new rows and updates changed ones, or for a dry run only counts them (*inserted,
 * *updated). 0, or -1 with err. */
int passengers_load_end(passengers_load *l, const char *abort_reason, int duplicates_unchecked,
                        long *moved, long *inserted, long *updated, char *err, size_t errlen);

#endif
