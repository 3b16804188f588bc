/* Unpadded base64url. See base64url.h. */
#include "base64url.h"

#include <stdint.h>
#include <string.h>

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64url_encode(const unsigned char *in, size_t n, char *out) {
    size_t o = 0;
    uint32_t bits = 0; /* the bits not yet written, in the low `pending` bits */
    int pending = 0;
    for (size_t i = 0; i < n; i++) {
        bits = bits << 8 | in[i];
        pending += 8;
        while (pending >= 6) {
            pending -= 6;
            out[o++] = ALPHABET[(bits >> pending) & 63];
        }
    }
    if (pending > 0)
        out[o++] = ALPHABET[(bits << (6 - pending)) & 63];
    out[o] = '\0';
    return o;
}

long base64url_decode(const char *text, size_t n, unsigned char *out, size_t cap) {
    /* Every 4 characters are 3 bytes; a tail of 2 or 3 characters is 1 or 2 bytes, of 1 none. */
    if (n % 4 == 1 || n / 4 * 3 + n % 4 * 3 / 4 > cap)
        return -1;
    size_t o = 0;
    uint32_t bits = 0;
    int pending = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = text[i] ? strchr(ALPHABET, text[i]) : NULL;
        if (!p)
            return -1;
        bits = bits << 6 | (uint32_t)(p - ALPHABET);
        pending += 6;
        if (pending >= 8) {
            pending -= 8;
            out[o++] = (unsigned char)(bits >> pending);
        }
    }
    return (long)o;
}
