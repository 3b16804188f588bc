/* Counters and the summary line for tests/check.h. */
#include "check.h"

int check_failures = 0;
int check_count = 0;

int check_exit_code(const char *suite) {
    printf("%s: %d checks, %d failed\n", suite, check_count, check_failures);
    return check_failures == 0 ? 0 : 1;
}

void check_skip(const char *suite, const char *reason) {
    printf("SKIP %s: %s\n", suite, reason);
    exit(77);
}
