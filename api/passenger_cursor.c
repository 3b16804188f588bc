/* Cursor tokens for GET /passengers. See passenger_cursor.h. */
#include "passenger_cursor.h"

#include <stdio.h>
#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Unpadded base64url of n bytes; out holds 4 * ceil(n / 3) + 1 bytes. */
static void b64_encode(const unsigned char *in, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0u) |
                     (i + 2 < n ? in[i + 2] : 0u);
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = B64[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = B64[v & 63];
    }
    out[o] = '\0';
}

static int b64_digit(char c) {
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Decodes unpadded base64url into out (len bytes, NUL-terminated text); -1 on a character
 * outside the alphabet, an impossible length, too long an input, or a NUL inside. */
static int b64_decode(const char *in, char *out, size_t len) {
    size_t n = strlen(in), o = 0;
    if (n % 4 == 1 || n / 4 * 3 + 3 >= len)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        unsigned v = 0;
        size_t k;
        for (k = 0; k < 4 && i + k < n; k++) {
            int d = b64_digit(in[i + k]);
            if (d < 0)
                return -1;
            v |= (unsigned)d << (18 - 6 * k);
        }
        out[o++] = (char)(v >> 16 & 255);
        if (k > 2)
            out[o++] = (char)(v >> 8 & 255);
        if (k > 3)
            out[o++] = (char)(v & 255);
    }
    out[o] = '\0';
    return memchr(out, '\0', o) ? -1 : 0;
}

void passenger_cursor_encode(passenger_sort sort, int descending, const passenger_cursor *c,
                             char *out) {
    if (sort == PASSENGER_SORT_ID) {
        snprintf(out, PASSENGER_CURSOR_TOKEN_MAX, "%d", (int)c->id);
        return;
    }
    char plain[32 + PASSENGER_NAME_MAX + 1];
    int n = snprintf(plain, sizeof plain, "%s%s:%d:%s:%s", descending ? "-" : "",
                     passenger_sort_name(sort), (int)c->id, c->value_is_null ? "n" : "v",
                     c->value_is_null ? "" : c->value);
    /* The value is at most a name (PASSENGER_NAME_MAX); the rest is under 32 bytes. */
    b64_encode((const unsigned char *)plain, n < (int)sizeof plain ? (size_t)n : sizeof plain - 1,
               out);
}

int passenger_cursor_decode(const char *token, passenger_sort sort, int descending,
                            passenger_cursor *out) {
    char reason[160];
    memset(out, 0, sizeof *out);
    if (sort == PASSENGER_SORT_ID) {
        if (passenger_parse_id(token, strlen(token), &out->id, reason, sizeof reason) != 0)
            return -1;
        out->present = 1;
        return 0;
    }
    char plain[PASSENGER_CURSOR_TOKEN_MAX], expect[32];
    if (strlen(token) >= PASSENGER_CURSOR_TOKEN_MAX || b64_decode(token, plain, sizeof plain))
        return -1;
    snprintf(expect, sizeof expect, "%s%s:", descending ? "-" : "", passenger_sort_name(sort));
    if (strncmp(plain, expect, strlen(expect)) != 0)
        return -1; /* made for another sort or direction */
    char *id = plain + strlen(expect), *colon = strchr(id, ':');
    if (!colon || (colon[1] != 'n' && colon[1] != 'v') || colon[2] != ':' ||
        passenger_parse_id(id, (size_t)(colon - id), &out->id, reason, sizeof reason) != 0 ||
        strlen(colon + 3) > PASSENGER_NAME_MAX)
        return -1;
    out->value_is_null = colon[1] == 'n';
    snprintf(out->value, sizeof out->value, "%s", colon + 3);
    out->present = 1;
    return passenger_cursor_check(sort, out);
}
