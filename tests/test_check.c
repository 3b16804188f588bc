/* The test harness itself (check.h): a program that made zero checks fails, one passing check
 * passes, one failing check fails, and check_skip exits 77. Each case runs in a child process
 * (this program again, with the case's name as its argument) and the parent checks its exit
 * status. */
#include "check.h"

#include <sys/wait.h>
#include <unistd.h>

static int child(const char *which) {
    if (strcmp(which, "zero") == 0)
        return check_exit_code("zero");
    if (strcmp(which, "pass") == 0) {
        CHECK(1 + 1 == 2);
        return check_exit_code("pass");
    }
    if (strcmp(which, "fail") == 0) {
        CHECK_INT(1 + 1, 3);
        return check_exit_code("fail");
    }
    if (strcmp(which, "skip") == 0)
        check_skip("skip", "skipped on purpose");
    return 99;
}

/* Runs this program with argument which; returns its exit status, or -1 if it did not exit. */
static int run(const char *self, const char *which) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execl(self, self, which, (char *)NULL);
        _exit(98);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int main(int argc, char **argv) {
    if (argc > 1)
        return child(argv[1]);
    CHECK_INT(run(argv[0], "zero"), 1);
    CHECK_INT(run(argv[0], "pass"), 0);
    CHECK_INT(run(argv[0], "fail"), 1);
    CHECK_INT(run(argv[0], "skip"), 77);
    return check_exit_code("check");
}
