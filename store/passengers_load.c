/* The ETL's writes of passengers: the load's transaction and lock, the binary COPY encoder next
 * to the column list it fills, and the first-load and staged-merge statements. Part of
 * passengers_store.h: this table's SQL lives in the store. */
#include "passengers_store.h"

#include "copy_binary.h"
#include "db.h"
#include "errors.h"

#include <stdlib.h>
#include <string.h>

/* The fields the encoder writes, in order: the same names as PASSENGER_COPY_COLUMNS, checked
 * below, so the COPY's column list and its rows cannot drift apart. Laid out by hand: clang-format
 * lays out a macro of macros differently from one run to the next. */
/* clang-format off */
#define COPY_FIELDS(X) \
    X(passenger_id) X(uuid) X(survived) X(pclass) X(name) X(sex) X(age) X(sibsp) X(parch) \
    X(ticket) X(fare) X(cabin) X(embarked) X(inserted_run) X(updated_run)
/* clang-format on */
#define FIELD_NUMBER(column) FIELD_##column,
#define FIELD_NAME(column) #column ", "
enum { COPY_FIELDS(FIELD_NUMBER) COPY_FIELD_COUNT };
_Static_assert(sizeof(COPY_FIELDS(FIELD_NAME)) == sizeof(PASSENGER_COPY_COLUMNS ", "),
               "the COPY encoder's fields are PASSENGER_COPY_COLUMNS");

/* An encoded row's bound: a name, ticket and cabin at their maximum, two numerics, the rest. */
#define COPY_ROW_MAX (8 * 1024)

int passengers_load_begin(passengers_load *l, char *err, size_t errlen) {
    PGconn *conn = l->conn;
    if (db_begin(conn, err, errlen) != 0)
        return -1;
    /* Loads serialise on this lock (a second ETL Job waits); readers are never blocked. A dry
     * run takes none: it writes nothing, so it need not hold the API's writes back. */
    if (!l->dry_run &&
        db_exec(conn, "LOCK TABLE passengers IN SHARE ROW EXCLUSIVE MODE", 0, NULL, err, errlen))
        return -1;
    PGresult *res =
        db_query(conn, "SELECT NOT EXISTS (SELECT 1 FROM passengers)", 0, NULL, err, errlen);
    if (!res)
        return -1;
    l->first = !l->dry_run && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return 0;
}

/* A first load into an empty table: rows go into passengers_next on a side connection, to be
 * indexed there on several connections at once and swapped in (migration 009: one transaction
 * builds one index at a time, 0.9x of PostgreSQL's own floor at best). Otherwise: a temporary
 * staging table (no WAL, no index; a row leads with its line in the file, for the late-duplicate
 * check), then set-based statements. Temporary tables live in per-session buffers (8 MB by
 * default); a larger pool keeps a big staging table in memory instead of spilling it to disk,
 * allowed only before the session's first temporary table, which this is. */
int passengers_load_copy(passengers_load *l, char *err, size_t errlen) {
    static const char first_copy[] =
        "COPY passengers_next (" PASSENGER_COPY_COLUMNS ") FROM STDIN WITH (FORMAT binary, FREEZE)";
    static const char *const staged[] = {
        "SET temp_buffers = '128MB'",
        "CREATE TEMP TABLE etl_stage ON COMMIT DROP AS SELECT 0::bigint AS "
        "line, " PASSENGER_COPY_COLUMNS " FROM passengers WITH NO DATA",
        "COPY etl_stage (line, " PASSENGER_COPY_COLUMNS ") FROM STDIN WITH (FORMAT binary)"};
    if (l->first) {
        PGconn *side = l->side[0] = db_connect_like(l->conn, err, errlen);
        if (side && db_begin(side, err, errlen) == 0 &&
            db_exec(side, "SELECT passengers_next_create()", 0, NULL, err, errlen) == 0 &&
            store_copy_begin(&l->copy, side, first_copy, err, errlen) == 0)
            return 0;
        PQfinish(side); /* its transaction, and the table it made, go with it */
        l->side[0] = NULL;
        return -1;
    }
    if (db_exec(l->conn, staged[0], 0, NULL, err, errlen) != 0 ||
        db_exec(l->conn, staged[1], 0, NULL, err, errlen) != 0)
        return -1;
    return store_copy_begin(&l->copy, l->conn, staged[2], err, errlen);
}

static void put_optional_bytes(char **at, const char *text) {
    if (*text)
        copy_binary_bytes(at, text, strlen(text));
    else
        copy_binary_null(at);
}

static void put_optional_numeric(char **at, const passenger_decimal *d) {
    /* The reader admits only plain decimals here, which always encode. */
    if (!d->text || copy_binary_numeric(at, d->text, d->len) != 0)
        copy_binary_null(at);
}

/* One row as a binary COPY tuple, the fields in COPY_FIELDS' order. */
int passengers_load_row(passengers_load *l, const passenger *p, const passenger_decimal *age,
                        const passenger_decimal *fare, long line) {
    char *at = store_copy_room(&l->copy, COPY_ROW_MAX);
    if (!at)
        return -1;
    unsigned char uuid[16];
    passenger_uuid_bytes(p->id, uuid);
    copy_binary_tuple(&at, COPY_FIELD_COUNT + !l->first);
    if (!l->first)
        copy_binary_int8(&at, line);
    copy_binary_int4(&at, p->id);
    copy_binary_bytes(&at, uuid, sizeof uuid);
    if (p->survived < 0)
        copy_binary_null(&at);
    else
        copy_binary_int2(&at, p->survived);
    copy_binary_int2(&at, p->pclass);
    copy_binary_bytes(&at, p->name, strlen(p->name));
    const char *sex = passenger_sex_name(p->sex);
    copy_binary_bytes(&at, sex, strlen(sex));
    put_optional_numeric(&at, age);
    copy_binary_int2(&at, p->sibsp);
    copy_binary_int2(&at, p->parch);
    put_optional_bytes(&at, p->ticket);
    put_optional_numeric(&at, fare);
    put_optional_bytes(&at, p->cabin);
    if (p->embarked)
        copy_binary_bytes(&at, &p->embarked, 1);
    else
        copy_binary_null(&at);
    copy_binary_int8(&at, l->run);
    copy_binary_int8(&at, l->run);
    l->copy.used = (size_t)(at - l->copy.buf);
    l->rows++;
    return 0;
}

/* Fallback when the reader could not check every id in bounded memory: later duplicates of an
 * id leave the staging table and become rejects. Returns how many, or -1. */
static long move_late_duplicates(passengers_load *l, char *err, size_t errlen) {
    static const char sql[] =
        "WITH ranked AS (SELECT line, min(line) OVER (PARTITION BY passenger_id) AS first_line"
        "  FROM etl_stage),"
        " moved AS (DELETE FROM etl_stage s USING ranked r"
        "  WHERE s.line = r.line AND r.line <> r.first_line RETURNING s.*, r.first_line)"
        " INSERT INTO etl_rejects (run_id, line, field, reason, raw)"
        " SELECT $1, line, 'PassengerId',"
        "  'PassengerId: duplicate id: appears earlier in this file (line ' || first_line || ')',"
        "  convert_to(concat_ws(',', passenger_id, survived, pclass, name, sex, age, sibsp, parch,"
        "   ticket, fare, cabin, embarked), 'UTF8') FROM moved";
    char run[24];
    store_text_of_long(l->run, run);
    const char *params[] = {run};
    PGresult *res = db_query(l->conn, sql, 1, params, err, errlen);
    if (!res)
        return -1;
    long moved = atol(PQcmdTuples(res));
    PQclear(res);
    return moved;
}

/* One join classifies every staged row as new, changed or identical; new rows are inserted,
 * changed rows updated, identical rows left alone (no dead tuples, no WAL), so a rerun of the
 * same file writes nothing. A row the API wrote since (api_writer set) counts as changed: the
 * file reclaims it. The table lock makes the insert race-free without ON CONFLICT's per-row
 * speculation. A dry run counts the same classes and writes nothing. */
#define STAGE_DIFF_SQL                                                                             \
    "WITH diff AS MATERIALIZED ("                                                                  \
    "  SELECT s.*, p.passenger_id IS NULL AS is_new FROM etl_stage s"                              \
    "  LEFT JOIN passengers p ON p.passenger_id = s.passenger_id"                                  \
    "  WHERE p.passenger_id IS NULL OR p.api_writer IS NOT NULL"                                   \
    "   OR (p.survived, p.pclass, p.name, p.sex, p.age, p.sibsp, p.parch, p.ticket, p.fare,"       \
    "    p.cabin, p.embarked) IS DISTINCT FROM (s.survived, s.pclass, s.name, s.sex, s.age,"       \
    "    s.sibsp, s.parch, s.ticket, s.fare, s.cabin, s.embarked))"

static int merge_stage(passengers_load *l, long *inserted, long *updated, char *err,
                       size_t errlen) {
    static const char merge[] = STAGE_DIFF_SQL
        ", updated AS (UPDATE passengers p SET survived = d.survived, pclass = d.pclass,"
        "  name = d.name, sex = d.sex, age = d.age, sibsp = d.sibsp, parch = d.parch,"
        "  ticket = d.ticket, fare = d.fare, cabin = d.cabin, embarked = d.embarked,"
        "  updated_run = d.updated_run, api_writer = NULL, updated_at = now()"
        "  FROM diff d WHERE NOT d.is_new AND p.passenger_id = d.passenger_id RETURNING 1),"
        " inserted AS (INSERT INTO passengers (" PASSENGER_COPY_COLUMNS ")"
        "  SELECT " PASSENGER_COPY_COLUMNS " FROM diff WHERE is_new RETURNING 1)"
        " SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)";
    static const char count[] = STAGE_DIFF_SQL " SELECT count(*) FILTER (WHERE is_new),"
                                               " count(*) FILTER (WHERE NOT is_new) FROM diff";
    /* JIT compilation costs more than it saves on this one pass. */
    if (db_exec(l->conn, "SET LOCAL jit = off", 0, NULL, err, errlen) != 0)
        return -1;
    PGresult *res = db_query(l->conn, l->dry_run ? count : merge, 0, NULL, err, errlen);
    if (!res)
        return -1;
    *inserted = atol(PQgetvalue(res, 0, 0));
    *updated = atol(PQgetvalue(res, 0, 1));
    PQclear(res);
    return 0;
}

/* Runs every part of passengers_next_build at once, one per side connection, and waits for all. */
static int build_next(passengers_load *l, char *err, size_t errlen) {
    char parts[24];
    store_text_of_long(PASSENGERS_LOAD_BUILDERS, parts);
    int rc = 0;
    for (int i = 0; i < PASSENGERS_LOAD_BUILDERS && rc == 0; i++) {
        char part[24];
        store_text_of_long(i, part);
        const char *params[] = {part, parts};
        if (!l->side[i] && !(l->side[i] = db_connect_like(l->conn, err, errlen)))
            rc = -1;
        else if (!PQsendQueryParams(l->side[i], "SELECT passengers_next_build($1, $2)", 2, NULL,
                                    params, NULL, NULL, 0)) {
            db_error_text(l->side[i], NULL, err, errlen);
            rc = -1;
        }
    }
    for (int i = 0; i < PASSENGERS_LOAD_BUILDERS; i++) {
        PGresult *res;
        while (l->side[i] && (res = PQgetResult(l->side[i])) != NULL) {
            if (PQresultStatus(res) != PGRES_TUPLES_OK && rc == 0) {
                db_error_text(l->side[i], res, err, errlen);
                rc = -1;
            }
            PQclear(res);
        }
    }
    return rc;
}

/* The first load after its COPY: commit passengers_next's rows, index them, swap them in on the
 * load's connection. What a failure leaves behind is dropped. Closes the side connections. */
static int finish_first(passengers_load *l, const char *abort_reason, char *err, size_t errlen) {
    int rc = store_copy_end(&l->copy, abort_reason, err, errlen) == 0 &&
                     db_end(l->side[0], 1, err, errlen) == 0 && build_next(l, err, errlen) == 0 &&
                     db_exec(l->conn, "SELECT passengers_next_publish()", 0, NULL, err, errlen) == 0
                 ? 0
                 : -1;
    if (rc != 0 && l->side[0]) {
        /* Best effort: if this fails too, the next first load's passengers_next_create drops
         * the leftovers. */
        char ignored[256];
        db_end(l->side[0], 0, ignored, sizeof ignored);
        (void)db_exec(l->side[0], "SELECT passengers_next_discard()", 0, NULL, ignored,
                      sizeof ignored);
    }
    for (int i = 0; i < PASSENGERS_LOAD_BUILDERS; i++) {
        PQfinish(l->side[i]);
        l->side[i] = NULL;
    }
    return rc;
}

int passengers_load_end(passengers_load *l, const char *abort_reason, int duplicates_unchecked,
                        long *moved, long *inserted, long *updated, char *err, size_t errlen) {
    *moved = 0;
    *inserted = l->rows;
    *updated = 0;
    if (l->first)
        return finish_first(l, abort_reason, err, errlen);
    if (store_copy_end(&l->copy, abort_reason, err, errlen) != 0)
        return -1;
    if (duplicates_unchecked && (*moved = move_late_duplicates(l, err, errlen)) < 0)
        return -1;
    return merge_stage(l, inserted, updated, err, errlen);
}
