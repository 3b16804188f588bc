/* The after= cursor of GET /passengers as clients see it: for the default sort the last id
 * itself (after=123), for other sorts an opaque token, base64url of "[-]column:id:v:value" (or
 * "n:" for a NULL value), so a client passes it back unchanged and a cursor made for one sort is
 * refused under another. The position itself is the store's passenger_cursor. */
#ifndef TITANIC_PASSENGER_CURSOR_H
#define TITANIC_PASSENGER_CURSOR_H

#include "passengers_store.h"

#include <stddef.h>

/* Room for any token and its NUL: base64 of the longest plain form. */
#define PASSENGER_CURSOR_TOKEN_MAX ((32 + PASSENGER_NAME_MAX + 2) / 3 * 4 + 1)

/* Writes the token of c for sort into out (at least PASSENGER_CURSOR_TOKEN_MAX bytes). */
void passenger_cursor_encode(passenger_sort sort, int descending, const passenger_cursor *c,
                             char *out);

/* Reads a token made for sort and direction into out; -1 when it is not one (malformed, made
 * for another sort, or a value the column cannot hold). */
int passenger_cursor_decode(const char *token, passenger_sort sort, int descending,
                            passenger_cursor *out);

#endif
