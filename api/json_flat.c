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
static json_t *number(cursor *c) {
    const char *start = c->p;
    int real = 0;
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (!digits(c))
        return NULL;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        real = 1;
        if (!digits(c))
            return NULL;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        real = 1;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!digits(c))
            return NULL;
    }
    size_t len = (size_t)(c->p - start);
    if (len >= NUMBER_MAX || (!real && len > 18)) /* leave overflow to jansson's errors */
        return NULL;
    char text[NUMBER_MAX];
    memcpy(text, start, len);
    text[len] = '\0';
    if (!real)
        return json_integer(strtoll(text, NULL, 10));
    errno = 0;
    double value = strtod(text, NULL);
    if (errno == ERANGE && isinf(value))
        return NULL;
    return json_real(value);
}

static int literal(cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

static json_t *value(cursor *c) {
    skip_space(c);
    if (c->p == c->end)
        return NULL;
    const char *s;
    size_t len;
    switch (*c->p) {
    case '"':
        /* Printable ASCII is valid UTF-8: jansson's check would only repeat ours. */
        return plain_string(c, &s, &len) ? json_stringn_nocheck(s, len) : NULL;
    case 't':
        return literal(c, "true") ? json_true() : NULL;
    case 'f':
        return literal(c, "false") ? json_false() : NULL;
    case 'n':
        return literal(c, "null") ? json_null() : NULL;
    default:
        return number(c);
    }
}

/* One "key": value pair into obj; 0 when the text is outside the fast subset. */
static int pair(cursor *c, json_t *obj) {
    const char *key;
    size_t key_len;
    if (!plain_string(c, &key, &key_len) || key_len > KEY_MAX || !take(c, ':'))
        return 0;
    if (json_object_getn(obj, key, key_len)) /* a duplicate: jansson refuses it, with words */
        return 0;
    json_t *v = value(c);
    return v && json_object_setn_new_nocheck(obj, key, key_len, v) == 0;
}

json_t *json_flat_object(const char *text, size_t len) {
    if (!text) /* an empty body: NULL + 0 would be undefined behaviour */
        return NULL;
    cursor c = {text, text + len};
    if (!take(&c, '{'))
        return NULL;
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    int ok = 1;
    if (!take(&c, '}')) {
        do {
            ok = pair(&c, obj);
        } while (ok && take(&c, ','));
        ok = ok && take(&c, '}');
    }
    skip_space(&c);
    if (!ok || c.p != c.end) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}
