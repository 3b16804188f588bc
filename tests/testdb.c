/* Throwaway per-test databases on the pg_virtualenv cluster. See testdb.h. */
#include "testdb.h"

#include "array.h"
#include "check.h"
#include "db.h"
#include "kaggle_csv.h"
#include "migrate.h"
#include "passengers_store.h"

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

static char database_name[64];
static char conninfo[512];

static void fail(const char *what, const char *why) {
    fprintf(stderr, "testdb: %s: %s\n", what, why);
    exit(1);
}

PGconn *testdb_create(const char *suite) {
    if (!getenv("PGHOST") && !getenv("DATABASE_URL"))
        check_skip(suite, "no PostgreSQL configured (run the suite through scripts/test.sh, "
                          "which starts one with pg_virtualenv)");
    unsetenv("DATABASE_URL");
    unsetenv("DATABASE_URL_FILE");
    char err[1024];
    PGconn *admin = db_connect("dbname=postgres", "titanic-tests", err, sizeof err);
    if (!admin)
        fail("connect", err);
    snprintf(database_name, sizeof database_name, "t_%s_%d", suite, (int)getpid());
    for (char *p = database_name; *p; p++) {
        if (*p == '-')
            *p = '_';
    }
    /* Identifiers cannot be bound as parameters; the name is ours, built from [a-z0-9_]. */
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", database_name);
    if (db_exec(admin, sql, 0, NULL, err, sizeof err) != 0)
        fail("drop old database", err);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", database_name);
    if (db_exec(admin, sql, 0, NULL, err, sizeof err) != 0)
        fail("create database", err);
    PQfinish(admin);
    snprintf(conninfo, sizeof conninfo, "dbname=%s", database_name);
    setenv("DATABASE_URL", conninfo, 1);
    PGconn *conn = db_connect(conninfo, "titanic-tests", err, sizeof err);
    if (!conn)
        fail("connect to test database", err);
    int applied = 0;
    if (migrate_apply(conn, embedded_migrations, embedded_migration_count, &applied, err,
                      sizeof err) != 0)
        fail("migrate", err);
    return conn;
}

const char *testdb_conninfo(void) {
    return conninfo;
}

void testdb_drop(PGconn *conn) {
    if (conn)
        PQfinish(conn);
    char err[1024];
    PGconn *admin = db_connect("dbname=postgres", "titanic-tests", err, sizeof err);
    if (!admin)
        return;
    char sql[200];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", database_name);
    db_exec(admin, sql, 0, NULL, err, sizeof err);
    PQfinish(admin);
}

long testdb_long(PGconn *conn, const char *sql) {
    char *text = testdb_text(conn, sql);
    long value = text ? atol(text) : 0;
    free(text);
    return value;
}

char *testdb_text(PGconn *conn, const char *sql) {
    char err[1024];
    PGresult *res = db_query(conn, sql, 0, NULL, err, sizeof err);
    if (!res)
        fail(sql, err);
    if (PQntuples(res) != 1 || PQnfields(res) != 1)
        fail(sql, "expected exactly one value");
    char *value = PQgetisnull(res, 0, 0) ? NULL : strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return value;
}

const char *testdb_data_file(const char *suite, const char *name) {
    /* A few rotating buffers, so a test can hold several paths at once. */
    static char paths[4][1024];
    static int next;
    char *path = paths[next++ % 4];
    const char *dir = getenv("TITANIC_DATA_DIR");
    if (!dir || !*dir)
        check_skip(suite, "TITANIC_DATA_DIR is not set; the real Kaggle files are needed");
    snprintf(path, sizeof paths[0], "%s/%s", dir, name);
    if (access(path, R_OK) != 0) {
        char reason[1200];
        snprintf(reason, sizeof reason, "%s is not readable", path);
        check_skip(suite, reason);
    }
    return path;
}

void testdb_insert_passengers(PGconn *conn, const passenger *rows, long n) {
    char err[512];
    CHECK_INT(db_exec(conn, "BEGIN", 0, NULL, err, sizeof err), 0);
    for (long i = 0; i < n; i++) {
        const passenger *p = &rows[i];
        char id[16], surv[8], pclass[8], age[32], sibsp[8], parch[8], fare[32], emb[2] = {0};
        snprintf(id, sizeof id, "%d", (int)p->id);
        snprintf(surv, sizeof surv, "%d", (int)p->survived);
        snprintf(pclass, sizeof pclass, "%d", (int)p->pclass);
        snprintf(age, sizeof age, "%.17g", p->age);
        snprintf(sibsp, sizeof sibsp, "%d", (int)p->sibsp);
        snprintf(parch, sizeof parch, "%d", (int)p->parch);
        snprintf(fare, sizeof fare, "%.17g", p->fare);
        char uuid[37];
        passenger_uuid_for_id(p->id, uuid);
        emb[0] = p->embarked;
        const char *params[13] = {id,
                                  uuid,
                                  p->survived >= 0 ? surv : NULL,
                                  pclass,
                                  p->name,
                                  passenger_sex_name(p->sex),
                                  isnan(p->age) ? NULL : age,
                                  sibsp,
                                  parch,
                                  p->ticket[0] ? p->ticket : NULL,
                                  isnan(p->fare) ? NULL : fare,
                                  p->cabin[0] ? p->cabin : NULL,
                                  p->embarked ? emb : NULL};
        if (db_exec(conn,
                    "INSERT INTO passengers (" PASSENGER_COLUMNS ") VALUES "
                    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    13, params, err, sizeof err) != 0) {
            fprintf(stderr, "insert passenger %d: %s\n", (int)p->id, err);
            CHECK(0);
            break;
        }
    }
    CHECK_INT(db_exec(conn, "COMMIT", 0, NULL, err, sizeof err), 0);
}

void testdb_next_notification(PGconn *listener, const char *channel, char *payload, size_t len) {
    payload[0] = '\0';
    for (int attempt = 0; attempt < 20; attempt++) {
        PQconsumeInput(listener);
        PGnotify *n = PQnotifies(listener);
        if (n) {
            if (strcmp(n->relname, channel) == 0)
                snprintf(payload, len, "%s", n->extra);
            PQfreemem(n);
            return;
        }
        int sock = PQsocket(listener);
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(sock, &fds);
        struct timeval tv = {0, 100000};
        select(sock + 1, &fds, NULL, NULL, &tv);
    }
}

typedef struct {
    passenger *rows;
    size_t count, capacity;
} collected;

static int collect(const passenger *p, void *arg) {
    collected *c = arg;
    if (array_reserve((void **)&c->rows, &c->capacity, c->count + 1, sizeof *c->rows, 20000000u) !=
        0)
        return -1;
    c->rows[c->count++] = *p;
    return 0;
}

long kaggle_csv_load(const char *path, passenger **rows, char *err, size_t errlen) {
    collected c = {NULL, 0, 0};
    long n = kaggle_csv_read(path, collect, &c, err, errlen);
    if (n < 0) {
        free(c.rows);
        return -1;
    }
    *rows = c.rows;
    return n;
}
