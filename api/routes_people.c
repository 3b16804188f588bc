/* The "Titanic API" contract (Container Solutions' Swagger exercise): /people and
 * /people/{uuid}, backed by the same passengers table. A person's uuid is derived from its
 * passenger id, so a lookup by uuid is a primary-key lookup; people created here take ids from
 * passenger_api_id_seq, far above any file's. Writes are recorded under the caller's key label
 * (passengers_store.h says how that keeps them out of the trainer's default data). */
#include "api_db.h"
#include "passenger_json.h"
#include "passengers_store.h"
#include "passenger_fetch.h"
#include "routes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result route_people_list(http_request *r) {
    char err[512];
    int unavailable, count = 0;
    passenger *rows = NULL;
    if (passengers_store_first(api_db_store(), (long)http_config.people_list_max, &rows, &count,
                               &unavailable, err, sizeof err) != 0)
        return http_database_error(r, unavailable, err);
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
    if (rc != 0) {
        char message[400];
        snprintf(message, sizeof message, "%s%s%s", e.field, e.field[0] ? ": " : "", e.reason);
        http_error(r, 400, message, e.field[0] ? e.field : NULL);
    }
    return rc;
}

/* Reads back the stored row and answers it as a Person with status. */
static enum MHD_Result answer_person(http_request *r, unsigned status, int32_t id) {
    passenger stored;
    int found = fetch_passenger(r, id, &stored);
    if (found < 0)
        return MHD_YES;
    if (!found)
        return http_error(r, 404, "no person with this uuid", "uuid");
    return http_json(r, status, passenger_to_person(&stored));
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
    return answer_person(r, 201, p.id);
}

static int uuid_to_id(http_request *r, const char *uuid, int32_t *id) {
    if (passenger_id_from_uuid(uuid, id) != 0) {
        /* Well-formed or not, no person has it. */
        http_error(r, 404, "no person with this uuid", "uuid");
        return -1;
    }
    return 0;
}

enum MHD_Result route_person_get(http_request *r, const char *uuid) {
    int32_t id;
    if (uuid_to_id(r, uuid, &id) != 0)
        return MHD_YES;
    return answer_person(r, 200, id);
}

enum MHD_Result route_person_put(http_request *r, const char *uuid) {
    int32_t id;
    if (uuid_to_id(r, uuid, &id) != 0)
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
    return answer_person(r, 200, id);
}

enum MHD_Result route_person_delete(http_request *r, const char *uuid) {
    int32_t id;
    if (uuid_to_id(r, uuid, &id) != 0)
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
