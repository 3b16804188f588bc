/* JSON <-> passenger for the API: the /predict input (our names or Kaggle's capitalised ones),
 * the /people contract's Person, and the analysts' passenger object. Every input value is
 * checked with the same rules as the ETL (core/passenger.h); an error names the field path
 * (e.g. "passengers[3].age") and the reason. This is the request-body parser the fuzz target
 * drives. */
#ifndef TITANIC_PASSENGER_JSON_H
#define TITANIC_PASSENGER_JSON_H

#include "passenger.h"

#include <jansson.h>
#include <stddef.h>

typedef struct {
    char field[64];   /* path of the offending field, "" when the whole body is wrong */
    char reason[256]; /* what is wrong and what is expected */
} input_error;

/* A /predict passenger object. prefix is prepended to field names in errors ("" or
 * "passengers[3]."). Absent optional fields stay unknown (imputed by the model); sibsp and parch
 * default to 0. */
int passenger_from_predict_json(json_t *obj, const char *prefix, passenger *p, input_error *e);

/* Sets one /predict field of p (key in either spelling) from value, with /predict's checks: the
 * one setter behind /predict and the v2 tensors. 0, or -1 with e naming prefix + key. */
int passenger_set_predict_field(const char *key, json_t *value, const char *prefix, passenger *p,
                                input_error *e);

/* The fast path for the common /predict body, one flat passenger object (json_flat.h's subset),
 * read straight into p with the same checks as passenger_from_predict_json and no JSON tree.
 * 1 when p is the passenger that function would give; 0 when it declines (anything outside the
 * subset, or any error: the full path then answers with its words). */
int passenger_from_predict_text(const char *body, size_t len, passenger *p);

/* A /people PersonData object: every field required; "uuid" is ignored when present. */
int passenger_from_person_json(json_t *obj, passenger *p, input_error *e);

/* The analysts' view: passenger_id, uuid, survived (0/1/null), pclass, name, sex, age, sibsp,
 * parch, ticket, fare, cabin, embarked; the one writer of that object (the lookup's answer and
 * the list's items). Written straight to text with the bytes jansson's compact dump would give
 * (15 significant digits, ".0" on whole reals): the hot lookup answers it without building a
 * JSON tree, which cost two thirds of the request. A malloc'd string with its length in *len, or
 * NULL when out of memory. */
char *passenger_json_text(const passenger *p, size_t *len);

/* The /people contract's Person: survived as a boolean, integer age, fare as a number. */
json_t *passenger_to_person(const passenger *p);

/* Parses a JSON body of at most len bytes (duplicate keys refused). NULL with e set. */
json_t *parse_json_body(const char *body, size_t len, input_error *e);

#endif
