/* The ETL's bookkeeping tables: etl_runs (one row per load, with its counts and outcome) and
 * etl_rejects (every refused row with its line and reason). */
#ifndef TITANIC_RUNS_STORE_H
#define TITANIC_RUNS_STORE_H

#include "store.h"

#include <stddef.h>

/* Records a load as running (its own statement, before the load's transaction, so a failure
 * can still be recorded). */
int runs_store_start(store_conn c, const char *source, long *run_id, char *err, size_t errlen);

/* Statements of the loader (etl/loader.c shows the parameters). */
extern const char RUNS_MOVE_LATE_DUPLICATES_SQL[];
extern const char RUNS_COPY_REJECTS_SQL[];
extern const char RUNS_FINISH_SQL[];
extern const char RUNS_SAME_AS_LAST_SQL[];
extern const char RUNS_FAIL_SQL[];

#endif
