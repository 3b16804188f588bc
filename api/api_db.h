/* The API's database connections: one per HTTP worker thread, opened on first use, with the
 * statements it runs on every request prepared once. When the database goes away a worker
 * drops its connection and retries at most once a second, so requests meanwhile fail fast with
 * 503 instead of waiting on a dead socket; after a restart the next request reconnects. The
 * statements prepared are the stores' named ones (store_prepared_statements), each on its first
 * use. A connection is closed when its thread ends. */
#ifndef TITANIC_API_DB_H
#define TITANIC_API_DB_H

#include "store.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>

/* Sets the connection string every worker uses (not copied: main's, kept until the end). */
void api_db_configure(const char *conninfo);

/* The stores' view of this thread's connection: its run sends a store statement on it (prepared
 * when it has a name). On a broken connection it drops it and reconnects; only read-only
 * statements are sent again. NULL with err on any failure; *unavailable is set to 1 when the
 * failure was the database being unreachable. */
store_conn api_db_store(void);

/* Writes the pool's metric families for /metrics: connections open across workers, and connects,
 * failed attempts and connections dropped after an error since start. */
void api_db_render_metrics(FILE *out);

#endif
