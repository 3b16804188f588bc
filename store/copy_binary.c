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

/* Numeric on the wire: ndigits, weight (of the first digit, in base-10000 places), sign,
 * display scale, then the base-10000 digits without leading or trailing zero groups. */
int copy_binary_numeric(char **at, const char *text, size_t len) {
    size_t point = 0;
    while (point < len && text[point] != '.')
        point++;
    size_t frac_digits = point < len ? len - point - 1 : 0, lead = (4 - point % 4) % 4;
    if (point == 0 || point > PASSENGER_DECIMAL_INT_DIGITS || (point < len && frac_digits == 0) ||
        frac_digits > PASSENGER_DECIMAL_FRAC_DIGITS)
        return -1;
    /* The digits in groups of four counted from the point, zeros filling the first and the last
     * group: 3 + 7 + 6 digits at most, four groups. */
    int groups[4] = {0}, pos = (int)lead, int_groups = (int)(lead + point) / 4;
    for (size_t i = 0; i < len; i++) {
        if (i == point)
            continue;
        if (text[i] < '0' || text[i] > '9')
            return -1;
        groups[pos / 4] = groups[pos / 4] * 10 + (text[i] - '0');
        pos++;
    }
    for (; pos % 4; pos++)
        groups[pos / 4] *= 10;
    int lo = 0, hi = pos / 4 - 1;
    while (lo <= hi && groups[lo] == 0)
        lo++;
    while (hi >= lo && groups[hi] == 0)
        hi--;
    int ndigits = hi >= lo ? hi - lo + 1 : 0;
    put_u32(at, (uint32_t)(8 + 2 * ndigits));
    put_u16(at, (uint16_t)ndigits);
    put_u16(at, (uint16_t)(int16_t)(ndigits ? int_groups - 1 - lo : 0));
    put_u16(at, 0x0000); /* positive: validation admits no sign */
    put_u16(at, (uint16_t)frac_digits);
    for (int i = lo; i <= hi; i++)
        put_u16(at, (uint16_t)groups[i]);
    return 0;
}
