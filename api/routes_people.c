/* The "Titanic API" contract (Container Solutions' Swagger exercise): /people and
 * /people/{uuid}, backed by the same passengers table. A person's uuid is derived from its
 * passenger id, so a lookup by uuid is a primary-key lookup; people created here take ids from
 * passenger_api_id_seq, far above any file's. */
#include "api_db.h"
#include "passenger_json.h"
#include "routes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result route_people_list(http_request *r) {
    char limit[24], err[512];
    snprintf(limit, sizeof limit, "%zu", http_config.people_list_max);
    const char *params[] = {limit};
    int unavailable;
    PGresult *res = api_db_query(
        NULL, "SELECT " PASSENGER_COLUMNS " FROM passengers ORDER BY passenger_id LIMIT $1::bigint",
        1, params, &unavailable, err, sizeof err);
    if (!res)
        return http_database_error(r, unavailable, err);
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        passenger p;
        passenger_from_row(res, i, &p);
        json_array_append_new(list, passenger_to_person(&p));
    }
    PQclear(res);
    return http_json(r, 200, list);
}

/* Text parameters for a passenger's stored columns, in the order of the SQL below. */
typedef struct {
    char id[16], uuid[37], survived[8], pclass[8], age[32], sibsp[8], parch[8], fare[32];
    const char *values[10];
} person_params;

static void bind_person(person_params *b, const passenger *p) {
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
        b->age, b->sibsp, b->parch,    b->fare};
    memcpy(b->values, v, sizeof v);
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
    PGresult *res = api_db_query(NULL, "SELECT nextval('passenger_api_id_seq')", 0, NULL,
                                 &unavailable, err, sizeof err);
    if (!res)
        return http_database_error(r, unavailable, err);
    p.id = (int32_t)atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    person_params b;
    bind_person(&b, &p);
    res = api_db_query(NULL,
                       "INSERT INTO passengers (passenger_id, uuid, survived, pclass, name, sex, "
                       "age, sibsp, parch, fare) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                       10, b.values, &unavailable, err, sizeof err);
    if (!res)
        return http_database_error(r, unavailable, err);
    PQclear(res);
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
    person_params b;
    bind_person(&b, &p);
    int unavailable;
    char err[512];
    /* The contract's Person has no ticket, cabin or port: a PUT leaves those as they were. */
    PGresult *res = api_db_query(NULL,
                                 "UPDATE passengers SET survived = $3, pclass = $4, name = $5, "
                                 "sex = $6, age = $7, sibsp = $8, parch = $9, fare = $10, "
                                 "updated_at = now() WHERE passenger_id = $1 AND uuid = $2",
                                 10, b.values, &unavailable, err, sizeof err);
    if (!res)
        return http_database_error(r, unavailable, err);
    int updated = atoi(PQcmdTuples(res));
    PQclear(res);
    if (!updated)
        return http_error(r, 404, "no person with this uuid", "uuid");
    return answer_person(r, 200, id);
}

enum MHD_Result route_person_delete(http_request *r, const char *uuid) {
    int32_t id;
    if (uuid_to_id(r, uuid, &id) != 0)
        return MHD_YES;
    char id_text[16], err[512];
    snprintf(id_text, sizeof id_text, "%d", (int)id);
    const char *params[] = {id_text};
    int unavailable;
    PGresult *res = api_db_query(NULL, "DELETE FROM passengers WHERE passenger_id = $1", 1, params,
                                 &unavailable, err, sizeof err);
    if (!res)
        return http_database_error(r, unavailable, err);
    int deleted = atoi(PQcmdTuples(res));
    PQclear(res);
    if (!deleted)
        return http_error(r, 404, "no person with this uuid", "uuid");
    return http_text(r, 204, "application/json", "", 0);
}
