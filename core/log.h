/* Structured logging for all three binaries.
 *
 * Every log call writes one line on stderr: a JSON object (time, level, component, message, and
 * the caller's fields) when stderr is not a terminal, so log shippers such as CloudWatch can parse
 * it; readable plain text when it is a terminal. LOG_FORMAT=json|text and LOG_LEVEL=debug|info|
 * warn|error override the defaults. Safe to call from several threads. */
#ifndef TITANIC_LOG_H
#define TITANIC_LOG_H

#include "errors.h"

#include <jansson.h> /* json_int_t for integer fields */
#include <stdio.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Sets the component name and reads LOG_LEVEL / LOG_FORMAT. Returns 0, or -1 with a message in
 * err when an environment variable holds an unknown value (the defaults stay in force). */
int log_init(const char *component, char *err, size_t errlen) TITANIC_MUST_CHECK;

/* Redirects output (tests capture it in a file); json selects the format. */
void log_set_output(FILE *out, int json);
void log_set_level(log_level level);
int log_enabled(log_level level);
int log_is_json(void);

/* Names the request this thread is handling (NULL: none): every line logged meanwhile carries it
 * as "request_id", so one request can be followed through all its lines. The text is not copied;
 * it must stay valid until the thread sets another or NULL. */
void log_set_request_id(const char *request_id);

/* Logs message with optional fields given as a jansson json_pack() format and its arguments,
 * e.g. log_event(LOG_INFO, "loaded", "{s:i, s:s}", "rows", n, "file", path). fields_format may
 * be NULL. A field that cannot be packed is reported inside the line, never dropped silently. */
void log_event(log_level level, const char *message, const char *fields_format, ...);

#define log_info(msg, ...) log_event(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_event(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_event(LOG_ERROR, msg, __VA_ARGS__)
#define log_debug(msg, ...) log_event(LOG_DEBUG, msg, __VA_ARGS__)

#endif
