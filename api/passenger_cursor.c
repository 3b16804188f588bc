/* Cursor tokens for GET /passengers. See passenger_cursor.h. */
#include "passenger_cursor.h"

#include "base64url.h"

#include <stdio.h>
#include <string.h>

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
    base64url_encode((const unsigned char *)plain,
                     n < (int)sizeof plain ? (size_t)n : sizeof plain - 1, out);
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
    size_t length = strlen(token);
    long n = length < PASSENGER_CURSOR_TOKEN_MAX
                 ? base64url_decode(token, length, (unsigned char *)plain, sizeof plain - 1)
                 : -1;
    if (n < 0 || memchr(plain, '\0', (size_t)n))
        return -1; /* not base64url, too long, or a NUL inside the text */
    plain[n] = '\0';
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
