/* The bounded LRU cache of stored model versions. See model_cache.h. */
#include "model_cache.h"

#include "api_db.h"
#include "models_store.h"

#include <pthread.h>
#include <stdio.h>

typedef struct {
    model_ref *ref; /* the cache's own reference; NULL when the slot is free */
    int version;
    unsigned long used; /* tick of the last use: the smallest is evicted */
} cache_slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cache_slot slots[MODEL_CACHE_SLOTS];
static unsigned long ticks;

/* The cached version with a reference taken, or NULL. Called with the lock held. */
static model_ref *lookup_locked(int version) {
    for (int i = 0; i < MODEL_CACHE_SLOTS; i++) {
        if (slots[i].ref && slots[i].version == version) {
            slots[i].used = ++ticks;
            model_ref_retain(slots[i].ref);
            return slots[i].ref;
        }
    }
    return NULL;
}

/* Keeps ref (one reference given to the cache) and returns the one to use: another thread may
 * have loaded the same version meanwhile, and then its copy wins and ref is dropped. */
static model_ref *insert(int version, model_ref *ref) {
    pthread_mutex_lock(&lock);
    model_ref *existing = lookup_locked(version);
    if (existing) {
        pthread_mutex_unlock(&lock);
        model_holder_release(ref);
        return existing;
    }
    int victim = 0;
    for (int i = 0; i < MODEL_CACHE_SLOTS; i++) {
        if (!slots[i].ref) {
            victim = i;
            break;
        }
        if (slots[i].used < slots[victim].used)
            victim = i;
    }
    model_ref *evicted = slots[victim].ref;
    slots[victim] = (cache_slot){ref, version, ++ticks};
    model_ref_retain(ref); /* the caller's reference, besides the cache's */
    pthread_mutex_unlock(&lock);
    model_holder_release(evicted); /* freed when its last request finishes */
    return ref;
}

model_cache_status model_cache_acquire(int version, model_ref **ref, char *err, size_t errlen) {
    *ref = NULL;
    model_ref *active = model_holder_acquire();
    if (active && model_version(model_ref_model(active)) == version) {
        *ref = active;
        return MODEL_CACHE_OK;
    }
    model_holder_release(active);
    pthread_mutex_lock(&lock);
    *ref = lookup_locked(version);
    pthread_mutex_unlock(&lock);
    if (*ref)
        return MODEL_CACHE_OK;
    /* Loaded outside the lock: a slow database must not hold up requests for cached versions. */
    int found = 0, unavailable = 0;
    titanic_model *m = models_store_load_version_limited(
        api_db_store(), version, &model_holder_limits, &found, &unavailable, err, errlen);
    if (!m)
        return unavailable ? MODEL_CACHE_UNAVAILABLE
               : found     ? MODEL_CACHE_ERROR
                           : MODEL_CACHE_NOT_FOUND;
    model_ref *loaded = model_ref_wrap(m);
    if (!loaded) {
        snprintf(err, errlen, "out of memory");
        return MODEL_CACHE_ERROR;
    }
    *ref = insert(version, loaded);
    return MODEL_CACHE_OK;
}

void model_cache_clear(void) {
    pthread_mutex_lock(&lock);
    model_ref *dropped[MODEL_CACHE_SLOTS];
    for (int i = 0; i < MODEL_CACHE_SLOTS; i++) {
        dropped[i] = slots[i].ref;
        slots[i].ref = NULL;
    }
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < MODEL_CACHE_SLOTS; i++)
        model_holder_release(dropped[i]);
}
