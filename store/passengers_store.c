/* The passengers table's SQL and row decoding. See passengers_store.h. */
#include "passengers_store.h"

#include "errors.h"
#include "text.h"

#include <math.h>
#include <stdarg.h>
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

const store_statement PASSENGERS_BY_IDS = {
    "passengers_by_ids",
    /* One index probe per id: "passenger_id = ANY ($1)" gets a sequential scan from the planner
     * whenever the table is small, and LIMIT 1 keeps the subquery from being flattened into a
     * hash join. */
    "SELECT p.* FROM unnest ($1::integer[]) AS wanted (id) CROSS JOIN LATERAL "
    "(SELECT " PASSENGER_COLUMNS " FROM passengers WHERE passenger_id = wanted.id LIMIT 1) AS p",
    1, 1};
const store_statement STORE_PING = {"ping", "SELECT 1", 0, 1};

/* ids as an array literal, "{1,2,3}"; out holds n ids of 11 characters and 3 more bytes. */
static void id_array_text(const int32_t *ids, int n, char *out, size_t size) {
    size_t used = 0;
    out[used++] = '{';
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, size - used, i ? ",%ld" : "%ld", (long)ids[i]);
    snprintf(out + used, size - used, "}");
}

int passengers_store_get_many(store_conn c, const int32_t *ids, int n, passenger *const *out,
                              int *found, int *unavailable, char *err, size_t errlen) {
    if (n < 0 || n > PASSENGER_BATCH_MAX)
        return errorf(err, errlen, "%d ids in one lookup (at most %d)", n, PASSENGER_BATCH_MAX);
    char array[PASSENGER_BATCH_MAX * 12 + 3];
    id_array_text(ids, n, array, sizeof array);
    const char *params[] = {array};
    PGresult *res = store_run(c, &PASSENGERS_BY_IDS, params, unavailable, err, errlen);
    if (!res)
        return -1;
    memset(found, 0, (size_t)n * sizeof *found);
    /* At most PASSENGER_BATCH_MAX rows against as many ids: a plain scan costs less than a
     * sort at these sizes. A repeated id comes back once per repetition; each row is decoded
     * once, into the first place still waiting for it, and copied to the others. */
    int rows = PQntuples(res);
    for (int row = 0; row < rows; row++) {
        int32_t id = (int32_t)atol(PQgetvalue(res, row, COL_ID));
        const passenger *decoded = NULL;
        for (int i = 0; i < n; i++) {
            if (ids[i] != id || found[i])
                continue;
            if (decoded)
                *out[i] = *decoded;
            else
                passenger_from_row(res, row, out[i]);
            decoded = out[i];
            found[i] = 1;
        }
    }
    PQclear(res);
    return 0;
}

/* ---- filtered lists ---- */

typedef struct {
    const char *name; /* the column, as in sort= and in SQL */
    const char *type; /* the cast of a cursor value */
    int column;       /* its position in PASSENGER_COLUMNS */
    int nullable;     /* NULLs sort last both ways: a second index range (nullable_page) */
} sort_info;

static const sort_info sorts[PASSENGER_SORT_COUNT] = {
    [PASSENGER_SORT_ID] = {"passenger_id", "integer", COL_ID, 0},
    [PASSENGER_SORT_NAME] = {"name", "text", COL_NAME, 0},
    [PASSENGER_SORT_AGE] = {"age", "numeric", COL_AGE, 1},
    [PASSENGER_SORT_FARE] = {"fare", "numeric", COL_FARE, 1},
    [PASSENGER_SORT_PCLASS] = {"pclass", "smallint", COL_PCLASS, 0},
    [PASSENGER_SORT_SURVIVED] = {"survived", "smallint", COL_SURVIVED, 1},
};

int passenger_sort_parse(const char *text, passenger_sort *sort, int *descending) {
    *descending = text[0] == '-';
    for (int i = 0; i < PASSENGER_SORT_COUNT; i++) {
        if (strcmp(text + *descending, sorts[i].name) == 0) {
            *sort = (passenger_sort)i;
            return 0;
        }
    }
    return -1;
}

const char *passenger_sort_name(passenger_sort sort) {
    return sorts[sort].name;
}

int passenger_cursor_check(passenger_sort sort, const passenger_cursor *cursor) {
    const char *v = cursor->value;
    double d;
    char reason[160];
    if (cursor->id < 1)
        return -1;
    if (cursor->value_is_null)
        return sorts[sort].nullable && !*v ? 0 : -1;
    switch (sort) {
    case PASSENGER_SORT_ID:
        return 0; /* the id is the value */
    case PASSENGER_SORT_AGE:
        return passenger_parse_age(v, strlen(v), &d, reason, sizeof reason);
    case PASSENGER_SORT_FARE:
        return passenger_parse_fare(v, strlen(v), &d, reason, sizeof reason);
    case PASSENGER_SORT_PCLASS:
        return strlen(v) == 1 && v[0] >= '1' && v[0] <= '3' ? 0 : -1;
    case PASSENGER_SORT_SURVIVED:
        return strcmp(v, "0") == 0 || strcmp(v, "1") == 0 ? 0 : -1;
    case PASSENGER_SORT_NAME:
        return *v && text_validate(v, strlen(v), PASSENGER_NAME_MAX, reason, sizeof reason) == 0
                   ? 0
                   : -1;
    default:
        return -1;
    }
}

#define LIST_MAX_PARAMS 10

/* A statement being built: SQL from fixed fragments and parameter numbers, and its parameters
 * (validated filter values, and the two below that are formatted here). */
typedef struct {
    char sql[4096];
    const char *params[LIST_MAX_PARAMS];
    int nparams;
    char id[24];
    char pattern[2 * PASSENGER_NAME_MAX + 3]; /* a name filter, every byte escaped, in %...% */
} list_sql;

static void append(list_sql *q, const char *format, ...) {
    size_t used = strlen(q->sql);
    va_list ap;
    va_start(ap, format);
    /* Fixed fragments and numbers only: 4096 bytes hold the longest statement (checked by
     * test_passengers_store). */
    vsnprintf(q->sql + used, sizeof q->sql - used, format, ap);
    va_end(ap);
}

/* Binds value as the next parameter and returns its number. */
static int bind(list_sql *q, const char *value) {
    q->params[q->nparams] = value;
    return ++q->nparams;
}

/* %text% with LIKE's wildcards escaped, so a name filter is a plain substring. -1 when text is
 * longer than a name can be (the API refuses that before). */
static int like_pattern(const char *text, char *out, size_t len) {
    if (strlen(text) > PASSENGER_NAME_MAX)
        return -1;
    size_t o = 0;
    out[o++] = '%';
    for (const char *p = text; *p && o + 3 < len; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            out[o++] = '\\';
        out[o++] = *p;
    }
    out[o++] = '%';
    out[o] = '\0';
    return 0;
}

/* Starts q: binds the filters once and writes " AND ..." conditions that name them (every branch
 * of a page uses the same text). -1 with err for a name filter too long. */
static int filter_sql(list_sql *q, const passenger_query *f, char *out, size_t len, char *err,
                      size_t errlen) {
    size_t o = 0;
    memset(q, 0, sizeof *q);
    out[0] = '\0';
    const struct {
        const char *value, *condition;
    } filters[] = {
        {f->pclass, " AND pclass = $%d::smallint"},     {f->sex, " AND sex = $%d"},
        {f->survived, " AND survived = $%d::smallint"}, {f->embarked, " AND embarked = $%d"},
        {f->min_age, " AND age >= $%d::numeric"},       {f->max_age, " AND age <= $%d::numeric"}};
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        if (filters[i].value)
            o +=
                (size_t)snprintf(out + o, len - o, filters[i].condition, bind(q, filters[i].value));
    }
    if (!f->name)
        return 0;
    if (like_pattern(f->name, q->pattern, sizeof q->pattern) != 0)
        return errorf(err, errlen, "name filter longer than %d bytes", PASSENGER_NAME_MAX);
    snprintf(out + o, len - o, " AND name ILIKE $%d", bind(q, q->pattern));
    return 0;
}

/* One range of the (column, passenger_id) index, in page order: the NULLs (nulls 1), the
 * non-NULL values (0) or, for a column without NULLs, every row (-1); after the cursor's value
 * and id when value_p, else after its id when id_p. The primary key serves passenger_id. */
static void index_range(list_sql *q, const passenger_query *r, const char *filters, int nulls,
                        int value_p, int id_p) {
    const sort_info *s = &sorts[r->sort];
    const char *dir = r->descending ? " DESC" : "", *cmp = r->descending ? "<" : ">";
    append(q, "SELECT " PASSENGER_COLUMNS " FROM passengers WHERE true%s", filters);
    if (nulls >= 0)
        append(q, " AND %s IS %sNULL", s->name, nulls ? "" : "NOT ");
    if (value_p)
        append(q, " AND (%s, passenger_id) %s ($%d::%s, $%d::integer)", s->name, cmp, value_p,
               s->type, id_p);
    else if (id_p)
        append(q, " AND passenger_id %s $%d::integer", cmp, id_p);
    if (r->sort == PASSENGER_SORT_ID)
        append(q, " ORDER BY passenger_id%s", dir);
    else
        append(q, " ORDER BY %s%s, passenger_id%s", s->name, dir, dir);
}

/* A nullable column: the non-NULL range in index order, then the NULLs (last both ways: a
 * backward index scan alone would put them first). A cursor among the NULLs skips the first. */
static void nullable_page(list_sql *q, const passenger_query *r, const char *filters, int id_p) {
    const sort_info *s = &sorts[r->sort];
    const char *dir = r->descending ? " DESC" : "";
    long rows = r->offset + r->limit + 1;
    int in_nulls = r->after.present && r->after.value_is_null;
    append(q, "SELECT * FROM (");
    if (!in_nulls) {
        append(q, "(");
        index_range(q, r, filters, 0, r->after.present ? bind(q, r->after.value) : 0, id_p);
        append(q, " LIMIT %ld) UNION ALL ", rows);
    }
    append(q, "(");
    index_range(q, r, filters, 1, 0, in_nulls ? id_p : 0);
    append(q, " LIMIT %ld)) page ORDER BY %s%s NULLS LAST, passenger_id%s LIMIT %ld OFFSET %ld",
           rows, s->name, dir, dir, r->limit + 1, r->offset);
}

/* A column without NULLs: one range of one index. */
static void plain_page(list_sql *q, const passenger_query *r, const char *filters, int id_p) {
    int value_p = id_p && r->sort != PASSENGER_SORT_ID ? bind(q, r->after.value) : 0;
    index_range(q, r, filters, -1, value_p, id_p);
    append(q, " LIMIT %ld OFFSET %ld", r->limit + 1, r->offset);
}

/* The page's statement: limit + 1 rows, the extra one saying that a next page exists. */
static int page_sql(const passenger_query *r, list_sql *q, char *err, size_t errlen) {
    char filters[1024];
    if (filter_sql(q, r, filters, sizeof filters, err, errlen) != 0)
        return -1;
    int id_p = 0;
    if (r->after.present) {
        snprintf(q->id, sizeof q->id, "%d", (int)r->after.id);
        id_p = bind(q, q->id);
    }
    if (sorts[r->sort].nullable)
        nullable_page(q, r, filters, id_p);
    else
        plain_page(q, r, filters, id_p);
    return 0;
}

static void cursor_of_row(const PGresult *res, int row, passenger_sort sort,
                          passenger_cursor *out) {
    int column = sorts[sort].column;
    memset(out, 0, sizeof *out);
    out->present = 1;
    out->id = (int32_t)atol(PQgetvalue(res, row, COL_ID));
    out->value_is_null = PQgetisnull(res, row, column);
    copy_column(res, row, column, out->value, sizeof out->value);
}

int passengers_store_list(store_conn c, const passenger_query *q, passenger **rows, int *count,
                          passenger_cursor *next, int *unavailable, char *err, size_t errlen) {
    list_sql sql;
    *rows = NULL;
    memset(next, 0, sizeof *next);
    if (page_sql(q, &sql, err, errlen) != 0)
        return -1;
    store_statement st = {NULL, sql.sql, sql.nparams, 1};
    PGresult *res =
        store_run_rows(c, &st, sql.params, sizeof **rows, (void **)rows, unavailable, err, errlen);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n > q->limit) {
        cursor_of_row(res, (int)q->limit - 1, q->sort, next);
        n = (int)q->limit;
    }
    for (int i = 0; i < n; i++)
        passenger_from_row(res, i, &(*rows)[i]);
    *count = n;
    PQclear(res);
    return 0;
}

/* Exact from the summary when the filters are its keys, else the planner's estimate (planning
 * only, nothing is read). The summary's key columns have the table's names, but survived is a
 * measure there: survivors are "survived", the others "known - survived". */
int passengers_store_count(store_conn c, const passenger_query *q, long *total, int *exact,
                           int *unavailable, char *err, size_t errlen) {
    list_sql sql;
    char filters[1024];
    passenger_query keys = *q;
    if ((*exact = !q->min_age && !q->max_age && !q->name))
        keys.survived = NULL;
    if (filter_sql(&sql, &keys, filters, sizeof filters, err, errlen) != 0)
        return -1;
    const char *measure = !q->survived                    ? "passengers"
                          : strcmp(q->survived, "1") == 0 ? "survived"
                                                          : "known - survived";
    if (*exact)
        append(&sql, "SELECT coalesce(sum(%s), 0) FROM passenger_survival_summary WHERE true%s",
               measure, filters);
    else
        append(&sql, "EXPLAIN (FORMAT JSON) SELECT 1 FROM passengers WHERE true%s", filters);
    store_statement st = {NULL, sql.sql, sql.nparams, 1};
    if (*exact)
        return store_run_long(c, &st, sql.params, total, unavailable, err, errlen);
    PGresult *res = store_run(c, &st, sql.params, unavailable, err, errlen);
    if (!res)
        return -1;
    const char *rows = strstr(PQgetvalue(res, 0, 0), "\"Plan Rows\": ");
    *total = rows ? (long)strtod(rows + 13, NULL) : 0;
    PQclear(res);
    return 0;
}

/* ---- survival statistics ---- */

const survival_dimension survival_dimensions[] = {
    {"pclass", 1}, {"sex", 0}, {"embarked", 0}, {"age_band", 0}, {"family_size_band", 0}, {NULL, 0},
};

/* The groups (GROUPING 0) in key order, then the overall row (the empty grouping set), in one
 * statement: both come from one snapshot. Columns: the keys, passengers, known, survived. The
 * dimension names are the summary's columns; a group whose rows all left keeps a row of zeros
 * there, which HAVING skips. */
static void build_survival_sql(const int *dimensions, int count, char *sql, size_t len) {
    char keys[128] = "";
    size_t used = 0;
    for (int k = 0; k < count; k++)
        used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s", k ? ", " : "",
                                 survival_dimensions[dimensions[k]].name);
    if (count == 0)
        snprintf(sql, len,
                 "SELECT coalesce(sum(passengers), 0), coalesce(sum(known), 0), "
                 "coalesce(sum(survived), 0) FROM passenger_survival_summary");
    else
        snprintf(
            sql, len,
            "SELECT %s, coalesce(sum(passengers), 0), coalesce(sum(known), 0), "
            "coalesce(sum(survived), 0) FROM passenger_survival_summary "
            "GROUP BY GROUPING SETS ((%s), ()) HAVING sum(passengers) > 0 OR GROUPING(%s) <> 0 "
            "ORDER BY GROUPING(%s), %s",
            keys, keys, keys, keys, keys);
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

int passengers_store_survival(store_conn c, const int *dimensions, int count,
                              survival_group **groups, int *ngroups, survival_group *overall,
                              int *unavailable, char *err, size_t errlen) {
    char sql[1024];
    build_survival_sql(dimensions, count, sql, sizeof sql);
    store_statement st = {NULL, sql, 0, 1};
    *ngroups = 0;
    PGresult *res =
        store_run_rows(c, &st, NULL, sizeof **groups, (void **)groups, unavailable, err, errlen);
    if (!res)
        return -1;
    int n = PQntuples(res) - 1; /* the last row is the overall one, always there */
    for (int i = 0; i < n; i++)
        group_of_row(res, i, count, &(*groups)[i]);
    group_of_row(res, n, count, overall);
    memset(overall->value, 0, sizeof overall->value);
    memset(overall->is_null, 0, sizeof overall->is_null);
    *ngroups = n;
    PQclear(res);
    return 0;
}

/* ---- the /people contract ---- */

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

/* The database's passengers_api_* functions, the API role's only writes (provenance: see
 * passengers_store.h), each return the number of rows they wrote (1 or 0); -1 here. */
static int api_write(store_conn c, const store_statement *st, const char *const *params,
                     int *unavailable, char *err, size_t errlen) {
    long written;
    return store_run_long(c, st, params, &written, unavailable, err, errlen) ? -1 : (int)written;
}

int passengers_store_create(store_conn c, passenger *p, const char *writer, int *unavailable,
                            char *err, size_t errlen) {
    static const store_statement next_id = {NULL, "SELECT nextval('passenger_api_id_seq')", 0, 0};
    static const store_statement insert = {
        NULL, "SELECT passengers_api_create($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", 11, 0};
    long id;
    if (store_run_long(c, &next_id, NULL, &id, unavailable, err, errlen) != 0)
        return -1;
    p->id = (int32_t)id;
    person_params b;
    bind_person(&b, p, writer);
    return api_write(c, &insert, b.values, unavailable, err, errlen) < 0 ? -1 : 0;
}

int passengers_store_update_person(store_conn c, const passenger *p, const char *writer,
                                   int *unavailable, char *err, size_t errlen) {
    /* The contract's Person has no ticket, cabin or port: an update leaves those as they were. */
    static const store_statement update = {
        NULL, "SELECT passengers_api_update($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", 11, 0};
    person_params b;
    bind_person(&b, p, writer);
    return api_write(c, &update, b.values, unavailable, err, errlen);
}

int passengers_store_delete(store_conn c, int32_t id, const char *writer, int *unavailable,
                            char *err, size_t errlen) {
    static const store_statement delete = {NULL, "SELECT passengers_api_delete($1, $2, $3)", 3, 0};
    char id_text[24], uuid_text[37];
    store_text_of_long(id, id_text);
    passenger_uuid_for_id(id, uuid_text);
    const char *params[] = {id_text, uuid_text, writer};
    return api_write(c, &delete, params, unavailable, err, errlen);
}
