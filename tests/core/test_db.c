/* Connecting through DATABASE_URL_FILE to a real server, and the checked query wrappers'
 * behaviour on errors and parameters (including values that look like SQL). */
#include "check.h"
#include "db.h"
#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void test_url_file(void) {
    char path[] = "/tmp/titanic-dburl-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s\n", testdb_conninfo());
    fclose(f);
    char *saved = strdup(getenv("DATABASE_URL"));
    unsetenv("DATABASE_URL");
    setenv("DATABASE_URL_FILE", path, 1);
    char err[1024];
    PGconn *conn = db_connect_from_env("test", err, sizeof err);
    CHECK(conn != NULL);
    if (conn) {
        CHECK_INT(testdb_long(conn, "SELECT count(*) FROM schema_migrations") > 0, 1);
        PQfinish(conn);
    }
    unsetenv("DATABASE_URL_FILE");
    setenv("DATABASE_URL", saved, 1);
    free(saved);
    unlink(path);
}

static void test_queries(PGconn *conn) {
    char err[1024];
    CHECK(db_query(conn, "SELEKT 1", 0, NULL, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "syntax error");
    const char *params[] = {"Robert'); DROP TABLE passengers;--"};
    PGresult *res = db_query(conn, "SELECT $1::text", 1, params, err, sizeof err);
    CHECK(res != NULL);
    if (res) {
        CHECK_STR(PQgetvalue(res, 0, 0), params[0]);
        PQclear(res);
    }
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM pg_tables WHERE tablename='passengers'"), 1);
    /* Two statements in one call are refused by the extended protocol. */
    CHECK_INT(db_exec(conn, "SELECT 1; SELECT 2", 0, NULL, err, sizeof err), -1);
    /* db_result checks what other libpq calls return: a failed PREPARE, and no result at all. */
    CHECK(db_result(conn, PQprepare(conn, "bad", "SELEKT $1", 1, NULL), err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "syntax error");
    res = db_result(conn, PQprepare(conn, "good", "SELECT $1::int + 1", 1, NULL), err, sizeof err);
    CHECK(res != NULL);
    PQclear(res);
    CHECK(db_result(conn, NULL, err, sizeof err) == NULL);
}

/* db_begin/db_end: ok commits; a failed step rolls back and err keeps that step's reason; a
 * COMMIT the server refuses (a deferred check) is a failure with its reason; with no transaction
 * open, db_end(0) sends nothing. */
static void test_transactions(PGconn *conn) {
    char err[1024];
    CHECK_INT(db_exec(conn,
                      "CREATE TABLE txn_probe (v int PRIMARY KEY, parent int REFERENCES "
                      "txn_probe DEFERRABLE INITIALLY DEFERRED)",
                      0, NULL, err, sizeof err),
              0);
    CHECK_INT(db_begin(conn, err, sizeof err), 0);
    CHECK_INT(
        db_end(conn,
               db_exec(conn, "INSERT INTO txn_probe VALUES (1)", 0, NULL, err, sizeof err) == 0,
               err, sizeof err),
        0);
    CHECK_INT(db_begin(conn, err, sizeof err), 0);
    int ok = db_exec(conn, "INSERT INTO txn_probe VALUES (2)", 0, NULL, err, sizeof err) == 0 &&
             db_exec(conn, "INSERT INTO txn_probe VALUES (1)", 0, NULL, err, sizeof err) == 0;
    CHECK_INT(db_end(conn, ok, err, sizeof err), -1);
    CHECK_CONTAINS(err, "duplicate key");
    CHECK_INT(PQtransactionStatus(conn), PQTRANS_IDLE);
    CHECK_INT(db_begin(conn, err, sizeof err), 0);
    ok = db_exec(conn, "INSERT INTO txn_probe VALUES (3, 99)", 0, NULL, err, sizeof err) == 0;
    CHECK_INT(db_end(conn, ok, err, sizeof err), -1);
    CHECK_CONTAINS(err, "foreign key");
    CHECK_INT(testdb_long(conn, "SELECT count(*) * 10 + max(v) FROM txn_probe"), 11);
    snprintf(err, sizeof err, "earlier reason");
    CHECK_INT(db_end(conn, 0, err, sizeof err), -1);
    CHECK_STR(err, "earlier reason");
    CHECK_INT(PQtransactionStatus(conn), PQTRANS_IDLE);
}

int main(void) {
    PGconn *conn = testdb_create("db");
    test_url_file();
    test_queries(conn);
    test_transactions(conn);
    testdb_drop(conn);
    return check_exit_code("test_db");
}
