/* Doubling arrays. See array.h. */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>

int array_reserve(void **items, size_t *capacity, size_t need, size_t item_size, size_t max_items) {
    if (need <= *capacity)
        return 0;
    if (need > max_items || item_size == 0 || max_items > SIZE_MAX / item_size)
        return -1;
    size_t grown = *capacity ? *capacity : 16;
    while (grown < need)
        grown = grown > max_items / 2 ? max_items : grown * 2;
    void *p = realloc(*items, grown * item_size);
    if (!p)
        return -1;
    *items = p;
    *capacity = grown;
    return 0;
}
