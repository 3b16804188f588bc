/* PostgreSQL connection and checked statement helpers. See db.h. */
#include "db.h"

#include "config.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies src into dst masking every "quoted" span: when a connection string is malformed, libpq
 * quotes the offending token, which can be (part of) the password. */
static void copy_masking_quotes(char *dst, size_t len, const char *src) {
    size_t used = 0;
    int inside = 0;
    for (const char *p = src; *p && used + 4 < len; p++) {
        if (*p == '"') {
            inside = !inside;
            dst[used++] = '"';
            if (inside) {
                memcpy(dst + used, "***", 3);
                used += 3;
            }
        } else if (!inside) {
            dst[used++] = *p;
        }
    }
    dst[used] = '\0';
}

/* Drops the line ends and blanks libpq leaves at the end of its messages. */
static void trim_message_end(char *text) {
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = '\0';
}

void db_error_text(PGconn *conn, const PGresult *res, char *err, size_t errlen) {
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if ((!msg || !*msg) && conn)
        msg = PQerrorMessage(conn);
    if (!msg || !*msg)
        msg = "unknown database error";
    snprintf(err, errlen, "%s", msg);
    trim_message_end(err);
}

void db_describe(const char *conninfo, char *out, size_t len) {
    char *parse_error = NULL;
    PQconninfoOption *options = PQconninfoParse(conninfo ? conninfo : "", &parse_error);
    if (!options) {
        PQfreemem(parse_error);
        snprintf(out, len, "(unparsable connection string)");
        return;
    }
    static const char *const shown[] = {"host", "hostaddr", "port", "dbname", "user", "sslmode"};
    size_t used = 0;
    out[0] = '\0';
    for (PQconninfoOption *o = options; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
            if (strcmp(o->keyword, shown[i]) == 0 && used < len) {
                int n = snprintf(out + used, len - used, "%s%s=%s", used ? " " : "", o->keyword,
                                 o->val);
                used += n > 0 ? (size_t)n : 0;
            }
        }
    }
    if (!out[0])
        snprintf(out, len, "(libpq defaults from PG* variables)");
    PQconninfoFree(options);
}

/* Server NOTICEs (e.g. "relation already exists, skipping") go through our logger instead of
 * libpq's default raw print to stderr, which would break the one-JSON-object-per-line stream. */
static void notice_to_log(void *arg, const char *message) {
    (void)arg;
    char text[512];
    snprintf(text, sizeof text, "%s", message);
    trim_message_end(text);
    log_debug("postgresql notice", "{s:s}", "notice", text);
}

PGconn *db_connect(const char *conninfo, const char *app, char *err, size_t errlen) {
    return db_connect_timeout(conninfo, app, 10, err, errlen);
}

PGconn *db_connect_timeout(const char *conninfo, const char *app, int timeout_seconds, char *err,
                           size_t errlen) {
    char *parse_error = NULL;
    PQconninfoOption *options = PQconninfoParse(conninfo, &parse_error);
    if (!options) {
        char masked[256];
        copy_masking_quotes(masked, sizeof masked, parse_error ? parse_error : "unparsable");
        PQfreemem(parse_error);
        trim_message_end(masked);
        errorf(err, errlen, "invalid database connection string: %s", masked);
        return NULL;
    }
    PQconninfoFree(options);
    /* Later keywords override earlier ones, so the user's conninfo (expanded from dbname) wins
     * over our connect_timeout default. */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", timeout_seconds);
    const char *const values[] = {timeout, app, conninfo, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (!conn) {
        snprintf(err, errlen, "out of memory creating a database connection");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        char where[256];
        char reason[512];
        db_describe(conninfo, where, sizeof where);
        db_error_text(conn, NULL, reason, sizeof reason);
        snprintf(err, errlen, "cannot connect to PostgreSQL (%s): %s", where, reason);
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, notice_to_log, NULL);
    return conn;
}

PGresult *db_result(PGconn *conn, PGresult *res, char *err, size_t errlen) {
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
        return res;
    db_error_text(conn, res, err, errlen);
    PQclear(res);
    return NULL;
}

PGresult *db_query(PGconn *conn, const char *sql, int nparams, const char *const *params, char *err,
                   size_t errlen) {
    return db_result(conn, PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0), err,
                     errlen);
}

int db_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, char *err,
            size_t errlen) {
    PGresult *res = db_query(conn, sql, nparams, params, err, errlen);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int db_begin(PGconn *conn, char *err, size_t errlen) {
    return db_exec(conn, "BEGIN", 0, NULL, err, errlen);
}

int db_end(PGconn *conn, int ok, char *err, size_t errlen) {
    if (ok)
        return db_exec(conn, "COMMIT", 0, NULL, err, errlen);
    if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
        char ignored[256];
        db_exec(conn, "ROLLBACK", 0, NULL, ignored, sizeof ignored);
    }
    return -1;
}

PGconn *db_connect_from_env(const char *app, char *err, size_t errlen) {
    char *conninfo = NULL;
    if (config_database_url(&conninfo, err, errlen) != 0)
        return NULL;
    PGconn *conn = db_connect(conninfo, app, err, errlen);
    if (conn) {
        char where[256];
        db_describe(conninfo, where, sizeof where);
        log_debug("connected to PostgreSQL", "{s:s, s:i}", "target", where, "server_version",
                  PQserverVersion(conn));
    }
    config_free_secret(conninfo);
    return conn;
}

PGconn *db_connect_like(PGconn *conn, char *err, size_t errlen) {
    PQconninfoOption *options = PQconninfo(conn);
    if (!options) {
        snprintf(err, errlen, "out of memory reading the connection's settings");
        return NULL;
    }
    size_t n = 0;
    while (options[n].keyword)
        n++;
    /* A setting without a value (NULL) is skipped by PQconnectdbParams. */
    const char **keys = calloc(n + 1, sizeof *keys), **values = calloc(n + 1, sizeof *values);
    for (size_t i = 0; keys && values && i < n; i++) {
        keys[i] = options[i].keyword;
        values[i] = options[i].val;
    }
    PGconn *again = keys && values ? PQconnectdbParams(keys, values, 0) : NULL;
    free(keys);
    free(values);
    PQconninfoFree(options);
    if (!again || PQstatus(again) != CONNECTION_OK) {
        db_error_text(again, NULL, err, errlen);
        PQfinish(again);
        return NULL;
    }
    return again;
}
