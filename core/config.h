/* Configuration from the environment, validated.
 *
 * Database settings follow libpq: DATABASE_URL (a URI or a key=value conninfo) when set; else
 * DATABASE_URL_FILE, a file holding it (how Kubernetes mounts secrets); else an empty conninfo,
 * so libpq's own PG* variables apply. Numbers are parsed strictly: the whole string, in range. */
#ifndef TITANIC_CONFIG_H
#define TITANIC_CONFIG_H

#include "errors.h"

#include <stddef.h>

/* Largest DATABASE_URL_FILE we read: a connection string is short; anything bigger is a mistake. */
#define CONFIG_URL_FILE_MAX 4096

/* Resolves the connection string. On success returns 0 and *out (caller frees); the string may be
 * empty (libpq defaults). On error returns -1 with a message naming the variable in err. The
 * message never contains the connection string itself, which may hold a password. */
int config_database_url(char **out, char *err, size_t errlen) TITANIC_MUST_CHECK;

/* A secret (a connection string, a password) from the file at path, of at most max bytes, less
 * any trailing characters of trim: malloc'd and NUL-terminated (free with config_free_secret), or
 * NULL with err "<what>: <path> <reason>" (cannot be opened, and then errno is open's, or read,
 * larger than max, empty, holds a NUL byte). */
char *config_read_secret(const char *what, const char *path, size_t max, const char *trim,
                         char *err, size_t errlen);
/* Overwrites a secret from config_read_secret (may be NULL) before freeing it. */
void config_free_secret(char *secret);

/* Parses a decimal integer that must make up the whole string and lie in [min, max]. */
int config_parse_long(const char *text, long min, long max, long *out) TITANIC_MUST_CHECK;

/* Parses a finite decimal number (no hex, inf or nan) that must make up the whole string. */
int config_parse_double(const char *text, double min, double max, double *out) TITANIC_MUST_CHECK;

/* Reads integer variable name, or def when unset or empty. Returns -1 with err naming the variable
 * and the accepted range when the value is malformed or out of range. */
int config_env_long(const char *name, long def, long min, long max, long *out, char *err,
                    size_t errlen) TITANIC_MUST_CHECK;

/* Reads a string variable, or def when unset or empty. */
const char *config_env_string(const char *name, const char *def);

#endif
