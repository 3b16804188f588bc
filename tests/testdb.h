/* Throwaway databases for tests. The test command runs ctest inside Debian's pg_virtualenv, which
 * exports PGHOST/PGPORT/PGUSER/PGPASSWORD for a temporary cluster; each test program then creates
 * its own database there, so tests can run in parallel without seeing each other's rows. */
#ifndef TITANIC_TESTDB_H
#define TITANIC_TESTDB_H

#include "passenger.h"

#include <libpq-fe.h>

/* Creates database "t_<suite>_<pid>", migrates it to the embedded schema, points DATABASE_URL at
 * it (so binaries started by the test use it) and returns a connection. Skips the test (exit 77)
 * when no PostgreSQL is configured; fails the test when one is configured but unusable. */
PGconn *testdb_create(const char *suite);

/* The conninfo of the database testdb_create made (valid until testdb_drop). */
const char *testdb_conninfo(void);

/* Closes conn and drops the database. */
void testdb_drop(PGconn *conn);

/* Runs a query that must return exactly one value and returns it as a long (aborts on error). */
long testdb_long(PGconn *conn, const char *sql);

/* Same, returning a malloc'd string (NULL for SQL NULL). */
char *testdb_text(PGconn *conn, const char *sql);

/* Path of a real data file in TITANIC_DATA_DIR, or skips the test (exit 77) saying so. The path
 * stays valid for the next three calls (rotating static buffers). */
const char *testdb_data_file(const char *suite, const char *name);

/* Reads a whole passenger file (kaggle_csv_read) into a malloc'd array, for the 891-row test
 * files; more than 20 million records is an error. */
long kaggle_csv_load(const char *path, passenger **rows, char *err, size_t errlen);

/* Inserts n passengers as they are (ids, NULLs for unknown values) in one transaction; a failed
 * insert fails the test. For tests of code that reads passengers without the ETL. */
void testdb_insert_passengers(PGconn *conn, const passenger *rows, long n);

/* The payload of the first notification pending on listener (which has LISTENed), waiting up to
 * 2 s; "" when none came, or when it came on another channel than channel. */
void testdb_next_notification(PGconn *listener, const char *channel, char *payload, size_t len);

#endif
