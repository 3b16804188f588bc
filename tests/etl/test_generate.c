/* The synthetic generator: deterministic for a seed, different across seeds, always valid input
 * for the reader, and survival following its documented model; families on one ticket in the
 * real list's proportions (train.csv: 38.6% of passengers share their ticket), each sharing its
 * surname, class, fare, cabin and port, with sibsp + parch counting exactly the others on the
 * ticket and parents at least 16 years older than their children. */
#include "check.h"
#include "csv_passenger.h"
#include "generate.h"
#include "sha256.h"

#include <stdlib.h>
#include <string.h>

static char *generate(long n, uint64_t seed, size_t *len) {
    char *buf = NULL;
    FILE *mem = open_memstream(&buf, len);
    CHECK_INT(generate_csv(mem, n, seed), 0);
    fclose(mem);
    return buf;
}

static void digest(const char *buf, size_t len, char hex[65]) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, buf, len);
    sha256_final_hex(&ctx, hex);
}

typedef struct {
    long rows, rejects, survived, female, first_class, missing_age;
} tally;

static int count_row(const passenger *p, const csv_row_text *t, long line, void *arg) {
    (void)t;
    (void)line;
    tally *c = arg;
    c->rows++;
    c->survived += p->survived == 1;
    c->female += p->sex == SEX_FEMALE;
    c->first_class += p->pclass == 1;
    c->missing_age += isnan(p->age);
    return 0;
}

static int count_reject(long line, const char *f, const char *reason, const char *raw, size_t n,
                        void *arg) {
    (void)f;
    (void)raw;
    (void)n;
    fprintf(stderr, "unexpected reject at line %ld: %s\n", line, reason);
    ((tally *)arg)->rejects++;
    return 0;
}

static int by_ticket(const void *a, const void *b) {
    const passenger *x = a, *y = b;
    int c = strcmp(x->ticket, y->ticket);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

static size_t surname_length(const passenger *p) {
    return strcspn(p->name, ",");
}

/* One ticket group g[0..n): a family alike in what a ticket shares, its counts and its ages. */
static void check_group(const passenger *g, long n) {
    for (long i = 0; i < n; i++) {
        const passenger *p = &g[i];
        CHECK(surname_length(p) == surname_length(g) &&
              strncmp(p->name, g->name, surname_length(g)) == 0);
        CHECK(p->pclass == g->pclass && p->embarked == g->embarked && p->fare == g->fare &&
              strcmp(p->cabin, g->cabin) == 0);
        CHECK_INT(p->sibsp + p->parch, n - 1);
        if (isnan(p->age))
            continue;
        CHECK(!strstr(p->name, ", Master.") || p->age < 13);
        CHECK(!strstr(p->name, ", Mrs.") || p->age >= 18);
        for (long j = 0; j < n; j++) { /* a child (under 18, with parents) and a parent */
            const passenger *q = &g[j];
            if (p->parch > 0 && p->age < 18 && q->parch > 0 && !isnan(q->age) && q->age >= 18)
                CHECK(q->age - p->age >= 16);
        }
    }
}

/* Families of 10,000 generated passengers, grouped by ticket. */
static void check_families(void) {
    enum { N = 10000 };
    passenger *rows = malloc(N * sizeof *rows);
    generator g;
    generator_init(&g, 1);
    for (int i = 0; i < N; i++)
        generator_next(&g, i + 1, &rows[i]);
    qsort(rows, N, sizeof *rows, by_ticket);
    long shared = 0, groups = 0, large = 0;
    for (long i = 0, n; i < N; i += n) {
        for (n = 1; i + n < N && strcmp(rows[i + n].ticket, rows[i].ticket) == 0; n++)
            ;
        if (n == 1)
            continue;
        shared += n;
        groups++;
        large += n >= 3;
        check_group(&rows[i], n);
    }
    fprintf(stderr, "families: %.1f%% of passengers share a ticket, %ld groups, %.1f%% of 3+\n",
            100.0 * shared / N, groups, 100.0 * large / groups);
    CHECK(shared > 0.34 * N && shared < 0.44 * N);       /* train.csv: 38.6% */
    CHECK(large > 0.2 * groups && large < 0.4 * groups); /* train.csv: 30% of groups */
    free(rows);
}

int main(void) {
    check_families();
    size_t a_len, b_len, c_len;
    char *a = generate(5000, 42, &a_len);
    char *b = generate(5000, 42, &b_len);
    char *c = generate(5000, 43, &c_len);
    char ha[65], hb[65], hc[65];
    digest(a, a_len, ha);
    digest(b, b_len, hb);
    digest(c, c_len, hc);
    CHECK_STR(ha, hb);
    CHECK(strcmp(ha, hc) != 0);

    tally t = {0};
    csv_callbacks cb = {count_row, count_reject, &t};
    csv_reader *r = csv_reader_new(&cb, 0);
    char err[512];
    CHECK_INT(csv_reader_feed(r, a, a_len, err, sizeof err), 0);
    CHECK_INT(csv_reader_finish(r, err, sizeof err), 0);
    CHECK_INT(csv_reader_layout(r), LAYOUT_TRAIN);
    csv_reader_free(r);
    CHECK_INT(t.rows, 5000);
    CHECK_INT(t.rejects, 0);
    /* The real list: ~38% survived, ~35% female, ~24% first class, ~20% age missing. */
    CHECK(t.survived > 1500 && t.survived < 2400);
    CHECK(t.female > 1400 && t.female < 2100);
    CHECK(t.first_class > 1000 && t.first_class < 1400);
    CHECK(t.missing_age > 800 && t.missing_age < 1200);
    free(a);
    free(b);
    free(c);
    return check_exit_code("test_generate");
}
