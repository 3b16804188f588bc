/* The trainer's compact passengers, family table, imputation learning and CV sample. See
 * train_data.h. */
#include "train_data.h"

#include "array.h"
#include "errors.h"
#include "splitmix.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An age whose hundredths are not exact (rare: the files give at most two decimals). */
typedef struct exact_age {
    size_t row;
    double age;
} exact_age;

/* One candidate of the CV sample: the rows with the lowest hashes win. */
typedef struct sample_entry {
    uint64_t hash;
    size_t row;
} sample_entry;

struct train_data {
    size_t max_rows;
    train_row *rows;
    size_t n, cap, labelled;
    double *fares; /* the form model's log_fare reads them */
    size_t fare_cap;
    exact_age *ages;
    size_t nages, ages_cap;
    train_family *families;
    size_t nfamilies, families_cap;
    char *keys; /* the families' keys, each ending in '\0', at their key_at (0: none yet) */
    size_t keys_used, keys_cap;
    uint32_t *slots;          /* open addressing: family index + 1, 0 = empty */
    size_t nslots;            /* a power of two, at least twice nfamilies */
    sample_entry *candidates; /* while rows arrive: at most twice sample_max (add_sample) */
    size_t ncandidates, sample_max;
    uint64_t sample_seed, sample_bar; /* a hash above the bar is not in the sample */
    size_t *sample;
    size_t nsample;
};

static size_t power_of_two_at_least(size_t n) {
    size_t p = 16;
    while (p < n)
        p *= 2;
    return p;
}

train_data *train_data_new(size_t expected_rows, size_t expected_families, size_t max_rows) {
    train_data *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->max_rows = max_rows;
    d->nslots = power_of_two_at_least(2 * expected_families + 16);
    d->slots = calloc(d->nslots, sizeof *d->slots);
    int ok = d->slots != NULL;
    if (ok && expected_rows)
        ok = array_reserve((void **)&d->rows, &d->cap, expected_rows, sizeof *d->rows, max_rows) ==
                 0 &&
             array_reserve((void **)&d->fares, &d->fare_cap, expected_rows, sizeof *d->fares,
                           max_rows) == 0;
    if (ok && expected_families)
        ok = array_reserve((void **)&d->families, &d->families_cap, expected_families,
                           sizeof *d->families, max_rows) == 0;
    if (!ok) {
        train_data_free(d);
        return NULL;
    }
    return d;
}

void train_data_free(train_data *d) {
    if (!d)
        return;
    free(d->rows);
    free(d->fares);
    free(d->ages);
    free(d->families);
    free(d->keys);
    free(d->slots);
    free(d->candidates);
    free(d->sample);
    free(d);
}

void train_data_set_sample(train_data *d, size_t max_rows, unsigned long seed) {
    d->sample_max = max_rows;
    d->sample_seed = splitmix64((uint64_t)seed ^ 0x73616d706c65ull); /* "sample" */
    d->sample_bar = UINT64_MAX;
}

/* ---- families ---- */

static int grow_slots(train_data *d) {
    size_t n = d->nslots * 2;
    uint32_t *s = calloc(n, sizeof *s);
    if (!s)
        return -1;
    for (size_t f = 0; f < d->nfamilies; f++) {
        size_t i = (size_t)d->families[f].hash & (n - 1);
        while (s[i])
            i = (i + 1) & (n - 1);
        s[i] = (uint32_t)(f + 1);
    }
    free(d->slots);
    d->slots = s;
    d->nslots = n;
    return 0;
}

/* The family of hash, created when new; -1 when out of memory. */
static long family_of(train_data *d, uint64_t hash) {
    size_t i = (size_t)hash & (d->nslots - 1);
    while (d->slots[i]) {
        if (d->families[d->slots[i] - 1].hash == hash)
            return (long)d->slots[i] - 1;
        i = (i + 1) & (d->nslots - 1);
    }
    if (d->nfamilies >= UINT32_MAX - 1 ||
        array_reserve((void **)&d->families, &d->families_cap, d->nfamilies + 1,
                      sizeof *d->families, d->max_rows) != 0)
        return -1;
    d->families[d->nfamilies] = (train_family){hash, 0, 0, 0, 0};
    d->slots[i] = (uint32_t)(++d->nfamilies);
    if (2 * d->nfamilies > d->nslots && grow_slots(d) != 0)
        return -1;
    return (long)d->nfamilies - 1;
}

/* ---- rows ---- */

/* The effective title the model would give p (passenger_features.c's woman-or-boy test needs a
 * state only for a name without a title; the defaults are those a state learns from any real data).
 */
static int woman_or_boy(const passenger *p, int title) {
    if (p->sex == SEX_FEMALE)
        return 1;
    return title == TITLE_MASTER;
}

static int by_hash_then_row(const void *a, const void *b) {
    const sample_entry *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Keeps the sample_max candidates that hash lowest; no hash above theirs can enter from now on. */
static void keep_lowest(train_data *d) {
    qsort(d->candidates, d->ncandidates, sizeof *d->candidates, by_hash_then_row);
    d->ncandidates = d->sample_max;
    d->sample_bar = d->candidates[d->sample_max - 1].hash;
}

/* Candidates gather in a buffer of twice sample_max; a full one keeps its lower half. */
static int add_sample(train_data *d, int32_t id) {
    uint64_t hash = splitmix64((uint64_t)(uint32_t)id ^ d->sample_seed);
    if (d->sample_max == 0 || hash > d->sample_bar)
        return 0;
    if (!d->candidates && !(d->candidates = malloc(2 * d->sample_max * sizeof *d->candidates)))
        return -1;
    if (d->ncandidates == 2 * d->sample_max)
        keep_lowest(d);
    d->candidates[d->ncandidates++] = (sample_entry){hash, d->n};
    return 0;
}

static int set_age(train_data *d, train_row *r, double age) {
    r->age_cents = TRAIN_AGE_UNKNOWN;
    if (isnan(age))
        return 0;
    double cents = round(age * 100.0);
    if (cents >= 0 && cents < TRAIN_AGE_EXACT && cents / 100.0 == age) {
        r->age_cents = (uint16_t)cents;
        return 0;
    }
    if (array_reserve((void **)&d->ages, &d->ages_cap, d->nages + 1, sizeof *d->ages,
                      d->max_rows) != 0)
        return -1;
    d->ages[d->nages++] = (exact_age){d->n, age};
    r->age_cents = TRAIN_AGE_EXACT;
    return 0;
}

/* A labelled member's key into the key text (the document's table needs it). */
static int keep_key(train_data *d, train_family *fam, const char *key, size_t len) {
    size_t at = d->keys_used ? d->keys_used : 1; /* key_at 0 says "none" */
    if (at + len + 1 > UINT32_MAX ||
        array_reserve((void **)&d->keys, &d->keys_cap, at + len + 1, 1, UINT32_MAX) != 0)
        return -1;
    memcpy(d->keys + at, key, len + 1);
    d->keys_used = at + len + 1;
    fam->key_at = (uint32_t)at;
    return 0;
}

static int add_family(train_data *d, const passenger *p, train_row *r) {
    r->group = -1;
    if (!woman_or_boy(p, r->title < 0 ? -1 : features_title_for_sex(r->title, p->sex)))
        return 0;
    char key[FEATURES_FAMILY_KEY_MAX + 1];
    size_t len = features_family_key(p, key, sizeof key);
    if (len == 0)
        return 0;
    long f = family_of(d, features_key_hash(key, len));
    if (f < 0)
        return -1;
    if (p->survived == 0 || p->survived == 1) {
        if (d->families[f].labelled == 0 && keep_key(d, &d->families[f], key, len) != 0)
            return -1;
        d->families[f].labelled++;
        d->families[f].survivors += p->survived == 1;
    }
    r->group = (int32_t)f;
    return 0;
}

int train_data_add(train_data *d, const passenger *p, char *err, size_t errlen) {
    int labelled = p->survived == 0 || p->survived == 1;
    if (array_reserve((void **)&d->rows, &d->cap, d->n + 1, sizeof *d->rows, d->max_rows) != 0 ||
        array_reserve((void **)&d->fares, &d->fare_cap, d->n + 1, sizeof *d->fares, d->max_rows) !=
            0) {
        return errorf(err, errlen, "more than %zu training passengers, or out of memory",
                      d->max_rows);
    }
    train_row *r = &d->rows[d->n];
    memset(r, 0, sizeof *r);
    r->sibsp = (int8_t)(p->sibsp > 127 ? 127 : p->sibsp);
    r->parch = (int8_t)(p->parch > 127 ? 127 : p->parch);
    r->survived = labelled ? p->survived : -1;
    r->pclass = p->pclass;
    r->sex = p->sex;
    r->title = (int8_t)passenger_title(p->name);
    r->embarked = p->embarked;
    r->cabin_known = p->cabin[0] != '\0';
    d->fares[d->n] = p->fare;
    r->id = p->id;
    if (set_age(d, r, p->age) != 0 || add_family(d, p, r) != 0 ||
        (labelled && add_sample(d, p->id) != 0)) {
        return errorf(err, errlen, "out of memory at passenger %zu", d->n + 1);
    }
    d->n++;
    d->labelled += labelled;
    return 0;
}

static int compare_kept(const void *a, const void *b) {
    const train_family *x = *(train_family *const *)a, *y = *(train_family *const *)b;
    if (x->labelled != y->labelled)
        return x->labelled > y->labelled ? -1 : 1;
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static int compare_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Families with labelled members; most labelled members first, then by hash: a stated,
 * reproducible rule. */
static int keep_families(train_data *d) {
    size_t with_labels = 0;
    for (size_t f = 0; f < d->nfamilies; f++)
        with_labels += d->families[f].labelled > 0;
    if (with_labels <= FEATURES_WC_GROUPS_MAX) {
        for (size_t f = 0; f < d->nfamilies; f++)
            d->families[f].kept = d->families[f].labelled > 0;
        return 0;
    }
    train_family **order = malloc(d->nfamilies * sizeof *order);
    if (!order)
        return -1;
    for (size_t f = 0; f < d->nfamilies; f++)
        order[f] = &d->families[f];
    qsort(order, d->nfamilies, sizeof *order, compare_kept);
    for (size_t f = 0; f < FEATURES_WC_GROUPS_MAX; f++)
        order[f]->kept = 1;
    free(order);
    return 0;
}

int train_data_finish(train_data *d, char *err, size_t errlen) {
    free(d->slots); /* lookups are by index from here on */
    d->slots = NULL;
    if (keep_families(d) != 0)
        goto oom;
    if (d->ncandidates > d->sample_max)
        keep_lowest(d);
    d->nsample = d->sample_max ? d->ncandidates : d->labelled;
    if (!(d->sample = malloc((d->nsample ? d->nsample : 1) * sizeof *d->sample)))
        goto oom;
    for (size_t i = 0, k = 0; k < d->nsample; i++)
        if (d->sample_max)
            d->sample[k++] = d->candidates[i].row;
        else if (d->rows[i].survived >= 0)
            d->sample[k++] = i;
    qsort(d->sample, d->nsample, sizeof *d->sample, compare_size);
    free(d->candidates);
    d->candidates = NULL;
    return 0;
oom:
    return errorf(err, errlen, "out of memory after reading %zu training passengers", d->n);
}

size_t train_data_rows(const train_data *d) {
    return d->n;
}

size_t train_data_labelled(const train_data *d) {
    return d->labelled;
}

int32_t train_data_id(const train_data *d, size_t i) {
    return d->rows[i].id;
}

const train_row *train_data_row(const train_data *d, size_t i) {
    return &d->rows[i];
}

const train_family *train_data_families(const train_data *d, size_t *count) {
    *count = d->nfamilies;
    return d->families;
}

const char *train_data_family_key(const train_data *d, size_t f) {
    return d->families[f].key_at ? d->keys + d->families[f].key_at : NULL;
}

const size_t *train_data_sample(const train_data *d, size_t *count) {
    *count = d->nsample;
    return d->sample;
}

static int compare_exact(const void *key, const void *entry) {
    size_t row = *(const size_t *)key, other = ((const exact_age *)entry)->row;
    return row < other ? -1 : row > other;
}

static double row_age(const train_data *d, size_t i) {
    uint16_t c = d->rows[i].age_cents;
    if (c == TRAIN_AGE_UNKNOWN)
        return NAN;
    if (c != TRAIN_AGE_EXACT)
        return c / 100.0; /* correctly rounded: the double strtod gives for the same text */
    const exact_age *e = bsearch(&i, d->ages, d->nages, sizeof *d->ages, compare_exact);
    return e ? e->age : NAN;
}

static void train_data_input(const train_data *d, size_t i, feature_input *in) {
    const train_row *r = &d->rows[i];
    *in = (feature_input){
        .title = r->title,
        .sex = r->sex,
        .pclass = r->pclass,
        .sibsp = r->sibsp,
        .parch = r->parch,
        .cabin_known = r->cabin_known,
        .age = row_age(d, i),
        .fare = d->fares[i],
        .embarked = r->embarked,
    };
}

void train_data_evidence(const train_data *d, size_t i, int self, group_evidence *ev) {
    ev->labelled = ev->survivors = 0;
    const train_row *r = &d->rows[i];
    if (r->group < 0 || !d->families[r->group].kept)
        return;
    ev->labelled = d->families[r->group].labelled - (!self && r->survived >= 0);
    ev->survivors = d->families[r->group].survivors - (!self && r->survived == 1);
}

/* ---- design rows ---- */

void train_data_design(const train_data *d, const feature_state *st, size_t i,
                       const group_evidence *ev, double *row) {
    feature_input in;
    train_data_input(d, i, &in);
    features_row_with_evidence(st, &in, ev, row);
}

/* ---- merged design rows ---- */

/* Hash of a design row of p doubles (their bits), for merging identical rows. */
static uint64_t train_row_hash(const double *row, size_t p) {
    uint64_t h = 0x243F6A8885A308D3ull;
    for (size_t j = 0; j < p; j++) {
        uint64_t bits;
        memcpy(&bits, &row[j], sizeof bits);
        h = splitmix64(h ^ bits);
    }
    return h;
}

static int patterns_rehash(train_patterns *t, size_t nslots) {
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return -1;
    for (size_t k = 0; k < t->n; k++) {
        size_t i = (size_t)train_row_hash(t->x + k * t->p, t->p) & (nslots - 1);
        while (s[i])
            i = (i + 1) & (nslots - 1);
        s[i] = (uint32_t)(k + 1);
    }
    free(t->slots);
    t->slots = s;
    t->nslots = nslots;
    return 0;
}

int train_patterns_init(train_patterns *t, size_t p, size_t max_rows) {
    memset(t, 0, sizeof *t);
    t->p = p;
    t->max = max_rows ? max_rows : 1;
    return patterns_rehash(t, 1024);
}

int train_patterns_add(train_patterns *t, const double *row, int survived) {
    size_t bytes = t->p * sizeof *row;
    size_t i = (size_t)train_row_hash(row, t->p) & (t->nslots - 1);
    while (t->slots[i]) {
        size_t k = t->slots[i] - 1;
        if (memcmp(t->x + k * t->p, row, bytes) == 0) {
            t->w[k] += 1.0;
            t->y[k] += survived;
            return 0;
        }
        i = (i + 1) & (t->nslots - 1);
    }
    size_t cap = t->cap, wcap = t->cap, ycap = t->cap;
    if (t->n >= UINT32_MAX - 1 ||
        array_reserve((void **)&t->x, &cap, t->n + 1, bytes, t->max) != 0 ||
        array_reserve((void **)&t->w, &wcap, t->n + 1, sizeof(double), t->max) != 0 ||
        array_reserve((void **)&t->y, &ycap, t->n + 1, sizeof(double), t->max) != 0)
        return -1;
    t->cap = cap;
    memcpy(t->x + t->n * t->p, row, bytes);
    t->w[t->n] = 1.0;
    t->y[t->n] = survived;
    t->slots[i] = (uint32_t)++t->n;
    return 2 * t->n > t->nslots ? patterns_rehash(t, 2 * t->nslots) : 0;
}

void train_patterns_shares(train_patterns *t) {
    for (size_t k = 0; k < t->n; k++)
        t->y[k] /= t->w[k];
}

void train_patterns_free(train_patterns *t) {
    free(t->x);
    free(t->w);
    free(t->y);
    free(t->slots);
}

/* ---- imputation values ---- */

/* Median of the values of rows whose key(row) == k, NAN when none; scratch holds n doubles. */
static double median_where(const train_data *d, const size_t *rows, size_t n, double *scratch,
                           int (*key)(const train_data *, size_t, double *), int k) {
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = rows ? rows[j] : j;
        double v;
        if (d->rows[i].survived >= 0 && key(d, i, &v) == k)
            scratch[m++] = v;
    }
    return m ? gsl_stats_median(scratch, 1, m) : NAN;
}

static int title_default(int t, int sex) {
    if (t >= 0)
        return features_title_for_sex(t, sex);
    return sex == SEX_FEMALE ? TITLE_MISS : sex == SEX_MALE ? TITLE_MR : TITLE_RARE;
}

/* Keys for median_where: -1 excludes the row. */
static int key_any_age(const train_data *d, size_t i, double *v) {
    *v = row_age(d, i);
    return isnan(*v) ? -1 : 0;
}
static int key_title_age(const train_data *d, size_t i, double *v) {
    *v = row_age(d, i);
    return isnan(*v) ? -1 : title_default(d->rows[i].title, d->rows[i].sex);
}
static int key_class_fare(const train_data *d, size_t i, double *v) {
    *v = d->fares[i];
    return isnan(*v) ? -1 : d->rows[i].pclass - 1;
}

static void learn_modes(const train_data *d, const size_t *rows, size_t n, feature_state *st) {
    long titles[2][TITLE_COUNT] = {{0}}, ports[3] = {0};
    for (size_t j = 0; j < n; j++) {
        const train_row *r = &d->rows[rows ? rows[j] : j];
        if (r->survived < 0)
            continue;
        if (r->title >= 0 && (r->sex == SEX_MALE || r->sex == SEX_FEMALE))
            titles[r->sex][r->title]++;
        ports[0] += r->embarked == 'C';
        ports[1] += r->embarked == 'Q';
        ports[2] += r->embarked == 'S';
    }
    for (int s = 0; s < 2; s++) {
        int best = s == SEX_FEMALE ? TITLE_MISS : TITLE_MR;
        for (int t = 0; t < TITLE_COUNT; t++)
            if (titles[s][t] > titles[s][best])
                best = t;
        st->title_for_sex[s] = best;
    }
    /* Ties go to Southampton, the base level. */
    st->embarked_mode = 'S';
    if (ports[0] > ports[2] && ports[0] >= ports[1])
        st->embarked_mode = 'C';
    else if (ports[1] > ports[2] && ports[1] > ports[0])
        st->embarked_mode = 'Q';
}

int train_data_learn(const train_data *d, const size_t *rows, size_t n, const feature_set *set,
                     feature_state *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    st->set = *set;
    int need_age = feature_set_has(set, FEATURE_AGE) || feature_set_has(set, FEATURE_AGE_MEDIAN);
    int need_fare = feature_set_has(set, FEATURE_FARE) || feature_set_has(set, FEATURE_LOG_FARE);
    double *scratch = malloc((n ? n : 1) * sizeof *scratch);
    if (!scratch)
        return errorf(err, errlen, "out of memory learning imputation values of %zu rows", n);
    learn_modes(d, rows, n, st);
    if (need_age) {
        st->age_median = median_where(d, rows, n, scratch, key_any_age, 0);
        for (int t = 0; t < TITLE_COUNT; t++) {
            double m = median_where(d, rows, n, scratch, key_title_age, t);
            st->age_by_title[t] = isnan(m) ? st->age_median : m;
        }
    }
    double known = 0.0;
    int nknown = 0;
    for (int c = 0; need_fare && c < 3; c++) {
        st->fare_by_pclass[c] = median_where(d, rows, n, scratch, key_class_fare, c);
        if (!isnan(st->fare_by_pclass[c])) {
            known += st->fare_by_pclass[c];
            nknown++;
        }
    }
    for (int c = 0; need_fare && c < 3; c++)
        if (isnan(st->fare_by_pclass[c]))
            st->fare_by_pclass[c] = nknown ? known / nknown : 0.0;
    free(scratch);
    if ((need_age && isnan(st->age_median)) || (need_fare && nknown == 0))
        return errorf(err, errlen, "no training passenger has a known %s; it cannot be imputed",
                      need_age && isnan(st->age_median) ? "age" : "fare");
    return 0;
}
