/* A process-wide cache of stored passengers for the lookups (GET /passengers/{id}, GET
 * /people/{uuid}, stored-passenger predictions) that never serves a row after a write to it
 * committed - a write acknowledged to its writer before the lookup arrived, by any process.
 *
 * Invalidation alone cannot promise that: every statement that writes passengers NOTIFYs
 * titanic_passengers at commit (trigger, migration 003), but the notification reaches this
 * process a little after the writer's acknowledgement (measured: 2 ms median, 19 ms at worst on
 * a loaded 2-core machine), and a reader in between would get the old row. So a hit is served
 * only after a barrier: the cache's own LISTEN connection sends "SELECT 1" after the lookup
 * arrived, and PostgreSQL sends a listening session the notifications of every transaction that
 * committed before that statement ahead of its answer. When the answer is in, every such write
 * has emptied the cache. One barrier serves every lookup waiting at the time, so under load
 * many hits share one trivial round trip instead of each running an index lookup.
 *
 * Further: entries are served only while the LISTEN connection is up (before it is, or after
 * it broke, every lookup asks the database); a lookup whose barrier does not complete within
 * PASSENGER_CACHE_WAIT_MS asks the database; invalidation is a generation number, so no entry
 * read before a write is ever stored after it. Memory is fixed: `slots` entries (direct-mapped
 * by id), about 0.5 KiB each, touched lazily. */
#ifndef TITANIC_PASSENGER_CACHE_H
#define TITANIC_PASSENGER_CACHE_H

#include "passenger.h"

#include <stddef.h>
#include <stdint.h>

#define PASSENGER_CACHE_WAIT_MS 50
#define PASSENGERS_CACHE_CHANNEL "titanic_passengers"

/* Allocates the slots (0: the cache stays off) and starts the listening thread on conninfo.
 * Before the workers start; -1 when it cannot. */
int passenger_cache_start(const char *conninfo, size_t slots);
/* Stops the thread and frees the slots; after the workers have stopped. */
void passenger_cache_stop(void);

/* The generation to hand to passenger_cache_put, read before the database is asked. */
unsigned long passenger_cache_generation(void);

/* 1 and *out when id is cached and no write committed before this call has changed it since
 * (see above); else 0, and the caller asks the database. */
int passenger_cache_get(int32_t id, passenger *out);

/* Stores p, read from the database after generation was taken, unless an invalidation came in
 * between (the row read may then be older than the write that caused it). */
void passenger_cache_put(const passenger *p, unsigned long generation);

/* Forgets every entry: this process wrote passengers (its own notification comes later). */
void passenger_cache_invalidate(void);

/* Hits and misses since start, for /metrics. */
void passenger_cache_counts(unsigned long *hits, unsigned long *misses);

#endif
