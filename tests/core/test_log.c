/* Logging: each event is exactly one line of valid JSON with time, level, component, message and
 * the caller's fields; text mode is readable; levels filter. */
#include "check.h"
#include "log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static char *capture(int json, void (*emit)(void)) {
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    log_set_output(mem, json);
    emit();
    fclose(mem);
    log_set_output(NULL, 1);
    return buf;
}

static void emit_one(void) {
    log_event(LOG_INFO, "loaded \"file\"\nwith newline", "{s:i, s:s, s:s}", "rows", 891, "file",
              "train.csv", "message", "clash");
}

static void emit_filtered(void) {
    log_set_level(LOG_WARN);
    log_event(LOG_INFO, "hidden", NULL);
    log_event(LOG_ERROR, "shown", NULL);
    log_set_level(LOG_INFO);
}

static void emit_bad_fields(void) {
    log_event(LOG_INFO, "bad", "{s:s}", "k", (const char *)NULL);
}

static void test_json_line(void) {
    char err[128];
    setenv("LOG_FORMAT", "json", 1);
    CHECK_INT(log_init("testcomp", err, sizeof err), 0);
    char *out = capture(1, emit_one);
    size_t newlines = 0;
    for (char *p = out; *p; p++)
        newlines += *p == '\n';
    CHECK_INT(newlines, 1); /* the message's own newline is escaped */
    json_error_t jerr;
    json_t *obj = json_loads(out, 0, &jerr);
    CHECK(obj != NULL);
    if (obj) {
        CHECK_STR(json_string_value(json_object_get(obj, "level")), "info");
        CHECK_STR(json_string_value(json_object_get(obj, "component")), "testcomp");
        CHECK_STR(json_string_value(json_object_get(obj, "message")),
                  "loaded \"file\"\nwith newline");
        CHECK_INT(json_integer_value(json_object_get(obj, "rows")), 891);
        CHECK_STR(json_string_value(json_object_get(obj, "file")), "train.csv");
        CHECK_STR(json_string_value(json_object_get(obj, "field_message")), "clash");
        const char *when = json_string_value(json_object_get(obj, "time"));
        CHECK(when && strlen(when) == 24 && when[10] == 'T' && when[23] == 'Z');
        json_decref(obj);
    }
    free(out);
}

static void test_text_and_levels(void) {
    char *out = capture(0, emit_one);
    CHECK_CONTAINS(out, "info  testcomp: loaded");
    CHECK_CONTAINS(out, "rows=891");
    CHECK_CONTAINS(out, "file=train.csv");
    free(out);
    out = capture(1, emit_filtered);
    CHECK(strstr(out, "hidden") == NULL);
    CHECK_CONTAINS(out, "shown");
    free(out);
    out = capture(1, emit_bad_fields);
    CHECK_CONTAINS(out, "log_error"); /* a packing mistake is visible, not a lost line */
    free(out);
}

static void test_bad_env(void) {
    char err[128] = "";
    setenv("LOG_LEVEL", "loud", 1);
    CHECK_INT(log_init("x", err, sizeof err), -1);
    CHECK_CONTAINS(err, "LOG_LEVEL");
    unsetenv("LOG_LEVEL");
    setenv("LOG_FORMAT", "xml", 1);
    CHECK_INT(log_init("x", err, sizeof err), -1);
    CHECK_CONTAINS(err, "LOG_FORMAT");
    unsetenv("LOG_FORMAT");
}

int main(void) {
    test_json_line();
    test_text_and_levels();
    test_bad_env();
    return check_exit_code("test_log");
}
