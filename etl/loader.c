/* The ETL load: parse, stage by COPY, upsert, reconcile, record. See loader.h. */
#include "loader.h"

#include "passengers_store.h"
#include "runs_store.h"

#include "clock.h"
#include "db.h"
#include "errors.h"
#include "log.h"
#include "sha256.h"

#include <jansson.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
#define REJECTS_LOGGED 20 /* rejects also logged one by one; the rest only counted */

/* ---- the state of one load ---- */

typedef struct {
    const etl_options *options;
    etl_result *result;
    passengers_load load; /* the store's side: transaction, COPY, merge */
    int unchanged_file;   /* identical to a committed run, nothing written since: no COPY */
    int prehashed;        /* result->sha256 was computed before loading */
    char *chunk;          /* READ_CHUNK bytes of input */
    FILE *rejects;        /* spooled for etl_rejects, sent after the rows (or after a failure) */
    int spool_failed;
    struct timespec started;
    double last_progress;
    off_t bytes_read;
    char spool_error[256];
} load_state;

/* ---- progress ---- */

static void show_progress(load_state *s, int final) {
    double now = clock_seconds_since(&s->started);
    if (!final && now - s->last_progress < (s->options->progress_tty ? 0.2 : 5.0))
        return;
    s->last_progress = now;
    long rows = s->result->valid + s->result->rejected;
    double rate = now > 0 ? rows / now : 0;
    if (!s->options->progress_tty) {
        if (!final)
            log_info("progress", "{s:I, s:I, s:f}", "rows", (json_int_t)rows, "rejected",
                     (json_int_t)s->result->rejected, "rows_per_s", rate);
        return;
    }
    off_t total = s->options->total_bytes;
    if (total > 0) {
        double fraction = (double)s->bytes_read / (double)total;
        double eta = fraction > 0 ? now / fraction - now : 0;
        static const char done[] = "##############################",
                          to_do[] = "..............................";
        int filled = fraction < 1 ? (int)(fraction * 30) : 30;
        fprintf(stderr, "\r%5.1f%% [%.*s%.*s] %ld rows  %.0f rows/s  ETA %.0fs   ", fraction * 100,
                filled, done, 30 - filled, to_do, rows, rate, final ? 0.0 : eta);
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

static int stage_row(const passenger *p, const csv_row_text *text, long line, void *arg) {
    load_state *s = arg;
    s->result->valid++;
    passenger_decimal age = {text->age.text, text->age.len},
                      fare = {text->fare.text, text->fare.len};
    if (!s->unchanged_file && passengers_load_row(&s->load, p, &age, &fare, line) != 0)
        return -1;
    show_progress(s, 0);
    return interrupted(s) ? -1 : 0;
}

static int stage_reject(long line, const char *field, const char *reason, const char *raw,
                        size_t raw_len, void *arg) {
    load_state *s = arg;
    s->result->rejected++;
    if (s->result->rejected <= REJECTS_LOGGED)
        log_warn("row rejected", "{s:I, s:s?, s:s}", "line", (json_int_t)line, "field", field,
                 "reason", reason);
    if (runs_store_spool_reject(&s->rejects, s->load.run, line, field, reason, raw, raw_len,
                                s->spool_error, sizeof s->spool_error) != 0) {
        s->spool_failed = 1;
        return -1;
    }
    /* Over an absolute limit: no point reading on (the rejects so far are kept). */
    long limit = s->options->max_rejects;
    return limit >= 0 && s->result->rejected > limit ? -1 : 0;
}

/* ---- the steps ---- */

static int prehash_file(load_state *s, int fd, char *err, size_t errlen) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    sha256_ctx hash;
    sha256_init(&hash);
    ssize_t n;
    while ((n = read(fd, s->chunk, READ_CHUNK)) > 0)
        sha256_update(&hash, s->chunk, (size_t)n);
    if (n < 0 || lseek(fd, 0, SEEK_SET) != 0)
        return errorf(err, errlen, "reading input failed: %s", strerror(errno));
    sha256_final_hex(&hash, s->result->sha256);
    s->prehashed = 1;
    return 0;
}

/* Opens the transaction, takes the load lock and picks direct or staged loading. */
static int begin_load(load_state *s, int fd, char *err, size_t errlen) {
    if (passengers_load_begin(&s->load, err, errlen) != 0)
        return -1;
    /* Reloading into a filled table: a regular file is fingerprinted first, so an unchanged
     * reload (the same bytes committed before, nothing written since) is recognised before
     * sending anything (pipes are hashed as they stream). */
    long same = 0;
    if (!s->load.first &&
        (prehash_file(s, fd, err, errlen) != 0 ||
         (s->prehashed && runs_store_same_file(s->load.conn, s->result->sha256, s->options->id_base,
                                               &same, err, errlen) != 0)))
        return -1;
    if ((s->unchanged_file = same > 0)) {
        log_info("same file as a committed run and no change since: validating only", "{s:I}",
                 "same_as_run", (json_int_t)same);
        return 0; /* rows are still parsed and validated, for counts and rejects */
    }
    return passengers_load_copy(&s->load, err, errlen);
}

static int read_all(load_state *s, csv_reader *reader, int fd, sha256_ctx *hash, char *err,
                    size_t errlen) {
    for (;;) {
        ssize_t n = read(fd, s->chunk, READ_CHUNK);
        if (n < 0 && errno == EINTR && !interrupted(s))
            continue;
        if (n < 0)
            return errorf(err, errlen, "reading input failed: %s", strerror(errno));
        if (n == 0)
            break;
        s->bytes_read += n;
        if (!s->prehashed)
            sha256_update(hash, s->chunk, (size_t)n);
        if (csv_reader_feed(reader, s->chunk, (size_t)n, err, errlen) != 0)
            return -1;
    }
    return csv_reader_finish(reader, err, errlen);
}

static int too_many_rejects(const load_state *s, char *err, size_t errlen) {
    const etl_result *r = s->result;
    long read = r->valid + r->rejected;
    if (s->options->max_rejects >= 0 && r->rejected > s->options->max_rejects) {
        snprintf(err, errlen, "too many rejected rows: %ld > --max-rejects %ld", r->rejected,
                 s->options->max_rejects);
        return 1;
    }
    if (s->options->max_rejects_pct >= 0 && read > 0 &&
        100.0 * (double)r->rejected / (double)read > s->options->max_rejects_pct) {
        snprintf(err, errlen, "too many rejected rows: %ld of %ld (%.2f%%) > --max-rejects %g%%",
                 r->rejected, read, 100.0 * (double)r->rejected / (double)read,
                 s->options->max_rejects_pct);
        return 1;
    }
    return 0;
}

/* Explains why the reader stopped when one of our own callbacks asked it to. */
static void explain_stop(load_state *s, char *err, size_t errlen) {
    if (interrupted(s))
        snprintf(err, errlen, "interrupted by a signal; nothing was committed");
    else if (s->load.copy.failed)
        snprintf(err, errlen, "sending rows to PostgreSQL failed: %s", s->load.copy.error);
    else if (s->spool_failed)
        snprintf(err, errlen, "%s", s->spool_error);
    else
        too_many_rejects(s, err, errlen);
}

/* The run as etl_runs records it. */
static run_record record_of(const load_state *s) {
    const etl_result *r = s->result;
    return (run_record){r->run_id,          csv_layout_name(r->layout),
                        r->sha256,          r->read,
                        r->inserted,        r->updated,
                        r->unchanged,       r->rejected,
                        s->options->id_base};
}

/* Everything after the last byte was read: end the COPY, merge, rejects, commit (a dry run
 * stops before writing anything and rolls back). */
static int complete_load(load_state *s, int read_rc, int duplicates_unchecked, char *err,
                         size_t errlen) {
    etl_result *r = s->result;
    int failed = read_rc != 0 || too_many_rejects(s, err, errlen);
    if (!s->unchanged_file) {
        char copy_err[1024] = "";
        long moved = 0;
        if (passengers_load_end(&s->load, failed ? "load aborted" : NULL, duplicates_unchecked,
                                &moved, &r->inserted, &r->updated, copy_err,
                                sizeof copy_err) != 0) {
            if (!failed)
                snprintf(err, errlen, "loading rows failed: %s", copy_err);
            return -1;
        }
        r->valid -= moved;
        r->rejected += moved;
        failed = moved > 0 && too_many_rejects(s, err, errlen);
    }
    if (failed)
        return -1;
    r->unchanged = r->valid - r->inserted - r->updated;
    if (s->options->dry_run) {
        db_end(s->load.conn, 0, NULL, 0);
        return 0;
    }
    run_record record = record_of(s);
    return runs_store_send_rejects(s->load.conn, s->rejects, err, errlen) == 0
               ? runs_store_finish(s->load.conn, &record, err, errlen)
               : -1;
}

static int load_rows(load_state *s, int fd, char *err, size_t errlen) {
    etl_result *r = s->result;
    csv_callbacks callbacks = {stage_row, stage_reject, s};
    csv_reader *reader = csv_reader_new(&callbacks, s->options->id_base);
    if (!reader) {
        snprintf(err, errlen, "out of memory");
        return complete_load(s, -1, 0, err, errlen); /* ends the COPY */
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
    r->read = r->valid + r->rejected;
    if (rc == 0 && s->load.first && duplicates_unchecked) {
        /* Not every id could be checked in bounded memory, and a first load has no staging
         * table to check the rest in: the primary key will catch a duplicate, failing the load
         * rather than losing a row. */
        log_warn("ids too sparse to check every duplicate in memory", NULL);
    }
    return complete_load(s, rc, duplicates_unchecked, err, errlen);
}

int etl_load(PGconn *conn, int fd, const etl_options *options, etl_result *result, char *err,
             size_t errlen) {
    memset(result, 0, sizeof *result);
    load_state s = {.options = options,
                    .result = result,
                    .load = {.conn = conn, .dry_run = options->dry_run},
                    .started = clock_now()};
    /* A dry run records no run: its rows carry run 0, and it rolls back. */
    if (!options->dry_run &&
        runs_store_start(store_on(conn), options->source, &result->run_id, err, errlen) != 0)
        return -1;
    s.load.run = result->run_id;
    s.chunk = malloc(READ_CHUNK);
    int rc = s.chunk ? begin_load(&s, fd, err, errlen) : -1;
    if (!s.chunk)
        snprintf(err, errlen, "out of memory");
    if (rc == 0)
        rc = load_rows(&s, fd, err, errlen);
    free(s.chunk);
    result->seconds = clock_seconds_since(&s.started);
    if (rc != 0) {
        result->inserted = result->updated = result->unchanged = 0;
        run_record record = record_of(&s);
        runs_store_fail(conn, &record, options->dry_run ? NULL : s.rejects, err);
    }
    if (s.rejects)
        fclose(s.rejects);
    return rc;
}
