/* One stored passenger for a route, through the lookup cache. See passenger_fetch.h. */
#include "passenger_fetch.h"

#include "api_db.h"
#include "passenger_cache.h"
#include "passengers_store.h"

int fetch_passenger(http_request *r, int32_t id, passenger *out) {
    if (passenger_cache_get(id, out))
        return 1;
    /* Taken before the query: a write that commits while it runs invalidates this generation,
     * and the row read then is not stored. */
    unsigned long generation = passenger_cache_generation();
    char err[512];
    int unavailable;
    int found = passengers_store_get(api_db_store(), id, out, &unavailable, err, sizeof err);
    if (found < 0)
        http_database_error(r, unavailable, err);
    else if (found)
        passenger_cache_put(out, generation);
    return found;
}
