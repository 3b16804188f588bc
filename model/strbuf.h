/* A growable text buffer for building SQL array literals and the HTML report. */
#ifndef TITANIC_STRBUF_H
#define TITANIC_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
    char *buf; /* NUL-terminated once anything was appended; NULL before */
    size_t len, cap;
    int failed; /* set when an append ran out of memory; later appends do nothing */
} strbuf;

/* Appends printf-formatted text. Returns 0, or -1 (and sets failed) when out of memory. */
int strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends text with &, <, >, " escaped for HTML. */
int strbuf_html(strbuf *b, const char *text);
/* Hands the text over (caller frees); NULL when an append failed. Resets b. */
char *strbuf_take(strbuf *b);
void strbuf_free(strbuf *b);

#endif
