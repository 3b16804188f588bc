/* titanic-etl: loads a Titanic passenger CSV into PostgreSQL (the Kubernetes Job's command).
 * This file only turns the command line into a call of the loader in libtitanic. */
#include "db.h"
#include "log.h"
#include "migrate.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out) {
    fputs("usage: titanic-etl [--migrate]\n", out);
}

int main(int argc, char **argv) {
    char err[1024];
    if (log_init("etl", err, sizeof err) != 0) {
        fprintf(stderr, "titanic-etl: %s\n", err);
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (!(argc == 2 && strcmp(argv[1], "--migrate") == 0)) {
        usage(stderr);
        return 2;
    }
    PGconn *conn = db_connect_from_env("titanic-etl", err, sizeof err);
    if (!conn) {
        log_error("database connection failed", "{s:s}", "error", err);
        return 1;
    }
    int applied = 0;
    int rc = migrate_apply(conn, embedded_migrations, embedded_migration_count, &applied, err,
                           sizeof err);
    if (rc != 0)
        log_error("migration failed", "{s:s}", "error", err);
    else
        log_info("schema up to date", "{s:i, s:i}", "applied", applied, "version",
                 migrate_latest(embedded_migrations, embedded_migration_count));
    PQfinish(conn);
    return rc == 0 ? 0 : 1;
}
