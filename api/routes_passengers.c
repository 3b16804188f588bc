/* Passenger routes for apps and analysts: one passenger, filtered and sorted lists, and survival
 * statistics grouped by class, sex, port, age band and family size. Every value from the query
 * string is validated and sent as a parameter; only whitelisted SQL fragments are ever joined. */
#include "api_db.h"
#include "config.h"
#include "passenger_json.h"
#include "routes.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 1000

/* Parses a path id; answers 400 itself and returns -1 when it is not a positive integer. */
static int parse_path_id(http_request *r, const char *text, int32_t *id) {
    char reason[160];
    if (passenger_parse_id(text, strlen(text), id, reason, sizeof reason) != 0) {
        http_error(r, 400, "passenger id must be a positive integer", "id");
        return -1;
    }
    return 0;
}

int fetch_passenger(http_request *r, int32_t id, passenger *out) {
    char id_text[16], err[512];
    int unavailable;
    snprintf(id_text, sizeof id_text, "%d", (int)id);
    const char *params[] = {id_text};
    PGresult *res = api_db_query("passenger_by_id", NULL, 1, params, &unavailable, err, sizeof err);
    if (!res) {
        http_database_error(r, unavailable, err);
        return -1;
    }
    int found = PQntuples(res) == 1;
    if (found)
        passenger_from_row(res, 0, out);
    PQclear(res);
    return found;
}

enum MHD_Result route_passenger(http_request *r, const char *id_text) {
    int32_t id;
    if (parse_path_id(r, id_text, &id) != 0)
        return MHD_YES;
    passenger p;
    int found = fetch_passenger(r, id, &p);
    if (found < 0)
        return MHD_YES;
    if (!found)
        return http_error(r, 404, "no passenger with this id", "id");
    return http_json(r, 200, passenger_to_json(&p));
}

/* ---- lists ---- */

typedef struct {
    char sql[2048];
    size_t used;
    const char *params[12];
    char values[12][300];
    int nparams;
} query_builder;

static void add_sql(query_builder *q, const char *fragment) {
    q->used += (size_t)snprintf(q->sql + q->used, sizeof q->sql - q->used, "%s", fragment);
}

/* Adds "AND <condition with $n>" binding value as parameter n. */
static void add_filter(query_builder *q, const char *condition_format, const char *value) {
    int n = ++q->nparams;
    snprintf(q->values[n - 1], sizeof q->values[0], "%s", value);
    q->params[n - 1] = q->values[n - 1];
    char fragment[200];
    snprintf(fragment, sizeof fragment, condition_format, n);
    add_sql(q, " AND ");
    add_sql(q, fragment);
}

static int bad_param(http_request *r, const char *name, const char *expected) {
    char message[160];
    snprintf(message, sizeof message, "query parameter %s: expected %s", name, expected);
    http_error(r, 400, message, name);
    return -1;
}

/* Escapes LIKE's wildcards so a name filter is a plain substring. */
static void like_pattern(const char *text, char *out, size_t len) {
    size_t o = 0;
    out[o++] = '%';
    for (const char *p = text; *p && o + 3 < len; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            out[o++] = '\\';
        out[o++] = *p;
    }
    out[o++] = '%';
    out[o] = '\0';
}

static int add_list_filters(http_request *r, query_builder *q) {
    const char *v;
    char reason[200];
    double d;
    if ((v = http_query(r, "pclass"))) {
        if (strlen(v) != 1 || v[0] < '1' || v[0] > '3')
            return bad_param(r, "pclass", "1, 2 or 3");
        add_filter(q, "pclass = $%d::smallint", v);
    }
    if ((v = http_query(r, "sex"))) {
        if (strcmp(v, "male") && strcmp(v, "female") && strcmp(v, "other"))
            return bad_param(r, "sex", "male, female or other");
        add_filter(q, "sex = $%d", v);
    }
    if ((v = http_query(r, "survived"))) {
        if (strcmp(v, "0") && strcmp(v, "1"))
            return bad_param(r, "survived", "0 or 1");
        add_filter(q, "survived = $%d::smallint", v);
    }
    if ((v = http_query(r, "embarked"))) {
        if (strcmp(v, "C") && strcmp(v, "Q") && strcmp(v, "S"))
            return bad_param(r, "embarked", "C, Q or S");
        add_filter(q, "embarked = $%d", v);
    }
    if ((v = http_query(r, "min_age"))) {
        if (config_parse_double(v, 0, 120, &d) != 0)
            return bad_param(r, "min_age", "a number from 0 to 120");
        add_filter(q, "age >= $%d::numeric", v);
    }
    if ((v = http_query(r, "max_age"))) {
        if (config_parse_double(v, 0, 120, &d) != 0)
            return bad_param(r, "max_age", "a number from 0 to 120");
        add_filter(q, "age <= $%d::numeric", v);
    }
    if ((v = http_query(r, "name"))) {
        if (text_validate(v, strlen(v), PASSENGER_NAME_MAX, reason, sizeof reason) != 0)
            return bad_param(r, "name", "text of at most 256 bytes without control characters");
        char pattern[600];
        like_pattern(v, pattern, sizeof pattern);
        add_filter(q, "name ILIKE $%d", pattern);
    }
    return 0;
}

static const char *sort_clause(const char *sort) {
    static const char *const columns[] = {"passenger_id", "name",   "age",
                                          "fare",         "pclass", "survived"};
    static char clause[96];
    int descending = sort[0] == '-';
    const char *column = sort + descending;
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        if (strcmp(column, columns[i]) == 0) {
            snprintf(clause, sizeof clause, " ORDER BY %s %s NULLS LAST, passenger_id", columns[i],
                     descending ? "DESC" : "ASC");
            return clause;
        }
    }
    return NULL;
}

static int parse_paging(http_request *r, long *limit, long *offset, const char **order) {
    const char *v;
    *limit = LIST_DEFAULT_LIMIT;
    *offset = 0;
    if ((v = http_query(r, "limit")) && config_parse_long(v, 1, LIST_MAX_LIMIT, limit) != 0)
        return bad_param(r, "limit", "an integer from 1 to 1000");
    if ((v = http_query(r, "offset")) && config_parse_long(v, 0, 2147483647L, offset) != 0)
        return bad_param(r, "offset", "a non-negative integer");
    *order = sort_clause((v = http_query(r, "sort")) ? v : "passenger_id");
    if (!*order)
        return bad_param(r, "sort",
                         "one of passenger_id, name, age, fare, pclass, survived (- for desc)");
    return 0;
}

enum MHD_Result route_passenger_list(http_request *r) {
    static const char *const allowed[] = {"pclass",  "sex",     "survived", "embarked",
                                          "min_age", "max_age", "name",     "sort",
                                          "limit",   "offset",  NULL};
    const char *unknown = http_unknown_query(r, allowed);
    if (unknown) {
        http_error(r, 400, "unknown query parameter (see /openapi.json)", unknown);
        return MHD_YES;
    }
    query_builder q = {.used = 0, .nparams = 0};
    add_sql(&q, " FROM passengers WHERE true");
    long limit, offset;
    const char *order;
    if (add_list_filters(r, &q) != 0 || parse_paging(r, &limit, &offset, &order) != 0)
        return MHD_YES;
    char sql[2600];
    /* The numbers are validated integers and order is a whitelisted fragment. */
    snprintf(sql, sizeof sql,
             "SELECT " PASSENGER_COLUMNS ", count(*) OVER ()%s%s LIMIT %ld OFFSET %ld", q.sql,
             order, limit, offset);
    int unavailable;
    char err[512];
    PGresult *res = api_db_query(NULL, sql, q.nparams, q.params, &unavailable, err, sizeof err);
    if (!res)
        return http_database_error(r, unavailable, err);
    int rows = PQntuples(res);
    long total = rows ? atol(PQgetvalue(res, 0, 13)) : 0;
    json_t *items = json_array();
    for (int i = 0; i < rows; i++) {
        passenger p;
        passenger_from_row(res, i, &p);
        json_array_append_new(items, passenger_to_json(&p));
    }
    PQclear(res);
    if (rows == 0 && offset > 0) {
        /* Past the end the window count has no row to ride on: count separately. */
        snprintf(sql, sizeof sql, "SELECT count(*)%s", q.sql);
        res = api_db_query(NULL, sql, q.nparams, q.params, &unavailable, err, sizeof err);
        if (!res) {
            json_decref(items);
            return http_database_error(r, unavailable, err);
        }
        total = atol(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    return http_json(r, 200,
                     json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", (json_int_t)total,
                               "limit", (json_int_t)limit, "offset", (json_int_t)offset));
}

/* ---- survival statistics ---- */

typedef struct {
    const char *name;
    const char *expression;
    int integer; /* pclass is a number; the rest are labels */
} stats_dimension;

static const stats_dimension dimensions[] = {
    {"pclass", "pclass", 1},
    {"sex", "sex", 0},
    {"embarked", "embarked", 0},
    {"age_band",
     "CASE WHEN age IS NULL THEN 'unknown' WHEN age < 12 THEN '0-11' WHEN age < 18 THEN '12-17' "
     "WHEN age < 30 THEN '18-29' WHEN age < 45 THEN '30-44' WHEN age < 60 THEN '45-59' "
     "ELSE '60+' END",
     0},
    {"family_size_band",
     "CASE WHEN sibsp + parch = 0 THEN 'alone' WHEN sibsp + parch <= 3 THEN '2-4' ELSE '5+' END",
     0},
};
#define DIMENSION_COUNT ((int)(sizeof dimensions / sizeof dimensions[0]))

/* Parses by=a,b,c into dimension indexes; answers 400 itself on error. */
static int parse_dimensions(http_request *r, int *chosen, int *count) {
    const char *by = http_query(r, "by");
    *count = 0;
    if (!by || !*by)
        return 0;
    char copy[128];
    if (strlen(by) >= sizeof copy)
        return bad_param(r, "by",
                         "up to three of pclass, sex, embarked, age_band, "
                         "family_size_band");
    snprintf(copy, sizeof copy, "%s", by);
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int d = 0; d < DIMENSION_COUNT; d++) {
            if (strcmp(name, dimensions[d].name) == 0)
                found = d;
        }
        for (int k = 0; k < *count && found >= 0; k++) {
            if (chosen[k] == found)
                found = -1;
        }
        if (found < 0 || *count == 3)
            return bad_param(r, "by",
                             "up to three different of pclass, sex, embarked, "
                             "age_band, family_size_band");
        chosen[(*count)++] = found;
    }
    return 0;
}

static json_t *rate_object(PGresult *res, int row, int first_column) {
    long passengers = atol(PQgetvalue(res, row, first_column));
    long known = atol(PQgetvalue(res, row, first_column + 1));
    long survived = atol(PQgetvalue(res, row, first_column + 2));
    json_t *o = json_pack("{s:I, s:I, s:I}", "passengers", (json_int_t)passengers, "known",
                          (json_int_t)known, "survived", (json_int_t)survived);
    json_object_set_new(o, "survival_rate",
                        known ? json_real((double)survived / (double)known) : json_null());
    return o;
}

static void build_stats_sql(const int *chosen, int count, char *sql, size_t len) {
    char keys[1024] = "";
    size_t used = 0;
    for (int k = 0; k < count; k++)
        used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s", k ? ", " : "",
                                 dimensions[chosen[k]].expression);
    if (count == 0) {
        snprintf(sql, len,
                 "SELECT count(*), count(survived), coalesce(sum(survived), 0) "
                 "FROM passengers");
        return;
    }
    snprintf(sql, len,
             "SELECT %s, count(*), count(survived), coalesce(sum(survived), 0) FROM passengers "
             "GROUP BY %s ORDER BY %s",
             keys, keys, keys);
}

enum MHD_Result route_stats(http_request *r) {
    static const char *const allowed[] = {"by", NULL};
    const char *unknown = http_unknown_query(r, allowed);
    if (unknown) {
        http_error(r, 400, "unknown query parameter (only by)", unknown);
        return MHD_YES;
    }
    int chosen[3], count;
    if (parse_dimensions(r, chosen, &count) != 0)
        return MHD_YES;
    char sql[4096], err[512];
    int unavailable;
    build_stats_sql(chosen, count, sql, sizeof sql);
    PGresult *groups = api_db_query(NULL, sql, 0, NULL, &unavailable, err, sizeof err);
    if (!groups)
        return http_database_error(r, unavailable, err);
    build_stats_sql(chosen, 0, sql, sizeof sql);
    PGresult *overall = api_db_query(NULL, sql, 0, NULL, &unavailable, err, sizeof err);
    if (!overall) {
        PQclear(groups);
        return http_database_error(r, unavailable, err);
    }
    json_t *by = json_array(), *list = json_array();
    for (int k = 0; k < count; k++)
        json_array_append_new(by, json_string(dimensions[chosen[k]].name));
    for (int row = 0; count > 0 && row < PQntuples(groups); row++) {
        json_t *g = rate_object(groups, row, count);
        for (int k = 0; k < count; k++) {
            const stats_dimension *d = &dimensions[chosen[k]];
            json_t *value = PQgetisnull(groups, row, k) ? json_null()
                            : d->integer ? json_integer(atoi(PQgetvalue(groups, row, k)))
                                         : json_string(PQgetvalue(groups, row, k));
            json_object_set_new(g, d->name, value);
        }
        json_array_append_new(list, g);
    }
    json_t *body = json_pack("{s:o, s:o, s:o}", "by", by, "groups", list, "overall",
                             rate_object(overall, 0, 0));
    PQclear(groups);
    PQclear(overall);
    return http_json(r, 200, body);
}
