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

/* At most max bytes of s as the inside of a JSON string, as jansson writes it: quote, backslash
 * and control characters escaped, everything else as it is; with ascii_only every byte above
 * 0x7E escaped too (\u00XX), so that client-sent bytes (a path, a method) can neither end the
 * string nor put invalid UTF-8 in a log line. At most 6 bytes out per byte in. */
static inline void out_json_escaped(text_out *o, const char *s, size_t max, int ascii_only) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *escape = c == '"'    ? "\\\""
                             : c == '\\' ? "\\\\"
                             : c == '\b' ? "\\b"
                             : c == '\f' ? "\\f"
                             : c == '\n' ? "\\n"
                             : c == '\r' ? "\\r"
                             : c == '\t' ? "\\t"
                                         : NULL;
        if (escape) {
            out_str(o, escape);
        } else if (c < 0x20 || (ascii_only && c > 0x7E)) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            out_bytes(o, u, sizeof u);
        } else {
            *o->at++ = (char)c;
        }
    }
}

#endif
