/* JSON conversions and validation for passengers. See passenger_json.h. */
#include "passenger_json.h"

#include "http.h"
#include "json_flat.h"
#include "text_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A jansson value described as the flat scanner describes its own (json_flat.h), so the checks
 * below serve both the fast path and jansson's. jansson's accessors answer NULL, 0 or 0.0 for a
 * value of another type (or none). */
static flat_value flat_of(json_t *v) {
    static const flat_type types[] = {
        [JSON_OBJECT] = FLAT_OBJECT,   [JSON_ARRAY] = FLAT_ARRAY, [JSON_STRING] = FLAT_STRING,
        [JSON_INTEGER] = FLAT_INTEGER, [JSON_REAL] = FLAT_REAL,   [JSON_TRUE] = FLAT_TRUE,
        [JSON_FALSE] = FLAT_FALSE,     [JSON_NULL] = FLAT_NULL};
    return (flat_value){v ? types[json_typeof(v)] : FLAT_NULL, json_string_value(v),
                        json_string_length(v), json_integer_value(v), json_real_value(v)};
}

static const char *type_name(const flat_value *v) {
    static const char *const names[] = {
        [FLAT_NULL] = "null",          [FLAT_TRUE] = "a boolean",  [FLAT_FALSE] = "a boolean",
        [FLAT_INTEGER] = "an integer", [FLAT_REAL] = "a number",   [FLAT_STRING] = "a string",
        [FLAT_ARRAY] = "an array",     [FLAT_OBJECT] = "an object"};
    return names[v->type];
}

static int wrong_type(input_error *e, const char *prefix, const char *key, const char *expected,
                      const flat_value *v) {
    char reason[128];
    snprintf(reason, sizeof reason, "expected %s, got %s", expected, type_name(v));
    return fail(e, prefix, key, reason);
}

static int get_int(const flat_value *v, const char *prefix, const char *key, long min, long max,
                   long *out, input_error *e) {
    if (v->type != FLAT_INTEGER)
        return wrong_type(e, prefix, key, "an integer", v);
    long long n = v->integer;
    if (n < min || n > max) {
        char reason[128];
        snprintf(reason, sizeof reason, "expected an integer from %ld to %ld, got %lld", min, max,
                 n);
        return fail(e, prefix, key, reason);
    }
    *out = (long)n;
    return 0;
}

static int get_number(const flat_value *v, const char *prefix, const char *key, double *out,
                      input_error *e) {
    if (v->type != FLAT_INTEGER && v->type != FLAT_REAL)
        return wrong_type(e, prefix, key, "a number", v);
    *out = v->type == FLAT_INTEGER ? (double)v->integer : v->real;
    return 0;
}

/* sex and embarked follow core's rules (passenger.h), so JSON and the CSV loader accept exactly
 * the same spellings; the API also knows "other" (the /people contract does). */
static int get_sex(const flat_value *v, const char *prefix, const char *key, int8_t *out,
                   input_error *e) {
    if (v->type != FLAT_STRING)
        return wrong_type(e, prefix, key, "a string", v);
    char reason[200];
    if (passenger_parse_sex(v->text, v->len, 1, out, reason, sizeof reason) != 0)
        return fail(e, prefix, key, reason);
    return 0;
}

static int get_text(const flat_value *v, const char *prefix, const char *key, size_t max, char *dst,
                    input_error *e) {
    if (v->type != FLAT_STRING)
        return wrong_type(e, prefix, key, "a string", v);
    char reason[200];
    if (passenger_parse_text(v->text, v->len, max, dst, reason, sizeof reason) != 0)
        return fail(e, prefix, key, reason);
    return 0;
}

static int get_embarked(const flat_value *v, const char *prefix, const char *key, char *out,
                        input_error *e) {
    if (v->type == FLAT_STRING && v->len == 0)
        return 0; /* unknown, as null */
    if (v->type != FLAT_STRING)
        return wrong_type(e, prefix, key, "a string", v);
    char reason[200];
    if (passenger_parse_embarked(v->text, v->len, out, reason, sizeof reason) != 0)
        return fail(e, prefix, key, reason);
    return 0;
}

/* Sets field f of p, a passenger just initialised (passenger_init): a null leaves the field
 * unknown, except pclass and sex, which are required (and then refused with their type). */
static int set_predict_field(predict_field f, const flat_value *v, const char *prefix,
                             const char *key, passenger *p, input_error *e) {
    long n;
    char reason[128];
    if (v->type == FLAT_NULL && f != F_PCLASS && f != F_SEX)
        return 0;
    switch (f) {
    case F_PCLASS:
        if (get_int(v, prefix, key, 1, 3, &n, e) != 0)
            return -1;
        p->pclass = (int8_t)n;
        return 0;
    case F_SEX:
        return get_sex(v, prefix, key, &p->sex, e);
    case F_AGE:
        if (get_number(v, prefix, key, &p->age, e) != 0)
            return -1;
        return passenger_check_age(p->age, reason, sizeof reason) ? fail(e, prefix, key, reason)
                                                                  : 0;
    case F_FARE:
        if (get_number(v, prefix, key, &p->fare, e) != 0)
            return -1;
        return passenger_check_fare(p->fare, reason, sizeof reason) ? fail(e, prefix, key, reason)
                                                                    : 0;
    case F_SIBSP:
    case F_PARCH:
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

#define PREDICT_KEY_COUNT (sizeof predict_keys / sizeof predict_keys[0])

static int predict_key_index(const char *key, size_t len) {
    for (size_t i = 0; i < PREDICT_KEY_COUNT; i++) {
        if (strlen(predict_keys[i].key) == len && memcmp(key, predict_keys[i].key, len) == 0)
            return (int)i;
    }
    return -1;
}

int passenger_set_predict_field(const char *key, json_t *value, const char *prefix, passenger *p,
                                input_error *e) {
    int i = predict_key_index(key, strlen(key));
    if (i < 0)
        return fail(e, prefix, key, "unknown field");
    flat_value v = flat_of(value);
    return set_predict_field(predict_keys[i].field, &v, prefix, key, p, e);
}

/* One /predict object being read, pair by pair, by jansson's path or the fast one. */
typedef struct {
    passenger *p;
    const char *prefix;
    input_error *e;
    unsigned char key_seen[PREDICT_KEY_COUNT];
    int field_seen[F_COUNT];
} predict_reader;

static void predict_begin(predict_reader *f, passenger *p, const char *prefix, input_error *e) {
    *f = (predict_reader){.p = p, .prefix = prefix, .e = e};
    passenger_init(p);
    p->pclass = 0;
    p->sex = -1;
}

/* One pair (key: len bytes, not NUL-terminated from the scanner); 0, or -1 with f->e set: an
 * unknown or repeated key, a field in two spellings, a value set_predict_field refuses. */
static int predict_pair(predict_reader *f, const char *key, size_t len, const flat_value *v) {
    int i = predict_key_index(key, len);
    if (i < 0) {
        char quoted[80];
        snprintf(quoted, sizeof quoted, "%.*s", (int)(len < 60 ? len : 60), key);
        return fail(f->e, f->prefix, quoted, "unknown field");
    }
    predict_field field = predict_keys[i].field;
    if (f->key_seen[i]++ || (field != F_IGNORED && f->field_seen[field]++))
        return fail(f->e, f->prefix, predict_keys[i].key, "given twice (in two spellings)");
    return set_predict_field(field, v, f->prefix, predict_keys[i].key, f->p, f->e);
}

static int predict_end(const predict_reader *f) {
    if (!f->field_seen[F_PCLASS])
        return fail(f->e, f->prefix, "pclass", "required");
    if (!f->field_seen[F_SEX])
        return fail(f->e, f->prefix, "sex", "required");
    return 0;
}

int passenger_from_predict_json(json_t *obj, const char *prefix, passenger *p, input_error *e) {
    predict_reader f;
    predict_begin(&f, p, prefix, e);
    flat_value whole = flat_of(obj);
    if (whole.type != FLAT_OBJECT)
        return wrong_type(e, prefix, "", "a passenger object", &whole);
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        flat_value v = flat_of(value);
        if (predict_pair(&f, key, strlen(key), &v) != 0)
            return -1;
    }
    return predict_end(&f);
}

/* ---- the fast path for one /predict passenger ---- */

/* Declines (0) on anything the full path would refuse, so that path words the error. */
static int take_predict_pair(void *ctx, const char *key, size_t len, const flat_value *v) {
    return predict_pair(ctx, key, len, v) == 0;
}

int passenger_from_predict_text(const char *body, size_t len, passenger *p) {
    predict_reader f;
    input_error e;
    predict_begin(&f, p, "", &e);
    return json_flat_scan(body, len, take_predict_pair, &f) && predict_end(&f) == 0;
}

/* ---- the /people contract ---- */

/* The Person fields besides uuid and survived, in the order they are checked, each set by
 * /predict's setter; all are required, and none may be null (expected: what null is not). */
static const struct {
    const char *key;
    predict_field field;
    const char *expected;
} person_keys[] = {
    {"passengerClass", F_PCLASS, "an integer"},
    {"name", F_NAME, NULL}, /* null reads as "" and is refused below as empty */
    {"sex", F_SEX, "a string"},
    {"age", F_AGE, "a number"},
    {"siblingsOrSpousesAboard", F_SIBSP, "an integer"},
    {"parentsOrChildrenAboard", F_PARCH, "an integer"},
    {"fare", F_FARE, "a number"},
};
#define PERSON_KEYS (sizeof person_keys / sizeof person_keys[0])

static int person_key_known(const char *key) {
    for (size_t i = 0; i < PERSON_KEYS; i++) {
        if (strcmp(key, person_keys[i].key) == 0)
            return 1;
    }
    return strcmp(key, "uuid") == 0 || strcmp(key, "survived") == 0;
}

int passenger_from_person_json(json_t *obj, passenger *p, input_error *e) {
    passenger_init(p);
    flat_value whole = flat_of(obj);
    if (whole.type != FLAT_OBJECT)
        return wrong_type(e, "", "", "a Person object", &whole);
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        if (!person_key_known(key))
            return fail(e, "", key, "unknown field"); /* fail() cuts a long key short */
    }
    if (!json_object_get(obj, "survived"))
        return fail(e, "", "survived", "required");
    for (size_t i = 0; i < PERSON_KEYS; i++) {
        if (!json_object_get(obj, person_keys[i].key))
            return fail(e, "", person_keys[i].key, "required");
    }
    flat_value survived = flat_of(json_object_get(obj, "survived"));
    if (survived.type != FLAT_TRUE && survived.type != FLAT_FALSE)
        return wrong_type(e, "", "survived", "a boolean", &survived);
    p->survived = survived.type == FLAT_TRUE ? 1 : 0;
    for (size_t i = 0; i < PERSON_KEYS; i++) {
        flat_value v = flat_of(json_object_get(obj, person_keys[i].key));
        if (v.type == FLAT_NULL && person_keys[i].expected)
            return wrong_type(e, "", person_keys[i].key, person_keys[i].expected, &v);
        if (set_predict_field(person_keys[i].field, &v, "", person_keys[i].key, p, e) != 0)
            return -1;
        if (person_keys[i].field == F_NAME && p->name[0] == '\0')
            return fail(e, "", "name", "required: a non-empty string");
    }
    return 0;
}

/* A JSON string as jansson writes it without JSON_ENSURE_ASCII (UTF-8 as it is). */
static void put_string(text_out *o, const char *s) {
    *o->at++ = '"';
    out_json_escaped(o, s, (size_t)-1, 0);
    *o->at++ = '"';
}

static void put_optional_string(text_out *o, const char *s) {
    if (s[0])
        put_string(o, s);
    else
        out_str(o, "null");
}

static void put_optional_real(text_out *o, double v) {
    char text[40];
    if (isnan(v)) {
        out_str(o, "null");
        return;
    }
    http_format_real(v, text, sizeof text);
    out_str(o, text);
}

/* Keys, punctuation and numbers take under 300 bytes; strings at most 6 bytes per byte. */
static size_t json_text_bound(const passenger *p) {
    return 300 + 6 * (strlen(p->uuid) + strlen(p->name) + strlen(p->ticket) + strlen(p->cabin));
}

char *passenger_json_text(const passenger *p, size_t *len) {
    char *text = malloc(json_text_bound(p));
    if (!text)
        return NULL;
    text_out o = {text};
    out_str(&o, "{\"passenger_id\":");
    out_long(&o, p->id);
    out_str(&o, ",\"uuid\":");
    put_string(&o, p->uuid);
    out_str(&o, ",\"survived\":");
    if (p->survived < 0)
        out_str(&o, "null");
    else
        out_long(&o, p->survived);
    out_str(&o, ",\"pclass\":");
    out_long(&o, p->pclass);
    out_str(&o, ",\"name\":");
    put_string(&o, p->name);
    out_str(&o, ",\"sex\":");
    put_string(&o, passenger_sex_name(p->sex));
    out_str(&o, ",\"age\":");
    put_optional_real(&o, p->age);
    out_str(&o, ",\"sibsp\":");
    out_long(&o, p->sibsp);
    out_str(&o, ",\"parch\":");
    out_long(&o, p->parch);
    out_str(&o, ",\"ticket\":");
    put_optional_string(&o, p->ticket);
    out_str(&o, ",\"fare\":");
    put_optional_real(&o, p->fare);
    out_str(&o, ",\"cabin\":");
    put_optional_string(&o, p->cabin);
    out_str(&o, ",\"embarked\":");
    char embarked[4] = {'"', p->embarked, '"', '\0'};
    out_str(&o, p->embarked ? embarked : "null");
    out_str(&o, "}");
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
    json_object_set_new(o, "fare",
                        isnan(p->fare) ? json_null()
                                       : json_real(p->fare)); /* jansson writes 7.0, never 7 */
    return o;
}

json_t *parse_json_body(const char *body, size_t len, input_error *e) {
    json_error_t error;
    json_t *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &error);
    if (!root) {
        e->field[0] = '\0';
        snprintf(e->reason, sizeof e->reason, "malformed JSON at line %d column %d: %s", error.line,
                 error.column, error.text);
    }
    return root;
}
