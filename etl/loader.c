/* The ETL load: parse, stage by COPY, upsert, reconcile, record. See loader.h. */
#include "loader.h"

#include "passengers_store.h"
#include "runs_store.h"

#include "config.h"
#include "copy_binary.h"
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
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
#define COPY_BUFFER (256 * 1024)
#define COPY_ROW_MAX (8 * 1024) /* escaped staging row; far above any valid row */
#define REJECTS_LOGGED 20       /* rejects also logged one by one; the rest only counted */

/* ---- the state of one load ---- */

typedef struct {
    PGconn *conn;
    const etl_options *options;
    etl_result *result;
    int direct;         /* rows COPY straight into passengers (first load) */
    int unchanged_file; /* identical to a committed run, nothing written since: no COPY */
    int prehashed;      /* result->sha256 was computed before loading */
    char run_id[24];    /* as text, for statements and the reject spool */
    long run;           /* the same, written into every row */
    char *copy_buf;
    size_t copy_used;
    int copy_failed;
    FILE *rejects; /* COPY-format lines for etl_rejects, sent after the rows */
    long valid;
    long rejected;
    struct timespec started;
    double last_progress;
    off_t bytes_read;
    char copy_error[512];
} load_state;

/* Integers travel to PostgreSQL as text parameters. */
static void text_of_long(long value, char out[24]) {
    snprintf(out, 24, "%ld", value);
}

static double elapsed_seconds(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* ---- COPY text-format output ---- */

static int send_copy(load_state *s, const char *data, size_t len) {
    if (s->copy_failed)
        return -1;
    if (len > 0 && PQputCopyData(s->conn, data, (int)len) != 1) {
        db_error_text(s->conn, NULL, s->copy_error, sizeof s->copy_error);
        s->copy_failed = 1;
        return -1;
    }
    return 0;
}

static int flush_copy(load_state *s) {
    int rc = send_copy(s, s->copy_buf, s->copy_used);
    s->copy_used = 0;
    return rc;
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

static int interrupted(const load_state *s) {
    return s->options->interrupted && *s->options->interrupted;
}

static void put_optional_bytes(char **at, const char *text) {
    if (*text)
        copy_binary_bytes(at, text, strlen(text));
    else
        copy_binary_null(at);
}

static void put_optional_numeric(char **at, csv_cell cell) {
    /* The reader admits only plain decimals here, which always encode. */
    if (!cell.text || copy_binary_numeric(at, cell.text, cell.len) != 0)
        copy_binary_null(at);
}

/* One valid row as a binary COPY tuple: staging rows lead with their line number. */
static void put_row(load_state *s, const passenger *p, const csv_row_text *text, long line) {
    char *at = s->copy_buf + s->copy_used;
    unsigned char uuid[16];
    passenger_uuid_bytes(p->id, uuid);
    copy_binary_tuple(&at, s->direct ? 15 : 16);
    if (!s->direct)
        copy_binary_int8(&at, line);
    copy_binary_int4(&at, p->id);
    copy_binary_bytes(&at, uuid, sizeof uuid);
    if (p->survived < 0)
        copy_binary_null(&at);
    else
        copy_binary_int2(&at, p->survived);
    copy_binary_int2(&at, p->pclass);
    copy_binary_bytes(&at, p->name, strlen(p->name));
    const char *sex = passenger_sex_name(p->sex);
    copy_binary_bytes(&at, sex, strlen(sex));
    put_optional_numeric(&at, text->age);
    copy_binary_int2(&at, p->sibsp);
    copy_binary_int2(&at, p->parch);
    put_optional_bytes(&at, p->ticket);
    put_optional_numeric(&at, text->fare);
    put_optional_bytes(&at, p->cabin);
    if (p->embarked)
        copy_binary_bytes(&at, &p->embarked, 1);
    else
        copy_binary_null(&at);
    copy_binary_int8(&at, s->run);
    copy_binary_int8(&at, s->run);
    s->copy_used = (size_t)(at - s->copy_buf);
}

static int stage_row(const passenger *p, const csv_row_text *text, long line, void *arg) {
    load_state *s = arg;
    s->valid++;
    if (!s->conn || s->unchanged_file)
        return interrupted(s) ? -1 : 0;
    if (make_room(s, COPY_ROW_MAX) != 0)
        return -1;
    put_row(s, p, text, line);
    show_progress(s, 0);
    return interrupted(s) ? -1 : 0;
}

/* Rejects are spooled to a temporary file in etl_rejects' COPY format and sent after the rows
 * (one connection carries one COPY at a time); disk, not memory, so any number fits. */
static int spool_reject(load_state *s, long line, const char *field, const char *reason,
                        const char *raw, size_t raw_len) {
    if (!s->rejects && !(s->rejects = tmpfile())) {
        snprintf(s->copy_error, sizeof s->copy_error, "cannot create a temporary file: %s",
                 strerror(errno));
        s->copy_failed = 1;
        return -1;
    }
    /* Reuse the COPY buffer's formatting by writing a line to its tail, then moving it out. */
    size_t mark = s->copy_used;
    put_raw(s, s->run_id, strlen(s->run_id));
    put_char(s, '\t');
    put_long(s, line);
    put_char(s, '\t');
    if (field)
        put_cstr(s, field);
    else
        put_null(s);
    put_char(s, '\t');
    put_cstr(s, reason);
    put_char(s, '\t');
    put_bytea(s, raw, raw_len);
    put_char(s, '\n');
    size_t len = s->copy_used - mark;
    s->copy_used = mark;
    if (fwrite(s->copy_buf + mark, 1, len, s->rejects) != len) {
        snprintf(s->copy_error, sizeof s->copy_error, "writing the reject spool failed");
        s->copy_failed = 1;
        return -1;
    }
    return 0;
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
    return spool_reject(s, line, field, reason, raw, raw_len);
}

/* ---- the steps ---- */

static int start_copy(PGconn *conn, const char *sql, char *err, size_t errlen) {
    PGresult *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    int ok = res && PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok)
        db_error_text(conn, res, err, errlen);
    PQclear(res);
    return ok ? 0 : -1;
}

static int prehash_file(load_state *s, int fd, char *err, size_t errlen) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    sha256_ctx hash;
    sha256_init(&hash);
    ssize_t n;
    while ((n = read(fd, s->copy_buf, COPY_BUFFER)) > 0)
        sha256_update(&hash, s->copy_buf, (size_t)n);
    if (n < 0 || lseek(fd, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "reading input failed: %s", strerror(errno));
        return -1;
    }
    sha256_final_hex(&hash, s->result->sha256);
    s->prehashed = 1;
    return 0;
}

/* Sets s->unchanged_file when this exact file was committed before and nothing has written
 * passengers since. */
static int same_as_last_run(load_state *s, char *err, size_t errlen) {
    char id_base[24];
    text_of_long(s->options->id_base, id_base);
    const char *params[] = {s->result->sha256, id_base};
    PGresult *res = db_query(s->conn, RUNS_SAME_AS_LAST_SQL, 2, params, err, errlen);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        s->unchanged_file = 1;
        log_info("same file as a committed run and no change since: validating only", "{s:s}",
                 "same_as_run", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return 0;
}

/* Opens the transaction, takes the load lock and picks direct or staged loading. */
static int begin_load(load_state *s, int fd, char *err, size_t errlen) {
    if (db_exec(s->conn, "BEGIN", 0, NULL, err, errlen) != 0 ||
        db_exec(s->conn, PASSENGERS_LOCK_SQL, 0, NULL, err, errlen) != 0)
        return -1;
    PGresult *res = db_query(s->conn, PASSENGERS_EMPTY_SQL, 0, NULL, err, errlen);
    if (!res)
        return -1;
    s->direct = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    /* Reloading into a filled table: a regular file is fingerprinted first, so an unchanged
     * reload is recognised before sending anything (pipes are hashed as they stream). */
    if (!s->direct && (prehash_file(s, fd, err, errlen) != 0 ||
                       (s->prehashed && same_as_last_run(s, err, errlen) != 0)))
        return -1;
    if (s->unchanged_file)
        return 0; /* rows are still parsed and validated, for counts and rejects */
    char *at = s->copy_buf + s->copy_used;
    copy_binary_header(&at);
    s->copy_used = (size_t)(at - s->copy_buf);
    if (s->direct)
        return db_exec(s->conn, PASSENGERS_DEFER_INDEXES_SQL, 0, NULL, err, errlen) == 0
                   ? start_copy(s->conn, PASSENGERS_COPY_SQL, err, errlen)
                   : -1;
    /* Temporary tables live in per-session buffers (8 MB by default); a larger pool keeps a big
     * staging table in memory instead of spilling it to disk. Allowed only before the session's
     * first temporary table, which this is. */
    if (db_exec(s->conn, "SET temp_buffers = '128MB'", 0, NULL, err, errlen) != 0 ||
        db_exec(s->conn, PASSENGERS_CREATE_STAGE_SQL, 0, NULL, err, errlen) != 0)
        return -1;
    return start_copy(s->conn, PASSENGERS_COPY_STAGE_SQL, err, errlen);
}

/* Ends a COPY: successfully, or (abort_reason set) telling the server to discard it. */
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

static int send_spooled_rejects(load_state *s, char *err, size_t errlen) {
    if (!s->rejects)
        return 0;
    if (fflush(s->rejects) != 0 || fseek(s->rejects, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "reading the reject spool failed: %s", strerror(errno));
        return -1;
    }
    if (start_copy(s->conn, RUNS_COPY_REJECTS_SQL, err, errlen) != 0)
        return -1;
    size_t n;
    while ((n = fread(s->copy_buf, 1, COPY_BUFFER, s->rejects)) > 0) {
        if (send_copy(s, s->copy_buf, n) != 0)
            break;
    }
    return end_copy(s, s->copy_failed ? "reject spool failed" : NULL, err, errlen);
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
        if (n < 0 && errno == EINTR && !interrupted(s))
            continue;
        if (n < 0) {
            snprintf(err, errlen, "reading input failed: %s", strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        s->bytes_read += n;
        if (!s->prehashed)
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
    if (interrupted(s))
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

/* Runs a statement and returns how many rows it affected, or -1. */
static long exec_count(PGconn *conn, const char *sql, const char *run_id, char *err,
                       size_t errlen) {
    const char *params[] = {run_id};
    PGresult *res = db_query(conn, sql, run_id ? 1 : 0, run_id ? params : NULL, err, errlen);
    if (!res)
        return -1;
    long n = atol(PQcmdTuples(res));
    PQclear(res);
    return n;
}

/* Staged mode: duplicates fallback, then changed rows updated and new rows inserted. */
static int merge_stage(load_state *s, int duplicates_unchecked, char *err, size_t errlen) {
    etl_result *r = s->result;
    /* JIT compilation costs more than it saves on this one pass. */
    if (db_exec(s->conn, "SET LOCAL jit = off", 0, NULL, err, errlen) != 0)
        return -1;
    if (duplicates_unchecked) {
        long moved = exec_count(s->conn, RUNS_MOVE_LATE_DUPLICATES_SQL, s->run_id, err, errlen);
        if (moved < 0)
            return -1;
        s->valid -= moved;
        s->rejected += moved;
        r->rejected = s->rejected;
        if (too_many_rejects(s, err, errlen))
            return -1;
    }
    PGresult *res = db_query(s->conn, PASSENGERS_MERGE_STAGE_SQL, 0, NULL, err, errlen);
    if (!res)
        return -1;
    r->inserted = atol(PQgetvalue(res, 0, 0));
    r->updated = atol(PQgetvalue(res, 0, 1));
    PQclear(res);
    return 0;
}

static int finish_run(load_state *s, char *err, size_t errlen) {
    etl_result *r = s->result;
    r->unchanged = s->valid - r->inserted - r->updated;
    char counts[5][24], id_base[24];
    long values[5] = {r->read, r->inserted, r->updated, r->unchanged, r->rejected};
    for (int i = 0; i < 5; i++)
        text_of_long(values[i], counts[i]);
    text_of_long(s->options->id_base, id_base);
    const char *finish[] = {s->run_id, csv_layout_name(r->layout),
                            r->sha256, counts[0],
                            counts[1], counts[2],
                            counts[3], counts[4],
                            id_base};
    if (db_exec(s->conn, RUNS_FINISH_SQL, 9, finish, err, errlen) != 0)
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
    text_of_long(r->run_id, run_id);
    text_of_long(r->read, read);
    text_of_long(r->rejected, rejected);
    const char *params[] = {run_id, csv_layout_name(r->layout), r->sha256, read, rejected, reason};
    if (db_exec(conn, RUNS_FAIL_SQL, 6, params, ignored, sizeof ignored) != 0)
        log_warn("could not record the failed run", "{s:s}", "error", ignored);
}

/* Everything after the last byte was read: end the COPY, merge, rejects, commit. */
static int complete_load(load_state *s, int read_rc, int duplicates_unchecked, char *err,
                         size_t errlen) {
    char copy_err[1024] = "";
    int rc = read_rc;
    if (s->unchanged_file) {
        if (rc != 0)
            return -1;
        return send_spooled_rejects(s, err, errlen) == 0 ? finish_run(s, err, errlen) : -1;
    }
    if (rc == 0 && make_room(s, 2) == 0) {
        char *at = s->copy_buf + s->copy_used;
        copy_binary_trailer(&at);
        s->copy_used = (size_t)(at - s->copy_buf);
    }
    if (end_copy(s, rc == 0 ? NULL : "load aborted", copy_err, sizeof copy_err) != 0 && rc == 0) {
        snprintf(err, errlen, "COPY failed: %s", copy_err);
        rc = -1;
    }
    if (rc != 0)
        return -1;
    if (s->direct) {
        s->result->inserted = s->valid;
        if (db_exec(s->conn, PASSENGERS_RESTORE_INDEXES_SQL, 0, NULL, err, errlen) != 0)
            return -1;
    } else if (merge_stage(s, duplicates_unchecked, err, errlen) != 0) {
        return -1;
    }
    if (send_spooled_rejects(s, err, errlen) != 0)
        return -1;
    return finish_run(s, err, errlen);
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
    char streamed[65];
    sha256_final_hex(&hash, streamed); /* always: it also frees the digest context */
    if (!s->prehashed)
        memcpy(r->sha256, streamed, sizeof streamed);
    r->layout = csv_reader_layout(reader);
    int duplicates_unchecked = csv_reader_duplicates_unchecked(reader);
    csv_reader_free(reader);
    show_progress(s, 1);
    r->read = s->valid + s->rejected;
    r->rejected = s->rejected;
    if (rc == 0 && too_many_rejects(s, err, errlen))
        rc = -1;
    if (rc == 0 && s->direct && duplicates_unchecked) {
        /* Not every id could be checked in bounded memory, and a first load has no staging
         * table to check the rest in: the primary key will catch a duplicate, failing the load
         * rather than losing a row. */
        log_warn("ids too sparse to check every duplicate in memory", NULL);
    }
    if (s->conn)
        rc = complete_load(s, rc, duplicates_unchecked, err, errlen);
    return rc;
}

int etl_load(PGconn *conn, int fd, const etl_options *options, etl_result *result, char *err,
             size_t errlen) {
    memset(result, 0, sizeof *result);
    load_state s = {.conn = options->dry_run ? NULL : conn, .options = options, .result = result};
    clock_gettime(CLOCK_MONOTONIC, &s.started);
    if (s.conn &&
        runs_store_start(store_on(s.conn), options->source, &result->run_id, err, errlen) != 0)
        return -1;
    text_of_long(result->run_id, s.run_id);
    s.run = result->run_id;
    s.copy_buf = malloc(COPY_BUFFER);
    if (!s.copy_buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = s.conn ? begin_load(&s, fd, err, errlen) : 0;
    if (rc == 0)
        rc = load_rows(&s, fd, err, errlen);
    free(s.copy_buf);
    if (s.rejects)
        fclose(s.rejects);
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
