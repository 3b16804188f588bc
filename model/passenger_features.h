/* Features: how a passenger record becomes one row of the design matrix.
 *
 * A model names its features as groups ("sex", "title", "wc_group", ...); each group expands to
 * one or more columns. Anything a group needs from the training data (median ages by title, the
 * fare median by class, the most common port, the families' survival counts) is learned once
 * by the trainer (train_data_learn) and kept in a feature_state, which the model document stores,
 * so prediction from the document imputes exactly as training did. */
#ifndef TITANIC_PASSENGER_FEATURES_H
#define TITANIC_PASSENGER_FEATURES_H

#include "passenger.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FEATURE_SEX,         /* female (other: 0.5) */
    FEATURE_PCLASS,      /* pclass2, pclass3 */
    FEATURE_SEX_PCLASS,  /* female:pclass2, female:pclass3 */
    FEATURE_TITLE,       /* title_mrs, title_miss, title_master, title_rare (Mr is the base) */
    FEATURE_AGE,         /* age; missing imputed by the median of the passenger's title group */
    FEATURE_AGE_MEDIAN,  /* age; missing imputed by the overall median (the reference design) */
    FEATURE_SIBSP_PARCH, /* sibsp, parch */
    FEATURE_FAMILY_SIZE, /* family_small (2-4 aboard together), family_large (5+) */
    FEATURE_FARE,        /* fare */
    FEATURE_LOG_FARE,    /* log(1 + fare) */
    FEATURE_EMBARKED,    /* embarked_c, embarked_q (Southampton is the base) */
    FEATURE_CABIN_KNOWN, /* cabin_known */
    FEATURE_WC_GROUP,    /* female:wc_died, boy:wc_lived: the family's women and boys */
    FEATURE_BOY,         /* boy: a male under 14.5 by age, the name not read (forms) */
    FEATURE_GROUP_COUNT
} feature_group;

/* Upper bound on the columns any feature set expands to (intercept included). */
#define FEATURES_MAX_COLUMNS 32

typedef struct feature_set {
    int count;
    feature_group groups[FEATURE_GROUP_COUNT];
} feature_set;

typedef enum { TITLE_MR, TITLE_MRS, TITLE_MISS, TITLE_MASTER, TITLE_RARE, TITLE_COUNT } title;

/* Longest family key: surname, class digit, ticket stem, port and three separators. */
#define FEATURES_FAMILY_KEY_MAX (PASSENGER_NAME_MAX + PASSENGER_TICKET_MAX + 8)

/* Most woman-child groups a document may carry: the trainer keeps at most this many (the ones with
 * the most labelled members) and the loader refuses more, so a document stays under a megabyte
 * (the real list has 275 such families; ten times the whole ship's 2,224 people is far above). */
#define FEATURES_WC_GROUPS_MAX 20000

/* One family's women and boys with known survival, for the wc_group feature. */
typedef struct wc_group_count {
    uint64_t hash; /* features_key_hash of key: the table is sorted by it */
    char *key;     /* "surname|pclass|ticket stem|port" (features_family_key) */
    int32_t labelled, survivors;
} wc_group_count;

/* Survival evidence from a passenger's group: labelled members other than the passenger. */
typedef struct group_evidence {
    int32_t labelled, survivors;
} group_evidence;

/* What training learned; everything a prediction needs besides the coefficients. */
typedef struct feature_state {
    feature_set set;
    double age_by_title[TITLE_COUNT]; /* medians of known ages per title */
    double age_median;                /* median of all known ages */
    int title_for_sex[2];             /* most common title of men / women, for names with none */
    double fare_by_pclass[3];         /* median fares of classes 1..3 */
    char embarked_mode;               /* most common port */
    size_t wc_count;                  /* sorted by hash for bsearch */
    wc_group_count *wc_groups;
} feature_state;

/* The request fields a group reads, as bits. */
enum {
    READS_PCLASS = 1,
    READS_SEX = 2,
    READS_AGE = 4,
    READS_SIBSP = 8,
    READS_PARCH = 16,
    READS_FARE = 32,
    READS_EMBARKED = 64,
    READS_NAME = 128,
    READS_TICKET = 256,
    READS_CABIN = 512
};

const char *feature_group_name(feature_group group);
/* One sentence defining the group's columns, for the document and the report. */
const char *feature_group_definition(feature_group group);
unsigned feature_group_reads(feature_group group);
const char *title_name(int title);

/* The default model's groups (chosen by cross-validation; docs/model.md) and the plain reference
 * design of logit_reference.json. */
void feature_set_default(feature_set *set);
void feature_set_reference(feature_set *set);

/* Parses "default", "reference", or a comma-separated list of group names. -1 with err naming an
 * unknown or repeated group. */
int feature_set_parse(const char *text, feature_set *set, char *err, size_t errlen);

/* 1 when set includes group g. */
int feature_set_has(const feature_set *set, feature_group g);

/* Writes the comma-separated list of group names. */
void feature_set_format(const feature_set *set, char *buf, size_t len);

/* Number of design columns (intercept first). When names is non-NULL it receives the column
 * names (static strings), FEATURES_MAX_COLUMNS entries at most. */
size_t features_columns(const feature_set *set, const char **names);

/* The title in a Kaggle ("Braund, Mr. Owen Harris") or first-name-first ("Mr. Owen Braund")
 * name, or -1 when it has none we know. Mlle and Ms count as Miss, Mme as Mrs; Dr, Rev, Col, ...
 * are Rare. */
int passenger_title(const char *name);

/* What a design row is computed from: the passenger reduced to typed fields, the name to its
 * title. The trainer fills it from its compact rows, prediction from a passenger record
 * (features_row), so both build rows by the same code without rebuilding a name. */
typedef struct feature_input {
    int title; /* TITLE_*, as passenger_title read it; -1: no name or no known title */
    int sex, pclass, sibsp, parch, cabin_known;
    double age, fare; /* NAN: unknown */
    char embarked;    /* '\0': unknown */
} feature_input;

/* Writes the row of p (features_columns values) for prediction: the family evidence from the
 * state's table. */
void features_row(const feature_state *state, const passenger *p, double *out);

/* The family key of p, "surname|pclass|ticket without its last character|port" (the surname is
 * the text before the first comma, or the last word of a name without one): namesakes in other
 * classes, on other tickets or from other ports are other families. Returns its length, 0 when p
 * has no ticket (no family can be told). buf holds FEATURES_FAMILY_KEY_MAX + 1 bytes. */
size_t features_family_key(const passenger *p, char *buf, size_t len);

/* FNV-1a, 64 bits: how training tells families apart without keeping their keys. */
uint64_t features_key_hash(const char *key, size_t len);

/* The row of in with the woman-child evidence given instead of looked up: the trainer computes it
 * with the cross-validation folds' passengers hidden. */
void features_row_with_evidence(const feature_state *state, const feature_input *in,
                                const group_evidence *wc, double *out);

/* Orders wc_group_count entries by hash. */
int features_compare_wc(const void *a, const void *b);

/* A parsed title as the model counts it: women's rare honorifics (Lady, Countess, Dr) are Mrs. */
int features_title_for_sex(int title, int sex);

void feature_state_free(feature_state *state);

#endif
