/* Fast reader for flat JSON objects. See json_flat.h. */
#include "json_flat.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64
#define NUMBER_MAX 40

typedef struct {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int take(cursor *c, char expected) {
    skip_space(c);
    if (c->p < c->end && *c->p == expected) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A string of printable ASCII without escapes: its bytes in [*start, *start + *len). */
static int plain_string(cursor *c, const char **start, size_t *len) {
    if (!take(c, '"'))
        return 0;
    *start = c->p;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20 || ch > 0x7E || ch == '\\')
            return 0;
        c->p++;
    }
    if (c->p == c->end)
        return 0;
    *len = (size_t)(c->p - *start);
    c->p++;
    return 1;
}

static int digits(cursor *c) {
    const char *from = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > from;
}

/* A JSON number, as jansson makes it: an integer when there is no fraction or exponent. */
static int number(cursor *c, flat_value *v) {
    const char *start = c->p;
    int real = 0;
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (!digits(c))
        return 0;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        real = 1;
        if (!digits(c))
            return 0;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        real = 1;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!digits(c))
            return 0;
    }
    size_t len = (size_t)(c->p - start);
    if (len >= NUMBER_MAX || (!real && len > 18)) /* leave overflow to jansson's errors */
        return 0;
    char text[NUMBER_MAX];
    memcpy(text, start, len);
    text[len] = '\0';
    if (!real) {
        v->type = FLAT_INTEGER;
        v->integer = strtoll(text, NULL, 10);
        return 1;
    }
    errno = 0;
    v->type = FLAT_REAL;
    v->real = strtod(text, NULL);
    return !(errno == ERANGE && isinf(v->real));
}

static int literal(cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

static int value(cursor *c, flat_value *v) {
    skip_space(c);
    if (c->p == c->end)
        return 0;
    switch (*c->p) {
    case '"':
        v->type = FLAT_STRING;
        return plain_string(c, &v->text, &v->len);
    case 't':
        v->type = FLAT_TRUE;
        return literal(c, "true");
    case 'f':
        v->type = FLAT_FALSE;
        return literal(c, "false");
    case 'n':
        v->type = FLAT_NULL;
        return literal(c, "null");
    default:
        return number(c, v);
    }
}

/* One "key": value pair, handed to visit; 0 when the text is outside the fast subset. */
static int pair(cursor *c, flat_visit visit, void *ctx) {
    const char *key;
    size_t key_len;
    flat_value v = {FLAT_NULL, NULL, 0, 0, 0.0};
    if (!plain_string(c, &key, &key_len) || key_len > KEY_MAX || !take(c, ':'))
        return 0;
    return value(c, &v) && visit(ctx, key, key_len, &v);
}

int json_flat_scan(const char *text, size_t len, flat_visit visit, void *ctx) {
    if (!text) /* an empty body: NULL + 0 would be undefined behaviour */
        return 0;
    cursor c = {text, text + len};
    if (!take(&c, '{'))
        return 0;
    int ok = 1;
    if (!take(&c, '}')) {
        do {
            ok = pair(&c, visit, ctx);
        } while (ok && take(&c, ','));
        ok = ok && take(&c, '}');
    }
    skip_space(&c);
    return ok && c.p == c.end;
}
