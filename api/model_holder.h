/* The model the API predicts with, swapped atomically when a new version is activated.
 *
 * Requests take a reference for as long as they use the model; a reload installs the new one and
 * drops the holder's reference to the old, which is freed when its last request finishes. So a
 * request in flight always finishes on the model it started with. A background thread LISTENs on
 * the trainer's channel (and checks periodically, and on SIGHUP) and reloads. Thread-safe. */
#ifndef TITANIC_MODEL_HOLDER_H
#define TITANIC_MODEL_HOLDER_H

#include "model.h"

#include <libpq-fe.h>

typedef struct model_ref model_ref;

/* The current model with a reference taken, or NULL when none is loaded. */
model_ref *model_holder_acquire(void);
const titanic_model *model_ref_model(const model_ref *ref);
void model_holder_release(model_ref *ref);

/* Version of the current model (0 when none). */
int model_holder_version(void);

/* The largest document the server loads (MODEL_DOCUMENT_MAX_BYTES; set before the reloader
 * starts). A model beyond it is refused and the current one kept. */
extern model_limits model_holder_limits;

/* Loads the active model from conn when its version differs from the current one. Returns 1 when
 * a new model was installed, 0 when unchanged, -1 with err on failure (the old model stays). */
int model_holder_refresh(PGconn *conn, char *err, size_t errlen);

/* Schema state seen by the reloader, for /ready: 0 ok, else a message is in reason. */
int model_holder_schema_problem(char *reason, size_t len);

/* Stored versions other than the active one, for the Open Inference Protocol's
 * /v2/models/{name}/versions/{v} routes: loaded on demand from the models table into a small
 * bounded LRU cache, so asking for an old version costs one database read, not one per request,
 * and memory stays bounded however many versions clients ask for. */
#define MODEL_CACHE_SLOTS 4 /* documents kept besides the active one */

typedef enum {
    MODEL_CACHE_OK,          /* *ref set: release it with model_holder_release */
    MODEL_CACHE_NOT_FOUND,   /* no such version stored */
    MODEL_CACHE_UNAVAILABLE, /* the database could not be reached */
    MODEL_CACHE_ERROR        /* stored but unusable (over the limits, unreadable); err says why */
} model_cache_status;

/* Version v with a reference taken: the current model when v is active, else the cached one,
 * else loaded through the calling worker's connection (api_db.h). */
model_cache_status model_holder_acquire_version(int version, model_ref **ref, char *err,
                                                size_t errlen);

/* Starts the reloader thread (LISTEN + periodic check every poll_seconds). */
int model_holder_start_reloader(const char *conninfo, int poll_seconds);
/* Asks the reloader to check now (SIGHUP). Async-signal-safe. */
void model_holder_wake(void);
/* Stops the reloader thread and frees the current model and the cached ones (requests in flight
 * keep theirs). */
void model_holder_shutdown(void);

#endif
