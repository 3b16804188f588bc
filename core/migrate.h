/* Schema migrations: numbered SQL files (migrations/NNN_name.sql) compiled into every binary,
 * applied in order, each in its own transaction, and recorded in schema_migrations with a
 * checksum. titanic-etl applies them; titanic-api only checks that the database's schema is the
 * one it was built for and refuses a newer one. */
#ifndef TITANIC_MIGRATE_H
#define TITANIC_MIGRATE_H

#include "errors.h"

#include <libpq-fe.h>
#include <stddef.h>

struct migration {
    int version;
    const char *name;
    const char *sql;
};

/* The migrations this build carries (generated from migrations/NNN_name.sql). */
extern const struct migration embedded_migrations[];
extern const int embedded_migration_count;

/* Highest version in list (0 for an empty list). */
int migrate_latest(const struct migration *list, int count);

/* Applies every migration in list that the database has not applied, lowest number first (a lower
 * number merged after a higher one was applied included), under an advisory lock so concurrent
 * Jobs or pods do not race. *applied receives how many ran. Refuses (-1, err) when the database
 * is newer than list, or an applied migration's text changed since. */
int migrate_apply(PGconn *conn, const struct migration *list, int count, int *applied, char *err,
                  size_t errlen) TITANIC_MUST_CHECK;

/* Reads the database's schema version: 0 when schema_migrations does not exist yet. */
int migrate_current_version(PGconn *conn, int *version, char *err,
                            size_t errlen) TITANIC_MUST_CHECK;

/* For servers that must not change the schema: 0 when the database has applied every migration of
 * list and none newer; otherwise -1 with a message naming the first missing migration, or
 * saying what to do (migrate, or deploy a newer build). */
int migrate_check(PGconn *conn, const struct migration *list, int count, char *err,
                  size_t errlen) TITANIC_MUST_CHECK;

#endif
