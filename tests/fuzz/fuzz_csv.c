/* libFuzzer target for the CSV row parser and validator (etl/csv_passenger.c).
 *
 * Any bytes go in. Checked: no crash, leak or undefined behaviour (ASan/UBSan); every accepted
 * row satisfies the passenger rules (ranges, valid storable text); and the result does not depend
 * on how the input is chunked (whole vs. split at a point chosen by the input). */
#include "copy_binary.h"
#include "csv_passenger.h"
#include "text.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long rows, rejects, id_sum, line_sum;
    uint64_t name_hash;
} summary;

static void require(int condition) {
    if (!condition)
        abort();
}

static int on_row(const passenger *p, const csv_row_text *t, long line, void *arg) {
    summary *s = arg;
    char reason[200];
    require(p->id > 0);
    require(p->pclass >= 1 && p->pclass <= 3);
    require(p->sex == SEX_MALE || p->sex == SEX_FEMALE);
    require(p->survived >= -1 && p->survived <= 1);
    require(p->sibsp >= 0 && p->sibsp <= PASSENGER_FAMILY_MAX);
    require(p->parch >= 0 && p->parch <= PASSENGER_FAMILY_MAX);
    require(isnan(p->age) || (p->age >= 0 && p->age <= PASSENGER_AGE_MAX));
    require(isnan(p->fare) || (p->fare >= 0 && p->fare <= PASSENGER_FARE_MAX));
    require(p->embarked == 0 || p->embarked == 'C' || p->embarked == 'Q' || p->embarked == 'S');
    require(p->name[0] != '\0');
    require(text_validate(p->name, strlen(p->name), PASSENGER_NAME_MAX, reason, sizeof reason) ==
            0);
    require(text_validate(p->ticket, strlen(p->ticket), PASSENGER_TICKET_MAX, reason,
                          sizeof reason) == 0);
    require(text_validate(p->cabin, strlen(p->cabin), PASSENGER_CABIN_MAX, reason, sizeof reason) ==
            0);
    /* Numeric text goes into COPY unescaped: it must be digits and at most one point. */
    for (size_t i = 0; t->age.text && i < t->age.len; i++)
        require((t->age.text[i] >= '0' && t->age.text[i] <= '9') || t->age.text[i] == '.');
    for (size_t i = 0; t->fare.text && i < t->fare.len; i++)
        require((t->fare.text[i] >= '0' && t->fare.text[i] <= '9') || t->fare.text[i] == '.');
    /* Every accepted numeric must encode for binary COPY, within its bound. */
    char encoded[COPY_BINARY_NUMERIC_MAX];
    char *at = encoded;
    require(!t->age.text || copy_binary_numeric(&at, t->age.text, t->age.len) == 0);
    require((size_t)(at - encoded) <= sizeof encoded);
    at = encoded;
    require(!t->fare.text || copy_binary_numeric(&at, t->fare.text, t->fare.len) == 0);
    require((size_t)(at - encoded) <= sizeof encoded);
    require(line >= 2);
    s->rows++;
    s->id_sum += p->id;
    s->line_sum += line;
    for (const char *c = p->name; *c; c++)
        s->name_hash = s->name_hash * 1099511628211ull + (unsigned char)*c;
    return 0;
}

static int on_reject(long line, const char *field, const char *reason, const char *raw,
                     size_t raw_len, void *arg) {
    (void)field;
    (void)raw;
    summary *s = arg;
    require(raw_len <= CSV_RAW_MAX);
    require(reason && reason[0]);
    require(line >= 2);
    s->rejects++;
    s->line_sum += line;
    return 0;
}

static int run(const uint8_t *data, size_t size, size_t split, summary *s) {
    memset(s, 0, sizeof *s);
    csv_callbacks cb = {on_row, on_reject, s};
    csv_reader *r = csv_reader_new(&cb, CSV_DEFAULT_ID_BASE);
    require(r != NULL);
    char err[1024];
    int rc = csv_reader_feed(r, (const char *)data, split, err, sizeof err);
    if (rc == 0)
        rc = csv_reader_feed(r, (const char *)data + split, size - split, err, sizeof err);
    if (rc == 0)
        rc = csv_reader_finish(r, err, sizeof err);
    if (rc != 0)
        require(err[0] != '\0');
    csv_reader_free(r);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    summary whole, split;
    size_t cut = size ? (size_t)data[0] * 7919u % (size + 1) : 0;
    int rc_whole = run(data, size, size, &whole);
    int rc_split = run(data, size, cut, &split);
    require(rc_whole == rc_split);
    if (rc_whole == 0) {
        require(whole.rows == split.rows && whole.rejects == split.rejects);
        require(whole.id_sum == split.id_sum && whole.name_hash == split.name_hash);
        require(whole.line_sum == split.line_sum);
    }
    return 0;
}
