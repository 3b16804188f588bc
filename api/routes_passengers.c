/* Passenger routes for apps and analysts: one passenger, filtered and sorted lists, and survival
 * statistics grouped by class, sex, port, age band and family size. Every value from the query
 * string is validated and sent as a parameter; only whitelisted SQL fragments are ever joined. */
#include "api_db.h"
#include "config.h"
#include "csv_out.h"
#include "log.h"
#include "lookup_batch.h"
#include "passenger_cursor.h"
#include "passenger_json.h"
#include "passengers_store.h"
#include "routes.h"
#include "text.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 1000

static enum MHD_Result answer_passenger(http_request *r, const lookup_result *found) {
    if (found->found < 0)
        return http_database_error(r, found->unavailable, found->err);
    if (!found->found)
        return http_error(r, 404, "no passenger with this id", "id");
    size_t len;
    char *text = passenger_json_text(&found->row, &len);
    if (!text)
        return http_error(r, 500, "out of memory", NULL);
    return http_owned(r, 200, "application/json", text, len);
}

/* The busiest read: batched with the other lookups in flight (lookup_batch.h). */
enum MHD_Result route_passenger(http_request *r) {
    int32_t id;
    char reason[160];
    const char *text = r->target.seg[1];
    if (passenger_parse_id(text, strlen(text), &id, reason, sizeof reason) != 0)
        return http_error(r, 400, "passenger id must be a positive integer", "id");
    return lookup_batch_park(r, id, answer_passenger);
}

/* ---- lists ---- */

/* Reads and checks the filters into q (values point into the request's query string). */
static int parse_list_filters(http_request *r, passenger_query *q) {
    const char *v;
    char reason[200];
    double d;
    if ((v = q->pclass = http_query(r, "pclass")) && (strlen(v) != 1 || v[0] < '1' || v[0] > '3'))
        return http_bad_query(r, "pclass", "1, 2 or 3");
    if ((v = q->sex = http_query(r, "sex")) && strcmp(v, "male") && strcmp(v, "female") &&
        strcmp(v, "other"))
        return http_bad_query(r, "sex", "male, female or other");
    if ((v = q->survived = http_query(r, "survived")) && strcmp(v, "0") && strcmp(v, "1"))
        return http_bad_query(r, "survived", "0 or 1");
    if ((v = q->embarked = http_query(r, "embarked")) && strcmp(v, "C") && strcmp(v, "Q") &&
        strcmp(v, "S"))
        return http_bad_query(r, "embarked", "C, Q or S");
    if ((v = q->min_age = http_query(r, "min_age")) && config_parse_double(v, 0, 120, &d) != 0)
        return http_bad_query(r, "min_age", "a number from 0 to 120");
    if ((v = q->max_age = http_query(r, "max_age")) && config_parse_double(v, 0, 120, &d) != 0)
        return http_bad_query(r, "max_age", "a number from 0 to 120");
    if ((v = q->name = http_query(r, "name")) &&
        text_validate(v, strlen(v), PASSENGER_NAME_MAX, reason, sizeof reason) != 0)
        return http_bad_query(r, "name", "text of at most 256 bytes without control characters");
    return 0;
}

/* csv: the CSV answer streams every match unless a limit is given, at any size. */
static int parse_paging(http_request *r, passenger_query *q, int csv) {
    const char *v;
    q->limit = csv ? LONG_MAX : LIST_DEFAULT_LIMIT;
    q->offset = 0;
    if ((v = http_query(r, "limit")) &&
        config_parse_long(v, 1, csv ? LONG_MAX : LIST_MAX_LIMIT, &q->limit) != 0)
        return http_bad_query(r, "limit", csv ? "a positive integer" : "an integer from 1 to 1000");
    if ((v = http_query(r, "offset")) && config_parse_long(v, 0, 2147483647L, &q->offset) != 0)
        return http_bad_query(r, "offset", "a non-negative integer");
    if (q->offset > PASSENGER_LIST_MAX_OFFSET)
        return http_bad_query(r, "offset",
                              "at most 10000; to read further, follow next (an after= cursor)");
    v = http_query(r, "sort");
    if (passenger_sort_parse(v ? v : "passenger_id", &q->sort, &q->descending) != 0)
        return http_bad_query(
            r, "sort", "one of passenger_id, name, age, fare, pclass, survived (- for desc)");
    if ((v = http_query(r, "after")) &&
        passenger_cursor_decode(v, q->sort, q->descending, &q->after) != 0)
        return http_bad_query(r, "after",
                              "the cursor of a page with the same sort (its next link)");
    return 0;
}

/* Appends "&key=value" (percent-encoded) when the request has key. */
static void link_param(http_request *r, const char *key, char *out, size_t len) {
    const char *v = http_query(r, key);
    if (!v)
        return;
    size_t o = strlen(out);
    o += (size_t)snprintf(out + o, len - o, "&%s=", key);
    for (const unsigned char *p = (const unsigned char *)v; *p && o + 4 < len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, len - o, "%%%02X", *p);
    }
    out[o] = '\0';
}

/* Room for a next link: the cursor and every kept parameter percent-encoded (a name filter
 * triples at most). */
#define NEXT_LINK_MAX (PASSENGER_CURSOR_TOKEN_MAX + 3 * PASSENGER_NAME_MAX + 256)

/* The path of the next page: the same filters, sort and limit from the position next; no
 * offset (the cursor is the position). */
static void next_link(http_request *r, const passenger_query *q, const passenger_cursor *next,
                      char *out, size_t len) {
    static const char *const kept[] = {"pclass",  "sex",  "survived", "embarked", "min_age",
                                       "max_age", "name", "sort",     "limit",    NULL};
    char token[PASSENGER_CURSOR_TOKEN_MAX];
    passenger_cursor_encode(q->sort, q->descending, next, token);
    snprintf(out, len, "/passengers?after=%s", token);
    for (int i = 0; kept[i]; i++)
        link_param(r, kept[i], out, len);
}

/* A page as JSON text: its items written by the lookup's own writer (passenger_json_text), then
 * the counts and the next link (NULL: none), which is percent-encoded and needs no escaping. */
static enum MHD_Result answer_page(http_request *r, const passenger *rows, int count, long total,
                                   int exact, const passenger_query *q, const char *next) {
    char *text = NULL;
    size_t len = 0, item_len;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return http_error(r, 500, "out of memory", NULL);
    fputs("{\"items\":[", out);
    for (int i = 0; i < count; i++) {
        char *item = passenger_json_text(&rows[i], &item_len);
        if (!item) {
            fclose(out);
            free(text);
            return http_error(r, 500, "out of memory", NULL);
        }
        fprintf(out, "%s%s", i ? "," : "", item);
        free(item);
    }
    fprintf(out,
            "],\"total\":%ld,\"total_is\":\"%s\",\"limit\":%ld,\"offset\":%ld,\"next\":", total,
            exact ? "exact" : "estimate", q->limit, q->offset);
    if (next)
        fprintf(out, "\"%s\"}", next);
    else
        fputs("null}", out);
    return http_memstream(r, out, &text, &len, "application/json");
}

/* ---- the list as CSV: every match from the position asked, a page at a time ---- */

#define CSV_PAGE_ROWS 1000 /* rows fetched and held at once, so memory stays flat at any size */

typedef struct {
    passenger_query q; /* the next page's; its filters point into filters[] */
    char *filters[7];  /* copies: the request's strings may be gone while the stream runs */
    long left;         /* rows still to send (the limit) */
    char *text;        /* the current page as CSV, sent from at */
    size_t len, at;
    int last; /* no page after the current one */
} csv_stream;

static void csv_stream_free(void *cls) {
    csv_stream *s = cls;
    for (int i = 0; i < 7; i++)
        free(s->filters[i]);
    free(s->text);
    free(s);
}

/* Fetches the next page into s->text (the header line before the first); -1 with err. */
static int csv_next_page(csv_stream *s, int header, int *unavailable, char *err, size_t errlen) {
    passenger *rows = NULL;
    int count = 0;
    passenger_cursor next;
    s->q.limit = s->left < CSV_PAGE_ROWS ? s->left : CSV_PAGE_ROWS;
    if (passengers_store_list(api_db_store(), &s->q, &rows, &count, &next, unavailable, err,
                              errlen) != 0)
        return -1;
    s->left -= count;
    s->last = !next.present || s->left <= 0;
    s->q.after = next;
    s->q.offset = 0; /* the cursor is the position now */
    free(s->text);
    s->text = NULL;
    s->len = s->at = 0;
    FILE *out = open_memstream(&s->text, &s->len);
    if (out && header)
        csv_passenger_header(out);
    for (int i = 0; out && i < count; i++)
        csv_passenger(out, &rows[i]);
    free(rows);
    if (!out || fclose(out) != 0) {
        *unavailable = 0;
        snprintf(err, errlen, "out of memory formatting CSV");
        return -1;
    }
    return 0;
}

/* libmicrohttpd asks for the next bytes as the client reads; a failed page ends the chunked
 * body without its last chunk, so the client sees the answer is cut short. */
static ssize_t csv_stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    csv_stream *s = cls;
    while (s->at == s->len) {
        char err[512];
        int unavailable;
        if (s->last)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (csv_next_page(s, 0, &unavailable, err, sizeof err) != 0) {
            log_warn("CSV list cut short", "{s:s}", "error", err);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    size_t n = s->len - s->at < max ? s->len - s->at : max;
    memcpy(buf, s->text + s->at, n);
    s->at += n;
    return (ssize_t)n;
}

/* The first page is fetched before answering, so a database error is still a 503. */
static enum MHD_Result passenger_list_csv(http_request *r, const passenger_query *q) {
    csv_stream *s = calloc(1, sizeof *s);
    if (!s)
        return http_error(r, 500, "out of memory", NULL);
    s->q = *q;
    s->left = q->limit;
    const char **filter[7] = {&s->q.pclass,  &s->q.sex,     &s->q.survived, &s->q.embarked,
                              &s->q.min_age, &s->q.max_age, &s->q.name};
    for (int i = 0; i < 7; i++) {
        if (*filter[i] && !(*filter[i] = s->filters[i] = strdup(*filter[i]))) {
            csv_stream_free(s);
            return http_error(r, 500, "out of memory", NULL);
        }
    }
    char err[512];
    int unavailable;
    if (csv_next_page(s, 1, &unavailable, err, sizeof err) != 0) {
        csv_stream_free(s);
        return http_database_error(r, unavailable, err);
    }
    struct MHD_Response *response = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 64 * 1024, csv_stream_read, s, csv_stream_free);
    if (!response)
        csv_stream_free(s);
    return http_response(r, 200, CSV_CONTENT_TYPE, response, 0);
}

enum MHD_Result route_passenger_list(http_request *r) {
    static const char *const allowed[] = {"pclass",  "sex",     "survived", "embarked",
                                          "min_age", "max_age", "name",     "sort",
                                          "limit",   "offset",  "after",    NULL};
    if (http_refuse_unknown_query(r, allowed, "unknown query parameter (see /openapi.json)"))
        return MHD_YES;
    passenger_query q;
    memset(&q, 0, sizeof q);
    int csv = csv_wanted(r);
    if (parse_list_filters(r, &q) != 0 || parse_paging(r, &q, csv) != 0)
        return MHD_YES;
    if (csv)
        return passenger_list_csv(r, &q);
    int unavailable, count = 0, exact = 0;
    long total = 0;
    char err[512];
    passenger *rows = NULL;
    passenger_cursor next;
    if (passengers_store_list(api_db_store(), &q, &rows, &count, &next, &unavailable, err,
                              sizeof err) != 0)
        return http_database_error(r, unavailable, err);
    /* A first page that holds every match is its own exact count. */
    if (!q.after.present && q.offset == 0 && !next.present) {
        total = count;
        exact = 1;
    } else if (passengers_store_count(api_db_store(), &q, &total, &exact, &unavailable, err,
                                      sizeof err) != 0) {
        free(rows);
        return http_database_error(r, unavailable, err);
    }
    char path[NEXT_LINK_MAX], link[NEXT_LINK_MAX + 16];
    if (next.present) {
        next_link(r, &q, &next, path, sizeof path);
        snprintf(link, sizeof link, "<%s>; rel=\"next\"", path);
        http_set_header(r, "Link", link);
    }
    enum MHD_Result rc = answer_page(r, rows, count, total, exact, &q, next.present ? path : NULL);
    free(rows);
    return rc;
}

/* ---- survival statistics ---- */

static const char STATS_EXPECTED[] =
    "up to three different of pclass, sex, embarked, age_band, family_size_band";

/* Parses by=a,b,c into dimension indexes; answers 400 itself on error. */
static int parse_dimensions(http_request *r, int *chosen, int *count) {
    const char *by = http_query(r, "by");
    *count = 0;
    if (!by || !*by)
        return 0;
    char copy[128];
    if (strlen(by) >= sizeof copy)
        return http_bad_query(r, "by", STATS_EXPECTED);
    snprintf(copy, sizeof copy, "%s", by);
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int d = 0; survival_dimensions[d].name; d++) {
            if (strcmp(name, survival_dimensions[d].name) == 0)
                found = d;
        }
        for (int k = 0; k < *count && found >= 0; k++) {
            if (chosen[k] == found)
                found = -1;
        }
        if (found < 0 || *count == SURVIVAL_MAX_DIMENSIONS)
            return http_bad_query(r, "by", STATS_EXPECTED);
        chosen[(*count)++] = found;
    }
    return 0;
}

static json_t *rate_object(const survival_group *g) {
    json_t *o = json_pack("{s:I, s:I, s:I}", "passengers", (json_int_t)g->passengers, "known",
                          (json_int_t)g->known, "survived", (json_int_t)g->survived);
    json_object_set_new(o, "survival_rate",
                        g->known ? json_real((double)g->survived / (double)g->known) : json_null());
    return o;
}

static json_t *group_object(const survival_group *g, const int *chosen, int count) {
    json_t *o = rate_object(g);
    for (int k = 0; k < count; k++) {
        const survival_dimension *d = &survival_dimensions[chosen[k]];
        json_t *value = g->is_null[k] ? json_null()
                        : d->integer  ? json_integer(atoi(g->value[k]))
                                      : json_string(g->value[k]);
        json_object_set_new(o, d->name, value);
    }
    return o;
}

/* The groups as CSV: a column per dimension, then the counts and the rate; the overall figures
 * last, in the row whose scope is "overall". */
static enum MHD_Result stats_csv(http_request *r, const survival_group *groups, int ngroups,
                                 const survival_group *overall, const int *chosen, int count) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return http_error(r, 500, "out of memory", NULL);
    fputs("scope,", out);
    for (int k = 0; k < count; k++)
        fprintf(out, "%s,", survival_dimensions[chosen[k]].name);
    fputs("passengers,known,survived,survival_rate\r\n", out);
    for (int i = 0; i <= ngroups; i++) {
        const survival_group *g = i < ngroups ? &groups[i] : overall;
        fputs(i < ngroups ? "group," : "overall,", out);
        for (int k = 0; k < count; k++)
            csv_text(out, i < ngroups && !g->is_null[k] ? g->value[k] : "", ',');
        fprintf(out, "%ld,%ld,%ld,", (long)g->passengers, (long)g->known, (long)g->survived);
        csv_real(out, g->known ? (double)g->survived / (double)g->known : NAN, '\n');
    }
    return http_memstream(r, out, &text, &len, CSV_CONTENT_TYPE);
}

enum MHD_Result route_stats(http_request *r) {
    static const char *const allowed[] = {"by", NULL};
    if (http_refuse_unknown_query(r, allowed, "unknown query parameter (only by)"))
        return MHD_YES;
    int chosen[SURVIVAL_MAX_DIMENSIONS], count;
    if (parse_dimensions(r, chosen, &count) != 0)
        return MHD_YES;
    survival_group *groups = NULL, overall;
    int ngroups = 0, unavailable;
    char err[512];
    if (passengers_store_survival(api_db_store(), chosen, count, &groups, &ngroups, &overall,
                                  &unavailable, err, sizeof err) != 0)
        return http_database_error(r, unavailable, err);
    if (csv_wanted(r)) {
        enum MHD_Result rc = stats_csv(r, groups, ngroups, &overall, chosen, count);
        free(groups);
        return rc;
    }
    json_t *by = json_array(), *list = json_array();
    for (int k = 0; k < count; k++)
        json_array_append_new(by, json_string(survival_dimensions[chosen[k]].name));
    for (int i = 0; i < ngroups; i++)
        json_array_append_new(list, group_object(&groups[i], chosen, count));
    free(groups);
    return http_json(
        r, 200,
        json_pack("{s:o, s:o, s:o}", "by", by, "groups", list, "overall", rate_object(&overall)));
}
