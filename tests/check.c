/* Counters and the summary line for tests/check.h. A program that made no checks at all has
 * tested nothing, so it fails rather than passing quietly; one with nothing to test says so and
 * skips (check_skip, exit 77). */
#include "check.h"

int check_failures = 0;
int check_count = 0;

int check_exit_code(const char *suite) {
    printf("%s: %d checks, %d failed\n", suite, check_count, check_failures);
    if (check_count == 0) {
        fprintf(stderr,
                "%s: FAIL: no checks were made (a test that checks nothing passes "
                "nothing; call check_skip to skip)\n",
                suite);
        return 1;
    }
    return check_failures == 0 ? 0 : 1;
}

void check_skip(const char *suite, const char *reason) {
    printf("SKIP %s: %s\n", suite, reason);
    exit(77);
}
