/* Feature groups: parsing their names, the titles in names, family keys, and writing design rows.
 * See passenger_features.h. */
#include "passenger_features.h"

#include "errors.h"
#include "logistic.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row per group, in feature_group order: its name, the columns it expands to (in the order
 * features_row writes them) and the request fields it reads. */
static const struct {
    const char *name;
    const char *columns[4];
    unsigned reads;
} group_table[FEATURE_GROUP_COUNT] = {
    {"sex", {"female"}, READS_SEX},
    {"pclass", {"pclass2", "pclass3"}, READS_PCLASS},
    {"sex_pclass", {"female:pclass2", "female:pclass3"}, READS_SEX | READS_PCLASS},
    {"title", {"title_mrs", "title_miss", "title_master", "title_rare"}, READS_NAME | READS_SEX},
    {"age", {"age"}, READS_AGE | READS_NAME | READS_SEX},
    {"age_median", {"age"}, READS_AGE},
    {"sibsp_parch", {"sibsp", "parch"}, READS_SIBSP | READS_PARCH},
    {"family_size", {"family_small", "family_large"}, READS_SIBSP | READS_PARCH},
    {"fare", {"fare"}, READS_FARE | READS_PCLASS},
    {"log_fare", {"log_fare"}, READS_FARE | READS_PCLASS},
    {"embarked", {"embarked_c", "embarked_q"}, READS_EMBARKED},
    {"cabin_known", {"cabin_known"}, READS_CABIN},
    {"wc_group",
     {"female:wc_died", "boy:wc_lived"},
     READS_NAME | READS_TICKET | READS_PCLASS | READS_EMBARKED | READS_SEX},
    {"boy", {"boy"}, READS_SEX | READS_AGE},
};

static const char *const group_definitions[FEATURE_GROUP_COUNT] = {
    "female: 1 for women, 0 for men, 0.5 for sex 'other' (absent from the training data)",
    "pclass2, pclass3: indicators of 2nd and 3rd class (1st class is the base)",
    "female:pclass2, female:pclass3: the sex effect's change in 2nd and 3rd class",
    "title_mrs, title_miss, title_master, title_rare: title from the name (Mlle/Ms = Miss; Mme, "
    "and women with another honorific = Mrs; men's other honorifics (Dr, Rev, Col, ...) = Rare; Mr "
    "is the base; a name without a known title takes the most common title of the passenger's sex)",
    "age: years; when unknown, the median known age of the passenger's title group in training",
    "age: years; when unknown, the median of all known training ages",
    "sibsp, parch: siblings/spouses and parents/children aboard",
    "family_small, family_large: sibsp + parch + 1 is 2-4, or 5 or more (travelling alone is the "
    "base)",
    "fare: the ticket fare; when unknown, the median training fare of the passenger's class",
    "log_fare: log(1 + fare); an unknown fare is imputed as for fare",
    "embarked_c, embarked_q: port of embarkation Cherbourg or Queenstown (Southampton is the "
    "base); when unknown, the most common training port",
    "cabin_known: 1 when a cabin is recorded",
    "female:wc_died, boy:wc_lived: the passenger's family (surname, class, ticket without its last "
    "character, port) has other women and boys (title Master) of known survival, and the passenger "
    "is a woman and they all died / a boy and they all lived (a training passenger's own survival "
    "never counts)",
    "boy: 1 for a male whose age is known and below 14.5 (the ages of the title Master), read from "
    "age and sex only, for requests without a name",
};

static const char *const title_names[TITLE_COUNT] = {"Mr", "Mrs", "Miss", "Master", "Rare"};

const char *feature_group_name(feature_group group) {
    return group < FEATURE_GROUP_COUNT ? group_table[group].name : "?";
}

const char *feature_group_definition(feature_group group) {
    return group < FEATURE_GROUP_COUNT ? group_definitions[group] : "?";
}

unsigned feature_group_reads(feature_group group) {
    return group < FEATURE_GROUP_COUNT ? group_table[group].reads : 0;
}

const char *title_name(int t) {
    return t >= 0 && t < TITLE_COUNT ? title_names[t] : "?";
}

static void set_from(feature_set *set, const feature_group *groups, int count) {
    set->count = count;
    for (int i = 0; i < count; i++)
        set->groups[i] = groups[i];
}

void feature_set_default(feature_set *set) {
    /* The smallest of the trainer's candidates, the one its nested CV chooses on train.csv
     * (docs/model.md): titles carry sex and age group, wc_group the family's fate. */
    static const feature_group groups[] = {FEATURE_TITLE, FEATURE_PCLASS, FEATURE_WC_GROUP};
    set_from(set, groups, (int)(sizeof groups / sizeof groups[0]));
}

void feature_set_reference(feature_set *set) {
    static const feature_group groups[] = {FEATURE_SEX, FEATURE_PCLASS, FEATURE_AGE_MEDIAN,
                                           FEATURE_SIBSP_PARCH, FEATURE_FARE};
    set_from(set, groups, (int)(sizeof groups / sizeof groups[0]));
}

int feature_set_has(const feature_set *set, feature_group g) {
    for (int i = 0; i < set->count; i++)
        if (set->groups[i] == g)
            return 1;
    return 0;
}

int feature_set_parse(const char *text, feature_set *set, char *err, size_t errlen) {
    if (strcmp(text, "default") == 0) {
        feature_set_default(set);
        return 0;
    }
    if (strcmp(text, "reference") == 0) {
        feature_set_reference(set);
        return 0;
    }
    set->count = 0;
    const char *s = text;
    while (*s) {
        size_t len = strcspn(s, ",");
        int found = -1;
        for (int g = 0; g < FEATURE_GROUP_COUNT; g++)
            if (strlen(group_table[g].name) == len && strncmp(s, group_table[g].name, len) == 0)
                found = g;
        if (found < 0)
            return errorf(
                err, errlen,
                "unknown feature group \"%.*s\" (known: sex, pclass, sex_pclass, "
                "title, age, age_median, sibsp_parch, family_size, fare, log_fare, embarked, "
                "cabin_known, wc_group, boy; or default, reference)",
                (int)(len > 40 ? 40 : len), s);
        if (feature_set_has(set, (feature_group)found))
            return errorf(err, errlen, "feature group \"%s\" given twice", group_table[found].name);
        set->groups[set->count++] = (feature_group)found;
        s += len;
        if (*s == ',')
            s++;
    }
    if (feature_set_has(set, FEATURE_AGE) && feature_set_has(set, FEATURE_AGE_MEDIAN))
        return errorf(err, errlen, "feature groups age and age_median are alternatives; give one");
    return 0;
}

void feature_set_format(const feature_set *set, char *buf, size_t len) {
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (int i = 0; i < set->count && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 group_table[set->groups[i]].name);
}

size_t features_columns(const feature_set *set, const char **names) {
    size_t n = 1;
    if (names)
        names[0] = "intercept";
    for (int i = 0; i < set->count; i++) {
        const char *const *columns = group_table[set->groups[i]].columns;
        for (int c = 0; c < 4 && columns[c]; c++, n++)
            if (names)
                names[n] = columns[c];
    }
    return n;
}

/* Compares the word [w, w+len) to a title, without the trailing dot. */
static int word_is(const char *w, size_t len, const char *t) {
    return strlen(t) == len && strncmp(w, t, len) == 0;
}

static int title_of_word(const char *w, size_t len) {
    if (word_is(w, len, "Mr"))
        return TITLE_MR;
    if (word_is(w, len, "Mrs") || word_is(w, len, "Mme"))
        return TITLE_MRS;
    if (word_is(w, len, "Miss") || word_is(w, len, "Mlle") || word_is(w, len, "Ms"))
        return TITLE_MISS;
    if (word_is(w, len, "Master"))
        return TITLE_MASTER;
    static const char *const rare[] = {"Dr",       "Rev",  "Col",  "Major", "Capt",
                                       "Sir",      "Lady", "Don",  "Dona",  "Jonkheer",
                                       "Countess", "Mmes", "Mlles"};
    for (size_t i = 0; i < sizeof rare / sizeof rare[0]; i++)
        if (word_is(w, len, rare[i]))
            return TITLE_RARE;
    return -1;
}

/* First known title among the words of s that end in '.'. */
static int scan_title(const char *s) {
    while (*s) {
        while (*s && isspace((unsigned char)*s))
            s++;
        const char *w = s;
        while (*s && !isspace((unsigned char)*s) && *s != '.')
            s++;
        if (*s == '.' && s > w) {
            int t = title_of_word(w, (size_t)(s - w));
            if (t >= 0)
                return t;
        }
        while (*s && !isspace((unsigned char)*s))
            s++;
    }
    return -1;
}

int passenger_title(const char *name) {
    /* Kaggle writes "Surname, Title. Given names": the title follows the first comma. */
    const char *comma = strchr(name, ',');
    if (comma) {
        int t = scan_title(comma + 1);
        if (t >= 0)
            return t;
    }
    return scan_title(name);
}

void feature_state_free(feature_state *state) {
    if (!state)
        return;
    for (size_t i = 0; i < state->wc_count; i++)
        free(state->wc_groups[i].key);
    free(state->wc_groups);
    state->wc_groups = NULL;
    state->wc_count = 0;
}

/* ---- families ---- */

/* [*start, *start + *len): the surname, without surrounding blanks. */
static void surname_span(const char *name, const char **start, size_t *len) {
    const char *comma = strchr(name, ',');
    const char *b = name, *e = comma ? comma : name + strlen(name);
    if (!comma) {
        /* First-name-first ("Mr. Owen Harris Braund"): the last word. */
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        const char *w = e;
        while (w > b && !isspace((unsigned char)w[-1]))
            w--;
        b = w;
    }
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    *start = b;
    *len = (size_t)(e - b);
}

size_t features_family_key(const passenger *p, char *buf, size_t len) {
    size_t tlen = strlen(p->ticket);
    if (tlen == 0 || len == 0) {
        if (len)
            buf[0] = '\0';
        return 0;
    }
    const char *surname;
    size_t slen;
    surname_span(p->name, &surname, &slen);
    /* Written by hand: this runs once per passenger read by the trainer. */
    if (slen + tlen + 8 > len)
        slen = len > tlen + 8 ? len - tlen - 8 : 0;
    size_t n = 0;
    memcpy(buf, surname, slen);
    n += slen;
    buf[n++] = '|';
    buf[n++] = (char)('0' + (p->pclass >= 0 && p->pclass <= 9 ? p->pclass : 0));
    buf[n++] = '|';
    memcpy(buf + n, p->ticket, tlen - 1);
    n += tlen - 1;
    buf[n++] = '|';
    if (p->embarked)
        buf[n++] = p->embarked;
    buf[n] = '\0';
    return n;
}

uint64_t features_key_hash(const char *key, size_t len) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int features_compare_wc(const void *a, const void *b) {
    uint64_t x = ((const wc_group_count *)a)->hash, y = ((const wc_group_count *)b)->hash;
    return x < y ? -1 : x > y;
}

int features_title_for_sex(int title, int sex) {
    return title == TITLE_RARE && sex == SEX_FEMALE ? TITLE_MRS : title;
}

/* ---- rows ---- */

static int effective_title(const feature_state *st, const feature_input *in) {
    if (in->title >= 0)
        return features_title_for_sex(in->title, in->sex);
    if (in->sex == SEX_MALE || in->sex == SEX_FEMALE)
        return st->title_for_sex[in->sex];
    return TITLE_RARE;
}

static double fare_value(const feature_state *st, const feature_input *in) {
    if (!isnan(in->fare))
        return in->fare;
    int c = in->pclass >= 1 && in->pclass <= 3 ? in->pclass - 1 : 2;
    return st->fare_by_pclass[c];
}

/* The document's count for p's family (prediction: p is never one of the labelled members). */
static void features_wc_evidence(const feature_state *st, const passenger *p, group_evidence *ev) {
    ev->labelled = ev->survivors = 0;
    char key[FEATURES_FAMILY_KEY_MAX + 1];
    size_t len = features_family_key(p, key, sizeof key);
    if (len == 0 || st->wc_count == 0)
        return;
    wc_group_count probe = {.hash = features_key_hash(key, len)};
    const wc_group_count *g =
        bsearch(&probe, st->wc_groups, st->wc_count, sizeof probe, features_compare_wc);
    /* Equal hashes of different keys would merge two families: the key decides. */
    if (!g || strcmp(g->key, key) != 0)
        return;
    ev->labelled = g->labelled;
    ev->survivors = g->survivors;
}

void features_row(const feature_state *st, const passenger *p, double *out) {
    group_evidence wc = {0, 0};
    if (feature_set_has(&st->set, FEATURE_WC_GROUP))
        features_wc_evidence(st, p, &wc);
    /* p's fields as features read them (the title parsed from the name once). */
    feature_input in = {
        .title = passenger_title(p->name),
        .sex = p->sex,
        .pclass = p->pclass,
        .sibsp = p->sibsp,
        .parch = p->parch,
        .cabin_known = p->cabin[0] != '\0',
        .age = p->age,
        .fare = p->fare,
        .embarked = p->embarked,
    };
    features_row_with_evidence(st, &in, &wc, out);
}

void features_row_with_evidence(const feature_state *st, const feature_input *p,
                                const group_evidence *wc, double *out) {
    size_t k = 0;
    out[k++] = 1.0;
    double female = p->sex == SEX_FEMALE ? 1.0 : p->sex == SEX_MALE ? 0.0 : 0.5;
    double p2 = p->pclass == 2, p3 = p->pclass == 3;
    for (int i = 0; i < st->set.count; i++) {
        switch (st->set.groups[i]) {
        case FEATURE_SEX:
            out[k++] = female;
            break;
        case FEATURE_PCLASS:
            out[k++] = p2;
            out[k++] = p3;
            break;
        case FEATURE_SEX_PCLASS:
            out[k++] = female * p2;
            out[k++] = female * p3;
            break;
        case FEATURE_TITLE: {
            int t = effective_title(st, p);
            out[k++] = t == TITLE_MRS;
            out[k++] = t == TITLE_MISS;
            out[k++] = t == TITLE_MASTER;
            out[k++] = t == TITLE_RARE;
            break;
        }
        case FEATURE_AGE:
            out[k++] = isnan(p->age) ? st->age_by_title[effective_title(st, p)] : p->age;
            break;
        case FEATURE_AGE_MEDIAN:
            out[k++] = isnan(p->age) ? st->age_median : p->age;
            break;
        case FEATURE_SIBSP_PARCH:
            out[k++] = p->sibsp;
            out[k++] = p->parch;
            break;
        case FEATURE_FAMILY_SIZE: {
            int size = p->sibsp + p->parch + 1;
            out[k++] = size >= 2 && size <= 4;
            out[k++] = size >= 5;
            break;
        }
        case FEATURE_FARE:
            out[k++] = fare_value(st, p);
            break;
        case FEATURE_LOG_FARE:
            out[k++] = log1p(fare_value(st, p));
            break;
        case FEATURE_EMBARKED: {
            char e = p->embarked ? p->embarked : st->embarked_mode;
            out[k++] = e == 'C';
            out[k++] = e == 'Q';
            break;
        }
        case FEATURE_CABIN_KNOWN:
            out[k++] = p->cabin_known;
            break;
        case FEATURE_WC_GROUP: {
            /* Women whose family's other women and boys all died; boys whose family's all lived. */
            int known = wc->labelled > 0;
            out[k++] = known && wc->survivors == 0 && p->sex == SEX_FEMALE;
            out[k++] = known && wc->survivors == wc->labelled && p->sex != SEX_FEMALE &&
                       effective_title(st, p) == TITLE_MASTER;
            break;
        }
        case FEATURE_BOY:
            out[k++] = p->sex == SEX_MALE && p->age < 14.5; /* false for an unknown (NAN) age */
            break;
        case FEATURE_GROUP_COUNT:
            break;
        }
    }
}
