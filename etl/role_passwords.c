/* Workload-role passwords from a directory of files. See role_passwords.h. */
#include "role_passwords.h"

#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const role_passwords_roles[] = {"titanic_api", "titanic_etl", "titanic_train",
                                            "titanic_analyst", NULL};

/* memset through a volatile pointer: a plain one on a buffer about to die may be optimised away,
 * and explicit_bzero is not in strict C11 + POSIX. */
static void *(*const volatile wipe)(void *, int, size_t) = memset;

/* Reads dir/role into out (trailing newlines dropped). 1 read, 0 no such file, -1 error. */
static int read_password(const char *dir, const char *role, char *out, size_t outlen, char *err,
                         size_t errlen) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, role);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t n = read(fd, out, outlen - 1);
    char extra;
    int longer = n == (ssize_t)(outlen - 1) && read(fd, &extra, 1) == 1;
    close(fd);
    if (n < 0 || longer) {
        snprintf(err, errlen, "%s: %s", path,
                 n < 0 ? strerror(errno) : "longer than ROLE_PASSWORD_MAX bytes; not a password");
        return -1;
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        n--;
    out[n] = '\0';
    if (n == 0 || memchr(out, '\0', (size_t)n)) {
        snprintf(err, errlen, "%s: empty, or holds a NUL byte", path);
        return -1;
    }
    return 1;
}

static int set_one(PGconn *conn, const char *role, const char *password, char *err, size_t errlen) {
    /* The verifier, not the password, goes to the server: statement logs never hold it. */
    char *verifier = PQencryptPasswordConn(conn, password, role, "scram-sha-256");
    if (!verifier) {
        snprintf(err, errlen, "%s: cannot compute the SCRAM verifier: %s", role,
                 PQerrorMessage(conn));
        return -1;
    }
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
        char password[ROLE_PASSWORD_MAX + 1];
        int found = read_password(dir, *role, password, sizeof password, err, errlen);
        int rc = found > 0 ? set_one(conn, *role, password, err, errlen) : found;
        wipe(password, 0, sizeof password);
        if (rc < 0)
            return -1;
        set += found;
    }
    return set;
}
