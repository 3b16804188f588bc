/* Passenger record: validation rules, stable UUIDs, and conversion from query results. */
#include "passenger.h"

#include "splitmix.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void passenger_init(passenger *p) {
    memset(p, 0, sizeof *p);
    p->survived = -1;
    p->age = NAN;
    p->fare = NAN;
}

static int same_real(double a, double b) {
    return a == b || (isnan(a) && isnan(b));
}

int passenger_same(const passenger *a, const passenger *b) {
    return a->pclass == b->pclass && a->sex == b->sex && a->sibsp == b->sibsp &&
           a->parch == b->parch && a->embarked == b->embarked && a->survived == b->survived &&
           same_real(a->age, b->age) && same_real(a->fare, b->fare) &&
           strcmp(a->name, b->name) == 0 && strcmp(a->ticket, b->ticket) == 0 &&
           strcmp(a->cabin, b->cabin) == 0;
}

const char *passenger_sex_name(int sex) {
    switch (sex) {
    case SEX_MALE:
        return "male";
    case SEX_FEMALE:
        return "female";
    default:
        return "other";
    }
}

static int refuse(char *reason, size_t rlen, const char *expected, const char *text, size_t len) {
    char quoted[96];
    text_quote_for_message(quoted, sizeof quoted, text, len, 40);
    snprintf(reason, rlen, "expected %s, got \"%s\"", expected, quoted);
    return -1;
}

/* Digits only, at most max_digits of them, value returned in *out. */
static int parse_digits(const char *text, size_t len, size_t max_digits, long *out) {
    if (len == 0 || len > max_digits)
        return -1;
    long value = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        value = value * 10 + (text[i] - '0');
    }
    *out = value;
    return 0;
}

/* A plain decimal of at most max: 1 to PASSENGER_DECIMAL_INT_DIGITS digits, optionally '.' and 1
 * to PASSENGER_DECIMAL_FRAC_DIGITS digits. No sign, exponent, inf or nan: exactly what
 * PostgreSQL's numeric reads back as the same value. Else -1 with a reason saying what was
 * expected. */
static int parse_decimal_up_to(const char *text, size_t len, double max, const char *expected,
                               double *out, char *reason, size_t rlen) {
    size_t i = 0, int_digits = 0, frac_digits = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9') {
        i++;
        int_digits++;
    }
    if (i < len && text[i] == '.') {
        i++;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            i++;
            frac_digits++;
        }
        if (frac_digits == 0)
            return refuse(reason, rlen, expected, text, len);
    }
    if (i != len || int_digits == 0 || int_digits > PASSENGER_DECIMAL_INT_DIGITS ||
        frac_digits > PASSENGER_DECIMAL_FRAC_DIGITS)
        return refuse(reason, rlen, expected, text, len);
    char buf[16]; /* the longest plain decimal has 7 + 1 + 6 bytes */
    memcpy(buf, text, len);
    buf[len] = '\0';
    double value = strtod(buf, NULL);
    if (value > max)
        return refuse(reason, rlen, expected, text, len);
    *out = value;
    return 0;
}

int passenger_parse_id(const char *text, size_t len, int32_t *out, char *reason, size_t rlen) {
    long value;
    if (parse_digits(text, len, 10, &value) != 0 || value < 1 || value > PASSENGER_ID_MAX)
        return refuse(reason, rlen, "a positive integer id up to 2147483647", text, len);
    *out = (int32_t)value;
    return 0;
}

int passenger_parse_survived(const char *text, size_t len, int8_t *out, char *reason, size_t rlen) {
    if (len == 1 && (text[0] == '0' || text[0] == '1')) {
        *out = (int8_t)(text[0] - '0');
        return 0;
    }
    return refuse(reason, rlen, "0, 1 or empty", text, len);
}

int passenger_parse_pclass(const char *text, size_t len, int8_t *out, char *reason, size_t rlen) {
    if (len == 1 && text[0] >= '1' && text[0] <= '3') {
        *out = (int8_t)(text[0] - '0');
        return 0;
    }
    return refuse(reason, rlen, "1, 2 or 3", text, len);
}

int passenger_parse_sex(const char *text, size_t len, int allow_other, int8_t *out, char *reason,
                        size_t rlen) {
    if (len == 4 && memcmp(text, "male", 4) == 0) {
        *out = SEX_MALE;
        return 0;
    }
    if (len == 6 && memcmp(text, "female", 6) == 0) {
        *out = SEX_FEMALE;
        return 0;
    }
    if (allow_other && len == 5 && memcmp(text, "other", 5) == 0) {
        *out = SEX_OTHER;
        return 0;
    }
    return refuse(reason, rlen, allow_other ? "male, female or other" : "male or female", text,
                  len);
}

int passenger_check_age(double age, char *reason, size_t rlen) {
    if (isfinite(age) && age >= 0 && age <= PASSENGER_AGE_MAX)
        return 0;
    snprintf(reason, rlen, "expected an age from 0 to 120, got %g", age);
    return -1;
}

int passenger_check_fare(double fare, char *reason, size_t rlen) {
    if (isfinite(fare) && fare >= 0 && fare <= PASSENGER_FARE_MAX)
        return 0;
    snprintf(reason, rlen, "expected a fare from 0 to 100000, got %g", fare);
    return -1;
}

int passenger_parse_age(const char *text, size_t len, double *out, char *reason, size_t rlen) {
    return parse_decimal_up_to(text, len, PASSENGER_AGE_MAX,
                               "an age from 0 to 120 such as 28 or 0.42", out, reason, rlen);
}

int passenger_parse_fare(const char *text, size_t len, double *out, char *reason, size_t rlen) {
    return parse_decimal_up_to(text, len, PASSENGER_FARE_MAX,
                               "a fare from 0 to 100000 such as 7.25", out, reason, rlen);
}

int passenger_parse_family(const char *text, size_t len, int16_t *out, char *reason, size_t rlen) {
    long value;
    if (parse_digits(text, len, 3, &value) != 0 || value > PASSENGER_FAMILY_MAX)
        return refuse(reason, rlen, "a whole number from 0 to 50", text, len);
    *out = (int16_t)value;
    return 0;
}

int passenger_parse_embarked(const char *text, size_t len, char *out, char *reason, size_t rlen) {
    if (len == 1 && (text[0] == 'C' || text[0] == 'Q' || text[0] == 'S')) {
        *out = text[0];
        return 0;
    }
    return refuse(reason, rlen, "C, Q, S or empty", text, len);
}

int passenger_parse_text(const char *text, size_t len, size_t max, char *dst, char *reason,
                         size_t rlen) {
    if (text_validate(text, len, max, reason, rlen) != 0)
        return -1;
    memcpy(dst, text, len);
    dst[len] = '\0';
    return 0;
}

void passenger_uuid_bytes(int32_t id, unsigned char bytes[16]) {
    /* The id in the first 4 bytes; 12 bytes of a keyed mix of it after, so UUIDs of
     * neighbouring ids look unrelated. Not a secret (GET /people lists them), so a fast mix
     * serves: the ETL derives one per row. */
    uint32_t u = (uint32_t)id;
    uint64_t a = splitmix64(u ^ 0x7469746169636B21ull), b = splitmix64(a ^ 0x70617373656E6765ull);
    for (int i = 0; i < 4; i++)
        bytes[i] = (unsigned char)(u >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        bytes[4 + i] = (unsigned char)(a >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        bytes[12 + i] = (unsigned char)(b >> (56 - 8 * i));
    bytes[6] = (unsigned char)((bytes[6] & 0x0F) | 0x80); /* version 8 */
    bytes[8] = (unsigned char)((bytes[8] & 0x3F) | 0x80); /* RFC variant */
}

void passenger_uuid_for_id(int32_t id, char out[37]) {
    unsigned char bytes[16];
    passenger_uuid_bytes(id, bytes);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[bytes[i] >> 4];
        out[o++] = hex[bytes[i] & 15];
    }
    out[o] = '\0';
}

int passenger_id_from_uuid(const char *text, int32_t *id) {
    /* The first 8 hex digits are the id; the whole UUID must then be exactly that id's. */
    char head[9];
    if (strlen(text) != 36 || strspn(text, "0123456789abcdefABCDEF") < 8)
        return -1;
    memcpy(head, text, 8);
    head[8] = '\0';
    unsigned long value = strtoul(head, NULL, 16);
    if (value == 0 || value > (unsigned long)PASSENGER_ID_MAX)
        return -1;
    char expected[37];
    passenger_uuid_for_id((int32_t)value, expected);
    if (strcasecmp(text, expected) != 0)
        return -1;
    *id = (int32_t)value;
    return 0;
}
