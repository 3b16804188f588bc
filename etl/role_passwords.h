/* Workload-role passwords for `titanic-etl --migrate`: the migration step runs as the owner and,
 * when ROLE_PASSWORDS_DIR is set, gives each role whose file is in that directory (files named
 * titanic_api, titanic_etl, titanic_train, titanic_analyst) LOGIN with the file's content as its
 * password. In Kubernetes the directory is a Secret mount; locally scripts/pg-local.sh makes it. */
#ifndef TITANIC_ROLE_PASSWORDS_H
#define TITANIC_ROLE_PASSWORDS_H

#include <libpq-fe.h>
#include <stddef.h>

/* The workload roles of migration 002 and the analysts' role of 006, NULL-terminated. */
extern const char *const role_passwords_roles[];

/* Largest password file read; a longer one is refused as a mistake. */
#define ROLE_PASSWORD_MAX 1024

/* Sets the password of every role with a file in dir. Returns the number of roles set, or -1
 * with err naming the file (missing files are skipped; empty, oversized or unreadable ones are
 * errors). The password is turned into a SCRAM verifier here and sent as a parameter. */
int role_passwords_apply(PGconn *conn, const char *dir, char *err, size_t errlen);

#endif
