/* The ETL's bookkeeping tables: etl_runs (one row per load, with its counts and outcome) and
 * etl_rejects (every refused row with its line and reason). */
#ifndef TITANIC_RUNS_STORE_H
#define TITANIC_RUNS_STORE_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A run's outcome as etl_runs records it: read = inserted + updated + unchanged + rejected. */
typedef struct run_record {
    long run_id;
    const char *layout, *sha256;
    long read, inserted, updated, unchanged, rejected;
    int32_t id_base;
} run_record;

/* Records a load as running (its own statement, before the load's transaction, so a failure
 * can still be recorded). */
int runs_store_start(store_conn c, const char *source, long *run_id, char *err, size_t errlen);

/* The last committed run of these bytes (sha256) under this id_base, when nothing has written
 * passengers since: every row is already stored as the file has it. *run_id 0 when none. */
int runs_store_same_file(PGconn *conn, const char *sha256, int32_t id_base, long *run_id, char *err,
                         size_t errlen);

/* Appends a reject of run_id to *spool, a temporary file made on first use, as etl_rejects' binary
 * COPY tuples: disk, not memory, so any number fits. 0, or -1 with err. */
int runs_store_spool_reject(FILE **spool, long run_id, long line, const char *field,
                            const char *reason, const char *raw, size_t raw_len, char *err,
                            size_t errlen);

/* Sends the spooled rejects in one COPY (nothing when spool is NULL). 0, or -1 with err. */
int runs_store_send_rejects(PGconn *conn, FILE *spool, char *err, size_t errlen);

/* Records r as committed and commits the load's transaction. 0, or -1 with err. */
int runs_store_finish(PGconn *conn, const run_record *r, char *err, size_t errlen);

/* After a failed load: rolls back its transaction, then records r (counts read and rejected) as
 * failed with reason, and the rejects in spool, apart from it: they are kept, no passenger is.
 * Best effort: a failure here is logged, the load's own error stays the one reported. */
void runs_store_fail(PGconn *conn, const run_record *r, FILE *spool, const char *reason);

/* Where the passengers came from, for a model's report: "ETL runs 1 (train.csv: Kaggle's
 * train.csv, 891 rows), ...; Kaggle's published passenger list" and the like (api_rows: plus rows
 * written through the API). Never fails: a query error reads as no run recorded. */
void runs_store_describe(PGconn *conn, int api_rows, char *buf, size_t len);

#endif
