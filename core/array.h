/* Growing an array by doubling, with the overflow checks written once. Every array that grows
 * from input also has a cap, so no input can make it grow without bound. */
#ifndef TITANIC_ARRAY_H
#define TITANIC_ARRAY_H

#include "errors.h"

#include <stddef.h>

/* Makes *items hold at least need items of item_size bytes, doubling *capacity (from 16) as
 * needed but never beyond max_items. Returns 0, or -1 (nothing changed) when need exceeds
 * max_items or memory runs out. */
int array_reserve(void **items, size_t *capacity, size_t need, size_t item_size,
                  size_t max_items) TITANIC_MUST_CHECK;

#endif
