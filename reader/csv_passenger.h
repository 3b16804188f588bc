/* Streaming CSV -> validated passenger records.
 *
 * Feed it bytes in any chunk sizes; it recognises the layout from the header (Kaggle train, Kaggle
 * test, or the 887-row "Titanic API" layout; column order free, names case-insensitive), then
 * calls on_row for each valid record and on_reject for each invalid one, with the physical line
 * where the record starts. Memory is bounded whatever the input: fields are capped, and a field
 * that would grow past CSV_PARSER_BUFFER_MAX (an unterminated quote, say) stops the read with an
 * error. Used by titanic-etl, by the model's tests, and by the fuzz target. */
#ifndef TITANIC_CSV_PASSENGER_H
#define TITANIC_CSV_PASSENGER_H

#include "passenger.h"

#include <stddef.h>
#include <stdint.h>

#define CSV_FIELD_MAX 4096              /* longest cell we keep; longer is a reject */
#define CSV_MAX_FIELDS 32               /* more cells than this in a row is a reject */
#define CSV_RAW_MAX 1024                /* bytes of a rejected record kept for etl_rejects */
#define CSV_PARSER_BUFFER_MAX (1 << 20) /* a single field larger than this aborts the read */
#define CSV_DEFAULT_ID_BASE 900000      /* ids for layouts without PassengerId: base + row */

typedef enum { LAYOUT_UNKNOWN = 0, LAYOUT_TRAIN, LAYOUT_TEST, LAYOUT_PEOPLE } csv_layout;

/* A cell's exact bytes (NULL when the column is absent or the cell empty). */
typedef struct {
    const char *text;
    size_t len;
} csv_cell;

/* The exact text of the numeric cells of a valid row, so they can be stored as written. */
typedef struct {
    csv_cell age;
    csv_cell fare;
} csv_row_text;

typedef struct {
    /* A valid record. Return 0 to go on, non-zero to stop reading (reported as an error). */
    int (*on_row)(const passenger *p, const csv_row_text *text, long line, void *arg);
    /* An invalid record: field is the column's header name (NULL for whole-row problems). */
    int (*on_reject)(long line, const char *field, const char *reason, const char *raw,
                     size_t raw_len, void *arg);
    void *arg;
} csv_callbacks;

typedef struct csv_reader csv_reader;

/* id_base: ids of layouts without PassengerId are id_base + data row number (1-based), so a
 * rerun of the same file assigns the same ids. Returns NULL when out of memory. */
csv_reader *csv_reader_new(const csv_callbacks *callbacks, int32_t id_base);
void csv_reader_free(csv_reader *r);

/* Feeds bytes. Returns 0, or -1 with err set when the read cannot go on (unknown header, a field
 * beyond CSV_PARSER_BUFFER_MAX, a callback asked to stop). */
int csv_reader_feed(csv_reader *r, const char *data, size_t len, char *err, size_t errlen);

/* Ends the input: flushes a last record without a trailing newline. Returns 0 or -1 with err
 * (e.g. the file had no header at all). */
int csv_reader_finish(csv_reader *r, char *err, size_t errlen);

csv_layout csv_reader_layout(const csv_reader *r);
const char *csv_layout_name(csv_layout layout);

/* 1 when duplicate PassengerIds could not all be checked in bounded memory (ids spread over
 * too many ranges); the loader then checks the remainder in SQL. */
int csv_reader_duplicates_unchecked(const csv_reader *r);

#endif
