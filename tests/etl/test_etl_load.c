/* Loads into a real PostgreSQL through etl_load: first load and reload, updates, mixed good and
 * bad rows with reconciled counts, exact text round trips, reject limits, unknown layouts and
 * the sparse-id duplicate fallback, dry runs. A failed load must leave passengers exactly as it
 * was and keep its rejects. */
#include "check.h"
#include "db.h"
#include "loader.h"
#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TRAIN_HEADER                                                                               \
    "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"

static PGconn *conn;

static int load(const char *csv, const etl_options *given, etl_result *r, char *err) {
    FILE *f = tmpfile();
    fputs(csv, f);
    fflush(f);
    rewind(f);
    etl_options o = {
        .source = "test", .max_rejects = -1, .max_rejects_pct = -1, .id_base = CSV_DEFAULT_ID_BASE};
    if (given)
        o = *given;
    int rc = etl_load(conn, fileno(f), &o, r, err, 1024);
    fclose(f);
    return rc;
}

static long count(const char *sql) {
    return testdb_long(conn, sql);
}

static void check_reconciles(const etl_result *r) {
    CHECK_INT(r->read, r->inserted + r->updated + r->unchanged + r->rejected);
}

/* A failed run (r) is recorded as failed with its rejects kept ("line:field,..."), while no
 * passenger row of it was committed. */
static void check_failed_run_kept_rejects(const etl_result *r, const char *rejects) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT status || ' ' || rows_rejected || ' ' || coalesce((SELECT string_agg(line || "
             "':' || field, ',' ORDER BY line) FROM etl_rejects WHERE run_id = %ld), '') "
             "FROM etl_runs WHERE run_id = %ld",
             r->run_id, r->run_id);
    char *got = testdb_text(conn, sql), want[256];
    snprintf(want, sizeof want, "failed 2 %s", rejects);
    CHECK_STR(got, want);
    free(got);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM passengers WHERE inserted_run = %ld",
             r->run_id);
    CHECK_INT(count(sql), 0);
}

/* Everything a first load's swap (migration 009) must carry over to the new passengers: its
 * columns, defaults, constraints, indexes, triggers, grants and comments, and the view over it. */
static char *passengers_shape(void) {
    return testdb_text(
        conn,
        "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
        " SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'passengers'::regclass"
        " UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger"
        "  WHERE tgrelid = 'passengers'::regclass AND NOT tgisinternal"
        " UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
        "  WHERE conrelid = 'passengers'::regclass"
        " UNION ALL SELECT relname || ' ' || coalesce(relacl::text, '') || ' ' || relkind::text"
        "  FROM pg_class WHERE relname IN ('passengers', 'passengers_etl_view')"
        " UNION ALL SELECT pg_get_viewdef('passengers_etl_view'::regclass)"
        " UNION ALL SELECT c.relname || d.objsubid || ' ' || d.description FROM pg_description d"
        "  JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass"
        "  WHERE c.relname IN ('passengers', 'passengers_etl_view')"
        " UNION ALL SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '"
        "  || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')"
        "  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid"
        "  AND d.adnum = a.attnum WHERE a.attrelid = 'passengers'::regclass AND a.attnum > 0"
        "  AND NOT a.attisdropped) t(x)");
}

static void test_first_load_and_reload(void) {
    etl_result r;
    char err[1024];
    const char *csv =
        TRAIN_HEADER "1,0,3,\"Braund, Mr. Owen Harris\",male,22,1,0,A/5 21171,7.25,,S\n"
                     "2,1,1,\"Cumings, Mrs. John\",female,38,1,0,PC 17599,71.2833,C85,C\n"
                     "3,,3,\"Unknown, Miss. X\",female,,0,0,,,,\n";
    char *shape = passengers_shape();
    CHECK_INT(load(csv, NULL, &r, err), 0);
    CHECK_INT(r.inserted, 3);
    /* The rows went into a new table, swapped in: passengers is the same table, as seen. */
    char *shape_after = passengers_shape();
    CHECK_STR(shape_after, shape);
    free(shape);
    free(shape_after);
    CHECK_INT(count("SELECT count(*) FROM pg_class WHERE relname LIKE 'passengers_next%'"), 0);
    CHECK_INT(count("SELECT sum(passengers) FROM passenger_survival_summary"), 3);
    check_reconciles(&r);
    CHECK_INT(count("SELECT count(*) FROM passengers"), 3);
    CHECK_INT(count("SELECT count(*) FROM passengers WHERE survived IS NULL AND age IS NULL "
                    "AND fare IS NULL AND ticket IS NULL AND embarked IS NULL"),
              1);
    char *fare = testdb_text(conn, "SELECT fare::text FROM passengers WHERE passenger_id = 2");
    CHECK_STR(fare, "71.2833");
    free(fare);
    /* Numerics are stored with the digits and scale written in the file (binary COPY). */
    etl_result rn;
    const char *numbers = TRAIN_HEADER "50,1,1,N,female,0.42,0,0,,0,,\n"
                                       "51,1,1,N,female,28.50,0,0,,512.3292,,\n"
                                       "52,1,1,N,female,120,0,0,,100000,,\n"
                                       "53,1,1,N,female,0,0,0,,1234567.000001,,\n"
                                       "54,1,1,N,female,007.0400,0,0,,0.000100,,\n";
    CHECK_INT(load(numbers, NULL, &rn, err), 0);
    CHECK_INT(rn.inserted + rn.updated, 4);
    CHECK_INT(rn.rejected, 1); /* fare 1234567.000001 is above 100000 */
    char *texts = testdb_text(conn, "SELECT string_agg(age::text || '/' || fare::text, ' ' "
                                    "ORDER BY passenger_id) FROM passengers "
                                    "WHERE passenger_id BETWEEN 50 AND 54");
    CHECK_STR(texts, "0.42/0 28.50/512.3292 120/100000 7.0400/0.000100");
    free(texts);
    db_exec(conn, "DELETE FROM passengers WHERE passenger_id BETWEEN 50 AND 54", 0, NULL, err,
            sizeof err);
    char *uuid = testdb_text(conn, "SELECT uuid::text FROM passengers WHERE passenger_id = 1");
    char expected[37];
    passenger_uuid_for_id(1, expected);
    CHECK_STR(uuid, expected);
    free(uuid);

    /* Rows 50-54 came and went since the first load: this reload compares, changing nothing. */
    CHECK_INT(load(csv, NULL, &r, err), 0);
    CHECK_INT(r.unchanged, 3);
    long xmin_before = count("SELECT sum(xmin::text::bigint) FROM passengers");
    long change_before = count("SELECT last_value FROM passengers_change_seq");
    CHECK_INT(load(csv, NULL, &r, err), 0);
    CHECK_INT(r.unchanged, 3);
    CHECK_INT(r.inserted + r.updated, 0);
    CHECK_INT(count("SELECT sum(xmin::text::bigint) FROM passengers"), xmin_before);
    /* The same bytes with nothing written since: recognised, nothing sent, nothing touched. */
    CHECK_INT(count("SELECT last_value FROM passengers_change_seq"), change_before);

    /* Someone else changes a row (an analyst, the API): the same file is compared again and
     * puts the row back, because the fingerprint shortcut no longer applies. */
    CHECK_INT(db_exec(conn, "UPDATE passengers SET name = 'Edited' WHERE passenger_id = 1", 0, NULL,
                      err, sizeof err),
              0);
    CHECK_INT(load(csv, NULL, &r, err), 0);
    CHECK_INT(r.updated, 1);
    CHECK_INT(r.unchanged, 2);
    char *restored = testdb_text(conn, "SELECT name FROM passengers WHERE passenger_id = 1");
    CHECK_STR(restored, "Braund, Mr. Owen Harris");
    free(restored);
    /* A different id base is a different load of the same bytes. */
    etl_options other = {
        .source = "test", .max_rejects = -1, .max_rejects_pct = -1, .id_base = 5000};
    long changes = count("SELECT last_value FROM passengers_change_seq");
    CHECK_INT(load(csv, &other, &r, err), 0);
    CHECK_INT(r.unchanged, 3);
    CHECK(count("SELECT last_value FROM passengers_change_seq") > changes);

    /* One changed row, one new row. */
    const char *changed =
        TRAIN_HEADER "1,1,3,\"Braund, Mr. Owen Harris\",male,22,1,0,A/5 21171,7.25,,S\n"
                     "4,0,2,\"New, Mr. Row\",male,30,0,0,X,10,,Q\n";
    CHECK_INT(load(changed, NULL, &r, err), 0);
    CHECK_INT(r.updated, 1);
    CHECK_INT(r.inserted, 1);
    check_reconciles(&r);
    CHECK_INT(count("SELECT survived FROM passengers WHERE passenger_id = 1"), 1);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM passengers WHERE passenger_id = 1 AND updated_run = %ld "
             "AND inserted_run < updated_run",
             r.run_id);
    CHECK_INT(count(sql), 1);
    CHECK_INT(count("SELECT count(*) FROM etl_runs WHERE status = 'committed' AND "
                    "rows_read = rows_inserted + rows_updated + rows_unchanged + rows_rejected"),
              7);
}

static void test_mixed_rows(void) {
    etl_result r;
    char err[1024];
    long before = count("SELECT count(*) FROM passengers");
    const char *csv = TRAIN_HEADER "100,0,3,Good A,male,22,0,0,,7.25,,S\n"
                                   "101,0,5,Bad class,male,22,0,0,,7.25,,S\n"
                                   "102,1,1,Good B,female,,0,0,,,,C\n"
                                   "103,1,1,Bad age,female,abc,0,0,,,,C\n"
                                   "102,1,1,Dup of B,female,,0,0,,,,C\n";
    CHECK_INT(load(csv, NULL, &r, err), 0);
    CHECK_INT(r.read, 5);
    CHECK_INT(r.inserted, 2);
    CHECK_INT(r.rejected, 3);
    check_reconciles(&r);
    CHECK_INT(count("SELECT count(*) FROM passengers"), before + 2);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(line || ':' || field, ',' ORDER BY line) FROM etl_rejects "
             "WHERE run_id = %ld",
             r.run_id);
    char *lines = testdb_text(conn, sql);
    CHECK_STR(lines, "3:Pclass,5:Age,6:PassengerId");
    free(lines);
    snprintf(sql, sizeof sql,
             "SELECT convert_from(raw, 'UTF8') FROM etl_rejects WHERE run_id = %ld AND line = 3",
             r.run_id);
    char *raw = testdb_text(conn, sql);
    CHECK_STR(raw, "101,0,5,Bad class,male,22,0,0,,7.25,,S");
    free(raw);
}

static void test_round_trip_text(void) {
    etl_result r;
    char err[1024];
    const char *names[] = {"O'Brien, Mrs. \"Nell\"",
                           "Back\\slash, Mr. \\N \\t",
                           "Tab\there, Miss. Zoë",
                           "Ærøskøbing, Mr. Søren; DROP TABLE x;--",
                           "  spaced  ",
                           "日本, Mr. 太郎 🚢",
                           "Comma, Mr. a,b,c"};
    char csv[4096];
    int n = snprintf(csv, sizeof csv, TRAIN_HEADER);
    int count_names = (int)(sizeof names / sizeof names[0]);
    for (int i = 0; i < count_names; i++) {
        n += snprintf(csv + n, sizeof csv - (size_t)n, "%d,1,1,\"", 200 + i);
        for (const char *c = names[i]; *c; c++) {
            if (*c == '"')
                csv[n++] = '"';
            csv[n++] = *c;
        }
        n += snprintf(csv + n, sizeof csv - (size_t)n, "\",female,,0,0,\"T\\1\t2\",,,\n");
    }
    CHECK_INT(load(csv, NULL, &r, err), 0);
    CHECK_INT(r.inserted, count_names);
    for (int i = 0; i < count_names; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", 200 + i);
        const char *params[] = {id};
        PGresult *res =
            db_query(conn, "SELECT name, ticket FROM passengers WHERE passenger_id = $1", 1, params,
                     err, sizeof err);
        CHECK(res && PQntuples(res) == 1);
        if (res && PQntuples(res) == 1) {
            CHECK_STR(PQgetvalue(res, 0, 0), names[i]);
            CHECK_STR(PQgetvalue(res, 0, 1), "T\\1\t2");
        }
        PQclear(res);
    }
}

static void test_failures_commit_nothing(void) {
    etl_result r;
    char err[1024];
    long before = count("SELECT count(*) FROM passengers");
    long runs_before = count("SELECT count(*) FROM etl_runs");

    /* Unknown layout. */
    CHECK_INT(load("id,name\n1,x\n", NULL, &r, err), -1);
    CHECK_CONTAINS(err, "unknown CSV header");
    CHECK_INT(count("SELECT count(*) FROM passengers"), before);
    CHECK_INT(count("SELECT count(*) FROM etl_runs WHERE status = 'failed' AND error LIKE "
                    "'%unknown CSV header%'"),
              1);

    /* Too many rejects, absolute and percentage: nothing committed, run marked failed. */
    const char *csv = TRAIN_HEADER "300,0,3,Good,male,22,0,0,,7.25,,S\n"
                                   "301,0,9,Bad,male,22,0,0,,7.25,,S\n"
                                   "302,0,9,Bad,male,22,0,0,,7.25,,S\n";
    etl_options o = {.source = "limits",
                     .max_rejects = 1,
                     .max_rejects_pct = -1,
                     .id_base = CSV_DEFAULT_ID_BASE};
    CHECK_INT(load(csv, &o, &r, err), -1);
    CHECK_CONTAINS(err, "too many rejected rows");
    check_failed_run_kept_rejects(&r, "3:Pclass,4:Pclass");
    o.max_rejects = -1;
    o.max_rejects_pct = 50;
    CHECK_INT(load(csv, &o, &r, err), -1);
    CHECK_CONTAINS(err, "66.67%");
    check_failed_run_kept_rejects(&r, "3:Pclass,4:Pclass");
    o.max_rejects_pct = 70;
    long committed_before = count("SELECT count(*) FROM passengers");
    CHECK_INT(load(csv, &o, &r, err), 0);
    CHECK_INT(count("SELECT count(*) FROM passengers"), committed_before + 1);
    CHECK_INT(count("SELECT count(*) FROM etl_runs"), runs_before + 4);
    CHECK_INT(count("SELECT count(*) FROM etl_rejects r JOIN etl_runs u USING (run_id) "
                    "WHERE u.status = 'failed'"),
              4);
}

/* A dry run against a filled table: what a real run would insert, update and leave, with the
 * identity intact, and nothing written (no passenger, no run, no reject). */
static void test_dry_run(void) {
    etl_result r;
    char err[1024];
    CHECK_INT(load(TRAIN_HEADER "700,0,3,Same,male,22,0,0,,7.25,,S\n"
                                "701,0,3,Old,male,22,0,0,,7.25,,S\n",
                   NULL, &r, err),
              0);
    long runs = count("SELECT count(*) FROM etl_runs"),
         rejects = count("SELECT count(*) FROM etl_rejects");
    etl_options o = {.source = "dry",
                     .dry_run = 1,
                     .max_rejects = -1,
                     .max_rejects_pct = -1,
                     .id_base = CSV_DEFAULT_ID_BASE};
    const char *csv = TRAIN_HEADER "700,0,3,Same,male,22,0,0,,7.25,,S\n"
                                   "701,1,3,Changed,male,22,0,0,,7.25,,S\n"
                                   "702,0,3,New,male,22,0,0,,7.25,,S\n"
                                   "703,0,9,Bad,male,22,0,0,,7.25,,S\n";
    CHECK_INT(load(csv, &o, &r, err), 0);
    CHECK_INT(r.read, 4);
    CHECK_INT(r.valid, 3);
    CHECK_INT(r.inserted, 1);
    CHECK_INT(r.updated, 1);
    CHECK_INT(r.unchanged, 1);
    CHECK_INT(r.rejected, 1);
    CHECK_INT(r.run_id, 0);
    check_reconciles(&r);
    CHECK_INT(count("SELECT count(*) FROM passengers WHERE passenger_id = 702"), 0);
    CHECK_INT(count("SELECT count(*) FROM passengers WHERE passenger_id = 701 AND name = 'Old'"),
              1);
    CHECK_INT(count("SELECT count(*) FROM etl_runs"), runs);
    CHECK_INT(count("SELECT count(*) FROM etl_rejects"), rejects);
    CHECK_INT(PQtransactionStatus(conn), PQTRANS_IDLE);
    /* A dry run fails like a real one and still writes nothing. */
    CHECK_INT(etl_load(conn, -1, &o, &r, err, sizeof err), -1); /* fd -1: read error */
    CHECK_CONTAINS(err, "reading input failed");
    CHECK_INT(count("SELECT count(*) FROM etl_runs"), runs);
}

/* 1100 ids spread one per 65536, which exhaust the in-memory duplicate check, then the last id
 * again (malloc'd). */
static char *sparse_duplicates_csv(void) {
    size_t size = 1100 * 64 + 256;
    char *csv = malloc(size);
    int n = snprintf(csv, size, TRAIN_HEADER);
    for (int i = 0; i < 1100; i++)
        n += snprintf(csv + n, size - (size_t)n, "%d,0,3,S%d,male,,0,0,,,,\n", 1000 + i * 65536, i);
    snprintf(csv + n, size - (size_t)n, "%d,0,3,Dup,male,,0,0,,,,\n", 1000 + 1099 * 65536);
    return csv;
}

/* A first load (empty table) has no staging table to finish the check in: building the primary
 * key refuses the duplicate, passengers keeps its key and indexes, empty, and the new table the
 * rows went into is gone. */
static void test_first_load_duplicates(void) {
    etl_result r;
    char err[1024];
    char *csv = sparse_duplicates_csv();
    CHECK_INT(load(csv, NULL, &r, err), -1);
    CHECK_CONTAINS(err, "passengers_pkey");
    CHECK_INT(count("SELECT count(*) FROM passengers"), 0);
    CHECK_INT(count("SELECT count(*) FROM pg_class WHERE relname LIKE 'passengers_next%'"), 0);
    CHECK_INT(count("SELECT count(*) FROM pg_indexes WHERE tablename = 'passengers'"), 7);
    CHECK_INT(count("SELECT count(*) FROM pg_constraint WHERE conrelid = 'passengers'::regclass "
                    "AND contype = 'p'"),
              1);
    free(csv);
}

/* In a filled table (staged mode), SQL finishes the check: the duplicate becomes a reject. */
static void test_sparse_duplicates(void) {
    etl_result r;
    char err[1024];
    char *csv = sparse_duplicates_csv();
    CHECK_INT(load(csv, NULL, &r, err), 0);
    CHECK_INT(r.read, 1101);
    CHECK_INT(r.inserted, 1100);
    CHECK_INT(r.rejected, 1);
    check_reconciles(&r);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT reason FROM etl_rejects WHERE run_id = %ld", r.run_id);
    char *reason = testdb_text(conn, sql);
    CHECK_CONTAINS(reason, "duplicate id: appears earlier in this file (line 1101)");
    free(reason);
    free(csv);
}

int main(void) {
    conn = testdb_create("etl_load");
    test_first_load_duplicates();
    test_first_load_and_reload();
    test_mixed_rows();
    test_round_trip_text();
    test_failures_commit_nothing();
    test_dry_run();
    test_sparse_duplicates();
    testdb_drop(conn);
    return check_exit_code("test_etl_load");
}
