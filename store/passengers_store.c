/* The passengers table's SQL and row decoding. See passengers_store.h. */
#include "passengers_store.h"

#include "errors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Column positions of PASSENGER_COLUMNS, named where they are listed. */
enum {
    COL_ID,
    COL_UUID,
    COL_SURVIVED,
    COL_PCLASS,
    COL_NAME,
    COL_SEX,
    COL_AGE,
    COL_SIBSP,
    COL_PARCH,
    COL_TICKET,
    COL_FARE,
    COL_CABIN,
    COL_EMBARKED
};
_Static_assert(COL_EMBARKED + 1 == PASSENGER_COLUMN_COUNT, "PASSENGER_COLUMNS and COL_ agree");

static void copy_column(const PGresult *res, int row, int col, char *dst, size_t size) {
    snprintf(dst, size, "%s", PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

static void passenger_from_row(const PGresult *res, int row, passenger *p) {
    passenger_init(p);
    p->id = (int32_t)atol(PQgetvalue(res, row, COL_ID));
    copy_column(res, row, COL_UUID, p->uuid, sizeof p->uuid);
    p->survived =
        PQgetisnull(res, row, COL_SURVIVED) ? -1 : (int8_t)atoi(PQgetvalue(res, row, COL_SURVIVED));
    p->pclass = (int8_t)atoi(PQgetvalue(res, row, COL_PCLASS));
    copy_column(res, row, COL_NAME, p->name, sizeof p->name);
    const char *sex = PQgetvalue(res, row, COL_SEX);
    p->sex = strcmp(sex, "male") == 0     ? SEX_MALE
             : strcmp(sex, "female") == 0 ? SEX_FEMALE
                                          : SEX_OTHER;
    p->age = PQgetisnull(res, row, COL_AGE) ? NAN : strtod(PQgetvalue(res, row, COL_AGE), NULL);
    p->sibsp = (int16_t)atoi(PQgetvalue(res, row, COL_SIBSP));
    p->parch = (int16_t)atoi(PQgetvalue(res, row, COL_PARCH));
    copy_column(res, row, COL_TICKET, p->ticket, sizeof p->ticket);
    p->fare = PQgetisnull(res, row, COL_FARE) ? NAN : strtod(PQgetvalue(res, row, COL_FARE), NULL);
    copy_column(res, row, COL_CABIN, p->cabin, sizeof p->cabin);
    p->embarked =
        PQgetisnull(res, row, COL_EMBARKED) ? '\0' : PQgetvalue(res, row, COL_EMBARKED)[0];
}

/* All rows of res as passengers (malloc'd, at least one slot so an empty result is not NULL). */
static passenger *rows_of(const PGresult *res, int *count, char *err, size_t errlen) {
    int n = PQntuples(res);
    passenger *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (!rows) {
        errorf(err, errlen, "out of memory for %d passengers", n);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        passenger_from_row(res, i, &rows[i]);
    *count = n;
    return rows;
}

const store_statement PASSENGER_BY_ID = {
    "passenger_by_id", "SELECT " PASSENGER_COLUMNS " FROM passengers WHERE passenger_id = $1", 1,
    1};
const store_statement STORE_PING = {"ping", "SELECT 1", 0, 1};

int passengers_store_get(store_conn c, int32_t id, passenger *out, int *unavailable, char *err,
                         size_t errlen) {
    char id_text[24];
    store_text_of_long(id, id_text);
    const char *params[] = {id_text};
    PGresult *res = store_run(c, &PASSENGER_BY_ID, params, unavailable, err, errlen);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found)
        passenger_from_row(res, 0, out);
    PQclear(res);
    return found;
}

/* ---- filtered lists ---- */

/* Whole ORDER BY clauses, so nothing is formatted per request (and nothing is shared between
 * threads but these constants). */
static const char *const sort_names[PASSENGER_SORT_COUNT] = {"passenger_id", "name",   "age",
                                                             "fare",         "pclass", "survived"};
static const char *const sort_clauses[PASSENGER_SORT_COUNT][2] = {
    {" ORDER BY passenger_id ASC NULLS LAST, passenger_id",
     " ORDER BY passenger_id DESC NULLS LAST, passenger_id"},
    {" ORDER BY name ASC NULLS LAST, passenger_id", " ORDER BY name DESC NULLS LAST, passenger_id"},
    {" ORDER BY age ASC NULLS LAST, passenger_id", " ORDER BY age DESC NULLS LAST, passenger_id"},
    {" ORDER BY fare ASC NULLS LAST, passenger_id", " ORDER BY fare DESC NULLS LAST, passenger_id"},
    {" ORDER BY pclass ASC NULLS LAST, passenger_id",
     " ORDER BY pclass DESC NULLS LAST, passenger_id"},
    {" ORDER BY survived ASC NULLS LAST, passenger_id",
     " ORDER BY survived DESC NULLS LAST, passenger_id"},
};

int passenger_sort_parse(const char *text, passenger_sort *sort, int *descending) {
    *descending = text[0] == '-';
    for (int i = 0; i < PASSENGER_SORT_COUNT; i++) {
        if (strcmp(text + *descending, sort_names[i]) == 0) {
            *sort = (passenger_sort)i;
            return 0;
        }
    }
    return -1;
}

#define LIST_MAX_FILTERS 8

/* A WHERE clause with its parameters, built from validated filters. */
typedef struct {
    char sql[1024];
    size_t used;
    const char *params[LIST_MAX_FILTERS];
    int nparams;
    char *name_pattern; /* malloc'd: as long as the escaped filter needs */
} where_clause;

static void add_filter(where_clause *w, const char *condition_format, const char *value) {
    if (!value)
        return;
    int n = ++w->nparams;
    w->params[n - 1] = value;
    w->used += (size_t)snprintf(w->sql + w->used, sizeof w->sql - w->used, " AND ");
    w->used += (size_t)snprintf(w->sql + w->used, sizeof w->sql - w->used, condition_format, n);
}

/* %text% with LIKE's wildcards escaped, so a name filter is a plain substring. */
static char *like_pattern(const char *text) {
    size_t len = strlen(text);
    char *out = malloc(2 * len + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    out[o++] = '%';
    for (const char *p = text; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            out[o++] = '\\';
        out[o++] = *p;
    }
    out[o++] = '%';
    out[o] = '\0';
    return out;
}

static int build_where(const passenger_query *q, where_clause *w) {
    memset(w, 0, sizeof *w);
    w->used = (size_t)snprintf(w->sql, sizeof w->sql, " FROM passengers WHERE true");
    add_filter(w, "pclass = $%d::smallint", q->pclass);
    add_filter(w, "sex = $%d", q->sex);
    add_filter(w, "survived = $%d::smallint", q->survived);
    add_filter(w, "embarked = $%d", q->embarked);
    add_filter(w, "age >= $%d::numeric", q->min_age);
    add_filter(w, "age <= $%d::numeric", q->max_age);
    if (q->name) {
        if (!(w->name_pattern = like_pattern(q->name)))
            return -1;
        add_filter(w, "name ILIKE $%d", w->name_pattern);
    }
    return 0;
}

static long count_matching(store_conn c, const where_clause *w, int *unavailable, char *err,
                           size_t errlen) {
    char sql[1200];
    snprintf(sql, sizeof sql, "SELECT count(*)%s", w->sql);
    store_statement st = {NULL, sql, w->nparams, 1};
    PGresult *res = store_run(c, &st, w->params, unavailable, err, errlen);
    if (!res)
        return -1;
    long total = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return total;
}

int passengers_store_list(store_conn c, const passenger_query *q, passenger **rows, int *count,
                          long *total, int *unavailable, char *err, size_t errlen) {
    where_clause w;
    *rows = NULL;
    if (build_where(q, &w) != 0) {
        errorf(err, errlen, "out of memory");
        return -1;
    }
    char sql[1600];
    /* The numbers are validated integers and the clause a constant. */
    snprintf(sql, sizeof sql,
             "SELECT " PASSENGER_COLUMNS ", count(*) OVER ()%s%s LIMIT %ld OFFSET %ld", w.sql,
             sort_clauses[q->sort][q->descending ? 1 : 0], q->limit, q->offset);
    store_statement st = {NULL, sql, w.nparams, 1};
    PGresult *res = store_run(c, &st, w.params, unavailable, err, errlen);
    int rc = -1;
    if (res) {
        *total = PQntuples(res) ? atol(PQgetvalue(res, 0, PASSENGER_COLUMN_COUNT)) : 0;
        *rows = rows_of(res, count, err, errlen);
        PQclear(res);
        rc = *rows ? 0 : -1;
    }
    /* Past the end the window count has no row to ride on: count separately. */
    if (rc == 0 && *count == 0 && q->offset > 0 &&
        (*total = count_matching(c, &w, unavailable, err, errlen)) < 0)
        rc = -1;
    free(w.name_pattern);
    if (rc != 0) {
        free(*rows);
        *rows = NULL;
    }
    return rc;
}

/* ---- survival statistics ---- */

const survival_dimension survival_dimensions[] = {
    {"pclass", 1}, {"sex", 0}, {"embarked", 0}, {"age_band", 0}, {"family_size_band", 0}, {NULL, 0},
};

/* The SQL expression of each dimension, in the order of survival_dimensions. */
static const char *const dimension_sql[] = {
    "pclass",
    "sex",
    "embarked",
    "CASE WHEN age IS NULL THEN 'unknown' WHEN age < 12 THEN '0-11' WHEN age < 18 THEN '12-17' "
    "WHEN age < 30 THEN '18-29' WHEN age < 45 THEN '30-44' WHEN age < 60 THEN '45-59' "
    "ELSE '60+' END",
    "CASE WHEN sibsp + parch = 0 THEN 'alone' WHEN sibsp + parch <= 3 THEN '2-4' ELSE '5+' END",
};

static void build_survival_sql(const int *dimensions, int count, char *sql, size_t len) {
    char keys[1024] = "";
    size_t used = 0;
    for (int k = 0; k < count; k++)
        used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s", k ? ", " : "",
                                 dimension_sql[dimensions[k]]);
    if (count == 0)
        snprintf(sql, len,
                 "SELECT count(*), count(survived), coalesce(sum(survived), 0) FROM passengers");
    else
        snprintf(sql, len,
                 "SELECT %s, count(*), count(survived), coalesce(sum(survived), 0) "
                 "FROM passengers GROUP BY %s ORDER BY %s",
                 keys, keys, keys);
}

static void group_of_row(const PGresult *res, int row, int count, survival_group *g) {
    memset(g, 0, sizeof *g);
    for (int k = 0; k < count; k++) {
        g->is_null[k] = PQgetisnull(res, row, k);
        snprintf(g->value[k], sizeof g->value[k], "%s", PQgetvalue(res, row, k));
    }
    g->passengers = atol(PQgetvalue(res, row, count));
    g->known = atol(PQgetvalue(res, row, count + 1));
    g->survived = atol(PQgetvalue(res, row, count + 2));
}

static PGresult *run_survival(store_conn c, const int *dimensions, int count, int *unavailable,
                              char *err, size_t errlen) {
    char sql[4096];
    build_survival_sql(dimensions, count, sql, sizeof sql);
    store_statement st = {NULL, sql, 0, 1};
    return store_run(c, &st, NULL, unavailable, err, errlen);
}

int passengers_store_survival(store_conn c, const int *dimensions, int count,
                              survival_group **groups, int *ngroups, survival_group *overall,
                              int *unavailable, char *err, size_t errlen) {
    *groups = NULL;
    *ngroups = 0;
    PGresult *all = run_survival(c, dimensions, 0, unavailable, err, errlen);
    if (!all)
        return -1;
    group_of_row(all, 0, 0, overall);
    PQclear(all);
    if (count == 0)
        return 0;
    PGresult *res = run_survival(c, dimensions, count, unavailable, err, errlen);
    if (!res)
        return -1;
    int n = PQntuples(res);
    *groups = malloc((size_t)(n ? n : 1) * sizeof **groups);
    if (!*groups) {
        PQclear(res);
        errorf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++)
        group_of_row(res, i, count, &(*groups)[i]);
    *ngroups = n;
    PQclear(res);
    return 0;
}

/* ---- the /people contract ---- */

int passengers_store_first(store_conn c, long limit, passenger **rows, int *count, int *unavailable,
                           char *err, size_t errlen) {
    static const store_statement first = {
        NULL, "SELECT " PASSENGER_COLUMNS " FROM passengers ORDER BY passenger_id LIMIT $1::bigint",
        1, 1};
    char limit_text[24];
    store_text_of_long(limit, limit_text);
    const char *params[] = {limit_text};
    PGresult *res = store_run(c, &first, params, unavailable, err, errlen);
    if (!res)
        return -1;
    *rows = rows_of(res, count, err, errlen);
    PQclear(res);
    return *rows ? 0 : -1;
}

/* Text parameters for a Person's stored columns, in the order of the statements below, then the
 * writer's label ($11). */
typedef struct {
    char id[16], uuid[37], survived[8], pclass[8], age[32], sibsp[8], parch[8], fare[32];
    const char *values[11];
} person_params;

static void bind_person(person_params *b, const passenger *p, const char *writer) {
    snprintf(b->id, sizeof b->id, "%d", (int)p->id);
    passenger_uuid_for_id(p->id, b->uuid);
    snprintf(b->survived, sizeof b->survived, "%d", p->survived);
    snprintf(b->pclass, sizeof b->pclass, "%d", p->pclass);
    snprintf(b->age, sizeof b->age, "%.10g", p->age);
    snprintf(b->sibsp, sizeof b->sibsp, "%d", p->sibsp);
    snprintf(b->parch, sizeof b->parch, "%d", p->parch);
    snprintf(b->fare, sizeof b->fare, "%.10g", p->fare);
    const char *v[] = {
        b->id,  b->uuid,  b->survived, b->pclass, p->name, passenger_sex_name(p->sex),
        b->age, b->sibsp, b->parch,    b->fare,   writer};
    memcpy(b->values, v, sizeof v);
}

/* Provenance (migration 002): every write records the writer's label in api_writer, and a change
 * or delete of a row as an ETL run left it first saves that version in passengers_etl_saved, in
 * the same statement, so the trainer's default data (passengers_etl_view) stays exactly what the
 * ETL loaded. SAVE_ETL_VERSION_SQL(w) is the first part of such a statement for passenger $1
 * (uuid $2) and writer parameter w; it reads the row as it was before the statement, and skips a
 * row the API already changed (the saved copy is then the ETL's and must stay). */
/* clang-format off */
#define SAVE_ETL_VERSION_SQL(w)                                                                    \
    "WITH saved AS (INSERT INTO passengers_etl_saved (passenger_id, uuid, survived, pclass, name,"  \
    " sex, age, sibsp, parch, ticket, fare, cabin, embarked, inserted_run, updated_run, saved_by)"  \
    " SELECT passenger_id, uuid, survived, pclass, name, sex, age, sibsp, parch, ticket, fare,"     \
    " cabin, embarked, inserted_run, updated_run, " w " FROM passengers"                            \
    " WHERE passenger_id = $1 AND uuid = $2 AND api_writer IS NULL"                                 \
    " ON CONFLICT (passenger_id) DO UPDATE SET uuid = EXCLUDED.uuid,"                               \
    " survived = EXCLUDED.survived, pclass = EXCLUDED.pclass, name = EXCLUDED.name,"                \
    " sex = EXCLUDED.sex, age = EXCLUDED.age, sibsp = EXCLUDED.sibsp, parch = EXCLUDED.parch,"      \
    " ticket = EXCLUDED.ticket, fare = EXCLUDED.fare, cabin = EXCLUDED.cabin,"                      \
    " embarked = EXCLUDED.embarked, inserted_run = EXCLUDED.inserted_run,"                          \
    " updated_run = EXCLUDED.updated_run, saved_at = now(), saved_by = EXCLUDED.saved_by) "
/* clang-format on */

/* The number of rows a write changed, or -1. */
static int changed_rows(store_conn c, const store_statement *st, const char *const *params,
                        int *unavailable, char *err, size_t errlen) {
    PGresult *res = store_run(c, st, params, unavailable, err, errlen);
    if (!res)
        return -1;
    int changed = atoi(PQcmdTuples(res));
    PQclear(res);
    return changed;
}

int passengers_store_create(store_conn c, passenger *p, const char *writer, int *unavailable,
                            char *err, size_t errlen) {
    static const store_statement next_id = {NULL, "SELECT nextval('passenger_api_id_seq')", 0, 0};
    static const store_statement insert = {
        NULL,
        "INSERT INTO passengers (passenger_id, uuid, survived, pclass, name, sex, age, sibsp, "
        "parch, fare, api_writer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        11, 0};
    PGresult *res = store_run(c, &next_id, NULL, unavailable, err, errlen);
    if (!res)
        return -1;
    p->id = (int32_t)atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    person_params b;
    bind_person(&b, p, writer);
    return changed_rows(c, &insert, b.values, unavailable, err, errlen) < 0 ? -1 : 0;
}

int passengers_store_update_person(store_conn c, const passenger *p, const char *writer,
                                   int *unavailable, char *err, size_t errlen) {
    /* The contract's Person has no ticket, cabin or port: an update leaves those as they were. */
    static const store_statement update = {
        NULL,
        SAVE_ETL_VERSION_SQL("$11") "UPDATE passengers SET survived = $3, pclass = $4, name = $5, "
                                    "sex = $6, age = $7, sibsp = $8, parch = $9, fare = $10, "
                                    "api_writer = $11, updated_at = now() "
                                    "WHERE passenger_id = $1 AND uuid = $2",
        11, 0};
    person_params b;
    bind_person(&b, p, writer);
    return changed_rows(c, &update, b.values, unavailable, err, errlen);
}

int passengers_store_delete(store_conn c, int32_t id, const char *writer, int *unavailable,
                            char *err, size_t errlen) {
    static const store_statement delete = {
        NULL,
        SAVE_ETL_VERSION_SQL("$3") "DELETE FROM passengers WHERE passenger_id = $1 AND uuid = $2",
        3, 0};
    char id_text[24], uuid_text[37];
    store_text_of_long(id, id_text);
    passenger_uuid_for_id(id, uuid_text);
    const char *params[] = {id_text, uuid_text, writer};
    return changed_rows(c, &delete, params, unavailable, err, errlen);
}

/* ---- the trainer ---- */

long passengers_store_labelled(store_conn c, int include_api_rows, passenger **rows, char *err,
                               size_t errlen) {
    /* Two fixed statements, not a table name spliced in. */
    static const store_statement etl_data = {NULL,
                                             "SELECT " PASSENGER_COLUMNS
                                             " FROM passengers_etl_view WHERE survived IS NOT NULL "
                                             "ORDER BY passenger_id",
                                             0, 1};
    static const store_statement all_rows = {NULL,
                                             "SELECT " PASSENGER_COLUMNS
                                             " FROM passengers WHERE survived IS NOT NULL "
                                             "ORDER BY passenger_id",
                                             0, 1};
    char why[512];
    *rows = NULL;
    PGresult *res =
        store_run(c, include_api_rows ? &all_rows : &etl_data, NULL, NULL, why, sizeof why);
    if (!res) {
        errorf(err, errlen, "reading training passengers: %s", why);
        return -1;
    }
    int count = 0;
    *rows = rows_of(res, &count, err, errlen);
    PQclear(res);
    return *rows ? count : -1;
}

long passengers_store_scan(PGconn *conn, int batch,
                           int (*each)(const passenger *rows, int n, void *arg), void *arg,
                           char *err, size_t errlen) {
    store_conn c = store_on(conn);
    static const store_statement declare = {
        NULL,
        "DECLARE passenger_scan NO SCROLL CURSOR FOR SELECT " PASSENGER_COLUMNS
        " FROM passengers ORDER BY passenger_id",
        0, 1};
    PGresult *res = store_run(c, &declare, NULL, NULL, err, errlen);
    if (!res)
        return -1;
    PQclear(res);
    long total = 0;
    for (;;) {
        char sql[64];
        snprintf(sql, sizeof sql, "FETCH FORWARD %d FROM passenger_scan", batch);
        store_statement st = {NULL, sql, 0, 1};
        if (!(res = store_run(c, &st, NULL, NULL, err, errlen)))
            return -1;
        int n = 0;
        passenger *rows = rows_of(res, &n, err, errlen);
        PQclear(res);
        if (!rows)
            return -1;
        int rc = n > 0 ? each(rows, n, arg) : 0;
        free(rows);
        if (rc != 0)
            return -1;
        total += n;
        if (n < batch)
            break;
    }
    static const store_statement close_scan = {NULL, "CLOSE passenger_scan", 0, 1};
    PGresult *closed = store_run(c, &close_scan, NULL, NULL, err, errlen);
    if (!closed)
        return -1;
    PQclear(closed);
    return total;
}

/* ---- the ETL ---- */

/* Loads serialise on this lock (a second ETL Job waits); readers are never blocked. */
const char PASSENGERS_LOCK_SQL[] = "LOCK TABLE passengers IN SHARE ROW EXCLUSIVE MODE";

const char PASSENGERS_EMPTY_SQL[] = "SELECT NOT EXISTS (SELECT 1 FROM passengers)";

/* First load into an empty table: rows go straight into passengers, exactly the work a plain
 * COPY into that table costs; there is nothing to compare against. */
const char PASSENGERS_COPY_SQL[] =
    "COPY passengers (" PASSENGER_COPY_COLUMNS ") FROM STDIN WITH (FORMAT binary)";

/* Otherwise: a temporary staging table (no WAL, no index), then set-based statements. */
const char PASSENGERS_CREATE_STAGE_SQL[] =
    "CREATE TEMP TABLE etl_stage (line bigint NOT NULL, passenger_id integer, uuid uuid,"
    " survived smallint, pclass smallint, name text, sex text, age numeric, sibsp smallint,"
    " parch smallint, ticket text, fare numeric, cabin text, embarked text,"
    " inserted_run bigint, updated_run bigint) ON COMMIT DROP";

const char PASSENGERS_COPY_STAGE_SQL[] =
    "COPY etl_stage (line, " PASSENGER_COPY_COLUMNS ") FROM STDIN WITH (FORMAT binary)";

/* One join classifies every staged row as new, changed or identical; new rows are inserted,
 * changed rows updated, identical rows left alone (no dead tuples, no WAL), so a rerun of the
 * same file writes nothing. A row the API wrote since (api_writer set) counts as changed: the
 * file reclaims it. The table lock makes the insert race-free without ON CONFLICT's per-row
 * speculation. Returns (inserted, updated). */
const char PASSENGERS_MERGE_STAGE_SQL[] =
    "WITH diff AS MATERIALIZED ("
    "  SELECT s.*, p.passenger_id IS NULL AS is_new FROM etl_stage s"
    "  LEFT JOIN passengers p ON p.passenger_id = s.passenger_id"
    "  WHERE p.passenger_id IS NULL OR p.api_writer IS NOT NULL"
    "   OR (p.survived, p.pclass, p.name, p.sex, p.age, p.sibsp, p.parch, p.ticket, p.fare,"
    "    p.cabin, p.embarked) IS DISTINCT FROM (s.survived, s.pclass, s.name, s.sex, s.age,"
    "    s.sibsp, s.parch, s.ticket, s.fare, s.cabin, s.embarked)),"
    " updated AS (UPDATE passengers p SET survived = d.survived, pclass = d.pclass,"
    "  name = d.name, sex = d.sex, age = d.age, sibsp = d.sibsp, parch = d.parch,"
    "  ticket = d.ticket, fare = d.fare, cabin = d.cabin, embarked = d.embarked,"
    "  updated_run = d.updated_run, api_writer = NULL, updated_at = now()"
    "  FROM diff d WHERE NOT d.is_new AND p.passenger_id = d.passenger_id RETURNING 1),"
    " inserted AS (INSERT INTO passengers (" PASSENGER_COPY_COLUMNS ")"
    "  SELECT " PASSENGER_COPY_COLUMNS " FROM diff WHERE is_new RETURNING 1)"
    " SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)";
