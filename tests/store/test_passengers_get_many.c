/* passengers_store_get_many, the API's one statement for stored passengers by id, against a real
 * PostgreSQL: every id gets its own row (in any order of the answer), a repeated id gets the row
 * at every place, a missing id is not found, and each result is the passenger inserted, with the
 * uuid its id names. Also the bounds: no ids, and more than PASSENGER_BATCH_MAX. */
#include "check.h"
#include "passengers_store.h"
#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>

#define ROWS 40
static passenger rows[ROWS];

static void insert_numbered(PGconn *conn, int n) {
    for (int i = 0; i < n; i++) {
        passenger_init(&rows[i]);
        rows[i].id = i + 1;
        rows[i].pclass = (int8_t)(1 + i % 3);
        rows[i].sex = (int8_t)(i % 2);
        rows[i].age = i % 5 ? 20.5 + i : NAN;
        rows[i].fare = 7.25 * (i + 1);
        rows[i].embarked = "CQS"[i % 3];
        snprintf(rows[i].name, sizeof rows[i].name, "Number %d, Mr. Row", i + 1);
        snprintf(rows[i].ticket, sizeof rows[i].ticket, "T%d", i + 1);
    }
    testdb_insert_passengers(conn, rows, n);
}

static void check_batch(PGconn *conn) {
    /* Out of order, with repeats (7 three times, 2 twice) and missing ids (0 rows beyond 40). */
    const int32_t ids[] = {7, 2, 41, 7, 40, 1000000, 2, 1, 7, 13};
    enum { N = sizeof ids / sizeof *ids };
    passenger results[N], *out[N];
    int found[N];
    for (int i = 0; i < N; i++)
        out[i] = &results[i];
    char err[512];
    int unavailable = 0;
    CHECK_INT(passengers_store_get_many(store_on(conn), ids, N, out, found, &unavailable, err,
                                        sizeof err),
              0);
    for (int i = 0; i < N; i++) {
        int expected = ids[i] >= 1 && ids[i] <= ROWS;
        CHECK_INT(found[i], expected);
        if (found[i] && expected) {
            char uuid[37];
            passenger_uuid_for_id(ids[i], uuid);
            CHECK_INT(results[i].id, ids[i]);
            CHECK(passenger_same(&results[i], &rows[ids[i] - 1]));
            CHECK_STR(results[i].uuid, uuid);
        }
    }
    CHECK_INT(found[2] + found[5], 0);
}

static void check_bounds(PGconn *conn) {
    int32_t ids[PASSENGER_BATCH_MAX + 1];
    passenger one, *out[PASSENGER_BATCH_MAX + 1];
    int found[PASSENGER_BATCH_MAX + 1];
    for (int i = 0; i <= PASSENGER_BATCH_MAX; i++) {
        ids[i] = i + 1;
        out[i] = &one;
    }
    char err[512] = "";
    CHECK_INT(passengers_store_get_many(store_on(conn), ids, 0, out, found, NULL, err, sizeof err),
              0);
    CHECK_INT(passengers_store_get_many(store_on(conn), ids, PASSENGER_BATCH_MAX + 1, out, found,
                                        NULL, err, sizeof err),
              -1);
    CHECK_CONTAINS(err, "at most");
}

int main(void) {
    PGconn *conn = testdb_create("get_many");
    insert_numbered(conn, ROWS);
    check_batch(conn);
    check_bounds(conn);
    testdb_drop(conn);
    return check_exit_code("test_passengers_get_many");
}
