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
    if (config_parse_long(text, min, max, out) != 0) {
        snprintf(err, errlen, "%s: expected an integer from %ld to %ld, got \"%.40s\"", name, min,
                 max, text);
        return -1;
    }
    return 0;
}

const char *config_env_string(const char *name, const char *def) {
    const char *text = getenv(name);
    return (text && *text) ? text : def;
}

/* Reads the whole secret file, refusing anything larger than CONFIG_URL_FILE_MAX, and strips the
 * trailing newline/blanks that editors and `kubectl create secret --from-file` leave behind. */
static int read_url_file(const char *path, char **out, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "DATABASE_URL_FILE: cannot open %.200s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(CONFIG_URL_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "DATABASE_URL_FILE: out of memory");
        return -1;
    }
    size_t n = fread(buf, 1, CONFIG_URL_FILE_MAX + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(buf);
        snprintf(err, errlen, "DATABASE_URL_FILE: cannot read %.200s", path);
        return -1;
    }
    if (n > CONFIG_URL_FILE_MAX) {
        free(buf);
        snprintf(err, errlen, "DATABASE_URL_FILE: %.200s is larger than %d bytes", path,
                 CONFIG_URL_FILE_MAX);
        return -1;
    }
    while (n > 0 &&
           (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    buf[n] = '\0';
    if (n == 0 || memchr(buf, '\0', n) != NULL) {
        free(buf);
        snprintf(err, errlen, "DATABASE_URL_FILE: %.200s is empty or holds a NUL byte", path);
        return -1;
    }
    *out = buf;
    return 0;
}

int config_database_url(char **out, char *err, size_t errlen) {
    const char *url = getenv("DATABASE_URL");
    const char *file = getenv("DATABASE_URL_FILE");
    int has_url = url && *url;
    int has_file = file && *file;
    if (has_url && has_file) {
        snprintf(err, errlen, "DATABASE_URL and DATABASE_URL_FILE are both set; set only one");
        return -1;
    }
    if (has_file)
        return read_url_file(file, out, err, errlen);
    *out = strdup(has_url ? url : "");
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}
