/* JSON conversions and validation for passengers. See passenger_json.h. */
#include "passenger_json.h"

#include "http.h"
#include "json_flat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
    F_PCLASS,
    F_SEX,
    F_AGE,
    F_SIBSP,
    F_PARCH,
    F_FARE,
    F_EMBARKED,
    F_NAME,
    F_TICKET,
    F_CABIN,
    F_IGNORED,
    F_COUNT
} predict_field;

typedef struct {
    const char *key;
    predict_field field;
} field_key;

/* Both spellings of every field; Kaggle rows also carry PassengerId/Survived, which a prediction
 * does not use. */
static const field_key predict_keys[] = {
    {"pclass", F_PCLASS},     {"Pclass", F_PCLASS},     {"sex", F_SEX},
    {"Sex", F_SEX},           {"age", F_AGE},           {"Age", F_AGE},
    {"sibsp", F_SIBSP},       {"SibSp", F_SIBSP},       {"parch", F_PARCH},
    {"Parch", F_PARCH},       {"fare", F_FARE},         {"Fare", F_FARE},
    {"embarked", F_EMBARKED}, {"Embarked", F_EMBARKED}, {"name", F_NAME},
    {"Name", F_NAME},         {"ticket", F_TICKET},     {"Ticket", F_TICKET},
    {"cabin", F_CABIN},       {"Cabin", F_CABIN},       {"PassengerId", F_IGNORED},
    {"Survived", F_IGNORED}};

static int fail(input_error *e, const char *prefix, const char *key, const char *reason) {
    snprintf(e->field, sizeof e->field, "%.24s%.39s", prefix, key); /* fits field[64] */
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    return -1;
}

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int wrong_type(input_error *e, const char *prefix, const char *key, const char *expected,
                      const json_t *v) {
    char reason[128];
    snprintf(reason, sizeof reason, "expected %s, got %s", expected, type_name(v));
    return fail(e, prefix, key, reason);
}

static int get_int(json_t *v, const char *prefix, const char *key, long min, long max, long *out,
                   input_error *e) {
    if (!json_is_integer(v))
        return wrong_type(e, prefix, key, "an integer", v);
    json_int_t n = json_integer_value(v);
    if (n < min || n > max) {
        char reason[128];
        snprintf(reason, sizeof reason, "expected an integer from %ld to %ld, got %lld", min, max,
                 (long long)n);
        return fail(e, prefix, key, reason);
    }
    *out = (long)n;
    return 0;
}

static int get_number(json_t *v, const char *prefix, const char *key, double *out, input_error *e) {
    if (!json_is_number(v))
        return wrong_type(e, prefix, key, "a number", v);
    *out = json_number_value(v);
    return 0;
}

static int get_sex(json_t *v, const char *prefix, const char *key, int8_t *out, input_error *e) {
    if (!json_is_string(v))
        return wrong_type(e, prefix, key, "a string", v);
    const char *s = json_string_value(v);
    static const char *const names[] = {"male", "female", "other"};
    for (int i = 0; i < 3; i++) {
        if (strcasecmp(s, names[i]) == 0 && strlen(s) == strlen(names[i])) {
            *out = (int8_t)i;
            return 0;
        }
    }
    return fail(e, prefix, key, "expected male, female or other");
}

static int get_text(json_t *v, const char *prefix, const char *key, size_t max, char *dst,
                    input_error *e) {
    if (json_is_null(v)) {
        dst[0] = '\0';
        return 0;
    }
    if (!json_is_string(v))
        return wrong_type(e, prefix, key, "a string", v);
    char reason[200];
    if (passenger_parse_text(json_string_value(v), json_string_length(v), max, dst, reason,
                             sizeof reason) != 0)
        return fail(e, prefix, key, reason);
    return 0;
}

static int get_embarked(json_t *v, const char *prefix, const char *key, char *out, input_error *e) {
    if (json_is_null(v)) {
        *out = '\0';
        return 0;
    }
    if (!json_is_string(v))
        return wrong_type(e, prefix, key, "a string", v);
    const char *s = json_string_value(v);
    if (s[0] == '\0' && json_string_length(v) == 0) {
        *out = '\0';
        return 0;
    }
    char c = (char)(s[0] >= 'a' && s[0] <= 'z' ? s[0] - 'a' + 'A' : s[0]);
    if (json_string_length(v) != 1 || !(c == 'C' || c == 'Q' || c == 'S'))
        return fail(e, prefix, key, "expected C, Q, S or null");
    *out = c;
    return 0;
}

static int set_predict_field(predict_field f, json_t *v, const char *prefix, const char *key,
                             passenger *p, input_error *e) {
    long n;
    char reason[128];
    switch (f) {
    case F_PCLASS:
        if (get_int(v, prefix, key, 1, 3, &n, e) != 0)
            return -1;
        p->pclass = (int8_t)n;
        return 0;
    case F_SEX:
        return get_sex(v, prefix, key, &p->sex, e);
    case F_AGE:
        if (json_is_null(v))
            return 0;
        if (get_number(v, prefix, key, &p->age, e) != 0)
            return -1;
        return passenger_check_age(p->age, reason, sizeof reason) ? fail(e, prefix, key, reason)
                                                                  : 0;
    case F_FARE:
        if (json_is_null(v))
            return 0;
        if (get_number(v, prefix, key, &p->fare, e) != 0)
            return -1;
        return passenger_check_fare(p->fare, reason, sizeof reason) ? fail(e, prefix, key, reason)
                                                                    : 0;
    case F_SIBSP:
    case F_PARCH:
        if (json_is_null(v))
            return 0;
        if (get_int(v, prefix, key, 0, PASSENGER_FAMILY_MAX, &n, e) != 0)
            return -1;
        *(f == F_SIBSP ? &p->sibsp : &p->parch) = (int16_t)n;
        return 0;
    case F_EMBARKED:
        return get_embarked(v, prefix, key, &p->embarked, e);
    case F_NAME:
        return get_text(v, prefix, key, PASSENGER_NAME_MAX, p->name, e);
    case F_TICKET:
        return get_text(v, prefix, key, PASSENGER_TICKET_MAX, p->ticket, e);
    case F_CABIN:
        return get_text(v, prefix, key, PASSENGER_CABIN_MAX, p->cabin, e);
    default:
        return 0;
    }
}

static int lookup_predict_key(const char *key) {
    for (size_t i = 0; i < sizeof predict_keys / sizeof predict_keys[0]; i++) {
        if (strcmp(key, predict_keys[i].key) == 0)
            return (int)predict_keys[i].field;
    }
    return -1;
}

int passenger_from_predict_json(json_t *obj, const char *prefix, passenger *p, input_error *e) {
    passenger_init(p);
    p->pclass = 0;
    p->sex = -1;
    if (!json_is_object(obj))
        return wrong_type(e, prefix, "", "a passenger object", obj);
    int seen[F_COUNT] = {0};
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        int f = lookup_predict_key(key);
        if (f < 0) {
            char quoted[80];
            snprintf(quoted, sizeof quoted, "%.60s", key);
            return fail(e, prefix, quoted, "unknown field");
        }
        if (f != F_IGNORED && seen[f]++)
            return fail(e, prefix, key, "given twice (in two spellings)");
        if (set_predict_field((predict_field)f, value, prefix, key, p, e) != 0)
            return -1;
    }
    if (!seen[F_PCLASS])
        return fail(e, prefix, "pclass", "required");
    if (!seen[F_SEX])
        return fail(e, prefix, "sex", "required");
    return 0;
}

/* ---- the /people contract ---- */

int passenger_from_person_json(json_t *obj, passenger *p, input_error *e) {
    passenger_init(p);
    if (!json_is_object(obj))
        return wrong_type(e, "", "", "a Person object", obj);
    static const char *const known[] = {
        "uuid", "survived", "passengerClass",          "name",
        "sex",  "age",      "siblingsOrSpousesAboard", "parentsOrChildrenAboard",
        "fare"};
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(key, known[i]) != 0)
            i++;
        if (i == sizeof known / sizeof known[0]) {
            char quoted[80];
            snprintf(quoted, sizeof quoted, "%.60s", key);
            return fail(e, "", quoted, "unknown field");
        }
    }
    for (size_t i = 1; i < sizeof known / sizeof known[0]; i++) {
        if (!json_object_get(obj, known[i]))
            return fail(e, "", known[i], "required");
    }
    json_t *survived = json_object_get(obj, "survived");
    if (!json_is_boolean(survived))
        return wrong_type(e, "", "survived", "a boolean", survived);
    p->survived = json_is_true(survived) ? 1 : 0;
    long n;
    char reason[128];
    if (get_int(json_object_get(obj, "passengerClass"), "", "passengerClass", 1, 3, &n, e) != 0)
        return -1;
    p->pclass = (int8_t)n;
    json_t *name = json_object_get(obj, "name");
    if (get_text(name, "", "name", PASSENGER_NAME_MAX, p->name, e) != 0)
        return -1;
    if (p->name[0] == '\0')
        return fail(e, "", "name", "required: a non-empty string");
    if (get_sex(json_object_get(obj, "sex"), "", "sex", &p->sex, e) != 0)
        return -1;
    if (get_number(json_object_get(obj, "age"), "", "age", &p->age, e) != 0)
        return -1;
    if (passenger_check_age(p->age, reason, sizeof reason) != 0)
        return fail(e, "", "age", reason);
    if (get_int(json_object_get(obj, "siblingsOrSpousesAboard"), "", "siblingsOrSpousesAboard", 0,
                PASSENGER_FAMILY_MAX, &n, e) != 0)
        return -1;
    p->sibsp = (int16_t)n;
    if (get_int(json_object_get(obj, "parentsOrChildrenAboard"), "", "parentsOrChildrenAboard", 0,
                PASSENGER_FAMILY_MAX, &n, e) != 0)
        return -1;
    p->parch = (int16_t)n;
    if (get_number(json_object_get(obj, "fare"), "", "fare", &p->fare, e) != 0)
        return -1;
    if (passenger_check_fare(p->fare, reason, sizeof reason) != 0)
        return fail(e, "", "fare", reason);
    return 0;
}

static json_t *optional_text(const char *s) {
    return s[0] ? json_string(s) : json_null();
}

static json_t *optional_real(double v) {
    return isnan(v) ? json_null() : json_real(v);
}

json_t *passenger_to_json(const passenger *p) {
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

/* Text written into a buffer sized beforehand for the worst case (json_text_bound). */
typedef struct {
    char *at;
} json_out;

static void put(json_out *o, const char *s) {
    size_t n = strlen(s);
    memcpy(o->at, s, n);
    o->at += n;
}

/* A JSON string as jansson writes it without JSON_ENSURE_ASCII: quote, backslash and control
 * characters escaped, everything else (UTF-8 included) as it is. At most 6 bytes per byte. */
static void put_string(json_out *o, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    *o->at++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *escape = c == '"'    ? "\\\""
                             : c == '\\' ? "\\\\"
                             : c == '\b' ? "\\b"
                             : c == '\f' ? "\\f"
                             : c == '\n' ? "\\n"
                             : c == '\r' ? "\\r"
                             : c == '\t' ? "\\t"
                                         : NULL;
        if (escape) {
            put(o, escape);
        } else if (c < 0x20) {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], '\0'};
            put(o, u);
        } else {
            *o->at++ = (char)c;
        }
    }
    *o->at++ = '"';
}

static void put_optional_string(json_out *o, const char *s) {
    if (s[0])
        put_string(o, s);
    else
        put(o, "null");
}

/* Decimal digits without snprintf, which cost more than the rest of the object. */
static void put_long(json_out *o, long v) {
    char text[24], *at = text + sizeof text;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        *--at = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--at = '-';
    memcpy(o->at, at, (size_t)(text + sizeof text - at));
    o->at += text + sizeof text - at;
}

static void put_optional_real(json_out *o, double v) {
    char text[40];
    if (isnan(v)) {
        put(o, "null");
        return;
    }
    http_format_real(v, text, sizeof text);
    put(o, text);
}

/* Keys, punctuation and numbers take under 300 bytes; strings at most 6 bytes per byte. */
static size_t json_text_bound(const passenger *p) {
    return 300 + 6 * (strlen(p->uuid) + strlen(p->name) + strlen(p->ticket) + strlen(p->cabin));
}

char *passenger_json_text(const passenger *p, size_t *len) {
    char *text = malloc(json_text_bound(p));
    if (!text)
        return NULL;
    json_out o = {text};
    put(&o, "{\"passenger_id\":");
    put_long(&o, p->id);
    put(&o, ",\"uuid\":");
    put_string(&o, p->uuid);
    put(&o, ",\"survived\":");
    if (p->survived < 0)
        put(&o, "null");
    else
        put_long(&o, p->survived);
    put(&o, ",\"pclass\":");
    put_long(&o, p->pclass);
    put(&o, ",\"name\":");
    put_string(&o, p->name);
    put(&o, ",\"sex\":");
    put_string(&o, passenger_sex_name(p->sex));
    put(&o, ",\"age\":");
    put_optional_real(&o, p->age);
    put(&o, ",\"sibsp\":");
    put_long(&o, p->sibsp);
    put(&o, ",\"parch\":");
    put_long(&o, p->parch);
    put(&o, ",\"ticket\":");
    put_optional_string(&o, p->ticket);
    put(&o, ",\"fare\":");
    put_optional_real(&o, p->fare);
    put(&o, ",\"cabin\":");
    put_optional_string(&o, p->cabin);
    put(&o, ",\"embarked\":");
    char embarked[4] = {'"', p->embarked, '"', '\0'};
    put(&o, p->embarked ? embarked : "null");
    put(&o, "}");
    *o.at = '\0';
    *len = (size_t)(o.at - text);
    return text;
}

json_t *passenger_to_person(const passenger *p) {
    json_t *o = json_object();
    json_object_set_new(o, "uuid", json_string(p->uuid));
    json_object_set_new(o, "survived", p->survived < 0 ? json_null() : json_boolean(p->survived));
    json_object_set_new(o, "passengerClass", json_integer(p->pclass));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "sex", json_string(passenger_sex_name(p->sex)));
    /* The contract's age is an integer: whole years, as ages are usually told. */
    json_object_set_new(o, "age",
                        isnan(p->age) ? json_null() : json_integer((json_int_t)floor(p->age)));
    json_object_set_new(o, "siblingsOrSpousesAboard", json_integer(p->sibsp));
    json_object_set_new(o, "parentsOrChildrenAboard", json_integer(p->parch));
    json_object_set_new(o, "fare", optional_real(p->fare)); /* jansson writes 7.0, never 7 */
    return o;
}

json_t *parse_json_body(const char *body, size_t len, input_error *e) {
    json_t *flat = json_flat_object(body, len);
    if (flat)
        return flat;
    json_error_t error;
    json_t *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &error);
    if (!root) {
        e->field[0] = '\0';
        snprintf(e->reason, sizeof e->reason, "malformed JSON at line %d column %d: %s", error.line,
                 error.column, error.text);
    }
    return root;
}
