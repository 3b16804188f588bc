/* Structured logging: one JSON object per line, or plain text on a terminal. See log.h. */
#include "log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static struct {
    char component[32];
    FILE *out; /* NULL means stderr, resolved at write time */
    int json;
    log_level min_level;
    pthread_mutex_t lock;
} logger = {"titanic", NULL, 1, LOG_INFO, PTHREAD_MUTEX_INITIALIZER};

static int parse_level(const char *text, log_level *out) {
    for (int i = 0; i <= LOG_ERROR; i++) {
        if (strcasecmp(text, level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_init(const char *component, char *err, size_t errlen) {
    snprintf(logger.component, sizeof logger.component, "%s", component);
    logger.json = !isatty(STDERR_FILENO);
    int rc = 0;
    const char *format = getenv("LOG_FORMAT");
    if (format && *format && strcasecmp(format, "auto") != 0) {
        if (strcasecmp(format, "json") == 0 || strcasecmp(format, "text") == 0)
            logger.json = strcasecmp(format, "json") == 0;
        else
            rc = errorf(err, errlen, "LOG_FORMAT: expected json, text or auto, got \"%.32s\"",
                        format);
    }
    const char *level = getenv("LOG_LEVEL");
    if (level && *level && parse_level(level, &logger.min_level) != 0)
        rc = errorf(err, errlen, "LOG_LEVEL: expected debug, info, warn or error, got \"%.32s\"",
                    level);
    return rc;
}

void log_set_output(FILE *out, int json) {
    logger.out = out;
    logger.json = json;
}

void log_set_level(log_level level) {
    logger.min_level = level;
}

int log_enabled(log_level level) {
    return level >= logger.min_level;
}

int log_is_json(void) {
    return logger.json;
}

/* RFC 3339 UTC time with milliseconds, e.g. 2026-11-26T12:00:00.123Z. */
static void format_time(char *buf, size_t len) {
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", now.tv_nsec / 1000000L);
}

static char *render_json(const char *when, log_level level, const char *message, json_t *fields) {
    json_t *line = json_object();
    json_object_set_new(line, "time", json_string(when));
    json_object_set_new(line, "level", json_string(level_names[level]));
    json_object_set_new(line, "component", json_string(logger.component));
    json_object_set_new(line, "message", json_string(message));
    const char *key;
    json_t *value;
    json_object_foreach(fields, key, value) {
        /* The four standard keys win; a clashing field is kept under a prefixed name. */
        if (json_object_get(line, key)) {
            char renamed[128];
            snprintf(renamed, sizeof renamed, "field_%s", key);
            json_object_set(line, renamed, value);
        } else {
            json_object_set(line, key, value);
        }
    }
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(line);
    return text;
}

static char *render_text(const char *when, log_level level, const char *message, json_t *fields) {
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return NULL;
    fprintf(mem, "%s %-5s %s: %s", when + 11, level_names[level], logger.component, message);
    const char *key;
    json_t *value;
    json_object_foreach(fields, key, value) {
        if (json_is_string(value)) {
            fprintf(mem, " %s=%s", key, json_string_value(value));
        } else {
            char *v = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
            fprintf(mem, " %s=%s", key, v ? v : "?");
            free(v);
        }
    }
    fclose(mem);
    return buf;
}

static _Thread_local const char *thread_request_id;

void log_set_request_id(const char *request_id) {
    thread_request_id = request_id;
}

void log_event(log_level level, const char *message, const char *fields_format, ...) {
    if (!log_enabled(level))
        return;
    json_t *fields = NULL;
    if (fields_format) {
        va_list ap;
        va_start(ap, fields_format);
        json_error_t error;
        fields = json_vpack_ex(&error, 0, fields_format, ap);
        va_end(ap);
        if (!fields)
            fields = json_pack("{s:s}", "log_error", error.text);
    }
    if (!fields)
        fields = json_object();
    if (thread_request_id && !json_object_get(fields, "request_id"))
        json_object_set_new(fields, "request_id", json_string(thread_request_id));
    char when[40];
    format_time(when, sizeof when);
    char *text = logger.json ? render_json(when, level, message, fields)
                             : render_text(when, level, message, fields);
    json_decref(fields);
    if (!text)
        return;
    pthread_mutex_lock(&logger.lock);
    FILE *out = logger.out ? logger.out : stderr;
    fputs(text, out);
    fputc('\n', out);
    fflush(out);
    pthread_mutex_unlock(&logger.lock);
    free(text);
}
