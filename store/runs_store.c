/* The etl_runs and etl_rejects tables' SQL. See runs_store.h. */
#include "runs_store.h"

#include "copy_binary.h"
#include "db.h"
#include "errors.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int runs_store_start(store_conn c, const char *source, long *run_id, char *err, size_t errlen) {
    static const store_statement start = {
        NULL, "INSERT INTO etl_runs (source, status) VALUES ($1, 'running') RETURNING run_id", 1,
        0};
    const char *params[] = {source};
    return store_run_long(c, &start, params, run_id, NULL, err, errlen);
}

int runs_store_same_file(PGconn *conn, const char *sha256, int32_t id_base, long *run_id, char *err,
                         size_t errlen) {
    static const store_statement same = {
        NULL,
        "SELECT run_id FROM etl_runs WHERE status = 'committed' AND input_sha256 = $1"
        " AND id_base = $2 AND passengers_change = (SELECT last_value FROM passengers_change_seq)"
        " ORDER BY run_id DESC LIMIT 1",
        2, 1};
    char base[24];
    store_text_of_long(id_base, base);
    const char *params[] = {sha256, base};
    return store_run_long(store_on(conn), &same, params, run_id, NULL, err, errlen);
}

int runs_store_spool_reject(FILE **spool, long run_id, long line, const char *field,
                            const char *reason, const char *raw, size_t raw_len, char *err,
                            size_t errlen) {
    if (!*spool && !(*spool = tmpfile()))
        return errorf(err, errlen, "cannot create a temporary file for rejects: %s",
                      strerror(errno));
    /* A binary COPY tuple, as every COPY here is sent: no escaping, raw's bytes as they are. */
    size_t field_len = field ? strlen(field) : 0, reason_len = strlen(reason);
    char *row = malloc(2 + 2 * 12 + 3 * 4 + field_len + reason_len + raw_len), *at = row;
    if (row) {
        copy_binary_tuple(&at, 5);
        copy_binary_int8(&at, run_id);
        copy_binary_int8(&at, line);
        if (field)
            copy_binary_bytes(&at, field, field_len);
        else
            copy_binary_null(&at);
        copy_binary_bytes(&at, reason, reason_len);
        copy_binary_bytes(&at, raw, raw_len);
    }
    size_t n = (size_t)(at - row);
    int ok = row && fwrite(row, 1, n, *spool) == n;
    free(row);
    if (!ok)
        errorf(err, errlen, "writing the reject spool failed");
    return ok ? 0 : -1;
}

int runs_store_send_rejects(PGconn *conn, FILE *spool, char *err, size_t errlen) {
    if (!spool)
        return 0;
    if (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0)
        return errorf(err, errlen, "reading the reject spool failed: %s", strerror(errno));
    store_copy copy;
    if (store_copy_begin(&copy, conn,
                         "COPY etl_rejects (run_id, line, field, reason, raw) FROM STDIN "
                         "(FORMAT binary)",
                         err, errlen) != 0)
        return -1;
    char *at;
    while ((at = store_copy_room(&copy, STORE_COPY_BUFFER)) != NULL)
        if ((copy.used = fread(at, 1, STORE_COPY_BUFFER, spool)) == 0)
            break;
    return store_copy_end(&copy, copy.failed || ferror(spool) ? "reject spool failed" : NULL, err,
                          errlen);
}

/* Records r's outcome: committed (its counts; the change counter it leaves) or failed (read and
 * rejected; error says why). */
static int record(PGconn *conn, const run_record *r, const char *error, char *err, size_t errlen) {
    static const char sql[] =
        "UPDATE etl_runs SET layout = $2, input_sha256 = $3, finished_at = clock_timestamp(),"
        " rows_read = $4, rows_inserted = $5, rows_updated = $6, rows_unchanged = $7,"
        " rows_rejected = $8, id_base = $9, error = $10::text,"
        " status = CASE WHEN $10::text IS NULL THEN 'committed' ELSE 'failed' END,"
        " passengers_change = CASE WHEN $10::text IS NULL"
        "  THEN (SELECT last_value FROM passengers_change_seq) END WHERE run_id = $1";
    long values[] = {r->run_id,    r->read,     r->inserted, r->updated,
                     r->unchanged, r->rejected, r->id_base};
    char text[7][24];
    for (int i = 0; i < 7; i++)
        store_text_of_long(values[i], text[i]);
    const char *params[] = {text[0], r->layout, r->sha256, text[1], text[2],
                            text[3], text[4],   text[5],   text[6], error};
    return db_exec(conn, sql, 10, params, err, errlen);
}

int runs_store_finish(PGconn *conn, const run_record *r, char *err, size_t errlen) {
    if (record(conn, r, NULL, err, errlen) != 0)
        return -1;
    return db_end(conn, 1, err, errlen);
}

void runs_store_fail(PGconn *conn, const run_record *r, FILE *spool, const char *reason) {
    char error[512] = "";
    db_end(conn, 0, NULL, 0);
    if (r->run_id <= 0)
        return;
    /* The rejects first: the run's row then says failed only once they are in. */
    if (runs_store_send_rejects(conn, spool, error, sizeof error) != 0)
        log_warn("could not keep the failed run's rejects", "{s:s}", "error", error);
    if (record(conn, r, reason, error, sizeof error) != 0)
        log_warn("could not record the failed run", "{s:s}", "error", error);
}

/* SHA-256 of Kaggle's published train.csv and test.csv: a run that loaded exactly them is the
 * real passenger list; anything else may be synthetic (titanic-etl --generate) or other data. */
static const char *kaggle_file(const char *sha) {
    if (sha && !strcmp(sha, "4a437fde05fe5264e1701a7387ac6fb75393772ba38bb2c9c566405af5af4bd7"))
        return "Kaggle's train.csv";
    if (sha && !strcmp(sha, "5c78320a80dc159b35c408363be46a5d93f078183d539db75ee42a796d6a4e95"))
        return "Kaggle's test.csv";
    return NULL;
}

void runs_store_describe(PGconn *conn, int api_rows, char *buf, size_t len) {
    char err[256];
    PGresult *res = db_query(conn,
                             "SELECT run_id, source, input_sha256, rows_read FROM etl_runs "
                             "WHERE status = 'committed' ORDER BY run_id",
                             0, NULL, err, sizeof err);
    size_t used = (size_t)snprintf(buf, len, "ETL runs");
    int real = 0, other = 0, n = res ? PQntuples(res) : 0;
    for (int i = 0; i < n && used < len; i++) {
        const char *kaggle = kaggle_file(PQgetvalue(res, i, 2));
        real += kaggle != NULL;
        other += kaggle == NULL;
        used += (size_t)snprintf(buf + used, len - used, "%s %s (%s: %s, %s rows)", i ? "," : "",
                                 PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                 kaggle ? kaggle : "not a Kaggle file", PQgetvalue(res, i, 3));
    }
    if (used < len)
        snprintf(buf + used, len - used, "%s; %s%s", n ? "" : " (none recorded)",
                 other  ? "synthetic or other data (not only Kaggle's published files)"
                 : real ? "Kaggle's published passenger list"
                        : "source unknown",
                 api_rows ? "; plus rows written through the API" : "");
    PQclear(res);
}
