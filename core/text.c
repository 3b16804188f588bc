/* UTF-8 and control-character validation for text bound for PostgreSQL. See text.h. */
#include "text.h"

#include <stdio.h>
#include <string.h>

static size_t text_utf8_sequence_length(const unsigned char *s, size_t len) {
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned int min_second = 0x80, max_second = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            min_second = 0xA0; /* overlong */
        if (c == 0xED)
            max_second = 0x9F; /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            min_second = 0x90; /* overlong */
        if (c == 0xF4)
            max_second = 0x8F; /* above U+10FFFF */
    } else {
        return 0; /* continuation byte, 0xC0/0xC1 overlong lead, or 0xF5.. */
    }
    if (len < need)
        return 0;
    if (s[1] < min_second || s[1] > max_second)
        return 0;
    for (size_t i = 2; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    }
    return need;
}

int text_validate(const char *text, size_t len, size_t max_bytes, char *reason, size_t reasonlen) {
    if (len > max_bytes) {
        snprintf(reason, reasonlen, "longer than %zu bytes (%zu)", max_bytes, len);
        return -1;
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                snprintf(reason, reasonlen, "control character 0x%02X at byte %zu", c, i + 1);
                return -1;
            }
            i++;
            continue;
        }
        size_t n = text_utf8_sequence_length(s + i, len - i);
        if (n == 0) {
            snprintf(reason, reasonlen, "invalid UTF-8 at byte %zu", i + 1);
            return -1;
        }
        /* C1 controls (U+0080..U+009F) are invisible and almost always mis-decoded Latin-1. */
        if (n == 2 && c == 0xC2 && s[i + 1] < 0xA0) {
            snprintf(reason, reasonlen, "control character U+%04X at byte %zu", s[i + 1], i + 1);
            return -1;
        }
        i += n;
    }
    return 0;
}

void text_quote_for_message(char *dst, size_t dstlen, const char *src, size_t len,
                            size_t max_bytes) {
    const unsigned char *s = (const unsigned char *)src;
    size_t used = 0, i = 0;
    while (i < len && used + 8 < dstlen) {
        if (i >= max_bytes) {
            used += (size_t)snprintf(dst + used, dstlen - used, "...");
            break;
        }
        size_t n = s[i] >= 0x80 ? text_utf8_sequence_length(s + i, len - i) : 1;
        int printable = s[i] >= 0x80 ? n > 0 : (s[i] >= 0x20 && s[i] != 0x7F);
        if (!printable || n == 0) {
            used += (size_t)snprintf(dst + used, dstlen - used, "\\x%02X", s[i]);
            i++;
        } else if (used + n < dstlen) {
            memcpy(dst + used, s + i, n);
            used += n;
            i += n;
        } else {
            break;
        }
    }
    dst[used < dstlen ? used : dstlen - 1] = '\0';
}
