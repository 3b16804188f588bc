/* Running store statements on a plain connection, and the list of statements to prepare. See
 * store.h. */
#include "store.h"

#include "db.h"
#include "models_store.h"
#include "passengers_store.h"

#include <stdio.h>

static PGresult *run_on_connection(void *ctx, const store_statement *st, const char *const *params,
                                   int *unavailable, char *err, size_t errlen) {
    PGconn *conn = ctx;
    PGresult *res = db_query(conn, st->sql, st->nparams, params, err, errlen);
    if (!res && unavailable)
        *unavailable = PQstatus(conn) != CONNECTION_OK;
    return res;
}

store_conn store_on(PGconn *conn) {
    return (store_conn){run_on_connection, conn};
}

PGresult *store_run(store_conn c, const store_statement *st, const char *const *params,
                    int *unavailable, char *err, size_t errlen) {
    int ignored = 0;
    if (!unavailable)
        unavailable = &ignored;
    *unavailable = 0;
    return c.run(c.ctx, st, params, unavailable, err, errlen);
}

const store_statement *const store_prepared_statements[] = {
    &PASSENGER_BY_ID,
    &PASSENGERS_BY_IDS,
    &STORE_PING,
    NULL,
};

void store_text_of_long(long v, char out[24]) {
    snprintf(out, 24, "%ld", v);
}
