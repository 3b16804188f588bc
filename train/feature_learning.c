/* Learning a feature state from training passengers (imputation medians and modes, ticket
 * groups) and building a design matrix from it: the training half of passenger_features.h. The
 * medians come from GSL, which is why this lives with the fitter and not in the prediction
 * library. */
#include "feature_learning.h"

#include "array.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- learning ---- */

typedef struct {
    double *v;
    size_t n, cap;
} value_list;

static int list_push(value_list *l, double x) {
    if (array_reserve((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v, SIZE_MAX / sizeof *l->v))
        return -1;
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
    l->need_age = feature_set_has(set, FEATURE_AGE) || feature_set_has(set, FEATURE_AGE_MEDIAN);
    l->need_age_by_title = feature_set_has(set, FEATURE_AGE);
    l->need_titles = feature_set_has(set, FEATURE_AGE) || feature_set_has(set, FEATURE_TITLE);
    l->need_fare = feature_set_has(set, FEATURE_FARE) || feature_set_has(set, FEATURE_LOG_FARE);
    l->need_tickets = feature_set_has(set, FEATURE_TICKET_GROUP);
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

static int title_or_default(int t, int sex) {
    if (t >= 0)
        return features_title_for_sex(t, sex);
    return sex == SEX_FEMALE ? TITLE_MISS : sex == SEX_MALE ? TITLE_MR : TITLE_RARE;
}

static int add_ticket(feature_learner *l, const passenger *p) {
    if (!p->ticket[0] || p->survived < 0)
        return 0;
    if (array_reserve((void **)&l->tickets, &l->ticket_cap, l->ticket_n + 1, sizeof *l->tickets,
                      SIZE_MAX / sizeof *l->tickets))
        return -1;
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

/* Sorts the per-passenger entries and merges equal tickets into one count each. */
static void merge_tickets(feature_learner *l, feature_state *st) {
    qsort(l->tickets, l->ticket_n, sizeof *l->tickets, features_compare_tickets);
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
