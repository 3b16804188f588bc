/* The CSV reader in memory: layouts, headers, quoting, line numbers, every kind of bad row, and
 * bounded memory on hostile input. Results must not depend on how the bytes are chunked. */
#include "check.h"
#include "csv_passenger.h"

#include <stdlib.h>

#define MAX_SEEN 64

typedef struct {
    int rows, rejects;
    passenger row[MAX_SEEN];
    long row_line[MAX_SEEN];
    long reject_line[MAX_SEEN];
    char reject_field[MAX_SEEN][32];
    char reject_reason[MAX_SEEN][400];
    char reject_raw[MAX_SEEN][CSV_RAW_MAX + 1];
    char age_text[MAX_SEEN][16];
} seen;

static int on_row(const passenger *p, const csv_row_text *text, long line, void *arg) {
    seen *s = arg;
    if (s->rows < MAX_SEEN) {
        s->row[s->rows] = *p;
        s->row_line[s->rows] = line;
        snprintf(s->age_text[s->rows], 16, "%.*s", (int)text->age.len,
                 text->age.text ? text->age.text : "");
    }
    s->rows++;
    return 0;
}

static int on_reject(long line, const char *field, const char *reason, const char *raw,
                     size_t raw_len, void *arg) {
    seen *s = arg;
    if (s->rejects < MAX_SEEN) {
        s->reject_line[s->rejects] = line;
        snprintf(s->reject_field[s->rejects], 32, "%s", field ? field : "");
        snprintf(s->reject_reason[s->rejects], 400, "%s", reason);
        memcpy(s->reject_raw[s->rejects], raw, raw_len);
        s->reject_raw[s->rejects][raw_len] = '\0';
    }
    s->rejects++;
    return 0;
}

/* Reads text in chunks of `chunk` bytes (0 = all at once); returns the reader's status. */
static int read_text(const char *text, size_t len, size_t chunk, seen *s, char *err, size_t errlen,
                     csv_layout *layout) {
    memset(s, 0, sizeof *s);
    csv_callbacks cb = {on_row, on_reject, s};
    csv_reader *r = csv_reader_new(&cb, CSV_DEFAULT_ID_BASE);
    int rc = 0;
    size_t step = chunk ? chunk : len;
    for (size_t off = 0; off < len && rc == 0; off += step)
        rc = csv_reader_feed(r, text + off, len - off < step ? len - off : step, err, errlen);
    if (rc == 0)
        rc = csv_reader_finish(r, err, errlen);
    if (layout)
        *layout = csv_reader_layout(r);
    csv_reader_free(r);
    return rc;
}

static int read_str(const char *text, seen *s, char *err, csv_layout *layout) {
    return read_text(text, strlen(text), 0, s, err, 1024, layout);
}

#define TRAIN_HEADER                                                                               \
    "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"

static void test_layouts(void) {
    static seen s;
    char err[1024];
    csv_layout layout;
    CHECK_INT(read_str(TRAIN_HEADER
                       "1,0,3,\"Braund, Mr. Owen Harris\",male,22,1,0,A/5 21171,7.25,,S\n",
                       &s, err, &layout),
              0);
    CHECK_INT(layout, LAYOUT_TRAIN);
    CHECK_INT(s.rows, 1);
    CHECK_STR(s.row[0].name, "Braund, Mr. Owen Harris");
    CHECK_INT(s.row[0].survived, 0);
    CHECK_STR(s.age_text[0], "22");
    CHECK(isnan(NAN) && s.row[0].embarked == 'S' && s.row[0].cabin[0] == '\0');

    /* Test layout: no Survived (unknown); columns in another order, names in any case. */
    CHECK_INT(read_str("name,PCLASS,passengerid,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n"
                       "\"Kelly, Mr. James\",3,892,male,34.5,0,0,330911,7.8292,,Q\n",
                       &s, err, &layout),
              0);
    CHECK_INT(layout, LAYOUT_TEST);
    CHECK_INT(s.rows, 1);
    CHECK_INT(s.row[0].id, 892);
    CHECK_INT(s.row[0].survived, -1);
    CHECK_INT(s.row[0].pclass, 3);

    /* 887 layout: CRLF, no trailing newline, ids assigned base + row. */
    CHECK_INT(
        read_str("Survived,Pclass,Name,Sex,Age,Siblings/Spouses Aboard,"
                 "Parents/Children Aboard,Fare\r\n"
                 "0,3,Mr. Owen Harris Braund,male,22,1,0,7.25\r\n"
                 "1,1,Mrs. John Bradley (Florence Briggs Thayer) Cumings,female,38,1,0,71.2833",
                 &s, err, &layout),
        0);
    CHECK_INT(layout, LAYOUT_PEOPLE);
    CHECK_INT(s.rows, 2);
    CHECK_INT(s.row[0].id, CSV_DEFAULT_ID_BASE + 1);
    CHECK_INT(s.row[1].id, CSV_DEFAULT_ID_BASE + 2);
    CHECK_INT(s.row[1].sibsp, 1);
    CHECK_STR(s.row[1].name, "Mrs. John Bradley (Florence Briggs Thayer) Cumings");

    /* A UTF-8 byte order mark is not part of the first column name. */
    CHECK_INT(read_str("\xEF\xBB\xBF" TRAIN_HEADER "1,1,1,A,female,,0,0,,,,\n", &s, err, &layout),
              0);
    CHECK_INT(s.rows, 1);
}

static void test_unknown_header(void) {
    static seen s;
    char err[1024];
    CHECK_INT(read_str("id,name,age\n1,x,3\n", &s, err, NULL), -1);
    CHECK_CONTAINS(err, "line 1: unknown CSV header \"id,name,age\"");
    CHECK_CONTAINS(err, "PassengerId,Survived,Pclass");
    CHECK_CONTAINS(err, "Siblings/Spouses Aboard");
    CHECK_INT(s.rows + s.rejects, 0);
    CHECK_INT(read_str("", &s, err, NULL), -1);
    CHECK_CONTAINS(err, "empty");
    /* A duplicated column is not a layout either. */
    CHECK_INT(read_str("PassengerId,PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,"
                       "Embarked\n",
                       &s, err, NULL),
              -1);
}

static void test_bad_rows(void) {
    static seen s;
    char err[1024];
    const char *csv =
        TRAIN_HEADER "1,0,4,A,male,22,1,0,T,7.25,,S\n"            /* line 2: pclass */
                     "2,2,1,B,male,22,1,0,T,7.25,,S\n"            /* 3: survived */
                     "3,0,1,C,man,22,1,0,T,7.25,,S\n"             /* 4: sex */
                     "4,0,1,D,male,-1,1,0,T,7.25,,S\n"            /* 5: age */
                     "5,0,1,E,male,121,1,0,T,7.25,,S\n"           /* 6: age range */
                     "6,0,1,F,male,22,x,0,T,7.25,,S\n"            /* 7: sibsp */
                     "7,0,1,G,male,22,1,0,T,-7,,S\n"              /* 8: fare */
                     "8,0,1,H,male,22,1,0,T,7.25,,X\n"            /* 9: embarked */
                     "0,0,1,I,male,22,1,0,T,7.25,,S\n"            /* 10: id */
                     "10,0,1,,male,22,1,0,T,7.25,,S\n"            /* 11: empty name */
                     "11,0,1,J,male,22,1,0,T,7.25,,S,extra\n"     /* 12: width */
                     "12,0,1,\"caf\xE9\",male,22,1,0,T,7.25,,S\n" /* 13: Latin-1 */
                     "13,0,1,\"a\nb\",male,22,1,0,T,7.25,,S\n"    /* 14-15: newline inside a name */
                     "14,0,1,K,male,22,1,0,T,7.25,,S\n"           /* 16: good */
                     "14,0,1,L,male,22,1,0,T,7.25,,S\n";          /* 17: duplicate id */
    CHECK_INT(read_str(csv, &s, err, NULL), 0);
    CHECK_INT(s.rows, 1);
    CHECK_INT(s.rejects, 14);
    const char *fields[] = {"Pclass", "Survived", "Sex",      "Age",         "Age",
                            "SibSp",  "Fare",     "Embarked", "PassengerId", "Name",
                            "",       "Name",     "Name",     "PassengerId"};
    long lines[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17};
    for (int i = 0; i < 14; i++) {
        CHECK_STR(s.reject_field[i], fields[i]);
        CHECK_INT(s.reject_line[i], lines[i]);
    }
    CHECK_INT(s.row_line[0], 16);
    CHECK_CONTAINS(s.reject_reason[0], "Pclass: expected 1, 2 or 3, got \"4\"");
    CHECK_CONTAINS(s.reject_reason[10], "expected 12 fields, found 13");
    CHECK_CONTAINS(s.reject_reason[11], "invalid UTF-8 at byte 4");
    CHECK_CONTAINS(s.reject_reason[12], "control character 0x0A");
    CHECK_CONTAINS(s.reject_reason[13], "duplicate id");
    CHECK_STR(s.reject_raw[0], "1,0,4,A,male,22,1,0,T,7.25,,S");
    CHECK_STR(s.reject_raw[12], "13,0,1,\"a\nb\",male,22,1,0,T,7.25,,S");
}

static void test_exact_text(void) {
    static seen s;
    char err[1024];
    /* Quotes, commas, apostrophes, backslashes, tabs, leading/trailing spaces, non-ASCII. */
    const char *csv = TRAIN_HEADER
        "1,1,1,\"O'Brien, Mrs. \"\"Nell\"\" \\ back\\slash\",female,,0,0,,,,\n"
        "2,1,1,\"Tab\there,  Miss. Zoë Ærøskøbing \",female,,0,0, PC 17599 ,,C23 C25,\n"
        "3,1,1,  unquoted with spaces  ,female,0.42,0,0,,,,\n";
    CHECK_INT(read_str(csv, &s, err, NULL), 0);
    CHECK_INT(s.rows, 3);
    CHECK_STR(s.row[0].name, "O'Brien, Mrs. \"Nell\" \\ back\\slash");
    CHECK_STR(s.row[1].name, "Tab\there,  Miss. Zoë Ærøskøbing ");
    CHECK_STR(s.row[1].ticket, " PC 17599 ");
    CHECK_STR(s.row[1].cabin, "C23 C25");
    CHECK_STR(s.row[2].name, "  unquoted with spaces  ");
    CHECK_STR(s.age_text[2], "0.42");
}

static void test_chunking_and_lines(void) {
    static seen whole, bytewise;
    char err[1024];
    const char *csv = TRAIN_HEADER "\n"
                                   "1,1,1,\"multi\nline\",female,,0,0,,,,\r\n"
                                   "2,1,9,bad,female,,0,0,,,,\r\n"
                                   "\n"
                                   "3,1,1,ok,female,,0,0,,,,";
    CHECK_INT(read_text(csv, strlen(csv), 0, &whole, err, sizeof err, NULL), 0);
    CHECK_INT(read_text(csv, strlen(csv), 1, &bytewise, err, sizeof err, NULL), 0);
    CHECK_INT(whole.rows, 1);
    CHECK_INT(bytewise.rows, 1);
    CHECK_INT(whole.rejects, 2); /* the multi-line name and pclass 9 */
    CHECK_INT(bytewise.rejects, 2);
    CHECK_INT(whole.reject_line[0], 3);
    CHECK_INT(whole.reject_line[1], 5);
    CHECK_INT(bytewise.reject_line[1], 5);
    CHECK_INT(whole.row_line[0], 7);
    CHECK_INT(bytewise.row_line[0], 7);
}

/* Old Mac files end lines with a lone CR: lines still count, whole or byte by byte. */
static void test_cr_line_ends(void) {
    static seen whole, bytewise;
    char err[1024];
    const char *csv = "PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,"
                      "Embarked\r1,1,9,bad,female,,0,0,,,,\r\r2,1,1,ok,female,,0,0,,,,\r";
    CHECK_INT(read_text(csv, strlen(csv), 0, &whole, err, sizeof err, NULL), 0);
    CHECK_INT(read_text(csv, strlen(csv), 1, &bytewise, err, sizeof err, NULL), 0);
    CHECK_INT(whole.rejects, 1);
    CHECK_INT(whole.reject_line[0], 2);
    CHECK_INT(bytewise.reject_line[0], 2);
    CHECK_INT(whole.rows, 1);
    CHECK_INT(whole.row_line[0], 4);
    CHECK_INT(bytewise.row_line[0], 4);
    CHECK_STR(whole.reject_raw[0], "1,1,9,bad,female,,0,0,,,,");
}

static void test_bounded(void) {
    static seen s;
    char err[1024];
    /* A cell longer than CSV_FIELD_MAX is a reject, not a crash. */
    size_t big = CSV_FIELD_MAX + 100;
    char *csv = malloc(big + 256);
    int n = snprintf(csv, 256, TRAIN_HEADER "1,1,1,");
    memset(csv + n, 'a', big);
    strcpy(csv + n + big, ",female,,0,0,,,,\n");
    CHECK_INT(read_str(csv, &s, err, NULL), 0);
    CHECK_INT(s.rejects, 1);
    CHECK_CONTAINS(s.reject_reason[0], "Name: longer than 256 bytes");
    CHECK_INT(strlen(s.reject_raw[0]), CSV_RAW_MAX);
    free(csv);

    /* An unterminated quote would make the rest of the file one field: stopped at 1 MiB. */
    size_t huge = CSV_PARSER_BUFFER_MAX + 10;
    csv = malloc(huge + 256);
    n = snprintf(csv, 256, TRAIN_HEADER "1,1,1,\"");
    memset(csv + n, 'x', huge);
    csv[n + huge] = '\0';
    CHECK_INT(read_text(csv, strlen(csv), 65536, &s, err, sizeof err, NULL), -1);
    CHECK_CONTAINS(err, "line 2: a field is longer than");
    free(csv);

    /* Too many cells in a row. */
    char wide[512];
    n = snprintf(wide, sizeof wide, TRAIN_HEADER "1");
    for (int i = 0; i < 40; i++)
        n += snprintf(wide + n, sizeof wide - (size_t)n, ",x");
    CHECK_INT(read_str(wide, &s, err, NULL), 0);
    CHECK_INT(s.rejects, 1);
    CHECK_CONTAINS(s.reject_reason[0], "found 41");
}

int main(void) {
    test_layouts();
    test_unknown_header();
    test_bad_rows();
    test_exact_text();
    test_chunking_and_lines();
    test_cr_line_ends();
    test_bounded();
    return check_exit_code("test_csv_reader");
}
