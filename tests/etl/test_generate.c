/* The synthetic generator: deterministic for a seed, different across seeds, always valid input
 * for the reader, and survival following its documented model. */
#include "check.h"
#include "csv_passenger.h"
#include "generate.h"
#include "sha256.h"

#include <stdlib.h>

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

int main(void) {
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
