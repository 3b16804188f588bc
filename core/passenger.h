/* The passenger record shared by the ETL, the model and the API, with the one set of rules for
 * what a valid passenger is (ranges, lengths, text), so the CSV loader and the HTTP API can never
 * disagree about what may be stored or predicted. */
#ifndef TITANIC_PASSENGER_H
#define TITANIC_PASSENGER_H

#include <stddef.h>
#include <stdint.h>

#define PASSENGER_NAME_MAX 256  /* bytes; the longest real name is under 100 */
#define PASSENGER_TICKET_MAX 64 /* bytes */
#define PASSENGER_CABIN_MAX 64  /* bytes; "C23 C25 C27" is typical */
#define PASSENGER_AGE_MAX 120.0 /* years; fractions allowed (infants) */
#define PASSENGER_FAMILY_MAX 50 /* sibsp and parch each */
#define PASSENGER_FARE_MAX 100000.0
#define PASSENGER_ID_MAX 2147483647L
/* Ages and fares are plain decimals: at most this many digits before and after the point, which
 * PostgreSQL's numeric reads back as exactly the same value. */
#define PASSENGER_DECIMAL_INT_DIGITS 7
#define PASSENGER_DECIMAL_FRAC_DIGITS 6

typedef enum { SEX_MALE = 0, SEX_FEMALE = 1, SEX_OTHER = 2 } passenger_sex;

typedef struct passenger {
    int32_t id;      /* > 0; 0 when not assigned yet */
    int8_t survived; /* 1, 0, or -1 when unknown */
    int8_t pclass;   /* 1..3 */
    int8_t sex;      /* passenger_sex */
    char embarked;   /* 'C', 'Q', 'S', or '\0' when unknown */
    int16_t sibsp;   /* siblings and spouses aboard */
    int16_t parch;   /* parents and children aboard */
    double age;      /* NAN when unknown */
    double fare;     /* NAN when unknown */
    char name[PASSENGER_NAME_MAX + 1];
    char ticket[PASSENGER_TICKET_MAX + 1]; /* "" when unknown */
    char cabin[PASSENGER_CABIN_MAX + 1];   /* "" when unknown */
    char uuid[37];                         /* "" until stored */
} passenger;

/* A passenger with every optional field unknown (survived -1, age/fare NAN, texts ""). */
void passenger_init(passenger *p);

/* 1 when a and b hold the same passenger: every field alike, an unknown age or fare equal to
 * an unknown one (NAN), the id and uuid not compared (where it was stored is not what it is). */
int passenger_same(const passenger *a, const passenger *b);

const char *passenger_sex_name(int sex);

/* Field parsers for text input (CSV cells, query strings). Each takes the exact bytes, stores the
 * value and returns 0, or returns -1 with a reason that quotes the bad value. Empty input is the
 * caller's business (unknown, or missing); these see non-empty text. */
int passenger_parse_id(const char *text, size_t len, int32_t *out, char *reason, size_t rlen);
int passenger_parse_survived(const char *text, size_t len, int8_t *out, char *reason, size_t rlen);
int passenger_parse_pclass(const char *text, size_t len, int8_t *out, char *reason, size_t rlen);
/* allow_other: the /people contract also knows "other"; the Kaggle files do not. */
int passenger_parse_sex(const char *text, size_t len, int allow_other, int8_t *out, char *reason,
                        size_t rlen);
int passenger_parse_age(const char *text, size_t len, double *out, char *reason, size_t rlen);
int passenger_parse_family(const char *text, size_t len, int16_t *out, char *reason, size_t rlen);
int passenger_parse_fare(const char *text, size_t len, double *out, char *reason, size_t rlen);
int passenger_parse_embarked(const char *text, size_t len, char *out, char *reason, size_t rlen);
/* Copies validated text (see text.h) of at most max bytes into dst (size max + 1). */
int passenger_parse_text(const char *text, size_t len, size_t max, char *dst, char *reason,
                         size_t rlen);

/* Range checks for values that arrive already typed (JSON numbers): same limits as the parsers. */
int passenger_check_age(double age, char *reason, size_t rlen);
int passenger_check_fare(double fare, char *reason, size_t rlen);

/* The stable UUID of a passenger id, an RFC 9562 version 8 UUID: the first 8 hex digits are the
 * id, the rest a fixed mix of it. Reloading the same ids into a fresh database gives the same
 * UUIDs, and a UUID leads back to its id without a second index. */
void passenger_uuid_for_id(int32_t id, char out[37]);
/* The same UUID as its 16 bytes (binary COPY sends it so). */
void passenger_uuid_bytes(int32_t id, unsigned char out[16]);

/* The id a UUID names: 0 and *id set when text is exactly passenger_uuid_for_id(*id) (any case),
 * -1 for anything else (malformed, or a well-formed UUID no passenger can have). */
int passenger_id_from_uuid(const char *text, int32_t *id);

#endif
