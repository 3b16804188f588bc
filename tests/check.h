/* A minimal test harness: CHECK-style assertions that count failures and keep going, so one run
 * shows every broken expectation. A test program returns check_exit_code(): 0 all passed, 1 some
 * failed or no check was made at all; check_skip() exits 77 (ctest's SKIP_RETURN_CODE). */
#ifndef TITANIC_CHECK_H
#define TITANIC_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int check_failures;
extern int check_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(actual, expected)                                                                \
    do {                                                                                           \
        long long a_ = (long long)(actual), e_ = (long long)(expected);                            \
        check_count++;                                                                             \
        if (a_ != e_) {                                                                            \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #actual, a_, \
                    e_);                                                                           \
        }                                                                                          \
    } while (0)

#define CHECK_STR(actual, expected)                                                                \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        check_count++;                                                                             \
        if (!a_ || strcmp(a_, e_) != 0) {                                                          \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #actual, \
                    a_ ? a_ : "(null)", e_);                                                       \
        }                                                                                          \
    } while (0)

/* Passes when haystack contains needle: error messages are checked for their key words. */
#define CHECK_CONTAINS(haystack, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        check_count++;                                                                             \
        if (!h_ || !strstr(h_, n_)) {                                                              \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,         \
                    h_ ? h_ : "(null)", n_);                                                       \
        }                                                                                          \
    } while (0)

/* Relative closeness |a-e| <= rel * max(|e|, tiny). */
#define CHECK_CLOSE(actual, expected, rel)                                                         \
    do {                                                                                           \
        double a_ = (actual), e_ = (expected);                                                     \
        double scale_ = fabs(e_) > 1e-300 ? fabs(e_) : 1e-300;                                     \
        check_count++;                                                                             \
        if (!(fabs(a_ - e_) <= (rel)*scale_)) {                                                    \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: %s == %.17g, expected %.17g (rel tol %g)\n", __FILE__,         \
                    __LINE__, #actual, a_, e_, (double)(rel));                                     \
        }                                                                                          \
    } while (0)

/* Prints the summary line and returns the process exit code: 0 when at least one check ran and
 * none failed, 1 otherwise (zero checks is a failure, with a message). */
int check_exit_code(const char *suite);

/* Skips the whole program (exit 77) with a reason printed for the log. */
void check_skip(const char *suite, const char *reason);

#endif
