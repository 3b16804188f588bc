/* The load: CSV bytes from a file descriptor -> validated rows -> COPY into a temporary staging
 * table -> one set-based upsert into passengers, all in one transaction with its etl_runs row.
 * Parsing and sending overlap: rows go to the server in 256 KiB COPY messages as they are parsed,
 * so memory stays flat however large the input. */
#ifndef TITANIC_LOADER_H
#define TITANIC_LOADER_H

#include "csv_passenger.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    const char *source;                 /* recorded in etl_runs.source (a path, or "stdin") */
    int dry_run;                        /* everything but the writes: counts, then roll back */
    long max_rejects;                   /* -1: no limit */
    double max_rejects_pct;             /* -1: no limit; else percent of rows read */
    int32_t id_base;                    /* ids for layouts without PassengerId */
    int progress_tty;                   /* draw a progress bar on stderr */
    off_t total_bytes;                  /* input size for progress/ETA; 0 when unknown (a pipe) */
    volatile sig_atomic_t *interrupted; /* set by a signal handler: stop, commit nothing */
} etl_options;

typedef struct {
    /* read = inserted + updated + unchanged + rejected; valid = read - rejected. A dry run's
     * inserted and updated are what a real run would insert and update. */
    long read, valid, inserted, updated, unchanged, rejected;
    double seconds;
    long run_id; /* 0 for a dry run or when no run row could be written */
    char sha256[65];
    csv_layout layout;
} etl_result;

/* Loads everything readable from fd. Returns 0 when committed (or, dry run, counted and rolled
 * back); -1 with err when no passenger was committed (the run is then recorded as failed, with
 * the rejects found so far). */
int etl_load(PGconn *conn, int fd, const etl_options *options, etl_result *result, char *err,
             size_t errlen);

#endif
