/* Schema migrations: apply in order under a lock, record, and check. See migrate.h. */
#include "migrate.h"

#include "db.h"
#include "log.h"
#include "sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arbitrary constant naming the migration lock among advisory locks ("TITANIC1"). */
#define MIGRATION_LOCK_KEY "5784673487371030833"

int migrate_latest(const struct migration *list, int count) {
    int latest = 0;
    for (int i = 0; i < count; i++) {
        if (list[i].version > latest)
            latest = list[i].version;
    }
    return latest;
}

int migrate_current_version(PGconn *conn, int *version, char *err, size_t errlen) {
    /* Two statements: a query naming a missing table fails when it is parsed, even in a CASE
     * branch that would never run. */
    PGresult *res =
        db_query(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, err, errlen);
    if (!res)
        return -1;
    int exists = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    *version = 0;
    if (!exists)
        return 0;
    res = db_query(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, err,
                   errlen);
    if (!res)
        return -1;
    *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int create_migrations_table(PGconn *conn, char *err, size_t errlen) {
    return db_exec(conn,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version integer PRIMARY KEY,"
                   " name text NOT NULL,"
                   " checksum text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())",
                   0, NULL, err, errlen);
}

/* The migrations applied so far: rows of (version, checksum). */
static PGresult *applied_migrations(PGconn *conn, char *err, size_t errlen) {
    return db_query(conn, "SELECT version, checksum FROM schema_migrations", 0, NULL, err, errlen);
}

/* Refuses to go on when a migration already applied no longer matches the text we carry:
 * silently diverging schemas are worse than a stopped deploy. */
static int verify_applied_checksums(const PGresult *applied, const struct migration *list,
                                    int count, char *err, size_t errlen) {
    for (int row = 0; row < PQntuples(applied); row++) {
        int version = atoi(PQgetvalue(applied, row, 0));
        for (int i = 0; i < count; i++) {
            char hex[65];
            if (list[i].version != version)
                continue;
            sha256_hex(list[i].sql, strlen(list[i].sql), hex);
            if (strcmp(hex, PQgetvalue(applied, row, 1)) != 0)
                return errorf(err, errlen,
                              "migration %03d_%s differs from the one applied to this database; "
                              "migrations must never be edited once released",
                              version, list[i].name);
        }
    }
    return 0;
}

static int apply_one(PGconn *conn, const struct migration *m, char *err, size_t errlen) {
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    char version[16], hex[65];
    snprintf(version, sizeof version, "%d", m->version);
    sha256_hex(m->sql, strlen(m->sql), hex);
    const char *params[] = {version, m->name, hex};
    /* The whole file in one call of the simple protocol (the extended one takes one statement):
     * the server runs its statements in order inside this transaction and stops at the first
     * error, whose message db_result keeps. */
    PGresult *res = db_result(conn, PQexec(conn, m->sql), err, errlen);
    int ok = res != NULL;
    PQclear(res);
    ok = ok &&
         db_exec(conn, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1,$2,$3)",
                 3, params, err, errlen) == 0;
    if (db_end(conn, ok, err, errlen) != 0) {
        char reason[512];
        snprintf(reason, sizeof reason, "%s", err);
        return errorf(err, errlen, "migration %03d_%s failed: %s", m->version, m->name, reason);
    }
    log_info("migration applied", "{s:i, s:s}", "version", m->version, "name", m->name);
    return 0;
}

/* A database migrated by a newer build must not be touched, or served, by this one. */
static int refuse_newer_schema(int current, int latest, char *err, size_t errlen) {
    if (current <= latest)
        return 0;
    return errorf(err, errlen,
                  "database schema is at version %d, newer than this build knows (%d); "
                  "deploy a newer titanic build",
                  current, latest);
}

/* The lowest-numbered migration of list not among applied (NULL: no schema_migrations table, none
 * applied), or -1 when it has them all. Not only those above the highest applied version: a lower
 * number merged after a higher one was released must not be skipped for good. */
static int first_missing(const PGresult *applied, const struct migration *list, int count) {
    int index = -1;
    for (int i = 0; i < count; i++) {
        int missing = 1;
        for (int row = 0; applied && missing && row < PQntuples(applied); row++)
            missing = atoi(PQgetvalue(applied, row, 0)) != list[i].version;
        if (missing && (index < 0 || list[i].version < list[index].version))
            index = i;
    }
    return index;
}

static int apply_pending(PGconn *conn, const struct migration *list, int count, int *applied,
                         char *err, size_t errlen) {
    int current = 0;
    if (migrate_current_version(conn, &current, err, errlen) != 0)
        return -1;
    /* Only a fresh database needs the table; CREATE ... IF NOT EXISTS would still need the
     * CREATE privilege, which the workload roles (titanic-etl loading as titanic_etl) lack. */
    if (current == 0 && create_migrations_table(conn, err, errlen) != 0)
        return -1;
    int latest = migrate_latest(list, count);
    if (refuse_newer_schema(current, latest, err, errlen) != 0)
        return -1;
    for (;;) {
        PGresult *done = applied_migrations(conn, err, errlen);
        if (!done)
            return -1;
        int ok = verify_applied_checksums(done, list, count, err, errlen) == 0;
        int next = first_missing(done, list, count);
        PQclear(done);
        if (!ok)
            return -1;
        if (next < 0)
            return 0;
        if (list[next].version < current)
            log_warn("applying a migration numbered below the database's version", "{s:i, s:s}",
                     "version", list[next].version, "name", list[next].name);
        if (apply_one(conn, &list[next], err, errlen) != 0)
            return -1;
        (*applied)++;
    }
}

int migrate_apply(PGconn *conn, const struct migration *list, int count, int *applied, char *err,
                  size_t errlen) {
    *applied = 0;
    const char *key[] = {MIGRATION_LOCK_KEY};
    if (db_exec(conn, "SELECT pg_advisory_lock($1::bigint)", 1, key, err, errlen) != 0)
        return -1;
    int rc = apply_pending(conn, list, count, applied, err, errlen);
    char ignored[256];
    db_exec(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, key, ignored, sizeof ignored);
    return rc;
}

int migrate_check(PGconn *conn, const struct migration *list, int count, char *err, size_t errlen) {
    int current = 0;
    if (migrate_current_version(conn, &current, err, errlen) != 0)
        return -1;
    int latest = migrate_latest(list, count);
    if (refuse_newer_schema(current, latest, err, errlen) != 0)
        return -1;
    PGresult *applied = current > 0 ? applied_migrations(conn, err, errlen) : NULL;
    if (current > 0 && !applied)
        return -1;
    int missing = first_missing(applied, list, count);
    PQclear(applied);
    if (missing >= 0)
        return errorf(
            err, errlen,
            "database schema is at version %d but lacks migration %03d_%s, which this build "
            "needs; run `titanic-etl --migrate` first",
            current, list[missing].version, list[missing].name);
    return 0;
}
