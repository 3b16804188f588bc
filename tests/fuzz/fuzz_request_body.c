/* libFuzzer target for the API's request-body parsing (api/passenger_json.c): the JSON parser
 * settings, the /predict passenger object (both spellings) and the /people Person.
 *
 * Any bytes go in. Checked: no crash, leak or undefined behaviour; a refusal always names a
 * reason; an accepted passenger satisfies the same rules the ETL enforces. */
#include "passenger_json.h"
#include "text.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void require(int condition) {
    if (!condition)
        abort();
}

static void check_passenger(const passenger *p, int person) {
    char reason[200];
    require(p->pclass >= 1 && p->pclass <= 3);
    require(p->sex >= SEX_MALE && p->sex <= SEX_OTHER);
    require(p->sibsp >= 0 && p->sibsp <= PASSENGER_FAMILY_MAX);
    require(p->parch >= 0 && p->parch <= PASSENGER_FAMILY_MAX);
    require(isnan(p->age) || (p->age >= 0 && p->age <= PASSENGER_AGE_MAX));
    require(isnan(p->fare) || (p->fare >= 0 && p->fare <= PASSENGER_FARE_MAX));
    require(p->embarked == 0 || p->embarked == 'C' || p->embarked == 'Q' || p->embarked == 'S');
    require(text_validate(p->name, strlen(p->name), PASSENGER_NAME_MAX, reason, sizeof reason) ==
            0);
    if (person) {
        require(p->name[0] != '\0' && !isnan(p->age) && !isnan(p->fare));
        require(p->survived == 0 || p->survived == 1);
    }
}

/* /predict's fast path (no JSON tree) accepts only what the full path accepts, as the same
 * passenger; it may decline anything, the full path then answers. */
static void check_predict_fast_path_agrees(const uint8_t *data, size_t size) {
    passenger fast, slow;
    if (!passenger_from_predict_text((const char *)data, size, &fast))
        return;
    input_error e;
    json_t *body = parse_json_body((const char *)data, size, &e);
    require(body != NULL && passenger_from_predict_json(body, "", &slow, &e) == 0);
    require(passenger_same(&fast, &slow));
    json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_predict_fast_path_agrees(data, size);
    input_error e;
    if (size == 0) {
        /* The server hands an empty body over as NULL (it allocated nothing), which libFuzzer
         * never does: that is where clang's UBSan caught NULL + 0 in json_flat (issue 10).
         * libFuzzer runs the empty input first, so this runs in every smoke test. */
        passenger none_p;
        require(passenger_from_predict_text(NULL, 0, &none_p) == 0);
        json_t *none = parse_json_body(NULL, 0, &e);
        require(none == NULL && e.reason[0] != '\0');
    }
    json_t *body = parse_json_body((const char *)data, size, &e);
    if (!body) {
        require(e.reason[0] != '\0');
        return 0;
    }
    passenger p;
    if (passenger_from_predict_json(body, "", &p, &e) == 0)
        check_passenger(&p, 0);
    else
        require(e.reason[0] != '\0');
    json_t *list = json_object_get(body, "passengers");
    for (size_t i = 0; json_is_array(list) && i < json_array_size(list) && i < 8; i++) {
        if (passenger_from_predict_json(json_array_get(list, i), "passengers[0].", &p, &e) == 0)
            check_passenger(&p, 0);
    }
    if (passenger_from_person_json(body, &p, &e) == 0)
        check_passenger(&p, 1);
    else
        require(e.reason[0] != '\0');
    json_decref(body);
    return 0;
}
