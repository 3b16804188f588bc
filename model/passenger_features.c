/* Feature groups: parsing their names, learning imputation values and ticket groups from training
 * passengers, and writing design rows. See features.h. */
#include "passenger_features.h"

#include <ctype.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const group_names[FEATURE_GROUP_COUNT] = {
    "sex",         "pclass", "sex_pclass", "title",    "age",         "age_median",   "sibsp_parch",
    "family_size", "fare",   "log_fare",   "embarked", "cabin_known", "ticket_group",
};

static const char *const group_definitions[FEATURE_GROUP_COUNT] = {
    "female: 1 for women, 0 for men, 0.5 for sex 'other' (absent from the training data)",
    "pclass2, pclass3: indicators of 2nd and 3rd class (1st class is the base)",
    "female:pclass2, female:pclass3: the sex effect's change in 2nd and 3rd class",
    "title_mrs, title_miss, title_master, title_rare: title from the name (Mlle/Ms = Miss; Mme, "
    "and women with another honorific = Mrs; men's other honorifics (Dr, Rev, Col, ...) = Rare; Mr "
    "is the base; a name without a known title takes the most common title of the passenger's "
    "sex)",
    "age: years; when unknown, the median known age of the passenger's title group in training",
    "age: years; when unknown, the median of all known training ages",
    "sibsp, parch: siblings/spouses and parents/children aboard",
    "family_small, family_large: sibsp + parch + 1 is 2-4, or 5 or more (travelling alone is the "
    "base)",
    "fare: the ticket fare; when unknown, the median training fare of the passenger's class",
    "log_fare: log(1 + fare); an unknown fare is imputed as for fare",
    "embarked_c, embarked_q: port of embarkation Cherbourg or Queenstown (Southampton is the "
    "base); "
    "when unknown, the most common training port",
    "cabin_known: 1 when a cabin is recorded",
    "ticket_group_survivor, ticket_group_died: other training passengers held the same ticket "
    "and at least one of them survived / none of them did (a training passenger's own survival "
    "never counts)",
};

static const char *const title_names[TITLE_COUNT] = {"Mr", "Mrs", "Miss", "Master", "Rare"};

const char *feature_group_name(feature_group group) {
    return group < FEATURE_GROUP_COUNT ? group_names[group] : "?";
}

const char *feature_group_definition(feature_group group) {
    return group < FEATURE_GROUP_COUNT ? group_definitions[group] : "?";
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
    /* Chosen by backward elimination on repeated 10-fold CV log-loss (docs/model.md). No separate
     * "sex" group: with women's rare titles counted as Mrs, female == Mrs + Miss, so the titles
     * carry the sex effect (and Master separates boys from men). Fare, cabin and port were
     * dropped: once class and ticket group are in, they change CV log-loss by < 0.001. */
    static const feature_group groups[] = {
        FEATURE_PCLASS, FEATURE_SEX_PCLASS,  FEATURE_TITLE,
        FEATURE_AGE,    FEATURE_FAMILY_SIZE, FEATURE_TICKET_GROUP,
    };
    set_from(set, groups, (int)(sizeof groups / sizeof groups[0]));
}

void feature_set_reference(feature_set *set) {
    static const feature_group groups[] = {FEATURE_SEX, FEATURE_PCLASS, FEATURE_AGE_MEDIAN,
                                           FEATURE_SIBSP_PARCH, FEATURE_FARE};
    set_from(set, groups, (int)(sizeof groups / sizeof groups[0]));
}

static int has_group(const feature_set *set, feature_group g) {
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
            if (strlen(group_names[g]) == len && strncmp(s, group_names[g], len) == 0)
                found = g;
        if (found < 0) {
            snprintf(err, errlen,
                     "unknown feature group \"%.*s\" (known: sex, pclass, sex_pclass, "
                     "title, age, age_median, sibsp_parch, family_size, fare, log_fare, embarked, "
                     "cabin_known, ticket_group; or default, reference)",
                     (int)(len > 40 ? 40 : len), s);
            return -1;
        }
        if (has_group(set, (feature_group)found)) {
            snprintf(err, errlen, "feature group \"%s\" given twice", group_names[found]);
            return -1;
        }
        set->groups[set->count++] = (feature_group)found;
        s += len;
        if (*s == ',')
            s++;
    }
    if (has_group(set, FEATURE_AGE) && has_group(set, FEATURE_AGE_MEDIAN)) {
        snprintf(err, errlen, "feature groups age and age_median are alternatives; give one");
        return -1;
    }
    return 0;
}

void feature_set_format(const feature_set *set, char *buf, size_t len) {
    size_t used = 0;
    if (len)
        buf[0] = '\0';
    for (int i = 0; i < set->count && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 group_names[set->groups[i]]);
}

/* Column names per group, in the order features_row writes them. */
static size_t group_columns(feature_group g, const char **names) {
    static const char *const cols[FEATURE_GROUP_COUNT][4] = {
        {"female"},
        {"pclass2", "pclass3"},
        {"female:pclass2", "female:pclass3"},
        {"title_mrs", "title_miss", "title_master", "title_rare"},
        {"age"},
        {"age"},
        {"sibsp", "parch"},
        {"family_small", "family_large"},
        {"fare"},
        {"log_fare"},
        {"embarked_c", "embarked_q"},
        {"cabin_known"},
        {"ticket_group_survivor", "ticket_group_died"},
    };
    size_t n = 0;
    while (n < 4 && cols[g][n]) {
        if (names)
            names[n] = cols[g][n];
        n++;
    }
    return n;
}

size_t features_columns(const feature_set *set, const char **names) {
    size_t n = 0;
    if (names)
        names[0] = "intercept";
    n++;
    for (int i = 0; i < set->count; i++)
        n += group_columns(set->groups[i], names ? names + n : NULL);
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

/* ---- learning ---- */

typedef struct {
    double *v;
    size_t n, cap;
} value_list;

static int list_push(value_list *l, double x) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        double *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 0;
}

/* Median (mean of the middle two for even counts, as pandas and numpy); NAN for an empty list.
 * GSL's quickselect reorders the list in place: O(n), where sorting a million ages was a quarter
 * of the benchmark's run time. */
static double list_median(value_list *l) {
    if (l->n == 0)
        return NAN;
    return gsl_stats_median(l->v, 1, l->n);
}

struct feature_learner {
    feature_set set;
    int need_age, need_age_by_title, need_titles, need_fare, need_tickets;
    value_list age_by_title[TITLE_COUNT], ages, fare_by_pclass[3];
    long titles_by_sex[2][TITLE_COUNT];
    long embarked[3]; /* C, Q, S */
    size_t ticket_n, ticket_cap;
    ticket_count *tickets; /* one entry per passenger until finish merges them */
};

feature_learner *features_learner_new(const feature_set *set) {
    feature_learner *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->set = *set;
    l->need_age = has_group(set, FEATURE_AGE) || has_group(set, FEATURE_AGE_MEDIAN);
    l->need_age_by_title = has_group(set, FEATURE_AGE);
    l->need_titles = has_group(set, FEATURE_AGE) || has_group(set, FEATURE_TITLE);
    l->need_fare = has_group(set, FEATURE_FARE) || has_group(set, FEATURE_LOG_FARE);
    l->need_tickets = has_group(set, FEATURE_TICKET_GROUP);
    return l;
}

static void learner_free(feature_learner *l) {
    for (int t = 0; t < TITLE_COUNT; t++)
        free(l->age_by_title[t].v);
    free(l->ages.v);
    for (int c = 0; c < 3; c++)
        free(l->fare_by_pclass[c].v);
    free(l->tickets);
    free(l);
}

/* Women with a rare honorific (Lady, the Countess, Dr, Dona) are grouped with Mrs: there are three
 * in train.csv, too few for a level of their own, and keeping them under Rare would make "female"
 * almost exactly Mrs + Miss (a rank-deficient design in some CV folds). */
static int title_for_sex(int t, int sex) {
    return t == TITLE_RARE && sex == SEX_FEMALE ? TITLE_MRS : t;
}

static int title_or_default(int t, int sex) {
    if (t >= 0)
        return title_for_sex(t, sex);
    return sex == SEX_FEMALE ? TITLE_MISS : sex == SEX_MALE ? TITLE_MR : TITLE_RARE;
}

static int add_ticket(feature_learner *l, const passenger *p) {
    if (!p->ticket[0] || p->survived < 0)
        return 0;
    if (l->ticket_n == l->ticket_cap) {
        size_t cap = l->ticket_cap ? l->ticket_cap * 2 : 256;
        ticket_count *t = realloc(l->tickets, cap * sizeof *t);
        if (!t)
            return -1;
        l->tickets = t;
        l->ticket_cap = cap;
    }
    ticket_count *t = &l->tickets[l->ticket_n++];
    memcpy(t->ticket, p->ticket, sizeof t->ticket);
    t->passengers = 1;
    t->survivors = p->survived == 1;
    return 0;
}

int features_learner_add(feature_learner *l, const passenger *p, char *err, size_t errlen) {
    /* Only what the set's groups use: the benchmark streams a million rows through here. */
    int t = l->need_titles ? passenger_title(p->name) : -1;
    if (t >= 0 && (p->sex == SEX_MALE || p->sex == SEX_FEMALE))
        l->titles_by_sex[p->sex][t]++;
    int ok = 0;
    if (l->need_age && !isnan(p->age))
        ok |= list_push(&l->ages, p->age);
    if (l->need_age_by_title && !isnan(p->age))
        ok |= list_push(&l->age_by_title[title_or_default(t, p->sex)], p->age);
    if (l->need_fare && !isnan(p->fare) && p->pclass >= 1 && p->pclass <= 3)
        ok |= list_push(&l->fare_by_pclass[p->pclass - 1], p->fare);
    if (p->embarked == 'C')
        l->embarked[0]++;
    else if (p->embarked == 'Q')
        l->embarked[1]++;
    else if (p->embarked == 'S')
        l->embarked[2]++;
    if (l->need_tickets)
        ok |= add_ticket(l, p);
    if (ok != 0) {
        snprintf(err, errlen, "out of memory while learning features");
        return -1;
    }
    return 0;
}

static int compare_ticket(const void *a, const void *b) {
    return strcmp(((const ticket_count *)a)->ticket, ((const ticket_count *)b)->ticket);
}

/* Sorts the per-passenger entries and merges equal tickets into one count each. */
static void merge_tickets(feature_learner *l, feature_state *st) {
    qsort(l->tickets, l->ticket_n, sizeof *l->tickets, compare_ticket);
    size_t out = 0;
    for (size_t i = 0; i < l->ticket_n; i++) {
        if (out > 0 && strcmp(l->tickets[out - 1].ticket, l->tickets[i].ticket) == 0) {
            l->tickets[out - 1].passengers += l->tickets[i].passengers;
            l->tickets[out - 1].survivors += l->tickets[i].survivors;
        } else {
            l->tickets[out++] = l->tickets[i];
        }
    }
    st->tickets = l->tickets;
    st->ticket_count = out;
    l->tickets = NULL;
}

int features_learner_finish(feature_learner *l, feature_state *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    st->set = l->set;
    st->age_median = list_median(&l->ages);
    if (l->need_age && isnan(st->age_median)) {
        snprintf(err, errlen,
                 "no training passenger has a known age; the age feature cannot be "
                 "imputed");
        learner_free(l);
        return -1;
    }
    for (int t = 0; t < TITLE_COUNT; t++) {
        double m = list_median(&l->age_by_title[t]);
        st->age_by_title[t] = isnan(m) ? st->age_median : m;
    }
    if (!l->need_age) {
        st->age_median = 0.0;
        for (int t = 0; t < TITLE_COUNT; t++)
            st->age_by_title[t] = 0.0;
    }
    /* A class without any known fare falls back to the median of all three classes' medians. */
    double known = 0.0;
    int nknown = 0;
    for (int c = 0; c < 3; c++) {
        st->fare_by_pclass[c] = list_median(&l->fare_by_pclass[c]);
        if (!isnan(st->fare_by_pclass[c])) {
            known += st->fare_by_pclass[c];
            nknown++;
        }
    }
    if (l->need_fare && nknown == 0) {
        snprintf(err, errlen,
                 "no training passenger has a known fare; the fare feature cannot be "
                 "imputed");
        learner_free(l);
        return -1;
    }
    for (int c = 0; c < 3; c++)
        if (isnan(st->fare_by_pclass[c]))
            st->fare_by_pclass[c] = nknown ? known / nknown : 0.0;
    for (int s = 0; s < 2; s++) {
        int best = s == SEX_FEMALE ? TITLE_MISS : TITLE_MR;
        for (int t = 0; t < TITLE_COUNT; t++)
            if (l->titles_by_sex[s][t] > l->titles_by_sex[s][best])
                best = t;
        st->title_for_sex[s] = best;
    }
    /* Ties go to Southampton, where most passengers boarded. */
    st->embarked_mode = 'S';
    if (l->embarked[0] > l->embarked[2] && l->embarked[0] >= l->embarked[1])
        st->embarked_mode = 'C';
    else if (l->embarked[1] > l->embarked[2] && l->embarked[1] > l->embarked[0])
        st->embarked_mode = 'Q';
    if (l->need_tickets)
        merge_tickets(l, st);
    learner_free(l);
    return 0;
}

int features_learn(const feature_set *set, const passenger *rows, size_t n, feature_state *state,
                   char *err, size_t errlen) {
    feature_learner *l = features_learner_new(set);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (features_learner_add(l, &rows[i], err, errlen) != 0) {
            learner_free(l);
            return -1;
        }
    }
    return features_learner_finish(l, state, err, errlen);
}

void feature_state_free(feature_state *state) {
    if (!state)
        return;
    free(state->tickets);
    state->tickets = NULL;
    state->ticket_count = 0;
}

const ticket_count *features_find_ticket(const feature_state *st, const char *ticket) {
    if (!ticket[0] || st->ticket_count == 0)
        return NULL;
    ticket_count key;
    memset(&key, 0, sizeof key);
    snprintf(key.ticket, sizeof key.ticket, "%s", ticket);
    return bsearch(&key, st->tickets, st->ticket_count, sizeof key, compare_ticket);
}

/* ---- rows ---- */

static double female_value(int sex) {
    return sex == SEX_FEMALE ? 1.0 : sex == SEX_MALE ? 0.0 : 0.5;
}

static int effective_title(const feature_state *st, const passenger *p) {
    int t = passenger_title(p->name);
    if (t >= 0)
        return title_for_sex(t, p->sex);
    if (p->sex == SEX_MALE || p->sex == SEX_FEMALE)
        return st->title_for_sex[p->sex];
    return TITLE_RARE;
}

static double fare_value(const feature_state *st, const passenger *p) {
    if (!isnan(p->fare))
        return p->fare;
    int c = p->pclass >= 1 && p->pclass <= 3 ? p->pclass - 1 : 2;
    return st->fare_by_pclass[c];
}

/* Other training holders of p's ticket: counts without p itself when p is a training row. */
static void ticket_group(const feature_state *st, const passenger *p, int exclude_self,
                         double *survivor, double *died) {
    *survivor = *died = 0.0;
    const ticket_count *t = features_find_ticket(st, p->ticket);
    if (!t)
        return;
    long others = t->passengers, survivors = t->survivors;
    if (exclude_self && p->survived >= 0) {
        others -= 1;
        survivors -= p->survived == 1;
    }
    if (others <= 0)
        return;
    *survivor = survivors > 0 ? 1.0 : 0.0;
    *died = survivors == 0 ? 1.0 : 0.0;
}

void features_row(const feature_state *st, const passenger *p, int exclude_self, double *out) {
    size_t k = 0;
    out[k++] = 1.0;
    double female = female_value(p->sex);
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
            out[k++] = p->cabin[0] != '\0';
            break;
        case FEATURE_TICKET_GROUP:
            ticket_group(st, p, exclude_self, &out[k], &out[k + 1]);
            k += 2;
            break;
        case FEATURE_GROUP_COUNT:
            break;
        }
    }
}

int features_design(const feature_state *st, const passenger *rows, size_t n, int exclude_self,
                    double **x, double **y, char *err, size_t errlen) {
    size_t p = features_columns(&st->set, NULL);
    *x = NULL;
    *y = NULL;
    if (n > (size_t)-1 / sizeof(double) / p) {
        snprintf(err, errlen, "too many rows for one design matrix");
        return -1;
    }
    double *xs = malloc((n ? n : 1) * p * sizeof *xs);
    double *ys = malloc((n ? n : 1) * sizeof *ys);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        snprintf(err, errlen, "out of memory for %zu rows x %zu columns", n, p);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (rows[i].survived != 0 && rows[i].survived != 1) {
            snprintf(err, errlen, "passenger %d has unknown survival and cannot be trained on",
                     (int)rows[i].id);
            free(xs);
            free(ys);
            return -1;
        }
        features_row(st, &rows[i], exclude_self, xs + i * p);
        ys[i] = rows[i].survived;
    }
    *x = xs;
    *y = ys;
    return 0;
}

int features_row_needs_state(const feature_set *set, const passenger *p) {
    int titled = -2; /* not looked up yet */
    for (int i = 0; i < set->count; i++) {
        switch (set->groups[i]) {
        case FEATURE_TITLE:
        case FEATURE_AGE:
            if (titled == -2)
                titled = passenger_title(p->name);
            if (titled < 0 || (set->groups[i] == FEATURE_AGE && isnan(p->age)))
                return 1;
            break;
        case FEATURE_AGE_MEDIAN:
            if (isnan(p->age))
                return 1;
            break;
        case FEATURE_FARE:
        case FEATURE_LOG_FARE:
            if (isnan(p->fare))
                return 1;
            break;
        case FEATURE_EMBARKED:
            if (!p->embarked)
                return 1;
            break;
        case FEATURE_TICKET_GROUP:
            return 1;
        default:
            break;
        }
    }
    return 0;
}
