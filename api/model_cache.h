/* Stored model versions other than the active one, for the Open Inference Protocol's
 * /v2/models/{name}/versions/{v} routes: loaded on demand from the models table into a small
 * bounded LRU cache, so asking for an old version costs one database read, not one per request,
 * and memory stays bounded however many versions clients ask for. The active version always comes
 * from the model holder. Thread-safe. */
#ifndef TITANIC_MODEL_CACHE_H
#define TITANIC_MODEL_CACHE_H

#include "model_holder.h"

#include <stddef.h>

#define MODEL_CACHE_SLOTS 4 /* documents kept besides the active one */

typedef enum {
    MODEL_CACHE_OK,          /* *ref set: release it with model_holder_release */
    MODEL_CACHE_NOT_FOUND,   /* no such version stored */
    MODEL_CACHE_UNAVAILABLE, /* the database could not be reached */
    MODEL_CACHE_ERROR        /* stored but unusable (over the limits, unreadable); err says why */
} model_cache_status;

/* Version v with a reference taken: the holder's model when v is active, else the cached one,
 * else loaded through the calling worker's connection (api_db.h). */
model_cache_status model_cache_acquire(int version, model_ref **ref, char *err, size_t errlen);

/* Drops every cached document (at shutdown; requests in flight keep theirs). */
void model_cache_clear(void);

#endif
