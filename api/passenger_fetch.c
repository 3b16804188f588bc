/* One stored passenger for a route. See passenger_fetch.h. */
#include "passenger_fetch.h"

#include "api_db.h"
#include "passengers_store.h"

int fetch_passenger(http_request *r, int32_t id, passenger *out) {
    char err[512];
    int unavailable;
    int found = passengers_store_get(api_db_store(), id, out, &unavailable, err, sizeof err);
    if (found < 0)
        http_database_error(r, unavailable, err);
    return found;
}
