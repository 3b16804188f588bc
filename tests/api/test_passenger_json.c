/* The hand-written JSON paths against jansson's:
 *   - passenger_json_text, the lookup's answer and the list's items, against jansson's compact
 *     dump of the same object built as a tree (reference_tree below): byte for byte, on generated
 *     passengers and on strings that need escaping;
 *   - passenger_from_predict_text, /predict's reader without a JSON tree, against
 *     passenger_from_predict_json: what it accepts is the same passenger, and everything the
 *     full path refuses (or words an error for) it declines. */
#include "check.h"
#include "passenger_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *optional_text(const char *s) {
    return s[0] ? json_string(s) : json_null();
}

static json_t *optional_real(double v) {
    return isnan(v) ? json_null() : json_real(v);
}

/* The analysts' passenger object as a jansson tree (what the API built before it had one writer).
 */
static json_t *reference_tree(const passenger *p) {
    char embarked[2] = {p->embarked, '\0'};
    json_t *o = json_object();
    json_object_set_new(o, "passenger_id", json_integer(p->id));
    json_object_set_new(o, "uuid", json_string(p->uuid));
    json_object_set_new(o, "survived", p->survived < 0 ? json_null() : json_integer(p->survived));
    json_object_set_new(o, "pclass", json_integer(p->pclass));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "sex", json_string(passenger_sex_name(p->sex)));
    json_object_set_new(o, "age", optional_real(p->age));
    json_object_set_new(o, "sibsp", json_integer(p->sibsp));
    json_object_set_new(o, "parch", json_integer(p->parch));
    json_object_set_new(o, "ticket", optional_text(p->ticket));
    json_object_set_new(o, "fare", optional_real(p->fare));
    json_object_set_new(o, "cabin", optional_text(p->cabin));
    json_object_set_new(o, "embarked", p->embarked ? json_string(embarked) : json_null());
    return o;
}

static int same_as_jansson(const passenger *p) {
    json_t *tree = reference_tree(p);
    char *expected = json_dumps(tree, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(tree);
    size_t len = 0;
    char *actual = passenger_json_text(p, &len);
    int same = expected && actual && strlen(actual) == len && strcmp(expected, actual) == 0;
    if (!same)
        fprintf(stderr, "expected %s\n     got %s\n", expected ? expected : "(null)",
                actual ? actual : "(null)");
    free(expected);
    free(actual);
    return same;
}

/* Passengers with every field varied by a small deterministic generator. */
static void varied(passenger *p, unsigned i) {
    static const double ages[] = {NAN, 0.42, 22, 38.5, 80, 1e-7, 123456.125};
    static const double fares[] = {NAN, 0, 7.25, 71.2833, 512.3292, 8.05, 1e15, 3.14159265358979};
    passenger_init(p);
    p->id = (int32_t)(i * 7919 % 2147483647) + 1;
    p->survived = (int8_t)((int)(i % 3) - 1);
    p->pclass = (int8_t)(1 + i % 3);
    p->sex = (int8_t)(i % 3);
    p->age = ages[i % (sizeof ages / sizeof *ages)];
    p->fare = fares[i % (sizeof fares / sizeof *fares)];
    p->sibsp = (int16_t)(i % 9);
    p->parch = (int16_t)(i % 7);
    p->embarked = "CQS"[i % 4 < 3 ? i % 4 : 0] * (i % 4 != 3);
    snprintf(p->name, sizeof p->name, "Passenger %u, Mr. O'Brien", i);
    snprintf(p->ticket, sizeof p->ticket, i % 5 ? "A/5 %u" : "", i);
    snprintf(p->cabin, sizeof p->cabin, i % 2 ? "C%u" : "", i % 150);
    snprintf(p->uuid, sizeof p->uuid, "%08x-0000-4000-8000-%012x", i, i * 31);
}

/* 1 when the fast path accepts body and the full path gives the same passenger. */
static int fast_accepts_same(const char *body) {
    passenger fast, slow;
    input_error e;
    if (!passenger_from_predict_text(body, strlen(body), &fast))
        return 0;
    json_t *tree = parse_json_body(body, strlen(body), &e);
    int same = tree && passenger_from_predict_json(tree, "", &slow, &e) == 0 &&
               passenger_same(&fast, &slow);
    json_decref(tree);
    return same;
}

static void check_predict_fast_path(void) {
    static const char *const accepted[] = {
        "{\"pclass\":3,\"sex\":\"male\",\"age\":22,\"sibsp\":1,\"parch\":0,\"fare\":7.25,"
        "\"embarked\":\"S\",\"name\":\"Braund, Mr. Owen Harris\",\"ticket\":\"A/5 21171\","
        "\"cabin\":null}",
        "{\"Pclass\":1,\"Sex\":\"female\",\"Age\":38.5,\"Fare\":71.2833,\"Embarked\":\"C\","
        "\"PassengerId\":2,\"Survived\":1}",
        " { \"pclass\" : 2 , \"sex\" : \"other\" , \"age\" : null, \"fare\": null } ",
        "{\"sex\":\"female\",\"pclass\":1,\"age\":0.42,\"fare\":0,\"embarked\":\"\"}",
        "{\"pclass\":3,\"sex\":\"male\",\"age\":1e1,\"fare\":5E-1,\"sibsp\":8,\"parch\":9}",
    };
    for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
        if (!fast_accepts_same(accepted[i]))
            fprintf(stderr, "not accepted alike: %s\n", accepted[i]);
        CHECK(fast_accepts_same(accepted[i]));
    }
    static const char *const declined[] = {
        "{\"pclass\":3}",                                     /* sex required */
        "{\"pclass\":3,\"sex\":\"FEMALE\"}",                  /* core's spelling only */
        "{\"pclass\":3,\"sex\":\"male\",\"embarked\":\"c\"}", /* core's spelling only */
        "{\"sex\":\"male\"}",                                 /* pclass required */
        "{\"pclass\":3,\"sex\":\"male\",\"colour\":\"red\"}", /* unknown field */
        "{\"pclass\":3,\"sex\":\"male\",\"pclass\":3}",       /* a key twice */
        "{\"pclass\":3,\"sex\":\"male\",\"PassengerId\":1,\"PassengerId\":1}",
        "{\"pclass\":3,\"Pclass\":3,\"sex\":\"male\"}", /* two spellings */
        "{\"pclass\":4,\"sex\":\"male\"}",              /* out of range */
        "{\"pclass\":3.0,\"sex\":\"male\"}",            /* a real for an integer */
        "{\"pclass\":\"3\",\"sex\":\"male\"}",          /* a string for a number */
        "{\"pclass\":3,\"sex\":\"man\"}",
        "{\"pclass\":3,\"sex\":\"male\",\"age\":-1}",
        "{\"pclass\":3,\"sex\":\"male\",\"embarked\":\"X\"}",
        "{\"pclass\":3,\"sex\":\"male\",\"name\":\"O\\u2019Brien\"}", /* an escape: jansson's */
        "{\"pclass\":3,\"sex\":\"male\",\"name\":{\"a\":1}}",         /* nesting */
        "{\"passenger_id\":5}",
        "{\"passengers\":[]}",
        "{\"pclass\":3,\"sex\":\"male\"", /* unterminated */
        "[]",
        "",
    };
    for (size_t i = 0; i < sizeof declined / sizeof *declined; i++) {
        passenger p;
        int taken = passenger_from_predict_text(declined[i], strlen(declined[i]), &p);
        if (taken)
            fprintf(stderr, "accepted, should decline: %s\n", declined[i]);
        CHECK(!taken);
    }
}

int main(void) {
    check_predict_fast_path();
    passenger p;
    for (unsigned i = 0; i < 2000; i++) {
        varied(&p, i);
        CHECK(same_as_jansson(&p));
    }
    /* Integers at their limits. */
    varied(&p, 3);
    p.id = 2147483647;
    p.sibsp = -32768;
    p.parch = 32767;
    CHECK(same_as_jansson(&p));
    p.id = 0;
    p.sibsp = 0;
    CHECK(same_as_jansson(&p));
    /* Every byte that needs escaping, and UTF-8 left as it is. */
    varied(&p, 1);
    char *at = p.name;
    for (int c = 1; c < 0x20; c++)
        *at++ = (char)c;
    strcpy(at, "\"quoted\" back\\slash /slash \xc3\xa9l\xc3\xa8ve \xe2\x80\xa8");
    CHECK(same_as_jansson(&p));
    /* The longest strings, all escaped: the buffer is sized for the worst case. */
    memset(p.name, '\n', sizeof p.name - 1);
    p.name[sizeof p.name - 1] = '\0';
    memset(p.ticket, '"', sizeof p.ticket - 1);
    p.ticket[sizeof p.ticket - 1] = '\0';
    memset(p.cabin, 1, sizeof p.cabin - 1);
    p.cabin[sizeof p.cabin - 1] = '\0';
    CHECK(same_as_jansson(&p));
    return check_exit_code("test_passenger_json");
}
