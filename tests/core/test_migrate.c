/* Migrations against a real PostgreSQL: fresh apply, idempotent re-run, a database newer than the
 * build, an edited migration, a failing migration that leaves nothing behind, a lower-numbered
 * migration merged after a higher one was applied. */
#include "check.h"
#include "db.h"
#include "migrate.h"
#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>

static void test_fresh_and_rerun(PGconn *conn) {
    char err[1024];
    int version = -1, applied = -1;
    int latest = migrate_latest(embedded_migrations, embedded_migration_count);
    CHECK(latest >= 1);
    CHECK_INT(migrate_current_version(conn, &version, err, sizeof err), 0);
    CHECK_INT(version, latest);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM schema_migrations"),
              embedded_migration_count);
    CHECK_INT(migrate_apply(conn, embedded_migrations, embedded_migration_count, &applied, err,
                            sizeof err),
              0);
    CHECK_INT(applied, 0);
    CHECK_INT(migrate_check(conn, embedded_migrations, embedded_migration_count, err, sizeof err),
              0);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM information_schema.tables "
                                "WHERE table_name IN ('passengers','etl_runs','etl_rejects',"
                                "'models','predictions')"),
              5);
}

static void test_too_new(PGconn *conn) {
    char err[1024];
    int applied = 0;
    CHECK_INT(db_exec(conn,
                      "INSERT INTO schema_migrations (version, name, checksum) "
                      "VALUES (999, 'future', 'x')",
                      0, NULL, err, sizeof err),
              0);
    CHECK_INT(migrate_apply(conn, embedded_migrations, embedded_migration_count, &applied, err,
                            sizeof err),
              -1);
    CHECK_CONTAINS(err, "version 999, newer than this build knows");
    CHECK_INT(migrate_check(conn, embedded_migrations, embedded_migration_count, err, sizeof err),
              -1);
    CHECK_CONTAINS(err, "deploy a newer titanic build");
    db_exec(conn, "DELETE FROM schema_migrations WHERE version = 999", 0, NULL, err, sizeof err);
}

static void test_edited_and_failing(PGconn *conn) {
    char err[1024];
    int applied = 0;
    int latest = migrate_latest(embedded_migrations, embedded_migration_count);
    struct migration *list = calloc((size_t)embedded_migration_count + 2, sizeof *list);
    for (int i = 0; i < embedded_migration_count; i++)
        list[i] = embedded_migrations[i];
    int n = embedded_migration_count;

    /* A database behind the build: the API's check says to migrate. */
    list[n] = (struct migration){latest + 1, "extra", "CREATE TABLE extra_a (x int)"};
    CHECK_INT(migrate_check(conn, list, n + 1, err, sizeof err), -1);
    CHECK_CONTAINS(err, "titanic-etl --migrate");
    CHECK_INT(migrate_apply(conn, list, n + 1, &applied, err, sizeof err), 0);
    CHECK_INT(applied, 1);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM extra_a"), 0);

    /* A failing migration rolls back entirely: its first statement leaves no table behind. */
    list[n + 1] = (struct migration){latest + 2, "broken",
                                     "CREATE TABLE extra_b (x int); SELECT * FROM no_such_table"};
    CHECK_INT(migrate_apply(conn, list, n + 2, &applied, err, sizeof err), -1);
    CHECK_CONTAINS(err, "_broken failed");
    CHECK_CONTAINS(err, "no_such_table");
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'extra_b'"), 0);
    CHECK_INT(testdb_long(conn, "SELECT max(version) FROM schema_migrations"), latest + 1);

    /* An applied migration edited afterwards is refused. */
    list[n] = (struct migration){latest + 1, "extra", "CREATE TABLE extra_a (x bigint)"};
    CHECK_INT(migrate_apply(conn, list, n + 1, &applied, err, sizeof err), -1);
    CHECK_CONTAINS(err, "differs from the one applied");
    free(list);
}

/* A branch's migration 5 merged after 6 was applied everywhere: the runner applies 5 (it used to
 * skip it for good, since it only looked above the highest applied version), and until then the
 * API's check refuses to start, naming it. Runs after test_edited_and_failing (latest + 1 is
 * applied there). */
static void test_missing_lower(PGconn *conn) {
    char err[1024];
    int applied = 0;
    int latest = migrate_latest(embedded_migrations, embedded_migration_count);
    int n = embedded_migration_count;
    struct migration *list = calloc((size_t)n + 3, sizeof *list);
    for (int i = 0; i < n; i++)
        list[i] = embedded_migrations[i];
    list[n] = (struct migration){latest + 1, "extra", "CREATE TABLE extra_a (x int)"};
    list[n + 1] = (struct migration){latest + 3, "high", "CREATE TABLE gap_high (x int)"};
    CHECK_INT(migrate_apply(conn, list, n + 2, &applied, err, sizeof err), 0);
    CHECK_INT(applied, 1);

    list[n + 2] = list[n + 1];
    list[n + 1] = (struct migration){latest + 2, "merged_late",
                                     "CREATE TABLE gap_low AS SELECT count(*) AS n FROM gap_high"};
    CHECK_INT(migrate_check(conn, list, n + 3, err, sizeof err), -1);
    CHECK_CONTAINS(err, "_merged_late");
    CHECK_INT(migrate_apply(conn, list, n + 3, &applied, err, sizeof err), 0);
    CHECK_INT(applied, 1);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM gap_low"), 1);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM schema_migrations WHERE version > %d", latest);
    CHECK_INT(testdb_long(conn, sql), 3);
    CHECK_INT(migrate_check(conn, list, n + 3, err, sizeof err), 0);
    free(list);
}

int main(void) {
    PGconn *conn = testdb_create("migrate");
    test_fresh_and_rerun(conn);
    test_too_new(conn);
    test_edited_and_failing(conn);
    test_missing_lower(conn);
    testdb_drop(conn);
    return check_exit_code("test_migrate");
}
