/* The trainer's copy of the passengers, kept compact so ten million of them fit in the CronJob's
 * memory: 20 bytes a passenger (title parsed once, age in hundredths of a year, id), plus one hash
 * table entry per family of women and boys (the wc_group feature's evidence; with a labelled
 * member, also its key, for the document's table, so the rows are read once). Passengers without
 * known survival are kept too (the trainer scores them after the fit) but take part in nothing
 * else: no evidence, no imputation values, no fit, no CV. Rows arrive one passenger at a time (COPY
 * from PostgreSQL, or a CSV file) and are never kept as passenger records.
 *
 * Also learns the imputation values (medians, modes) of any subset of the rows, which is how the
 * cross-validation folds and the final fit build exactly the feature_state a document stores, and
 * draws the cross-validation sample (docs/model.md, "Cost at scale"). */
#ifndef TITANIC_TRAIN_DATA_H
#define TITANIC_TRAIN_DATA_H

#include "passenger_features.h"

#include <stddef.h>
#include <stdint.h>

/* One labelled passenger: every field a design row needs, except the family key (its group). */
typedef struct train_row {
    uint16_t age_cents; /* age in hundredths of a year; TRAIN_AGE_UNKNOWN, or TRAIN_AGE_EXACT */
    int8_t sibsp, parch;
    int8_t survived, pclass, sex, title; /* survived -1: unknown; title -1: none in the name */
    char embarked;                       /* '\0' when unknown */
    uint8_t cabin_known;
    int16_t pad;
    int32_t group; /* index into the family table (women and boys only), -1 for none */
    int32_t id;    /* passenger id, for the predictions the trainer writes */
} train_row;

#define TRAIN_AGE_UNKNOWN 0xFFFFu
/* An age with more than two decimals: its exact value is in the side list (ages). */
#define TRAIN_AGE_EXACT 0xFFFEu

/* One family with labelled women or boys. */
typedef struct train_family {
    uint64_t hash;     /* features_key_hash of the family key */
    int32_t labelled;  /* labelled women and boys */
    int32_t survivors; /* of them, survived */
    uint32_t key_at;   /* its first labelled member's key, in the data's key text (see below) */
    int32_t kept;      /* 1 when the document keeps it (FEATURES_WC_GROUPS_MAX) */
} train_family;

typedef struct train_data train_data;

/* expected_rows / expected_families: sizes to reserve (0: grow as rows come). max_rows caps what
 * may arrive (no input grows memory without bound). */
train_data *train_data_new(size_t expected_rows, size_t expected_families, size_t max_rows);
void train_data_free(train_data *d);

/* Adds p (labelled or not). */
int train_data_add(train_data *d, const passenger *p, char *err, size_t errlen);

/* After the last row: marks the families the document keeps (at most FEATURES_WC_GROUPS_MAX, most
 * labelled members first). */
int train_data_finish(train_data *d, char *err, size_t errlen);

size_t train_data_rows(const train_data *d);     /* all passengers */
size_t train_data_labelled(const train_data *d); /* those with known survival */
int32_t train_data_id(const train_data *d, size_t i);
const train_row *train_data_row(const train_data *d, size_t i);
const train_family *train_data_families(const train_data *d, size_t *count);
/* Family f's key (what the document's table keeps), or NULL when no member is labelled: kept
 * once per family as its first labelled member arrives, so no row is read twice. */
const char *train_data_family_key(const train_data *d, size_t f);

/* Evidence of row i's family (kept families only) from its labelled members: every one when self
 * is 1 (what the document's table gives a prediction), all but row i itself when self is 0 (a
 * training row; for an unlabelled row that is every one too). */
void train_data_evidence(const train_data *d, size_t i, int self, group_evidence *ev);

/* Row i's design with the evidence ev: features_row_with_evidence(st, input of row i, ev). The
 * input holds no label (nor ticket: the family evidence is ev), so no feature can see it. */
void train_data_design(const train_data *d, const feature_state *st, size_t i,
                       const group_evidence *ev, double *row);

/* Imputation values learned from the rows listed (rows == NULL: all of them). set is copied into
 * the state; no ticket or family tables are attached. */
int train_data_learn(const train_data *d, const size_t *rows, size_t n, const feature_set *set,
                     feature_state *st, char *err, size_t errlen);

/* Identical design rows merged into weighted rows (logit_problem.weight: a binomial GLM with the
 * same likelihood), so a fit's cost follows the distinct rows, not the passengers. */
typedef struct train_patterns {
    double *x, *w, *y; /* rows, passengers per row, survivors (a share after _shares) */
    size_t n, cap, p, max;
    uint32_t *slots;
    size_t nslots;
} train_patterns;
/* At most max_rows distinct rows of p columns (memory grows as they come). -1: out of memory. */
int train_patterns_init(train_patterns *t, size_t p, size_t max_rows);
int train_patterns_add(train_patterns *t, const double *row, int survived);
/* After the last add: y becomes each row's survival share. */
void train_patterns_shares(train_patterns *t);
void train_patterns_free(train_patterns *t);

/* The cross-validation sample: all rows when there are at most max_rows, else the max_rows rows
 * whose passenger ids hash lowest with the seed (known at add time, so no second pass). Indexes
 * into the rows, ascending. */
const size_t *train_data_sample(const train_data *d, size_t *count);
/* Must be called before the first add: how many rows the sample keeps and its seed. */
void train_data_set_sample(train_data *d, size_t max_rows, unsigned long seed);

#endif
