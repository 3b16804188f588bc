/* Growable text buffer. See strbuf.h. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int strbuf_printf(strbuf *b, const char *fmt, ...) {
    if (b->failed)
        return -1;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->buf ? b->cap - b->len : 0;
        int n = vsnprintf(b->buf ? b->buf + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return -1;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return 0;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->failed = 1;
            return -1;
        }
        b->buf = nb;
        b->cap = cap;
    }
}

int strbuf_html(strbuf *b, const char *text) {
    for (const char *s = text; *s; s++) {
        int rc;
        switch (*s) {
        case '&':
            rc = strbuf_printf(b, "&amp;");
            break;
        case '<':
            rc = strbuf_printf(b, "&lt;");
            break;
        case '>':
            rc = strbuf_printf(b, "&gt;");
            break;
        case '"':
            rc = strbuf_printf(b, "&quot;");
            break;
        default:
            rc = strbuf_printf(b, "%c", *s);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

char *strbuf_take(strbuf *b) {
    char *out = b->failed ? NULL : b->buf;
    if (b->failed)
        free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
    return out;
}

void strbuf_free(strbuf *b) {
    free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}
