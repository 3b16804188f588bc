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

/* Every named statement of every store, NULL-terminated: what a long-lived connection prepares. */
extern const store_statement *const store_prepared_statements[];

/* Writes v as decimal text into out (24 bytes is always enough). */
void store_text_of_long(long v, char out[24]);

#endif
