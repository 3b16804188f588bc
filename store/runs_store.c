/* The etl_runs and etl_rejects tables' SQL. See runs_store.h. */
#include "runs_store.h"

#include <stdlib.h>

int runs_store_start(store_conn c, const char *source, long *run_id, char *err, size_t errlen) {
    static const store_statement start = {
        NULL, "INSERT INTO etl_runs (source, status) VALUES ($1, 'running') RETURNING run_id", 1,
        0};
    const char *params[] = {source};
    PGresult *res = store_run(c, &start, params, NULL, err, errlen);
    if (!res)
        return -1;
    *run_id = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* Fallback when the reader could not check every id in bounded memory: later duplicates of an
 * id leave the staging table and become rejects. */
const char RUNS_MOVE_LATE_DUPLICATES_SQL[] =
    "WITH ranked AS (SELECT line, min(line) OVER (PARTITION BY passenger_id) AS first_line"
    "  FROM etl_stage),"
    " moved AS (DELETE FROM etl_stage s USING ranked r"
    "  WHERE s.line = r.line AND r.line <> r.first_line RETURNING s.*, r.first_line)"
    " INSERT INTO etl_rejects (run_id, line, field, reason, raw)"
    " SELECT $1, line, 'PassengerId',"
    "  'PassengerId: duplicate id: appears earlier in this file (line ' || first_line || ')',"
    "  convert_to(concat_ws(',', passenger_id, survived, pclass, name, sex, age, sibsp, parch,"
    "   ticket, fare, cabin, embarked), 'UTF8') FROM moved";

const char RUNS_COPY_REJECTS_SQL[] =
    "COPY etl_rejects (run_id, line, field, reason, raw) FROM STDIN";

const char RUNS_FINISH_SQL[] =
    "UPDATE etl_runs SET layout = $2, input_sha256 = $3, finished_at = clock_timestamp(),"
    " rows_read = $4, rows_inserted = $5, rows_updated = $6, rows_unchanged = $7,"
    " rows_rejected = $8, id_base = $9, status = 'committed',"
    " passengers_change = (SELECT last_value FROM passengers_change_seq) WHERE run_id = $1";

/* The same bytes were committed before and nothing has written passengers since: every row is
 * already stored exactly as the file has it. */
const char RUNS_SAME_AS_LAST_SQL[] =
    "SELECT run_id FROM etl_runs WHERE status = 'committed' AND input_sha256 = $1"
    " AND id_base = $2 AND passengers_change = (SELECT last_value FROM passengers_change_seq)"
    " ORDER BY run_id DESC LIMIT 1";

const char RUNS_FAIL_SQL[] =
    "UPDATE etl_runs SET layout = $2, input_sha256 = $3, finished_at = clock_timestamp(),"
    " rows_read = $4, rows_rejected = $5, status = 'failed', error = $6 WHERE run_id = $1";
