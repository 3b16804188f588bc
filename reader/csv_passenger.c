/* Streaming CSV -> validated passengers, on libcsv. See csv_passenger.h.
 *
 * Input is fed to libcsv one physical line at a time so each record knows the line it starts on,
 * and so the raw bytes of a rejected record can be kept (bounded) for etl_rejects. */
#include "csv_passenger.h"

#include "text.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    COL_ID,
    COL_SURVIVED,
    COL_PCLASS,
    COL_NAME,
    COL_SEX,
    COL_AGE,
    COL_SIBSP,
    COL_PARCH,
    COL_TICKET,
    COL_FARE,
    COL_CABIN,
    COL_EMBARKED,
    COL_COUNT
};

typedef struct {
    const char *header;
    int column;
} layout_column;

/* Kaggle's columns, in Kaggle's order; the test file has the same without Survived. */
static const layout_column kaggle_columns[] = {
    {"PassengerId", COL_ID}, {"Survived", COL_SURVIVED}, {"Pclass", COL_PCLASS},
    {"Name", COL_NAME},      {"Sex", COL_SEX},           {"Age", COL_AGE},
    {"SibSp", COL_SIBSP},    {"Parch", COL_PARCH},       {"Ticket", COL_TICKET},
    {"Fare", COL_FARE},      {"Cabin", COL_CABIN},       {"Embarked", COL_EMBARKED}};
static const layout_column kaggle_test_columns[] = {
    {"PassengerId", COL_ID}, {"Pclass", COL_PCLASS},    {"Name", COL_NAME},
    {"Sex", COL_SEX},        {"Age", COL_AGE},          {"SibSp", COL_SIBSP},
    {"Parch", COL_PARCH},    {"Ticket", COL_TICKET},    {"Fare", COL_FARE},
    {"Cabin", COL_CABIN},    {"Embarked", COL_EMBARKED}};

static const layout_column people_columns[] = {{"Survived", COL_SURVIVED},
                                               {"Pclass", COL_PCLASS},
                                               {"Name", COL_NAME},
                                               {"Sex", COL_SEX},
                                               {"Age", COL_AGE},
                                               {"Siblings/Spouses Aboard", COL_SIBSP},
                                               {"Parents/Children Aboard", COL_PARCH},
                                               {"Fare", COL_FARE}};

typedef struct {
    csv_layout id;
    const char *name;
    const layout_column *columns;
    int width; /* entries in columns: the file's columns */
} layout_def;

#define COUNT_OF(a) ((int)(sizeof a / sizeof a[0]))

static const layout_def layouts[] = {
    {LAYOUT_TRAIN, "kaggle-train", kaggle_columns, COUNT_OF(kaggle_columns)},
    {LAYOUT_TEST, "kaggle-test", kaggle_test_columns, COUNT_OF(kaggle_test_columns)},
    {LAYOUT_PEOPLE, "people-887", people_columns, COUNT_OF(people_columns)},
};

/* Seen PassengerIds as a paged bitmap: 2^16 ids per 8 KiB page, pages made on first use, at most
 * ID_PAGES_MAX of them (8 MiB). Dense ids (the normal case) need one page per 65536 rows. */
#define ID_PAGE_BITS 16
#define ID_PAGE_COUNT (1 << (31 - ID_PAGE_BITS))
#define ID_PAGES_MAX 1024

struct csv_reader {
    struct csv_parser parser;
    csv_callbacks cb;
    int32_t id_base;
    const layout_def *layout;
    int file_to_layout[CSV_MAX_FIELDS]; /* file column -> index in layout->columns */
    /* the record being parsed */
    int nfields;
    csv_cell cells[CSV_MAX_FIELDS]; /* in arena; at most CSV_FIELD_MAX + 1 bytes kept */
    char *arena;
    size_t arena_used;
    char raw[CSV_RAW_MAX];
    size_t raw_len;
    long record_line;
    /* position */
    long lines_done;
    int after_cr; /* the last byte seen was a CR: a following LF ends the same line */
    long rows;
    unsigned char bom[3];
    size_t bom_len;
    int bom_checked;
    /* duplicates */
    uint8_t **id_pages;
    int id_pages_used;
    int duplicates_unchecked;
    /* failure that stops the read */
    int failed;
    char fatal[1024];
};

#define ARENA_SIZE ((size_t)CSV_MAX_FIELDS * (CSV_FIELD_MAX + 1))

/* libcsv grows its field buffer with this; refusing past the cap bounds memory for any input. */
static void *bounded_realloc(void *ptr, size_t size) {
    if (size > CSV_PARSER_BUFFER_MAX)
        return NULL;
    return realloc(ptr, size);
}

/* Every byte is data: libcsv must not trim spaces or tabs around unquoted cells. */
static int never_space(unsigned char c) {
    (void)c;
    return 0;
}

static int is_line_end(unsigned char c) {
    return c == '\n' || c == '\r';
}

csv_reader *csv_reader_new(const csv_callbacks *callbacks, int32_t id_base) {
    csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->arena = malloc(ARENA_SIZE);
    if (!r->arena || csv_init(&r->parser, CSV_EMPTY_IS_NULL) != 0) {
        csv_reader_free(r);
        return NULL;
    }
    csv_set_realloc_func(&r->parser, bounded_realloc);
    csv_set_space_func(&r->parser, never_space);
    csv_set_term_func(&r->parser, is_line_end);
    r->cb = *callbacks;
    r->id_base = id_base;
    return r;
}

void csv_reader_free(csv_reader *r) {
    if (!r)
        return;
    csv_free(&r->parser);
    for (int i = 0; r->id_pages && i < ID_PAGE_COUNT; i++)
        free(r->id_pages[i]);
    free(r->id_pages);
    free(r->arena);
    free(r);
}

csv_layout csv_reader_layout(const csv_reader *r) {
    return r->layout ? r->layout->id : LAYOUT_UNKNOWN;
}

const char *csv_layout_name(csv_layout layout) {
    for (int i = 0; i < COUNT_OF(layouts); i++)
        if (layouts[i].id == layout)
            return layouts[i].name;
    return "unknown";
}

int csv_reader_duplicates_unchecked(const csv_reader *r) {
    return r->duplicates_unchecked;
}

static void fail(csv_reader *r, const char *message) {
    if (!r->failed) {
        r->failed = 1;
        snprintf(r->fatal, sizeof r->fatal, "%s", message);
    }
}

/* ---- collecting a record ---- */

static void on_field(void *data, size_t len, void *arg) {
    csv_reader *r = arg;
    int index = r->nfields++;
    if (index >= CSV_MAX_FIELDS)
        return; /* counted, not kept: the row is rejected for its width */
    size_t kept = !data ? 0 : len > CSV_FIELD_MAX ? CSV_FIELD_MAX + 1 : len;
    r->cells[index] = (csv_cell){kept ? r->arena + r->arena_used : NULL, kept};
    if (kept)
        memcpy(r->arena + r->arena_used, data, kept);
    r->arena_used += kept;
}

/* ---- the header ---- */

static int header_matches(const char *expected, const char *text, size_t len) {
    while (len > 0 && (text[0] == ' ' || text[0] == '\t')) {
        text++;
        len--;
    }
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    return strlen(expected) == len && strncasecmp(expected, text, len) == 0;
}

/* Maps every file column to a distinct column of layout; 0 on a full match. */
static int map_header(csv_reader *r, const layout_def *layout) {
    if (r->nfields != layout->width)
        return -1;
    int used[COL_COUNT] = {0};
    for (int i = 0; i < r->nfields; i++) {
        csv_cell cell = r->cells[i];
        int found = -1;
        for (int j = 0; j < layout->width && found < 0; j++) {
            if (!used[j] && cell.text &&
                header_matches(layout->columns[j].header, cell.text, cell.len))
                found = j;
        }
        if (found < 0)
            return -1;
        used[found] = 1;
        r->file_to_layout[i] = found;
    }
    return 0;
}

static void describe_expected_layouts(char *out, size_t len) {
    size_t used = 0;
    for (int i = 0; i < COUNT_OF(layouts) && used < len; i++) {
        used += (size_t)snprintf(out + used, len - used, "%s%s (", i ? "; " : "", layouts[i].name);
        for (int j = 0; j < layouts[i].width && used < len; j++)
            used += (size_t)snprintf(out + used, len - used, "%s%s%s", j ? "," : "",
                                     layouts[i].columns[j].header,
                                     j == layouts[i].width - 1 ? ")" : "");
    }
}

static void detect_layout(csv_reader *r) {
    for (int i = 0; i < COUNT_OF(layouts); i++) {
        if (map_header(r, &layouts[i]) == 0) { /* no layout is wider than CSV_MAX_FIELDS */
            r->layout = &layouts[i];
            return;
        }
    }
    char found[256] = "";
    size_t used = 0;
    for (int i = 0; i < r->nfields && i < CSV_MAX_FIELDS && used < sizeof found - 8; i++) {
        csv_cell cell = r->cells[i];
        char quoted[64];
        text_quote_for_message(quoted, sizeof quoted, cell.text ? cell.text : "", cell.len, 32);
        used += (size_t)snprintf(found + used, sizeof found - used, "%s%s", i ? "," : "", quoted);
    }
    char expected[600];
    describe_expected_layouts(expected, sizeof expected);
    char message[1024];
    snprintf(message, sizeof message,
             "line %ld: unknown CSV header \"%s\"; expected the columns of one of: %s",
             r->record_line, found, expected);
    fail(r, message);
}

/* ---- validating a data record ---- */

typedef struct {
    const char *field;
    char reason[320];
} rejection;

static int reject(rejection *why, const char *field, const char *detail) {
    why->field = field;
    snprintf(why->reason, sizeof why->reason, "%s%s%s", field ? field : "", field ? ": " : "",
             detail);
    return -1;
}

/* Parses a non-empty cell of column into p (and text), or -1 with detail. */
static int parse_value(int column, csv_cell cell, passenger *p, csv_row_text *text, char *detail,
                       size_t dlen) {
    switch (column) {
    case COL_ID:
        return passenger_parse_id(cell.text, cell.len, &p->id, detail, dlen);
    case COL_SURVIVED:
        return passenger_parse_survived(cell.text, cell.len, &p->survived, detail, dlen);
    case COL_PCLASS:
        return passenger_parse_pclass(cell.text, cell.len, &p->pclass, detail, dlen);
    case COL_SEX:
        return passenger_parse_sex(cell.text, cell.len, 0, &p->sex, detail, dlen);
    case COL_AGE:
        text->age = cell;
        return passenger_parse_age(cell.text, cell.len, &p->age, detail, dlen);
    case COL_SIBSP:
        return passenger_parse_family(cell.text, cell.len, &p->sibsp, detail, dlen);
    case COL_PARCH:
        return passenger_parse_family(cell.text, cell.len, &p->parch, detail, dlen);
    case COL_FARE:
        text->fare = cell;
        return passenger_parse_fare(cell.text, cell.len, &p->fare, detail, dlen);
    case COL_EMBARKED:
        return passenger_parse_embarked(cell.text, cell.len, &p->embarked, detail, dlen);
    case COL_NAME:
        return passenger_parse_text(cell.text, cell.len, PASSENGER_NAME_MAX, p->name, detail, dlen);
    case COL_TICKET:
        return passenger_parse_text(cell.text, cell.len, PASSENGER_TICKET_MAX, p->ticket, detail,
                                    dlen);
    case COL_CABIN:
        return passenger_parse_text(cell.text, cell.len, PASSENGER_CABIN_MAX, p->cabin, detail,
                                    dlen);
    }
    return 0;
}

/* Validates one cell into p; the column's header name is used in messages. An empty cell is
 * unknown (left as passenger_init set it) unless the column is required. */
static int parse_cell(const layout_column *col, csv_cell cell, passenger *p, csv_row_text *text,
                      rejection *why) {
    char detail[200];
    int required = col->column == COL_ID || col->column == COL_PCLASS || col->column == COL_NAME ||
                   col->column == COL_SEX || col->column == COL_SIBSP || col->column == COL_PARCH;
    if (!cell.text)
        return required ? reject(why, col->header, "required but empty") : 0;
    int rc = parse_value(col->column, cell, p, text, detail, sizeof detail);
    return rc == 0 ? 0 : reject(why, col->header, detail);
}

static int validate_record(csv_reader *r, passenger *p, csv_row_text *text, rejection *why) {
    char detail[128];
    passenger_init(p);
    memset(text, 0, sizeof *text);
    if (r->nfields != r->layout->width) {
        snprintf(detail, sizeof detail, "expected %d fields, found %d", r->layout->width,
                 r->nfields);
        return reject(why, NULL, detail);
    }
    for (int i = 0; i < r->nfields; i++) {
        const layout_column *col = &r->layout->columns[r->file_to_layout[i]];
        if (parse_cell(col, r->cells[i], p, text, why) != 0)
            return -1;
    }
    if (r->layout->id == LAYOUT_PEOPLE) {
        long id = (long)r->id_base + r->rows;
        if (id > PASSENGER_ID_MAX)
            return reject(why, NULL, "assigned PassengerId would exceed 2147483647");
        p->id = (int32_t)id;
    }
    return 0;
}

/* 1 when id was seen before; records it otherwise. Past the page budget (or out of memory),
 * stops checking and flags the reader so the loader finishes the check in SQL. */
static int seen_before(csv_reader *r, int32_t id) {
    uint32_t page = (uint32_t)id >> ID_PAGE_BITS;
    uint32_t bit = (uint32_t)id & ((1u << ID_PAGE_BITS) - 1);
    if (!r->id_pages)
        r->id_pages = calloc(ID_PAGE_COUNT, sizeof *r->id_pages);
    if (r->id_pages && !r->id_pages[page] && r->id_pages_used < ID_PAGES_MAX &&
        (r->id_pages[page] = calloc((1u << ID_PAGE_BITS) / 8, 1)))
        r->id_pages_used++;
    if (!r->id_pages || !r->id_pages[page]) {
        r->duplicates_unchecked = 1;
        return 0;
    }
    uint8_t *byte = &r->id_pages[page][bit >> 3];
    uint8_t mask = (uint8_t)(1u << (bit & 7));
    if (*byte & mask)
        return 1;
    *byte |= mask;
    return 0;
}

static void handle_data_record(csv_reader *r) {
    passenger p;
    csv_row_text text;
    rejection why = {NULL, ""};
    r->rows++;
    int rc = validate_record(r, &p, &text, &why);
    /* people-887 ids are assigned in row order: only a file's own PassengerIds can repeat. */
    if (rc == 0 && seen_before(r, p.id))
        rc = reject(&why, "PassengerId", "duplicate id: appears earlier in this file");
    size_t raw_len = r->raw_len; /* the record without its line terminator */
    while (raw_len > 0 && is_line_end((unsigned char)r->raw[raw_len - 1]))
        raw_len--;
    int stop = rc == 0 ? r->cb.on_row(&p, &text, r->record_line, r->cb.arg)
                       : r->cb.on_reject(r->record_line, why.field, why.reason, r->raw, raw_len,
                                         r->cb.arg);
    if (stop)
        fail(r, "stopped by the loader");
}

static void on_record_end(int terminator, void *arg) {
    (void)terminator;
    csv_reader *r = arg;
    if (!r->failed && !r->layout)
        detect_layout(r);
    else if (!r->failed)
        handle_data_record(r);
    r->nfields = 0; /* the next record starts */
    r->arena_used = 0;
    r->raw_len = 0;
}

/* ---- feeding ---- */

static void append_raw(csv_reader *r, const char *data, size_t len) {
    if (r->raw_len == 0)
        r->record_line = r->lines_done + 1;
    size_t room = CSV_RAW_MAX - r->raw_len;
    size_t take = len < room ? len : room;
    memcpy(r->raw + r->raw_len, data, take);
    r->raw_len += take;
}

static void parse_segment(csv_reader *r, const char *data, size_t len) {
    int blank_line = r->raw_len == 0 && len == 1 && is_line_end((unsigned char)data[0]);
    if (!blank_line)
        append_raw(r, data, len);
    if (csv_parse(&r->parser, data, len, on_field, on_record_end, r) != len) {
        char message[256];
        int code = csv_error(&r->parser);
        snprintf(message, sizeof message,
                 code == CSV_ENOMEM || code == CSV_ETOOBIG
                     ? "line %ld: a field is longer than %d bytes (an unterminated quote?)"
                     : "line %ld: CSV parse error",
                 r->record_line, CSV_PARSER_BUFFER_MAX);
        fail(r, message);
    }
    /* LF, CRLF and a lone CR (old Mac files) each end one line. */
    char last = len > 0 ? data[len - 1] : 0;
    if (last == '\r' || (last == '\n' && !(len == 1 && r->after_cr)))
        r->lines_done++;
    if (len > 0)
        r->after_cr = last == '\r';
}

/* Length of the segment up to and including the first CR or LF (or all of it). */
static size_t segment_length(const char *data, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (is_line_end((unsigned char)data[i]))
            return i + 1;
    return len;
}

/* Splits data at line ends so each record's first line is known and no two records share a
 * segment. */
static void parse_lines(csv_reader *r, const char *data, size_t len) {
    while (len > 0 && !r->failed) {
        size_t segment = segment_length(data, len);
        parse_segment(r, data, segment);
        data += segment;
        len -= segment;
    }
}

/* A UTF-8 byte order mark (as Excel writes) is not part of the first header name. */
static void feed_bom_prefix(csv_reader *r, const char **data, size_t *len) {
    while (!r->bom_checked && *len > 0 && r->bom_len < 3) {
        r->bom[r->bom_len++] = (unsigned char)**data;
        (*data)++;
        (*len)--;
    }
    if (r->bom_checked || r->bom_len < 3)
        return;
    r->bom_checked = 1;
    if (memcmp(r->bom, "\xEF\xBB\xBF", 3) != 0)
        parse_lines(r, (const char *)r->bom, r->bom_len);
}

/* 0, or -1 with the failure that stopped the read in err. */
static int outcome(const csv_reader *r, char *err, size_t errlen) {
    if (r->failed)
        snprintf(err, errlen, "%s", r->fatal);
    return r->failed ? -1 : 0;
}

int csv_reader_feed(csv_reader *r, const char *data, size_t len, char *err, size_t errlen) {
    feed_bom_prefix(r, &data, &len);
    parse_lines(r, data, len); /* nothing once the read has failed */
    return outcome(r, err, errlen);
}

int csv_reader_finish(csv_reader *r, char *err, size_t errlen) {
    if (!r->failed && !r->bom_checked) {
        r->bom_checked = 1;
        parse_lines(r, (const char *)r->bom, r->bom_len);
    }
    if (!r->failed)
        csv_fini(&r->parser, on_field, on_record_end, r);
    if (!r->failed && !r->layout)
        fail(r, "the input is empty: no CSV header found");
    return outcome(r, err, errlen);
}
