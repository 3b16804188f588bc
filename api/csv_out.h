/* CSV answers (Accept: text/csv) for the lists analysts pull into a spreadsheet or pandas:
 * RFC 4180 (CRLF line ends, a field with a comma, quote or line break quoted, quotes doubled), a
 * header line naming the columns, an unknown value as an empty field. */
#ifndef TITANIC_CSV_OUT_H
#define TITANIC_CSV_OUT_H

#include "http.h"
#include "passenger.h"

#include <stdio.h>

#define CSV_CONTENT_TYPE "text/csv; charset=utf-8; header=present"

/* Whether the client asked for CSV (text/csv in its Accept header). */
int csv_wanted(http_request *r);

/* One field, quoted when it must be; sep (',' or '\n' for the line's end, written CRLF) after. */
void csv_text(FILE *out, const char *text, char sep);
void csv_real(FILE *out, double value, char sep); /* NAN: empty */

/* The analysts' passenger (passenger_json_text's fields): the header line, and one row. */
void csv_passenger_header(FILE *out);
void csv_passenger(FILE *out, const passenger *p);

#endif
