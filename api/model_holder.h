/* The model the API predicts with, swapped atomically when a new version is activated.
 *
 * Requests take a reference for as long as they use the model; a reload installs the new one and
 * drops the holder's reference to the old, which is freed when its last request finishes. So a
 * request in flight always finishes on the model it started with. A background thread LISTENs on
 * the trainer's channel (and checks periodically, and on SIGHUP) and reloads. */
#ifndef TITANIC_MODEL_HOLDER_H
#define TITANIC_MODEL_HOLDER_H

#include "model.h"

#include <libpq-fe.h>

typedef struct model_ref model_ref;

/* The current model with a reference taken, or NULL when none is loaded. */
model_ref *model_holder_acquire(void);
const titanic_model *model_ref_model(const model_ref *ref);
void model_holder_release(model_ref *ref);

/* A reference-counted model that is not the holder's (model_cache.h keeps other versions):
 * takes m and one reference; model_holder_release drops it, the last one frees m. NULL (m freed)
 * when out of memory. */
model_ref *model_ref_wrap(titanic_model *m);
/* One more reference to ref, dropped with model_holder_release. */
void model_ref_retain(model_ref *ref);

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

/* Starts the reloader thread (LISTEN + periodic check every poll_seconds). */
int model_holder_start_reloader(const char *conninfo, int poll_seconds);
/* Asks the reloader to check now (SIGHUP). Async-signal-safe. */
void model_holder_wake(void);
/* Stops the reloader thread and frees the current model. */
void model_holder_shutdown(void);

#endif
