/* Unpadded base64url (RFC 4648 section 5): the one encoding for bytes that travel in URLs,
 * headers and JSON without escaping (API keys, GET /passengers cursor tokens). */
#ifndef TITANIC_BASE64URL_H
#define TITANIC_BASE64URL_H

#include <stddef.h>

/* Characters the encoding of n bytes takes (add 1 for the NUL). */
#define BASE64URL_LEN(n) (((n)*4 + 2) / 3)

/* Writes the encoding of in (n bytes) and a NUL into out (BASE64URL_LEN(n) + 1 bytes); returns
 * its length. */
size_t base64url_encode(const unsigned char *in, size_t n, char *out);

/* Decodes text (n characters, no padding) into out (cap bytes); returns the byte count, or -1
 * for a character outside the alphabet, a length no encoding has, or more than cap bytes. */
long base64url_decode(const char *text, size_t n, unsigned char *out, size_t cap);

#endif
