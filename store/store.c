/* Running store statements on a plain connection, and the list of statements to prepare. See
 * store.h. */
#include "store.h"

#include "copy_binary.h"
#include "db.h"
#include "errors.h"
#include "models_store.h"
#include "passengers_store.h"

#include <stdio.h>
#include <stdlib.h>

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

int store_run_long(store_conn c, const store_statement *st, const char *const *params, long *value,
                   int *unavailable, char *err, size_t errlen) {
    PGresult *res = store_run(c, st, params, unavailable, err, errlen);
    if (!res)
        return -1;
    *value = PQntuples(res) ? atol(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return 0;
}

PGresult *store_run_rows(store_conn c, const store_statement *st, const char *const *params,
                         size_t size, void **items, int *unavailable, char *err, size_t errlen) {
    *items = NULL;
    PGresult *res = store_run(c, st, params, unavailable, err, errlen);
    if (!res)
        return NULL;
    int n = PQntuples(res);
    if (!(*items = calloc((size_t)(n ? n : 1), size))) {
        errorf(err, errlen, "out of memory for %d rows", n);
        PQclear(res);
    }
    return *items ? res : NULL;
}

const store_statement *const store_prepared_statements[] = {
    &PASSENGERS_BY_IDS,
    &STORE_PING,
    NULL,
};

void store_text_of_long(long v, char out[24]) {
    snprintf(out, 24, "%ld", v);
}

/* ---- COPY FROM STDIN ---- */

int store_copy_begin(store_copy *c, PGconn *conn, const char *sql, char *err, size_t errlen) {
    *c = (store_copy){.conn = conn, .buf = malloc(STORE_COPY_BUFFER)};
    if (!c->buf)
        return errorf(err, errlen, "out of memory for the COPY buffer");
    PGresult *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    int ok = res && PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok)
        db_error_text(conn, res, err, errlen);
    PQclear(res);
    if (!ok) {
        free(c->buf);
        c->buf = NULL;
        return -1;
    }
    char *at = c->buf;
    copy_binary_header(&at);
    c->used = (size_t)(at - c->buf);
    return 0;
}

static int flush_copy(store_copy *c) {
    if (!c->failed && c->used > 0 && PQputCopyData(c->conn, c->buf, (int)c->used) != 1) {
        db_error_text(c->conn, NULL, c->error, sizeof c->error);
        c->failed = 1;
    }
    c->used = 0;
    return c->failed ? -1 : 0;
}

char *store_copy_room(store_copy *c, size_t need) {
    if (c->used + need > STORE_COPY_BUFFER)
        flush_copy(c);
    return c->failed ? NULL : c->buf + c->used;
}

int store_copy_end(store_copy *c, const char *abort_reason, char *err, size_t errlen) {
    char *at = !abort_reason ? store_copy_room(c, 2) : NULL;
    if (at) {
        copy_binary_trailer(&at);
        c->used = (size_t)(at - c->buf);
    }
    if (!abort_reason && flush_copy(c) != 0) {
        errorf(err, errlen, "sending rows failed: %s", c->error);
        abort_reason = "client send failed";
    }
    free(c->buf);
    c->buf = NULL;
    if (PQputCopyEnd(c->conn, abort_reason) != 1) {
        db_error_text(c->conn, NULL, err, errlen);
        return -1;
    }
    int rc = abort_reason ? -1 : 0;
    PGresult *res;
    while ((res = PQgetResult(c->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
            db_error_text(c->conn, res, err, errlen);
            rc = -1;
        }
        PQclear(res);
    }
    return rc;
}
