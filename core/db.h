/* PostgreSQL access shared by the three binaries: connecting, describing a connection without its
 * password, and small checked wrappers around PQexecParams so no call site forgets a status check
 * and every statement is sent with the extended (parameterised) protocol. */
#ifndef TITANIC_DB_H
#define TITANIC_DB_H

#include "errors.h"

#include <libpq-fe.h>
#include <stddef.h>

/* Connects with conninfo (URI, key=value string, or "" for libpq's PG* variables). app names the
 * connection in pg_stat_activity unless the conninfo names one itself. Returns NULL with err set;
 * err never holds the password. */
PGconn *db_connect(const char *conninfo, const char *app, char *err,
                   size_t errlen) TITANIC_MUST_CHECK;

/* Like db_connect with a default connect timeout of timeout_seconds (the conninfo's own
 * connect_timeout, if any, still wins). Servers use a short one so a dead database answers 503
 * quickly instead of holding a worker. */
PGconn *db_connect_timeout(const char *conninfo, const char *app, int timeout_seconds, char *err,
                           size_t errlen) TITANIC_MUST_CHECK;

/* Resolves the connection string from the environment (config.h) and connects. The common start of
 * every binary and test. */
PGconn *db_connect_from_env(const char *app, char *err, size_t errlen) TITANIC_MUST_CHECK;

/* A second connection with every setting conn was opened with (the same server, database, role
 * and password), for work beside it. NULL with err. */
PGconn *db_connect_like(PGconn *conn, char *err, size_t errlen) TITANIC_MUST_CHECK;

/* Writes "host=... port=... dbname=... user=..." (never the password) for logs and errors. */
void db_describe(const char *conninfo, char *out, size_t len);

/* Runs one parameterised statement (text parameters, NULL = SQL NULL). Returns the result when it
 * succeeded (tuples or command), otherwise NULL with the server's message in err. */
PGresult *db_query(PGconn *conn, const char *sql, int nparams, const char *const *params, char *err,
                   size_t errlen) TITANIC_MUST_CHECK;

/* The check behind db_query, for results of other libpq calls (prepared statements): res when its
 * statement succeeded (tuples or command), otherwise NULL with the message in err (res cleared). */
PGresult *db_result(PGconn *conn, PGresult *res, char *err, size_t errlen);

/* Like db_query for statements whose result is not needed. Returns 0 or -1 with err. */
int db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, char *err,
            size_t errlen);

/* BEGIN, as db_exec. Pair it with db_end. */
int db_begin(PGconn *conn, char *err, size_t errlen);

/* Ends the open transaction: COMMIT when ok, else ROLLBACK. Returns 0 only when it committed;
 * err then or after a failed COMMIT says why, and a rollback leaves err as the caller's failed
 * step wrote it (the rollback's own error would hide the reason). No statement when no
 * transaction is open. */
int db_end(PGconn *conn, int ok, char *err, size_t errlen);

/* Copies PQerrorMessage (or a result's message) into err without the trailing newline. */
void db_error_text(PGconn *conn, const PGresult *res, char *err, size_t errlen);

#endif
