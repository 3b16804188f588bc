/* A fast path for the common request body: one flat JSON object whose values are numbers, plain
 * strings (printable ASCII, no escapes), true, false or null — a /predict passenger as apps send
 * it — read pair by pair without building a JSON tree (jansson's general lexer and tree were
 * half of a /predict request's cost). Anything else — nesting, escapes, non-ASCII, huge numbers,
 * malformed text — is declined, and the caller parses with jansson itself, which also words the
 * errors. The unit test and the fuzz target check the two agree. */
#ifndef TITANIC_JSON_FLAT_H
#define TITANIC_JSON_FLAT_H

#include <stddef.h>

/* One value of a flat object as the scanner read it (and as a jansson value can be described,
 * so that code checking values serves both paths: passenger_json.c). */
typedef enum {
    FLAT_NULL,
    FLAT_TRUE,
    FLAT_FALSE,
    FLAT_INTEGER,
    FLAT_REAL,
    FLAT_STRING,
    FLAT_ARRAY, /* only from jansson: never in the fast subset */
    FLAT_OBJECT
} flat_type;

typedef struct {
    flat_type type;
    const char *text; /* FLAT_STRING: its bytes (not NUL-terminated from the scanner) */
    size_t len;
    long long integer; /* FLAT_INTEGER */
    double real;       /* FLAT_REAL */
} flat_value;

/* Called for each pair in order; returns 1 to go on, 0 to stop the scan. */
typedef int (*flat_visit)(void *ctx, const char *key, size_t key_len, const flat_value *v);

/* Reads text as one flat object in the fast subset above, calling visit for each pair without
 * building anything. 1 when all of it was read and every visit returned 1, else 0 (then the
 * caller falls back to jansson). Duplicate keys are the visitor's to notice. */
int json_flat_scan(const char *text, size_t len, flat_visit visit, void *ctx);

#endif
