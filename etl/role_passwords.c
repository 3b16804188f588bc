/* Workload-role passwords from a directory of files. See role_passwords.h. */
#include "role_passwords.h"

#include "config.h"
#include "db.h"
#include "errors.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *const role_passwords_roles[] = {"titanic_api", "titanic_etl", "titanic_train",
                                            "titanic_analyst", NULL};

static int set_one(PGconn *conn, const char *role, const char *password, char *err, size_t errlen) {
    /* The verifier, not the password, goes to the server: statement logs never hold it. */
    char *verifier = PQencryptPasswordConn(conn, password, role, "scram-sha-256");
    if (!verifier)
        return errorf(err, errlen, "%s: cannot compute the SCRAM verifier: %s", role,
                      PQerrorMessage(conn));
    const char *params[] = {role, verifier};
    char why[512];
    int rc = db_exec(conn, "SELECT titanic_set_role_password($1, $2)", 2, params, why, sizeof why);
    PQfreemem(verifier);
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", role, why);
    return rc;
}

int role_passwords_apply(PGconn *conn, const char *dir, char *err, size_t errlen) {
    int set = 0;
    for (const char *const *role = role_passwords_roles; *role; role++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, *role);
        /* Only the line ends an editor leaves: a password may end in a blank. */
        char *password =
            config_read_secret("ROLE_PASSWORDS_DIR", path, ROLE_PASSWORD_MAX, "\r\n", err, errlen);
        if (!password && errno == ENOENT)
            continue; /* no file: that role is left as it is */
        int rc = password ? set_one(conn, *role, password, err, errlen) : -1;
        config_free_secret(password);
        if (rc < 0)
            return -1;
        set++;
    }
    return set;
}
