/* Prediction monitoring counters, their exposition and the drift log line. See monitor.h.
 *
 * Layout: a few version slots, each with one shard of counters per worker thread (threads beyond
 * MON_SHARDS share). A shard holds the cumulative counters and a ring of MON_SLICES time slices
 * of MON_SLICE_SECONDS each; a slice is zeroed by the first writer of a new period, and the
 * reader adds up the slices of the last MONITOR_WINDOW_SECONDS. Everything is a relaxed atomic:
 * a reader may see a prediction half-counted, or a slice reset a moment early, which a gauge
 * over thousands of predictions does not notice; nothing on the hot path ever waits. */
#include "monitor.h"

#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "model_holder.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

int monitor_enabled = 1;

#define MON_VERSIONS 8 /* the active one, the cached ones (model_holder.h) and a few retired */
#define MON_SHARDS 8
#define MON_SLICE_SECONDS 10
#define MON_SLICES (MONITOR_WINDOW_SECONDS / MON_SLICE_SECONDS)
#define PROB_BUCKETS 10 /* le 0.1, 0.2, ..., 1.0 */
/* Fares: bucket 0 holds [0, 1); then four buckets per doubling up to 2^17 > PASSENGER_FARE_MAX,
 * so a quantile is known within a factor 2^(1/4) (19%), whatever the traffic, in fixed memory. */
#define FARE_SUBBUCKETS 4
#define FARE_OCTAVES 17
#define FARE_BUCKETS (1 + FARE_OCTAVES * FARE_SUBBUCKETS)

/* A window's counts, by index: predictions, predicted survivors, without an age, women, by class
 * (3), with a fare, and by fare bucket. */
enum { W_N, W_POSITIVE, W_MISSING_AGE, W_FEMALE, W_PCLASS, W_FARES = W_PCLASS + 3, W_FARE };
#define W_COUNT (W_FARE + FARE_BUCKETS)

typedef struct {
    atomic_long period; /* seconds / MON_SLICE_SECONDS that the counts below belong to */
    atomic_ulong count[W_COUNT];
} window_slice;

/* The cumulative counts, by index: predictions by probability bucket, the sum of probabilities
 * (in 1e-9), and predictions by predicted class. */
enum { C_PROB, C_PROB_SUM_NANO = C_PROB + PROB_BUCKETS, C_PREDICTED, C_COUNT = C_PREDICTED + 2 };

typedef struct {
    _Alignas(64) atomic_ulong total[C_COUNT];
    window_slice slices[MON_SLICES];
} shard;

typedef struct {
    atomic_int version; /* 0: free */
    shard shards[MON_SHARDS];
} version_slot;

static version_slot slots[MON_VERSIONS];
static pthread_mutex_t claim_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int next_shard;

/* ---- recording ---- */

static long current_period(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now); /* vDSO, no system call */
    return (long)now.tv_sec / MON_SLICE_SECONDS;
}

static void zero(atomic_ulong *counters, int n) {
    for (int c = 0; c < n; c++)
        atomic_store_explicit(&counters[c], 0, memory_order_relaxed);
}

static void zero_shard(shard *s) {
    zero(s->total, C_COUNT);
    for (int i = 0; i < MON_SLICES; i++)
        atomic_store_explicit(&s->slices[i].period, -1, memory_order_relaxed);
}

/* The slot of version, claiming one the first time a version is seen: a free one, else the one
 * of the oldest version (versions only grow, and the oldest is the least interesting). Rare, so
 * it may lock. */
static version_slot *claim_slot(int version) {
    pthread_mutex_lock(&claim_lock);
    version_slot *victim = NULL;
    for (int i = 0; i < MON_VERSIONS; i++) {
        int v = atomic_load(&slots[i].version);
        if (v == version) {
            pthread_mutex_unlock(&claim_lock);
            return &slots[i];
        }
        if (!victim || v < atomic_load(&victim->version))
            victim = &slots[i];
    }
    atomic_store(&victim->version, 0); /* readers skip it while it is reset */
    for (int s = 0; s < MON_SHARDS; s++)
        zero_shard(&victim->shards[s]);
    atomic_store(&victim->version, version);
    pthread_mutex_unlock(&claim_lock);
    return victim;
}

static version_slot *slot_of(int version) {
    for (int i = 0; i < MON_VERSIONS; i++) {
        if (atomic_load_explicit(&slots[i].version, memory_order_relaxed) == version)
            return &slots[i];
    }
    return claim_slot(version);
}

/* This thread's shard index, and whether the shard is this thread's alone (the first
 * MON_SHARDS threads to record; later ones share). */
static _Thread_local int my_index = -1;
static _Thread_local int my_shard_alone;

static shard *my_shard(version_slot *slot) {
    if (my_index < 0) {
        int n = atomic_fetch_add(&next_shard, 1);
        my_index = n % MON_SHARDS;
        my_shard_alone = n < MON_SHARDS;
    }
    return &slot->shards[my_index];
}

static int fare_bucket(double fare) {
    if (!(fare >= 1.0))
        return 0;
    int octave;
    double m = frexp(fare, &octave); /* fare = m * 2^octave, m in [0.5, 1) */
    if (octave > FARE_OCTAVES)
        return FARE_BUCKETS - 1;
    static const double quarter[FARE_SUBBUCKETS - 1] = {0.59460355750136051, 0.70710678118654757,
                                                        0.84089641525371450}; /* 2^(k/4) / 2 */
    int sub = 0;
    while (sub < FARE_SUBBUCKETS - 1 && m >= quarter[sub])
        sub++;
    return 1 + (octave - 1) * FARE_SUBBUCKETS + sub;
}

/* n more on counter. The only writer of its shard needs no locked read-modify-write (a relaxed
 * load and store are plain moves, and cost a third of the whole monitoring); a thread sharing
 * its shard does, or increments would be lost. */
static void add_n(atomic_ulong *counter, unsigned long n) {
    if (my_shard_alone)
        atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
                              memory_order_relaxed);
    else
        atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static void add(atomic_ulong *counter) {
    add_n(counter, 1);
}

/* The slice of period in s, zeroed first when it still holds an older period. */
static window_slice *slice_for(shard *s, long period) {
    window_slice *w = &s->slices[period % MON_SLICES];
    long seen = atomic_load_explicit(&w->period, memory_order_relaxed);
    if (seen != period &&
        atomic_compare_exchange_strong_explicit(&w->period, &seen, period, memory_order_relaxed,
                                                memory_order_relaxed))
        zero(w->count, W_COUNT);
    return w;
}

void monitor_record(int version, const passenger *p, double probability, int predicted) {
    if (!monitor_enabled || version <= 0)
        return;
    shard *s = my_shard(slot_of(version));
    int b = 0;
    while (b < PROB_BUCKETS - 1 && probability > (b + 1) / (double)PROB_BUCKETS)
        b++;
    add(&s->total[C_PROB + b]);
    /* probability is in [0, 1] */
    add_n(&s->total[C_PROB_SUM_NANO], (unsigned long)(probability * 1e9 + 0.5));
    add(&s->total[C_PREDICTED + (predicted ? 1 : 0)]);
    window_slice *w = slice_for(s, current_period());
    add(&w->count[W_N]);
    if (predicted)
        add(&w->count[W_POSITIVE]);
    if (isnan(p->age))
        add(&w->count[W_MISSING_AGE]);
    if (p->sex == SEX_FEMALE)
        add(&w->count[W_FEMALE]);
    if (p->pclass >= 1 && p->pclass <= 3)
        add(&w->count[W_PCLASS + p->pclass - 1]);
    if (!isnan(p->fare)) {
        add(&w->count[W_FARES]);
        add(&w->count[W_FARE + fare_bucket(p->fare)]);
    }
}

/* ---- reading ---- */

/* n counters added into sums. */
static void add_up(const atomic_ulong *counters, int n, unsigned long *sums) {
    for (int c = 0; c < n; c++)
        sums[c] += atomic_load_explicit(&counters[c], memory_order_relaxed);
}

/* One version's counters, every shard added up: the cumulative ones and the window's. */
typedef struct {
    int version;
    unsigned long total[C_COUNT];
    unsigned long window[W_COUNT];
} version_counts;

static void counts_of(const version_slot *slot, int version, long now, version_counts *t) {
    memset(t, 0, sizeof *t);
    t->version = version;
    for (int s = 0; s < MON_SHARDS; s++) {
        add_up(slot->shards[s].total, C_COUNT, t->total);
        for (int i = 0; i < MON_SLICES; i++) {
            const window_slice *w = &slot->shards[s].slices[i];
            long period = atomic_load_explicit(&w->period, memory_order_relaxed);
            if (period >= 0 && period > now - MON_SLICES && period <= now)
                add_up(w->count, W_COUNT, t->window);
        }
    }
}

/* The counters of every version seen, into out; returns how many. */
static int all_counts(version_counts out[MON_VERSIONS]) {
    long now = current_period();
    int count = 0;
    for (int i = 0; i < MON_VERSIONS; i++) {
        int version = atomic_load(&slots[i].version);
        if (version > 0)
            counts_of(&slots[i], version, now, &out[count++]);
    }
    return count;
}

/* The geometric middle of the bucket holding quantile q (bucket 0, [0, 1), reads 0.5). */
static double fare_quantile(const version_counts *t, double q) {
    if (t->window[W_FARES] == 0)
        return NAN;
    double rank = q * (double)t->window[W_FARES];
    unsigned long seen = 0;
    int b = 0;
    for (; b < FARE_BUCKETS - 1; b++) {
        seen += t->window[W_FARE + b];
        if ((double)seen >= rank && seen > 0)
            break;
    }
    if (b == 0)
        return 0.5;
    return pow(2.0, (double)(b - 1) / FARE_SUBBUCKETS + 1.0 / (2 * FARE_SUBBUCKETS));
}

/* The share of the window's predictions counted in window[count]; NAN when there were none. */
static double window_ratio(const version_counts *t, int count) {
    return t->window[W_N] ? (double)t->window[count] / (double)t->window[W_N] : NAN;
}

/* ---- exposition ---- */

static void render_probability(FILE *out, const version_counts *t) {
    unsigned long cumulative = 0;
    for (int b = 0; b < PROB_BUCKETS; b++) {
        cumulative += t->total[C_PROB + b];
        fprintf(out,
                "titanic_prediction_probability_bucket{model_version=\"%d\",le=\"%.1f\"} %lu\n",
                t->version, (b + 1) / (double)PROB_BUCKETS, cumulative);
    }
    fprintf(out, "titanic_prediction_probability_bucket{model_version=\"%d\",le=\"+Inf\"} %lu\n",
            t->version, cumulative);
    fprintf(out, "titanic_prediction_probability_sum{model_version=\"%d\"} %.9f\n", t->version,
            (double)t->total[C_PROB_SUM_NANO] / 1e9);
    fprintf(out, "titanic_prediction_probability_count{model_version=\"%d\"} %lu\n", t->version,
            cumulative);
}

static void render_predicted(FILE *out, const version_counts *t) {
    for (int label = 0; label < 2; label++)
        fprintf(out, "titanic_predictions_total{model_version=\"%d\",predicted=\"%d\"} %lu\n",
                t->version, label, t->total[C_PREDICTED + label]);
}

static const char *const help[][3] = {
    {"titanic_prediction_probability", "histogram",
     "Predicted survival probabilities, by model version."},
    {"titanic_predictions_total", "counter", "Predictions by model version and predicted class."},
    {"titanic_prediction_input_window_predictions", "gauge",
     "Predictions in the last 60 s, which the input ratios and quantiles describe."},
    {"titanic_prediction_input_missing_age_ratio", "gauge",
     "Share of predictions in the last 60 s asked without an age."},
    {"titanic_prediction_input_female_ratio", "gauge",
     "Share of predictions in the last 60 s for women."},
    {"titanic_prediction_input_pclass_ratio", "gauge",
     "Share of predictions in the last 60 s by passenger class."},
    {"titanic_prediction_input_fare_quantile", "gauge",
     "Fare quantiles (label q) of predictions in the last 60 s (log-spaced buckets, within "
     "19%); not a summary, so the label is not \"quantile\"."},
};
#define FAMILIES (int)(sizeof help / sizeof help[0])

/* The window's gauges (families 3 on of help[]), in exposition order: the share of the window's
 * predictions counted in window[count], or (q > 0) the fare quantile q. */
static const struct {
    int family;
    const char *label;
    int count;
    double q;
} window_gauges[] = {
    {3, "", W_MISSING_AGE, 0},
    {4, "", W_FEMALE, 0},
    {5, ",pclass=\"1\"", W_PCLASS, 0},
    {5, ",pclass=\"2\"", W_PCLASS + 1, 0},
    {5, ",pclass=\"3\"", W_PCLASS + 2, 0},
    {6, ",q=\"0.5\"", 0, 0.5},
    {6, ",q=\"0.9\"", 0, 0.9},
};

/* Family h's window samples for one version. NAN (nothing in the window) is written as 0, so an
 * idle server's drift rules read false (with titanic_prediction_input_window_predictions at 0),
 * not stale. */
static void render_window(FILE *out, int h, const version_counts *t) {
    if (h == 2)
        fprintf(out, "titanic_prediction_input_window_predictions{model_version=\"%d\"} %lu\n",
                t->version, t->window[W_N]);
    for (size_t g = 0; g < sizeof window_gauges / sizeof window_gauges[0]; g++) {
        if (window_gauges[g].family != h)
            continue;
        double value = window_gauges[g].q > 0 ? fare_quantile(t, window_gauges[g].q)
                                              : window_ratio(t, window_gauges[g].count);
        fprintf(out, "%s{model_version=\"%d\"%s} %.6g\n", help[h][0], t->version,
                window_gauges[g].label, isnan(value) ? 0.0 : value);
    }
}

static void header(FILE *out, int i) {
    metrics_family(out, help[i][0], help[i][1], help[i][2]);
}

void monitor_render(FILE *out) {
    if (monitor_enabled && model_holder_version() > 0) /* the served version's series exist
                                                        * before its first prediction */
        slot_of(model_holder_version());
    version_counts t[MON_VERSIONS];
    int n = all_counts(t);
    header(out, 0);
    for (int i = 0; i < n; i++)
        render_probability(out, &t[i]);
    header(out, 1);
    for (int i = 0; i < n; i++)
        render_predicted(out, &t[i]);
    for (int h = 2; h < FAMILIES; h++) {
        header(out, h); /* each family's samples right after its own HELP and TYPE */
        for (int i = 0; i < n; i++)
            render_window(out, h, &t[i]);
    }
}

/* ---- the drift log line ---- */

static int log_seconds;
static struct timespec next_log; /* monotonic: when the next lines are due */

/* One line per version with predictions in the window; the field names are what the CloudWatch
 * metric filter reads (infra), so they are part of the contract. */
static void log_summaries(void) {
    version_counts t[MON_VERSIONS];
    int n = all_counts(t);
    for (int i = 0; i < n; i++) {
        if (t[i].window[W_N] == 0)
            continue;
        double fare_p50 = fare_quantile(&t[i], 0.5);
        log_info("prediction drift summary", "{s:i, s:I, s:f, s:f, s:f, s:o}", "model_version",
                 t[i].version, "predictions", (json_int_t)t[i].window[W_N], "positive_ratio",
                 window_ratio(&t[i], W_POSITIVE), "missing_age_ratio",
                 window_ratio(&t[i], W_MISSING_AGE), "female_ratio", window_ratio(&t[i], W_FEMALE),
                 "fare_p50", isnan(fare_p50) ? json_null() : json_real(fare_p50));
    }
}

void monitor_log_when_due(void) {
    if (log_seconds <= 0 || clock_seconds_since(&next_log) < 0)
        return;
    log_summaries();
    next_log = clock_now();
    next_log.tv_sec += log_seconds;
}

void monitor_start(int seconds) {
    if (seconds <= 0 || !monitor_enabled)
        return;
    log_seconds = seconds;
    next_log = clock_now();
    next_log.tv_sec += seconds;
}
