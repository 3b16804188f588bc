/* A fast path for the common request body: one flat JSON object whose values are numbers, plain
 * strings (printable ASCII, no escapes), true, false or null — a /predict passenger as apps send
 * it. It builds exactly the jansson value json_loadb would, in a fraction of the time (jansson's
 * general lexer was half of a /predict request's cost). Anything else — nesting, escapes,
 * non-ASCII, duplicate keys, huge numbers, malformed text — returns NULL, and the caller parses
 * with jansson itself, which also words the errors. The fuzz target checks the two agree. */
#ifndef TITANIC_JSON_FLAT_H
#define TITANIC_JSON_FLAT_H

#include <jansson.h>
#include <stddef.h>

json_t *json_flat_object(const char *text, size_t len);

#endif
