/* Text that may be stored: the one gate every string from outside passes before the database.
 *
 * PostgreSQL text in a UTF-8 database cannot hold NUL bytes or invalid UTF-8, and a COPY stream
 * gives meaning to tabs, newlines and backslashes. Instead of guessing, we accept exactly: valid
 * UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF), no control characters other
 * than TAB, at most max_bytes bytes. Anything else is refused with a reason naming the byte. */
#ifndef TITANIC_TEXT_H
#define TITANIC_TEXT_H

#include "errors.h"

#include <stddef.h>

/* Returns 0 when text[0..len) may be stored; otherwise -1 and a reason such as
 * "invalid UTF-8 at byte 7" in reason. */
int text_validate(const char *text, size_t len, size_t max_bytes, char *reason,
                  size_t reasonlen) TITANIC_MUST_CHECK;

/* Writes src as a short, printable quotation for an error message: valid UTF-8 is kept, any other
 * byte or control character becomes \xNN, and the result is cut at about max_bytes with "...". */
void text_quote_for_message(char *dst, size_t dstlen, const char *src, size_t len,
                            size_t max_bytes);

#endif
