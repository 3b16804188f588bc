/* The trainer's reads of passengers: a binary COPY of all of them (no text to parse, no
 * result set held: one row at a time) and the counts it sizes its arrays by. Part of
 * passengers_store.h: this table's SQL lives in the store. */
#include "passengers_store.h"

#include "errors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns in the order parse_fields reads them. Numerics travel in numeric's own binary form
 * and are converted here (a cast to float8 in the query cost the server a fifth of the COPY); the
 * cabin only as whether one is recorded. */
#define COPY_HEAD                                                                                  \
    "COPY (SELECT passenger_id, survived, pclass, name, sex, age, sibsp, parch, ticket, fare, "    \
    "cabin IS NOT NULL, embarked FROM "
#define COPY_TAIL " ORDER BY passenger_id) TO STDOUT (FORMAT binary)"
#define COPY_FIELDS 12

/* Fixed statements, not a table name spliced in: [all rows]. */
static const char *const COPY_SQL[2] = {
    COPY_HEAD "passengers_etl_view" COPY_TAIL,
    COPY_HEAD "passengers" COPY_TAIL,
};

/* The wire format's big-endian integers. */
static uint16_t be16(const unsigned char *d) {
    return (uint16_t)(d[0] << 8 | d[1]);
}

static uint32_t be32(const unsigned char *d) {
    return (uint32_t)be16(d) << 16 | be16(d + 2);
}

/* A cursor over one CopyData buffer. */
typedef struct reader {
    const unsigned char *p, *end;
} reader;

/* One field: its length (-1 for NULL) and bytes. */
static int field(reader *r, int32_t *len, const unsigned char **data) {
    if (r->end - r->p < 4)
        return -1;
    *len = (int32_t)be32(r->p);
    *data = r->p += 4;
    if (*len < -1 || (*len > 0 && r->end - r->p < *len))
        return -1;
    if (*len > 0)
        r->p += *len;
    return 0;
}

static int as_i16(int32_t len, const unsigned char *d, int16_t *v) {
    if (len != 2)
        return -1;
    *v = (int16_t)be16(d);
    return 0;
}

/* Powers of ten a double holds exactly. */
static const double EXACT_TENS[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The common case without text: up to three base-10000 digits make an integer below 2^53 and a
 * scale of at most 10^20, both exact doubles, so one multiplication or division rounds correctly
 * and gives the very double strtod gives for the same decimal (Clinger's fast path). A million
 * ages went through sprintf and strtod in a third of the client's reading time. */
static int numeric_fast(const unsigned char *digits, int ndigits, int exponent, double *out) {
    if (ndigits > 3 || exponent > 20 || exponent < -20)
        return -1;
    uint64_t whole = 0;
    for (int i = 0; i < ndigits; i++)
        whole = whole * 10000 + be16(digits + 2 * i);
    double v = (double)whole;
    *out = exponent >= 0 ? v * EXACT_TENS[exponent] : v / EXACT_TENS[-exponent];
    return 0;
}

/* numeric's binary form (ndigits, weight, sign, dscale, base-10000 digits) as the double strtod
 * gives for its text: the digits written out with an exponent denote the same decimal, and glibc's
 * strtod rounds correctly, so the value is the text protocol's to the bit. NAN for NULL, NaN, an
 * infinity or a malformed value. */
static double as_numeric(int32_t len, const unsigned char *d) {
    if (len < 8 || len != 8 + 2 * be16(d))
        return NAN;
    int ndigits = be16(d), sign = be16(d + 4);
    if (ndigits > 64 || (sign != 0 && sign != 0x4000))
        return NAN;
    const unsigned char *digits = d + 8;
    for (int i = 0; i < ndigits; i++)
        if (be16(digits + 2 * i) > 9999)
            return NAN;
    int exponent = 4 * ((int16_t)be16(d + 2) - ndigits + 1);
    double v;
    if (numeric_fast(digits, ndigits, exponent, &v) == 0)
        return sign ? -v : v;
    char text[64 * 4 + 16], *w = text;
    if (sign)
        *w++ = '-';
    *w++ = '0';
    for (int i = 0; i < ndigits; i++)
        w += sprintf(w, "%04d", be16(digits + 2 * i));
    sprintf(w, "e%d", exponent);
    return strtod(text, NULL);
}

static int as_text(int32_t len, const unsigned char *d, char *dst, size_t max) {
    if (len < 0) {
        dst[0] = '\0';
        return 0;
    }
    if ((size_t)len > max)
        return -1;
    memcpy(dst, d, (size_t)len);
    dst[len] = '\0';
    return 0;
}

/* Fills p from the fields of one tuple (COPY_COLUMNS order). */
static int parse_fields(reader *r, passenger *p) {
    int32_t len[COPY_FIELDS];
    const unsigned char *d[COPY_FIELDS];
    for (int i = 0; i < COPY_FIELDS; i++)
        if (field(r, &len[i], &d[i]) != 0)
            return -1;
    passenger_init(p);
    int16_t survived = -1, pclass, sibsp, parch;
    char sex[8];
    if (len[0] != 4 || (len[1] >= 0 && as_i16(len[1], d[1], &survived)) ||
        as_i16(len[2], d[2], &pclass) || as_i16(len[6], d[6], &sibsp) ||
        as_i16(len[7], d[7], &parch) || as_text(len[3], d[3], p->name, PASSENGER_NAME_MAX) ||
        as_text(len[4], d[4], sex, sizeof sex - 1) ||
        as_text(len[8], d[8], p->ticket, PASSENGER_TICKET_MAX) ||
        as_text(len[10], d[10], p->cabin, PASSENGER_CABIN_MAX) || len[11] > 1)
        return -1;
    p->id = (int32_t)be32(d[0]);
    p->survived = (int8_t)survived;
    p->pclass = (int8_t)pclass;
    p->sibsp = sibsp;
    p->parch = parch;
    p->sex = !strcmp(sex, "female") ? SEX_FEMALE : !strcmp(sex, "male") ? SEX_MALE : SEX_OTHER;
    p->age = as_numeric(len[5], d[5]);
    p->fare = as_numeric(len[9], d[9]);
    p->embarked = len[11] == 1 ? (char)d[11][0] : '\0';
    return 0;
}

/* One CopyData message: the file header (first message only), a tuple, or the trailer. */
static int parse_message(const char *buf, int n, int first, passenger *p, int *is_tuple) {
    static const unsigned char magic[11] = {'P',  'G',  'C',  'O',  'P', 'Y',
                                            '\n', 0xFF, '\r', '\n', 0};
    reader r = {(const unsigned char *)buf, (const unsigned char *)buf + n};
    if (first) { /* signature, flags, header extension length, extension */
        if (n < 19 || memcmp(r.p, magic, 11) != 0 || be32(r.p + 15) > (uint32_t)(n - 19))
            return -1;
        r.p += 19 + be32(r.p + 15);
    }
    if (r.end - r.p < 2)
        return -1;
    int16_t count = (int16_t)be16(r.p);
    r.p += 2;
    *is_tuple = count != -1;
    if (count == -1)
        return 0;
    return count == COPY_FIELDS ? parse_fields(&r, p) : -1;
}

/* Reads the COPY to its end, each tuple to each. */
long passengers_store_copy_training(PGconn *conn, int all_rows,
                                    int (*each)(const passenger *p, void *arg), void *arg,
                                    char *err, size_t errlen) {
    PGresult *res = PQexec(conn, COPY_SQL[all_rows != 0]);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        errorf(err, errlen, "COPY of passengers failed: %s", PQerrorMessage(conn));
        PQclear(res);
        return -1;
    }
    PQclear(res);
    long count = 0;
    int stopped = 0, header = 1;
    char *buf;
    int n;
    while ((n = PQgetCopyData(conn, &buf, 0)) > 0) {
        passenger p;
        int tuple = 0;
        int rc = stopped ? 0 : parse_message(buf, n, header, &p, &tuple);
        header = 0;
        if (rc != 0) {
            errorf(err, errlen, "COPY of passengers: malformed row %ld", count + 1);
            stopped = 1;
        } else if (!stopped && tuple) {
            if (each(&p, arg) != 0)
                stopped = 1;
            count++;
        }
        PQfreemem(buf);
    }
    res = PQgetResult(conn);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok && !stopped)
        errorf(err, errlen, "COPY of passengers failed: %s", PQerrorMessage(conn));
    PQclear(res);
    while ((res = PQgetResult(conn)))
        PQclear(res);
    return ok && !stopped ? count : -1;
}

int passengers_store_count_for_training(PGconn *conn, int all_rows, long *count, int *current,
                                        char *err, size_t errlen) {
    static const store_statement etl = {
        NULL,
        "SELECT (SELECT count(*) FROM passengers_etl_view), "
        "NOT EXISTS (SELECT 1 FROM passengers WHERE api_writer IS NOT NULL) "
        "AND NOT EXISTS (SELECT 1 FROM passengers_etl_saved)",
        0, 1};
    static const store_statement all = {NULL, "SELECT count(*), true FROM passengers", 0, 1};
    PGresult *res = store_run(store_on(conn), all_rows ? &all : &etl, NULL, NULL, err, errlen);
    if (!res)
        return -1;
    *count = atol(PQgetvalue(res, 0, 0));
    *current = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    PQclear(res);
    return 0;
}
