/* Text appended into a buffer the caller sized for the worst case beforehand: the hot paths'
 * (the access log, the lookup's answer, request ids) alternative to snprintf, whose format
 * parsing cost more than the rest of their work. No bounds are checked here: each caller states
 * its bound where it sizes the buffer. */
#ifndef TITANIC_TEXT_OUT_H
#define TITANIC_TEXT_OUT_H

#include <stddef.h>
#include <string.h>

typedef struct {
    char *at; /* where the next byte goes */
} text_out;

static inline void out_bytes(text_out *o, const char *s, size_t n) {
    memcpy(o->at, s, n);
    o->at += n;
}

static inline void out_str(text_out *o, const char *s) {
    out_bytes(o, s, strlen(s));
}

/* v in decimal, at least width digits (zero-padded). */
static inline void out_long_width(text_out *o, long v, int width) {
    char digits[24], *at = digits + sizeof digits;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        *--at = (char)('0' + u % 10);
        u /= 10;
    } while (u || digits + sizeof digits - at < width);
    if (v < 0)
        *--at = '-';
    out_bytes(o, at, (size_t)(digits + sizeof digits - at));
}

static inline void out_long(text_out *o, long v) {
    out_long_width(o, v, 1);
}

/* v as 16 lowercase hex digits. */
static inline void out_hex64(text_out *o, unsigned long long v) {
    static const char hex[] = "0123456789abcdef";
    for (int shift = 60; shift >= 0; shift -= 4)
        *o->at++ = hex[(v >> shift) & 15];
}

#endif
