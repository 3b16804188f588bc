/* PostgreSQL binary COPY writers. See copy_binary.h. */
#include "copy_binary.h"

#include <string.h>

static void put_u16(char **at, uint16_t v) {
    (*at)[0] = (char)(v >> 8);
    (*at)[1] = (char)v;
    *at += 2;
}

static void put_u32(char **at, uint32_t v) {
    for (int i = 0; i < 4; i++)
        (*at)[i] = (char)(v >> (24 - 8 * i));
    *at += 4;
}

void copy_binary_header(char **at) {
    static const char signature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', 0};
    memcpy(*at, signature, sizeof signature);
    *at += sizeof signature;
    put_u32(at, 0); /* flags: no OIDs */
    put_u32(at, 0); /* no header extension */
}

void copy_binary_trailer(char **at) {
    put_u16(at, 0xFFFF);
}

void copy_binary_tuple(char **at, int fields) {
    put_u16(at, (uint16_t)fields);
}

void copy_binary_null(char **at) {
    put_u32(at, 0xFFFFFFFFu);
}

void copy_binary_int2(char **at, int value) {
    put_u32(at, 2);
    put_u16(at, (uint16_t)(int16_t)value);
}

void copy_binary_int4(char **at, int32_t value) {
    put_u32(at, 4);
    put_u32(at, (uint32_t)value);
}

void copy_binary_int8(char **at, int64_t value) {
    put_u32(at, 8);
    put_u32(at, (uint32_t)((uint64_t)value >> 32));
    put_u32(at, (uint32_t)value);
}

void copy_binary_float8(char **at, double value) {
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    copy_binary_int8(at, (int64_t)bits); /* the same length and byte order as an int8 */
}

void copy_binary_bytes(char **at, const void *data, size_t len) {
    put_u32(at, (uint32_t)len);
    memcpy(*at, data, len);
    *at += len;
}

/* Value of up to four decimal digits text[from, to), padded on the right with zeros to four
 * digits when pad is set (fraction groups). */
static int group_value(const char *text, size_t from, size_t to, int pad) {
    int v = 0;
    size_t n = 0;
    for (size_t i = from; i < to; i++, n++)
        v = v * 10 + (text[i] - '0');
    while (pad && n++ < 4)
        v *= 10;
    return v;
}

/* Numeric on the wire: ndigits, weight (of the first digit, in base-10000 places), sign,
 * display scale, then the base-10000 digits without leading or trailing zero groups. */
int copy_binary_numeric(char **at, const char *text, size_t len) {
    size_t point = passenger_decimal_point(text, len);
    if (point == 0)
        return -1;
    size_t frac_digits = point < len ? len - point - 1 : 0;
    int groups[6], weights[6], n = 0;
    size_t int_groups = (point + 3) / 4;
    size_t first = point - (int_groups - 1) * 4; /* length of the leading, short group */
    for (size_t g = 0, from = 0; g < int_groups; g++) {
        size_t to = g == 0 ? first : from + 4;
        groups[n] = group_value(text, from, to, 0);
        weights[n++] = (int)(int_groups - 1 - g);
        from = to;
    }
    for (size_t from = point + 1, w = 1; from < len; from += 4, w++) {
        size_t to = from + 4 < len ? from + 4 : len;
        groups[n] = group_value(text, from, to, 1);
        weights[n++] = -(int)w;
    }
    int lo = 0, hi = n - 1;
    while (lo <= hi && groups[lo] == 0)
        lo++;
    while (hi >= lo && groups[hi] == 0)
        hi--;
    int ndigits = hi >= lo ? hi - lo + 1 : 0;
    put_u32(at, (uint32_t)(8 + 2 * ndigits));
    put_u16(at, (uint16_t)ndigits);
    put_u16(at, (uint16_t)(int16_t)(ndigits ? weights[lo] : 0));
    put_u16(at, 0x0000); /* positive: validation admits no sign */
    put_u16(at, (uint16_t)frac_digits);
    for (int i = lo; i <= hi; i++)
        put_u16(at, (uint16_t)groups[i]);
    return 0;
}
