/* How the stores run their statements. Each store (passengers_store.h, models_store.h,
 * runs_store.h) owns the SQL of its table; where it runs is the caller's choice:
 *
 *   - store_on(conn): a plain connection (the ETL, the trainer, tests), statements sent with the
 *     extended protocol (PQexecParams);
 *   - the API's per-worker connection (api/api_db.h), which prepares the named statements once
 *     and reconnects after an outage, retrying only statements marked read-only.
 *
 * A store_statement with a name is fixed SQL that may be prepared; one without a name is built
 * per call (a filtered list) and always sent as text. */
#ifndef TITANIC_STORE_H
#define TITANIC_STORE_H

#include "errors.h"

#include <libpq-fe.h>
#include <stddef.h>

typedef struct store_statement {
    const char *name; /* prepared-statement name, or NULL for SQL built per call */
    const char *sql;
    int nparams;
    int read_only; /* safe to run again after a dropped connection */
} store_statement;

typedef struct store_conn {
    /* Runs st with params (text, NULL = SQL NULL). NULL with err on failure; *unavailable is 1
     * when the database could not be reached at all. */
    PGresult *(*run)(void *ctx, const store_statement *st, const char *const *params,
                     int *unavailable, char *err, size_t errlen);
    void *ctx;
} store_conn;

/* Statements run on conn as they are. */
store_conn store_on(PGconn *conn);

/* Runs st through c. *unavailable may be NULL. */
PGresult *store_run(store_conn c, const store_statement *st, const char *const *params,
                    int *unavailable, char *err, size_t errlen) TITANIC_MUST_CHECK;

/* Runs st, whose answer is one integer (the first column of at most one row): 0 with it in
 * *value, 0 when there is no row; -1 with err. */
int store_run_long(store_conn c, const store_statement *st, const char *const *params, long *value,
                   int *unavailable, char *err, size_t errlen) TITANIC_MUST_CHECK;

/* Runs st and gives *items room for one zeroed item of size bytes per row (calloc'd, at least one
 * so that no rows is not NULL): the result, for the caller to read and clear, or NULL with err
 * and *items NULL. */
PGresult *store_run_rows(store_conn c, const store_statement *st, const char *const *params,
                         size_t size, void **items, int *unavailable, char *err,
                         size_t errlen) TITANIC_MUST_CHECK;

/* Every named statement of every store, NULL-terminated: what a long-lived connection prepares. */
extern const store_statement *const store_prepared_statements[];

/* Writes v as decimal text into out (24 bytes is always enough). */
void store_text_of_long(long v, char out[24]);

/* ---- COPY FROM STDIN, sent while it is written (the ETL's rows and rejects) ---- */

#define STORE_COPY_BUFFER (256 * 1024)

/* A COPY in progress: writers append at buf + used and the buffer goes to the server in
 * STORE_COPY_BUFFER messages, so memory stays flat however many rows are sent. */
typedef struct store_copy {
    PGconn *conn;
    char *buf;
    size_t used;
    int failed; /* sending failed (error says why): nothing more is sent */
    char error[512];
} store_copy;

/* Starts sql, a COPY ... FROM STDIN (FORMAT binary), on conn (the format's header and trailer are
 * written here). 0, or -1 with err. */
int store_copy_begin(store_copy *c, PGconn *conn, const char *sql, char *err, size_t errlen);

/* Where the next need (at most STORE_COPY_BUFFER) bytes go, sending what is buffered first when
 * they would not fit; NULL once sending has failed. The writer then sets c->used to its end. */
char *store_copy_room(store_copy *c, size_t need);

/* Ends the COPY: the rest sent and the server's verdict read; with abort_reason, the server
 * discards it instead. Frees the buffer. 0 when the rows are in, else -1 (err set unless
 * aborted). */
int store_copy_end(store_copy *c, const char *abort_reason, char *err, size_t errlen);

#endif
