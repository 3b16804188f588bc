/* The one way a failure is reported in this code base: functions return -1 (or NULL) and write a
 * sentence into a caller's buffer (char *err, size_t errlen) that names the field, line or column
 * and the reason. errorf is that write. */
#ifndef TITANIC_ERRORS_H
#define TITANIC_ERRORS_H

#include <stddef.h>

#if defined(__GNUC__)
#define TITANIC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TITANIC_PRINTF(fmt, args)
#endif

/* On a function whose -1 (or NULL) must not be ignored: a caller that drops the result is a
 * compiler warning, so a build error under -Werror. (A (void) cast does not silence it: handle
 * the failure.) */
#if defined(__GNUC__)
#define TITANIC_MUST_CHECK __attribute__((warn_unused_result))
#else
#define TITANIC_MUST_CHECK
#endif

/* Formats into err (always NUL-terminated when errlen > 0) and returns -1, so that a refusal is
 * one statement: return errorf(err, errlen, ...). */
int errorf(char *err, size_t errlen, const char *fmt, ...) TITANIC_PRINTF(3, 4);

#endif
