/* The ETL load: parse, stage by COPY, upsert, reconcile, record. See loader.h. */
#include "loader.h"

#include "config.h"
#include "db.h"
#include "log.h"
#include "sha256.h"

#include <jansson.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
#define COPY_BUFFER (256 * 1024)
#define COPY_ROW_MAX (8 * 1024) /* escaped staging row; far above any valid row */
#define REJECTS_LOGGED 20       /* rejects also logged one by one; the rest only counted */

/* Staging: one row per data record. Valid rows carry the passenger; rejected rows carry only
 * line, field, reason and raw bytes. ON COMMIT DROP and TEMP: no WAL, nothing left behind. */
static const char *const CREATE_STAGE_SQL =
    "CREATE TEMP TABLE etl_stage ("
    " line bigint NOT NULL, passenger_id integer, uuid uuid, survived smallint,"
    " pclass smallint, name text, sex text, age numeric, sibsp smallint, parch smallint,"
    " ticket text, fare numeric, cabin text, embarked text,"
    " reject_field text, reject_reason text, reject_raw bytea) ON COMMIT DROP";

static const char *const COPY_STAGE_SQL = "COPY etl_stage FROM STDIN";

/* One statement: insert new ids, update changed rows, leave identical rows alone, and count
 * which was which (xmax = 0 marks a freshly inserted tuple). */
static const char *const UPSERT_SQL =
    "WITH upserted AS ("
    " INSERT INTO passengers AS p (passenger_id, uuid, survived, pclass, name, sex, age, sibsp,"
    "  parch, ticket, fare, cabin, embarked, inserted_run, updated_run)"
    " SELECT passenger_id, uuid, survived, pclass, name, sex, age, sibsp, parch, ticket, fare,"
    "  cabin, embarked, $1, $1 FROM etl_stage WHERE reject_reason IS NULL"
    " ON CONFLICT (passenger_id) DO UPDATE SET survived = EXCLUDED.survived,"
    "  pclass = EXCLUDED.pclass, name = EXCLUDED.name, sex = EXCLUDED.sex, age = EXCLUDED.age,"
    "  sibsp = EXCLUDED.sibsp, parch = EXCLUDED.parch, ticket = EXCLUDED.ticket,"
    "  fare = EXCLUDED.fare, cabin = EXCLUDED.cabin, embarked = EXCLUDED.embarked,"
    "  updated_run = EXCLUDED.updated_run, updated_at = now()"
    " WHERE (p.survived, p.pclass, p.name, p.sex, p.age, p.sibsp, p.parch, p.ticket, p.fare,"
    "  p.cabin, p.embarked) IS DISTINCT FROM (EXCLUDED.survived, EXCLUDED.pclass, EXCLUDED.name,"
    "  EXCLUDED.sex, EXCLUDED.age, EXCLUDED.sibsp, EXCLUDED.parch, EXCLUDED.ticket,"
    "  EXCLUDED.fare, EXCLUDED.cabin, EXCLUDED.embarked)"
    " RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted";

static const char *const SAVE_REJECTS_SQL =
    "INSERT INTO etl_rejects (run_id, line, field, reason, raw)"
    " SELECT $1, line, reject_field, reject_reason, reject_raw FROM etl_stage"
    " WHERE reject_reason IS NOT NULL";

/* Fallback when the reader could not check every id in bounded memory: later duplicates of an
 * id become rejects here, in SQL. */
static const char *const REJECT_LATE_DUPLICATES_SQL =
    "WITH ranked AS (SELECT line, min(line) OVER (PARTITION BY passenger_id) AS first_line"
    " FROM etl_stage WHERE reject_reason IS NULL)"
    " UPDATE etl_stage s SET reject_field = 'PassengerId',"
    "  reject_reason = 'PassengerId: duplicate id: appears earlier in this file (line '"
    "   || r.first_line || ')',"
    "  reject_raw = convert_to(concat_ws(',', s.passenger_id, s.survived, s.pclass, s.name,"
    "   s.sex, s.age, s.sibsp, s.parch, s.ticket, s.fare, s.cabin, s.embarked), 'UTF8'),"
    "  passenger_id = NULL"
    " FROM ranked r WHERE s.line = r.line AND r.line <> r.first_line";

static const char *const COUNT_STAGE_SQL =
    "SELECT count(*) FILTER (WHERE reject_reason IS NULL),"
    " count(*) FILTER (WHERE reject_reason IS NOT NULL) FROM etl_stage";

static const char *const FINISH_RUN_SQL =
    "UPDATE etl_runs SET layout = $2, input_sha256 = $3, finished_at = clock_timestamp(),"
    " rows_read = $4, rows_inserted = $5, rows_updated = $6, rows_unchanged = $7,"
    " rows_rejected = $8, status = 'committed' WHERE run_id = $1";

static const char *const FAIL_RUN_SQL =
    "UPDATE etl_runs SET layout = $2, input_sha256 = $3, finished_at = clock_timestamp(),"
    " rows_read = $4, rows_rejected = $5, status = 'failed', error = $6 WHERE run_id = $1";

/* ---- the state of one load ---- */

typedef struct {
    PGconn *conn;
    const etl_options *options;
    etl_result *result;
    char *copy_buf;
    size_t copy_used;
    int copy_failed;
    long valid;
    long rejected;
    struct timespec started;
    double last_progress;
    off_t bytes_read;
    char copy_error[512];
} load_state;

static double elapsed_seconds(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* ---- COPY text-format output ---- */

static int flush_copy(load_state *s) {
    if (s->copy_used == 0 || s->copy_failed)
        return s->copy_failed ? -1 : 0;
    if (PQputCopyData(s->conn, s->copy_buf, (int)s->copy_used) != 1) {
        db_error_text(s->conn, NULL, s->copy_error, sizeof s->copy_error);
        s->copy_failed = 1;
        return -1;
    }
    s->copy_used = 0;
    return 0;
}

static void put_raw(load_state *s, const char *text, size_t len) {
    memcpy(s->copy_buf + s->copy_used, text, len);
    s->copy_used += len;
}

static void put_char(load_state *s, char c) {
    s->copy_buf[s->copy_used++] = c;
}

/* Text escaped for COPY's text format: backslash, tab, newline and CR would otherwise be read
 * as syntax. Validation admits only TAB among control characters, but all four are escaped. */
static void put_text(load_state *s, const char *text, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        switch (c) {
        case '\\':
            put_raw(s, "\\\\", 2);
            break;
        case '\t':
            put_raw(s, "\\t", 2);
            break;
        case '\n':
            put_raw(s, "\\n", 2);
            break;
        case '\r':
            put_raw(s, "\\r", 2);
            break;
        default:
            put_char(s, c);
        }
    }
}

static void put_cstr(load_state *s, const char *text) {
    put_text(s, text, strlen(text));
}

static void put_null(load_state *s) {
    put_raw(s, "\\N", 2);
}

static void put_long(load_state *s, long value) {
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%ld", value);
    put_raw(s, digits, (size_t)n);
}

static void put_optional_text(load_state *s, const char *text) {
    if (*text)
        put_cstr(s, text);
    else
        put_null(s);
}

static void put_cell(load_state *s, csv_cell cell) {
    if (cell.text)
        put_raw(s, cell.text, cell.len); /* a validated plain decimal: nothing to escape */
    else
        put_null(s);
}

/* bytea in COPY text format: the hex form \x.. with its backslash escaped. */
static void put_bytea(load_state *s, const char *bytes, size_t len) {
    static const char hex[] = "0123456789abcdef";
    put_raw(s, "\\\\x", 3);
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)bytes[i];
        put_char(s, hex[b >> 4]);
        put_char(s, hex[b & 15]);
    }
}

static int make_room(load_state *s, size_t need) {
    if (s->copy_used + need > COPY_BUFFER)
        return flush_copy(s);
    return s->copy_failed ? -1 : 0;
}

/* ---- progress ---- */

static void show_progress(load_state *s, int final) {
    double now = elapsed_seconds(&s->started);
    if (!final && now - s->last_progress < (s->options->progress_tty ? 0.2 : 5.0))
        return;
    s->last_progress = now;
    long rows = s->valid + s->rejected;
    double rate = now > 0 ? rows / now : 0;
    if (!s->options->progress_tty) {
        if (!final)
            log_info("progress", "{s:I, s:I, s:f}", "rows", (json_int_t)rows, "rejected",
                     (json_int_t)s->rejected, "rows_per_s", rate);
        return;
    }
    off_t total = s->options->total_bytes;
    if (total > 0) {
        double fraction = (double)s->bytes_read / (double)total;
        double eta = fraction > 0 ? now / fraction - now : 0;
        char bar[31];
        int filled = (int)(fraction * 30);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r%5.1f%% [%s] %ld rows  %.0f rows/s  ETA %.0fs   ", fraction * 100, bar,
                rows, rate, final ? 0.0 : eta);
    } else {
        fprintf(stderr, "\r%ld rows  %.0f rows/s   ", rows, rate);
    }
    if (final)
        fputc('\n', stderr);
}

/* ---- reader callbacks ---- */

static int stage_row(const passenger *p, const csv_row_text *text, long line, void *arg) {
    load_state *s = arg;
    s->valid++;
    if (!s->conn)
        return 0;
    if (make_room(s, COPY_ROW_MAX) != 0)
        return -1;
    char uuid[37];
    passenger_uuid_for_id(p->id, uuid);
    put_long(s, line);
    put_char(s, '\t');
    put_long(s, p->id);
    put_char(s, '\t');
    put_raw(s, uuid, 36);
    put_char(s, '\t');
    if (p->survived < 0)
        put_null(s);
    else
        put_long(s, p->survived);
    put_char(s, '\t');
    put_long(s, p->pclass);
    put_char(s, '\t');
    put_cstr(s, p->name);
    put_char(s, '\t');
    put_cstr(s, passenger_sex_name(p->sex));
    put_char(s, '\t');
    put_cell(s, text->age);
    put_char(s, '\t');
    put_long(s, p->sibsp);
    put_char(s, '\t');
    put_long(s, p->parch);
    put_char(s, '\t');
    put_optional_text(s, p->ticket);
    put_char(s, '\t');
    put_cell(s, text->fare);
    put_char(s, '\t');
    put_optional_text(s, p->cabin);
    put_char(s, '\t');
    if (p->embarked)
        put_char(s, p->embarked);
    else
        put_null(s);
    put_raw(s, "\t\\N\t\\N\t\\N\n", 10);
    show_progress(s, 0);
    return s->options->interrupted && *s->options->interrupted ? -1 : 0;
}

static int stage_reject(long line, const char *field, const char *reason, const char *raw,
                        size_t raw_len, void *arg) {
    load_state *s = arg;
    s->rejected++;
    if (s->rejected <= REJECTS_LOGGED)
        log_warn("row rejected", "{s:I, s:s?, s:s}", "line", (json_int_t)line, "field", field,
                 "reason", reason);
    if (s->options->max_rejects >= 0 && s->rejected > s->options->max_rejects)
        return -1; /* over an absolute limit: no point reading on */
    if (!s->conn)
        return 0;
    if (make_room(s, COPY_ROW_MAX) != 0)
        return -1;
    put_long(s, line);
    put_raw(s, "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t", 40);
    if (field)
        put_cstr(s, field);
    else
        put_null(s);
    put_char(s, '\t');
    put_cstr(s, reason);
    put_char(s, '\t');
    put_bytea(s, raw, raw_len);
    put_char(s, '\n');
    return 0;
}

/* ---- the steps ---- */

static int start_run(PGconn *conn, const char *source, long *run_id, char *err, size_t errlen) {
    const char *params[] = {source};
    PGresult *res = db_query(conn,
                             "INSERT INTO etl_runs (source, status) VALUES ($1, 'running') "
                             "RETURNING run_id",
                             1, params, err, errlen);
    if (!res)
        return -1;
    *run_id = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int begin_copy(PGconn *conn, char *err, size_t errlen) {
    if (db_exec(conn, "BEGIN", 0, NULL, err, errlen) != 0 ||
        db_exec(conn, CREATE_STAGE_SQL, 0, NULL, err, errlen) != 0)
        return -1;
    PGresult *res = PQexecParams(conn, COPY_STAGE_SQL, 0, NULL, NULL, NULL, NULL, 0);
    int ok = res && PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok)
        db_error_text(conn, res, err, errlen);
    PQclear(res);
    return ok ? 0 : -1;
}

/* Ends the COPY: successfully, or (abort_reason set) telling the server to discard it. */
static int end_copy(load_state *s, const char *abort_reason, char *err, size_t errlen) {
    if (!abort_reason && flush_copy(s) != 0) {
        snprintf(err, errlen, "sending rows failed: %s", s->copy_error);
        abort_reason = "client send failed";
    }
    if (PQputCopyEnd(s->conn, abort_reason) != 1) {
        db_error_text(s->conn, NULL, err, errlen);
        return -1;
    }
    int rc = 0;
    PGresult *res;
    while ((res = PQgetResult(s->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            if (!abort_reason)
                db_error_text(s->conn, res, err, errlen);
            rc = -1;
        }
        PQclear(res);
    }
    return abort_reason ? -1 : rc;
}

static int read_all(load_state *s, csv_reader *reader, int fd, sha256_ctx *hash, char *err,
                    size_t errlen) {
    char *chunk = malloc(READ_CHUNK);
    if (!chunk) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, READ_CHUNK);
        if (n < 0 && errno == EINTR && !(s->options->interrupted && *s->options->interrupted))
            continue;
        if (n < 0) {
            snprintf(err, errlen, "reading input failed: %s", strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        s->bytes_read += n;
        sha256_update(hash, chunk, (size_t)n);
        if (csv_reader_feed(reader, chunk, (size_t)n, err, errlen) != 0) {
            rc = -1;
            break;
        }
    }
    free(chunk);
    if (rc == 0)
        rc = csv_reader_finish(reader, err, errlen);
    return rc;
}

/* Explains why the reader stopped when one of our own callbacks asked it to. */
static void explain_stop(load_state *s, char *err, size_t errlen) {
    if (s->options->interrupted && *s->options->interrupted)
        snprintf(err, errlen, "interrupted by a signal; nothing was committed");
    else if (s->copy_failed)
        snprintf(err, errlen, "sending rows to PostgreSQL failed: %s", s->copy_error);
    else if (s->options->max_rejects >= 0 && s->rejected > s->options->max_rejects)
        snprintf(err, errlen, "too many rejected rows: more than --max-rejects %ld",
                 s->options->max_rejects);
}

static int too_many_rejects(const load_state *s, char *err, size_t errlen) {
    long read = s->valid + s->rejected;
    if (s->options->max_rejects >= 0 && s->rejected > s->options->max_rejects) {
        snprintf(err, errlen, "too many rejected rows: %ld > --max-rejects %ld", s->rejected,
                 s->options->max_rejects);
        return 1;
    }
    if (s->options->max_rejects_pct >= 0 && read > 0 &&
        100.0 * (double)s->rejected / (double)read > s->options->max_rejects_pct) {
        snprintf(err, errlen, "too many rejected rows: %ld of %ld (%.2f%%) > --max-rejects %g%%",
                 s->rejected, read, 100.0 * (double)s->rejected / (double)read,
                 s->options->max_rejects_pct);
        return 1;
    }
    return 0;
}

static int read_two_counts(PGconn *conn, const char *sql, int nparams, const char *const *params,
                           long *first, long *second, char *err, size_t errlen) {
    PGresult *res = db_query(conn, sql, nparams, params, err, errlen);
    if (!res)
        return -1;
    *first = atol(PQgetvalue(res, 0, 0));
    *second = atol(PQgetvalue(res, 0, 1));
    PQclear(res);
    return 0;
}

/* After the COPY: duplicate fallback, upsert, rejects, run row, commit. */
static int apply_stage(load_state *s, int duplicates_unchecked, char *err, size_t errlen) {
    etl_result *r = s->result;
    char run_id[24];
    snprintf(run_id, sizeof run_id, "%ld", r->run_id);
    if (duplicates_unchecked) {
        if (db_exec(s->conn, REJECT_LATE_DUPLICATES_SQL, 0, NULL, err, errlen) != 0 ||
            read_two_counts(s->conn, COUNT_STAGE_SQL, 0, NULL, &s->valid, &s->rejected, err,
                            errlen) != 0)
            return -1;
        r->rejected = s->rejected;
        if (too_many_rejects(s, err, errlen))
            return -1;
    }
    const char *params[] = {run_id};
    if (read_two_counts(s->conn, UPSERT_SQL, 1, params, &r->inserted, &r->updated, err, errlen) !=
        0)
        return -1;
    r->unchanged = s->valid - r->inserted - r->updated;
    if (db_exec(s->conn, SAVE_REJECTS_SQL, 1, params, err, errlen) != 0)
        return -1;
    char counts[6][24];
    long values[6] = {r->read, r->inserted, r->updated, r->unchanged, r->rejected, 0};
    for (int i = 0; i < 5; i++)
        snprintf(counts[i], sizeof counts[i], "%ld", values[i]);
    const char *finish[] = {
        run_id,   csv_layout_name(r->layout), r->sha256, counts[0], counts[1], counts[2], counts[3],
        counts[4]};
    if (db_exec(s->conn, FINISH_RUN_SQL, 8, finish, err, errlen) != 0)
        return -1;
    return db_exec(s->conn, "COMMIT", 0, NULL, err, errlen);
}

static void record_failure(PGconn *conn, const etl_result *r, const char *reason) {
    char ignored[256];
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        db_exec(conn, "ROLLBACK", 0, NULL, ignored, sizeof ignored);
    if (r->run_id <= 0)
        return;
    char run_id[24], read[24], rejected[24];
    snprintf(run_id, sizeof run_id, "%ld", r->run_id);
    snprintf(read, sizeof read, "%ld", r->read);
    snprintf(rejected, sizeof rejected, "%ld", r->rejected);
    const char *params[] = {run_id, csv_layout_name(r->layout), r->sha256, read, rejected, reason};
    if (db_exec(conn, FAIL_RUN_SQL, 6, params, ignored, sizeof ignored) != 0)
        log_warn("could not record the failed run", "{s:s}", "error", ignored);
}

static int load_rows(load_state *s, int fd, char *err, size_t errlen) {
    etl_result *r = s->result;
    csv_callbacks callbacks = {stage_row, stage_reject, s};
    csv_reader *reader = csv_reader_new(&callbacks, s->options->id_base);
    if (!reader) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sha256_ctx hash;
    sha256_init(&hash);
    int rc = read_all(s, reader, fd, &hash, err, errlen);
    if (rc != 0)
        explain_stop(s, err, errlen);
    sha256_final_hex(&hash, r->sha256);
    r->layout = csv_reader_layout(reader);
    int duplicates_unchecked = csv_reader_duplicates_unchecked(reader);
    csv_reader_free(reader);
    show_progress(s, 1);
    r->read = s->valid + s->rejected;
    r->rejected = s->rejected;
    if (rc == 0 && too_many_rejects(s, err, errlen))
        rc = -1;
    if (s->conn) {
        char copy_err[512] = "";
        if (end_copy(s, rc == 0 ? NULL : "load aborted", copy_err, sizeof copy_err) != 0 &&
            rc == 0) {
            snprintf(err, errlen, "COPY into staging failed: %s", copy_err);
            rc = -1;
        }
        if (rc == 0)
            rc = apply_stage(s, duplicates_unchecked, err, errlen);
    }
    return rc;
}

int etl_load(PGconn *conn, int fd, const etl_options *options, etl_result *result, char *err,
             size_t errlen) {
    memset(result, 0, sizeof *result);
    load_state s = {.conn = options->dry_run ? NULL : conn, .options = options, .result = result};
    clock_gettime(CLOCK_MONOTONIC, &s.started);
    if (s.conn && start_run(s.conn, options->source, &result->run_id, err, errlen) != 0)
        return -1;
    s.copy_buf = malloc(COPY_BUFFER);
    if (!s.copy_buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = s.conn ? begin_copy(s.conn, err, errlen) : 0;
    if (rc == 0)
        rc = load_rows(&s, fd, err, errlen);
    free(s.copy_buf);
    result->seconds = elapsed_seconds(&s.started);
    if (rc != 0 && s.conn) {
        result->inserted = result->updated = result->unchanged = 0;
        record_failure(s.conn, result, err);
    }
    return rc;
}

int etl_parse_max_rejects(const char *text, long *count, double *percent) {
    size_t len = strlen(text);
    *count = -1;
    *percent = -1;
    if (len > 1 && text[len - 1] == '%') {
        char number[32];
        if (len - 1 >= sizeof number)
            return -1;
        memcpy(number, text, len - 1);
        number[len - 1] = '\0';
        return config_parse_double(number, 0, 100, percent);
    }
    return config_parse_long(text, 0, 2147483647L, count);
}
