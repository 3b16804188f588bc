/* The "Titanic API" contract (Container Solutions' Swagger exercise): /people and
 * /people/{uuid}, backed by the same passengers table. A person's uuid is derived from its
 * passenger id, so a lookup by uuid is a primary-key lookup; people created here take ids from
 * passenger_api_id_seq, far above any file's. Writes are recorded under the caller's key label
 * (passengers_store.h says how that keeps them out of the trainer's default data). */
#include "api_db.h"
#include "config.h"
#include "csv_out.h"
#include "passenger_json.h"
#include "passengers_store.h"
#include "lookup_batch.h"
#include "routes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ?limit=N (1..PEOPLE_LIST_MAX, that by default) and ?after=ID into q, GET /passengers' query in
 * id order from the id after; answers 400 itself. */
static int parse_people_page(http_request *r, passenger_query *q) {
    static const char *const allowed[] = {"limit", "after", NULL};
    const char *v;
    char expected[64], reason[160];
    if (http_refuse_unknown_query(r, allowed, "unknown query parameter (only limit and after)"))
        return -1;
    *q = (passenger_query){.sort = PASSENGER_SORT_ID,
                           .limit = (long)http_config.people_list_max,
                           .after = {.present = 1}};
    if ((v = http_query(r, "limit")) &&
        config_parse_long(v, 1, (long)http_config.people_list_max, &q->limit) != 0) {
        snprintf(expected, sizeof expected, "an integer from 1 to %zu",
                 http_config.people_list_max);
        return http_bad_query(r, "limit", expected);
    }
    if ((v = http_query(r, "after")) &&
        passenger_parse_id(v, strlen(v), &q->after.id, reason, sizeof reason) != 0)
        return http_bad_query(r, "after", "the id from a next link");
    return 0;
}

/* A page of people as CSV, the Person contract's columns (age in whole years, survived as
 * true/false). */
static enum MHD_Result people_csv(http_request *r, const passenger *rows, int shown) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return http_error(r, 500, "out of memory", NULL);
    fputs("uuid,survived,passengerClass,name,sex,age,siblingsOrSpousesAboard,"
          "parentsOrChildrenAboard,fare\r\n",
          out);
    for (int i = 0; i < shown; i++) {
        const passenger *p = &rows[i];
        csv_text(out, p->uuid, ',');
        csv_text(out, p->survived < 0 ? "" : p->survived ? "true" : "false", ',');
        fprintf(out, "%d,", p->pclass);
        csv_text(out, p->name, ',');
        csv_text(out, passenger_sex_name(p->sex), ',');
        csv_real(out, isnan(p->age) ? NAN : floor(p->age), ',');
        fprintf(out, "%d,%d,", p->sibsp, p->parch);
        csv_real(out, p->fare, '\n');
    }
    return http_memstream(r, out, &text, &len, CSV_CONTENT_TYPE);
}

/* GET /people: the contract's bare array of Persons, a page at a time by passenger id. The first
 * page is what the contract's clients ask for (all of a table of up to PEOPLE_LIST_MAX rows); a
 * further page is announced in a Link header (rel="next"), so the body keeps its shape. */
enum MHD_Result route_people_list(http_request *r) {
    passenger_query q;
    if (parse_people_page(r, &q) != 0)
        return MHD_YES;
    char err[512], link[96];
    int unavailable, count = 0;
    passenger *rows = NULL;
    passenger_cursor next;
    if (passengers_store_list(api_db_store(), &q, &rows, &count, &next, &unavailable, err,
                              sizeof err) != 0)
        return http_database_error(r, unavailable, err);
    snprintf(link, sizeof link, "</people?after=%d&limit=%ld>; rel=\"next\"", (int)next.id,
             q.limit);
    if (next.present) /* on the JSON and the CSV answer alike */
        http_set_header(r, "Link", link);
    if (csv_wanted(r)) {
        enum MHD_Result rc = people_csv(r, rows, count);
        free(rows);
        return rc;
    }
    json_t *list = json_array();
    for (int i = 0; i < count; i++)
        json_array_append_new(list, passenger_to_person(&rows[i]));
    free(rows);
    return http_json(r, 200, list);
}

static int parse_person_body(http_request *r, passenger *p) {
    input_error e;
    json_t *body = parse_json_body(r->body, r->body_len, &e);
    int rc = body ? passenger_from_person_json(body, p, &e) : -1;
    json_decref(body);
    if (rc != 0)
        route_invalid(r, &e);
    return rc;
}

/* Answers the stored row, read back by the batched lookup (lookup_batch.h), as a Person: 201 and
 * its Location after a POST, else 200. */
static enum MHD_Result answer_person(http_request *r, const lookup_result *found) {
    if (found->found < 0)
        return http_database_error(r, found->unavailable, found->err);
    if (!found->found)
        return http_error(r, 404, "no person with this uuid", "uuid");
    json_t *person = passenger_to_person(&found->row);
    char location[96];
    unsigned status = strcmp(r->method, "POST") == 0 ? 201 : 200;
    snprintf(location, sizeof location, "/people/%s", found->row.uuid);
    if (status == 201) /* RFC 9110: a 201 names what it created */
        http_set_header(r, MHD_HTTP_HEADER_LOCATION, location);
    return http_json(r, status, person);
}

enum MHD_Result route_people_create(http_request *r) {
    passenger p;
    if (parse_person_body(r, &p) != 0)
        return MHD_YES;
    int unavailable;
    char err[512];
    if (passengers_store_create(api_db_store(), &p, http_writer_label(r), &unavailable, err,
                                sizeof err) != 0)
        return http_database_error(r, unavailable, err);
    return lookup_batch_park(r, p.id, answer_person);
}

static int uuid_to_id(http_request *r, const char *uuid, int32_t *id) {
    if (passenger_id_from_uuid(uuid, id) != 0) {
        /* Well-formed or not, no person has it. */
        http_error(r, 404, "no person with this uuid", "uuid");
        return -1;
    }
    return 0;
}

enum MHD_Result route_person_get(http_request *r) {
    int32_t id;
    if (uuid_to_id(r, r->target.seg[1], &id) != 0)
        return MHD_YES;
    return lookup_batch_park(r, id, answer_person);
}

enum MHD_Result route_person_put(http_request *r) {
    int32_t id;
    if (uuid_to_id(r, r->target.seg[1], &id) != 0)
        return MHD_YES;
    passenger p;
    if (parse_person_body(r, &p) != 0)
        return MHD_YES;
    p.id = id;
    int unavailable;
    char err[512];
    int updated = passengers_store_update_person(api_db_store(), &p, http_writer_label(r),
                                                 &unavailable, err, sizeof err);
    if (updated < 0)
        return http_database_error(r, unavailable, err);
    if (!updated)
        return http_error(r, 404, "no person with this uuid", "uuid");
    return lookup_batch_park(r, id, answer_person);
}

enum MHD_Result route_person_delete(http_request *r) {
    int32_t id;
    if (uuid_to_id(r, r->target.seg[1], &id) != 0)
        return MHD_YES;
    char err[512];
    int unavailable;
    int deleted = passengers_store_delete(api_db_store(), id, http_writer_label(r), &unavailable,
                                          err, sizeof err);
    if (deleted < 0)
        return http_database_error(r, unavailable, err);
    if (!deleted)
        return http_error(r, 404, "no person with this uuid", "uuid");
    return http_text(r, 204, "application/json", "", 0);
}
