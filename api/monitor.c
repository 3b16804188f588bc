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
#include "server.h"

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

typedef struct {
    _Alignas(64) atomic_ulong prob[PROB_BUCKETS];
    atomic_ulong prob_sum_nano; /* sum of probabilities, in 1e-9 */
    atomic_ulong predicted[2];
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

static void zero_shard(shard *s) {
    for (int b = 0; b < PROB_BUCKETS; b++)
        atomic_store_explicit(&s->prob[b], 0, memory_order_relaxed);
    atomic_store_explicit(&s->prob_sum_nano, 0, memory_order_relaxed);
    atomic_store_explicit(&s->predicted[0], 0, memory_order_relaxed);
    atomic_store_explicit(&s->predicted[1], 0, memory_order_relaxed);
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
                                                memory_order_relaxed)) {
        for (int c = 0; c < W_COUNT; c++)
            atomic_store_explicit(&w->count[c], 0, memory_order_relaxed);
    }
    return w;
}

void monitor_record(int version, const passenger *p, double probability, int predicted) {
    if (!monitor_enabled || version <= 0)
        return;
    shard *s = my_shard(slot_of(version));
    int b = 0;
    while (b < PROB_BUCKETS - 1 && probability > (b + 1) / (double)PROB_BUCKETS)
        b++;
    add(&s->prob[b]);
    /* probability is in [0, 1] */
    add_n(&s->prob_sum_nano, (unsigned long)(probability * 1e9 + 0.5));
    add(&s->predicted[predicted ? 1 : 0]);
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

static unsigned long load(const atomic_ulong *counter) {
    return atomic_load_explicit(counter, memory_order_relaxed);
}

typedef struct {
    unsigned long count[W_COUNT];
} window_totals;

/* The window's slices of every shard of slot added up. */
static void window_of(const version_slot *slot, long now, window_totals *t) {
    memset(t, 0, sizeof *t);
    for (int s = 0; s < MON_SHARDS; s++) {
        for (int i = 0; i < MON_SLICES; i++) {
            const window_slice *w = &slot->shards[s].slices[i];
            long period = atomic_load_explicit(&w->period, memory_order_relaxed);
            if (period < 0 || period <= now - MON_SLICES || period > now)
                continue;
            for (int c = 0; c < W_COUNT; c++)
                t->count[c] += load(&w->count[c]);
        }
    }
}

/* The geometric middle of the bucket holding quantile q (bucket 0, [0, 1), reads 0.5). */
static double fare_quantile(const window_totals *t, double q) {
    if (t->count[W_FARES] == 0)
        return NAN;
    double rank = q * (double)t->count[W_FARES];
    unsigned long seen = 0;
    int b = 0;
    for (; b < FARE_BUCKETS - 1; b++) {
        seen += t->count[W_FARE + b];
        if ((double)seen >= rank && seen > 0)
            break;
    }
    if (b == 0)
        return 0.5;
    return pow(2.0, (double)(b - 1) / FARE_SUBBUCKETS + 1.0 / (2 * FARE_SUBBUCKETS));
}

static double ratio(unsigned long part, unsigned long whole) {
    return whole ? (double)part / (double)whole : NAN;
}

static void summarize(int version, const window_totals *t, monitor_summary *m) {
    m->version = version;
    const unsigned long n = t->count[W_N];
    m->predictions = n;
    m->positive_ratio = ratio(t->count[W_POSITIVE], n);
    m->missing_age_ratio = ratio(t->count[W_MISSING_AGE], n);
    m->female_ratio = ratio(t->count[W_FEMALE], n);
    for (int c = 0; c < 3; c++)
        m->pclass_ratio[c] = ratio(t->count[W_PCLASS + c], n);
    m->fare_p50 = fare_quantile(t, 0.5);
    m->fare_p90 = fare_quantile(t, 0.9);
}

/* The summaries of every version seen, or (with_idle 0) of those with predictions in the window. */
static int monitor_summaries(monitor_summary *out, int max, int with_idle) {
    long now = current_period();
    int count = 0;
    for (int i = 0; i < MON_VERSIONS && count < max; i++) {
        int version = atomic_load(&slots[i].version);
        if (version <= 0)
            continue;
        window_totals t;
        window_of(&slots[i], now, &t);
        if (t.count[W_N] > 0 || with_idle)
            summarize(version, &t, &out[count++]);
    }
    return count;
}

/* ---- exposition ---- */

static void render_probability(FILE *out, const version_slot *slot, int version) {
    unsigned long counts[PROB_BUCKETS] = {0}, sum_nano = 0;
    for (int s = 0; s < MON_SHARDS; s++) {
        for (int b = 0; b < PROB_BUCKETS; b++)
            counts[b] += load(&slot->shards[s].prob[b]);
        sum_nano += load(&slot->shards[s].prob_sum_nano);
    }
    unsigned long cumulative = 0;
    for (int b = 0; b < PROB_BUCKETS; b++) {
        cumulative += counts[b];
        fprintf(out,
                "titanic_prediction_probability_bucket{model_version=\"%d\",le=\"%.1f\"} %lu\n",
                version, (b + 1) / (double)PROB_BUCKETS, cumulative);
    }
    fprintf(out, "titanic_prediction_probability_bucket{model_version=\"%d\",le=\"+Inf\"} %lu\n",
            version, cumulative);
    fprintf(out, "titanic_prediction_probability_sum{model_version=\"%d\"} %.9f\n", version,
            (double)sum_nano / 1e9);
    fprintf(out, "titanic_prediction_probability_count{model_version=\"%d\"} %lu\n", version,
            cumulative);
}

static void render_predicted(FILE *out, const version_slot *slot, int version) {
    for (int label = 0; label < 2; label++) {
        unsigned long n = 0;
        for (int s = 0; s < MON_SHARDS; s++)
            n += load(&slot->shards[s].predicted[label]);
        fprintf(out, "titanic_predictions_total{model_version=\"%d\",predicted=\"%d\"} %lu\n",
                version, label, n);
    }
}

/* One gauge sample; NAN (nothing in the window) is written as 0, so an idle server's drift
 * rules read false (with titanic_prediction_input_window_predictions at 0), not stale. */
static void gauge(FILE *out, const char *name, int version, const char *label, double value) {
    fprintf(out, "%s{model_version=\"%d\"%s} %.6g\n", name, version, label,
            isnan(value) ? 0.0 : value);
}

/* Family h's samples (h indexes help[] below) for summary m. */
static void render_window(FILE *out, int h, const monitor_summary *m) {
    static const char *const pclass[3] = {",pclass=\"1\"", ",pclass=\"2\"", ",pclass=\"3\""};
    switch (h) {
    case 2:
        fprintf(out, "titanic_prediction_input_window_predictions{model_version=\"%d\"} %lu\n",
                m->version, m->predictions);
        break;
    case 3:
        gauge(out, "titanic_prediction_input_missing_age_ratio", m->version, "",
              m->missing_age_ratio);
        break;
    case 4:
        gauge(out, "titanic_prediction_input_female_ratio", m->version, "", m->female_ratio);
        break;
    case 5:
        for (int c = 0; c < 3; c++)
            gauge(out, "titanic_prediction_input_pclass_ratio", m->version, pclass[c],
                  m->pclass_ratio[c]);
        break;
    default:
        gauge(out, "titanic_prediction_input_fare_quantile", m->version, ",q=\"0.5\"", m->fare_p50);
        gauge(out, "titanic_prediction_input_fare_quantile", m->version, ",q=\"0.9\"", m->fare_p90);
    }
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

static void header(FILE *out, int i) {
    metrics_family(out, help[i][0], help[i][1], help[i][2]);
}

void monitor_render(FILE *out) {
    if (monitor_enabled && model_holder_version() > 0) /* the served version's series exist
                                                        * before its first prediction */
        slot_of(model_holder_version());
    int versions[MON_VERSIONS], count = 0;
    for (int i = 0; i < MON_VERSIONS; i++)
        versions[count++] = atomic_load(&slots[i].version);
    header(out, 0);
    for (int i = 0; i < count; i++)
        if (versions[i] > 0)
            render_probability(out, &slots[i], versions[i]);
    header(out, 1);
    for (int i = 0; i < count; i++)
        if (versions[i] > 0)
            render_predicted(out, &slots[i], versions[i]);
    monitor_summary m[MON_VERSIONS];
    int n = monitor_summaries(m, MON_VERSIONS, 1);
    for (int h = 2; h < (int)(sizeof help / sizeof help[0]); h++) {
        header(out, h); /* each family's samples right after its own HELP and TYPE */
        for (int i = 0; i < n; i++)
            render_window(out, h, &m[i]);
    }
}

/* ---- the drift log line ---- */

static int log_seconds;
static struct timespec next_log; /* monotonic: when the next lines are due */

/* One line per version with predictions in the window; the field names are what the CloudWatch
 * metric filter reads (infra), so they are part of the contract. */
static void log_summaries(void) {
    monitor_summary m[MON_VERSIONS];
    int n = monitor_summaries(m, MON_VERSIONS, 0);
    for (int i = 0; i < n; i++)
        log_info("prediction drift summary", "{s:i, s:I, s:f, s:f, s:f, s:o}", "model_version",
                 m[i].version, "predictions", (json_int_t)m[i].predictions, "positive_ratio",
                 m[i].positive_ratio, "missing_age_ratio", m[i].missing_age_ratio, "female_ratio",
                 m[i].female_ratio, "fare_p50",
                 isnan(m[i].fare_p50) ? json_null() : json_real(m[i].fare_p50));
}

/* On the server's housekeeping tick (server_on_tick): the lines, every log_seconds. */
static void log_when_due(void) {
    if (clock_seconds_since(&next_log) < 0)
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
    server_on_tick(log_when_due);
}
