/* Configuration from the environment: database URL resolution and strict number parsing. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_parse_long(const char *text, long min, long max, long *out) {
    if (!text || !*text)
        return -1;
    /* strtol accepts leading blanks and a '+'; a configuration value should not need them. */
    if (!(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
        return -1;
    errno = 0;
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

int config_parse_double(const char *text, double min, double max, double *out) {
    if (!text || !*text)
        return -1;
    for (const char *p = text; *p; p++) {
        /* Digits, one sign, a point and an exponent only: rejects "inf", "nan", hex floats. */
        if (!strchr("0123456789.-+eE", *p))
            return -1;
    }
    errno = 0;
    char *end = NULL;
    double value = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !isfinite(value) || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

int config_env_long(const char *name, long def, long min, long max, long *out, char *err,
                    size_t errlen) {
    const char *text = getenv(name);
    if (!text || !*text) {
        *out = def;
        return 0;
    }
    if (config_parse_long(text, min, max, out) != 0)
        return errorf(err, errlen, "%s: expected an integer from %ld to %ld, got \"%.40s\"", name,
                      min, max, text);
    return 0;
}

const char *config_env_string(const char *name, const char *def) {
    const char *text = getenv(name);
    return (text && *text) ? text : def;
}

/* memset through a volatile pointer: a plain one on a buffer about to die may be optimised away,
 * and explicit_bzero is not in strict C11 + POSIX. */
static void *(*const volatile wipe)(void *, int, size_t) = memset;

void config_free_secret(char *secret) {
    if (secret)
        wipe(secret, 0, strlen(secret));
    free(secret);
}

char *config_read_secret(const char *what, const char *path, size_t max, const char *trim,
                         char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        int open_errno = errno;
        snprintf(err, errlen, "%s: cannot open %.200s: %s", what, path, strerror(open_errno));
        errno = open_errno;
        return NULL;
    }
    char *buf = calloc(max + 1, 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int read_error = ferror(f);
    fclose(f);
    while (n > 0 && n <= max && buf[n - 1] && strchr(trim, buf[n - 1]))
        buf[--n] = '\0';
    if (!buf)
        snprintf(err, errlen, "%s: out of memory", what);
    else if (read_error)
        snprintf(err, errlen, "%s: cannot read %.200s", what, path);
    else if (n > max)
        snprintf(err, errlen, "%s: %.200s is larger than %zu bytes", what, path, max);
    else if (n == 0 || memchr(buf, '\0', n) != NULL)
        snprintf(err, errlen, "%s: %.200s is empty or holds a NUL byte", what, path);
    else
        return buf;
    if (buf)
        wipe(buf, 0, max + 1);
    free(buf);
    return NULL;
}

int config_database_url(char **out, char *err, size_t errlen) {
    const char *url = getenv("DATABASE_URL");
    const char *file = getenv("DATABASE_URL_FILE");
    int has_url = url && *url;
    int has_file = file && *file;
    if (has_url && has_file)
        return errorf(err, errlen, "DATABASE_URL and DATABASE_URL_FILE are both set; set only one");
    /* Trailing blanks and line ends, as editors and `kubectl create secret --from-file` leave. */
    if (has_file)
        return (*out = config_read_secret("DATABASE_URL_FILE", file, CONFIG_URL_FILE_MAX, " \t\r\n",
                                          err, errlen))
                   ? 0
                   : -1;
    *out = strdup(has_url ? url : "");
    if (!*out)
        return errorf(err, errlen, "out of memory");
    return 0;
}
