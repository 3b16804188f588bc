/* Configuration: strict number parsing, DATABASE_URL vs DATABASE_URL_FILE resolution, and the
 * promise that no error message ever carries the connection string (it may hold a password). */
#include "check.h"
#include "config.h"
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmp_path[] = "/tmp/titanic-config-XXXXXX";

static void write_file(const char *text) {
    FILE *f = fopen(tmp_path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_parse_long(void) {
    long v = 0;
    CHECK_INT(config_parse_long("5000", 1, 65535, &v), 0);
    CHECK_INT(v, 5000);
    CHECK_INT(config_parse_long("-3", -5, 5, &v), 0);
    CHECK_INT(v, -3);
    CHECK_INT(config_parse_long("", 1, 10, &v), -1);
    CHECK_INT(config_parse_long(" 5", 1, 10, &v), -1);
    CHECK_INT(config_parse_long("+5", 1, 10, &v), -1);
    CHECK_INT(config_parse_long("5x", 1, 10, &v), -1);
    CHECK_INT(config_parse_long("11", 1, 10, &v), -1);
    CHECK_INT(config_parse_long("99999999999999999999", 1, 10, &v), -1);
}

static void test_parse_double(void) {
    double d = 0;
    CHECK_INT(config_parse_double("0.5", 0, 1, &d), 0);
    CHECK_CLOSE(d, 0.5, 0);
    CHECK_INT(config_parse_double("1e-3", 0, 1, &d), 0);
    CHECK_INT(config_parse_double("nan", 0, 1, &d), -1);
    CHECK_INT(config_parse_double("inf", 0, 1e308, &d), -1);
    CHECK_INT(config_parse_double("0x10", 0, 100, &d), -1);
    CHECK_INT(config_parse_double("2", 0, 1, &d), -1);
}

static void test_env_long(void) {
    char err[256];
    long v = 0;
    unsetenv("TITANIC_TEST_N");
    CHECK_INT(config_env_long("TITANIC_TEST_N", 7, 1, 10, &v, err, sizeof err), 0);
    CHECK_INT(v, 7);
    setenv("TITANIC_TEST_N", "abc", 1);
    CHECK_INT(config_env_long("TITANIC_TEST_N", 7, 1, 10, &v, err, sizeof err), -1);
    CHECK_CONTAINS(err, "TITANIC_TEST_N");
    CHECK_CONTAINS(err, "from 1 to 10");
}

static void test_database_url(void) {
    char err[512];
    char *url = NULL;
    unsetenv("DATABASE_URL");
    unsetenv("DATABASE_URL_FILE");
    CHECK_INT(config_database_url(&url, err, sizeof err), 0);
    CHECK_STR(url, ""); /* libpq's PG* variables apply */
    free(url);

    setenv("DATABASE_URL", "postgresql://u:s3cret@db:5432/titanic", 1);
    CHECK_INT(config_database_url(&url, err, sizeof err), 0);
    CHECK_STR(url, "postgresql://u:s3cret@db:5432/titanic");
    free(url);

    int fd = mkstemp(tmp_path);
    close(fd);
    setenv("DATABASE_URL_FILE", tmp_path, 1);
    CHECK_INT(config_database_url(&url, err, sizeof err), -1);
    CHECK_CONTAINS(err, "both set");
    unsetenv("DATABASE_URL");

    write_file("host=db password=hunter2 dbname=titanic\n\n");
    CHECK_INT(config_database_url(&url, err, sizeof err), 0);
    CHECK_STR(url, "host=db password=hunter2 dbname=titanic"); /* trailing newlines stripped */
    free(url);

    write_file("\n");
    CHECK_INT(config_database_url(&url, err, sizeof err), -1);
    CHECK_CONTAINS(err, "empty");

    char big[CONFIG_URL_FILE_MAX + 10];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    write_file(big);
    CHECK_INT(config_database_url(&url, err, sizeof err), -1);
    CHECK_CONTAINS(err, "larger than");

    unlink(tmp_path);
    CHECK_INT(config_database_url(&url, err, sizeof err), -1);
    CHECK_CONTAINS(err, "DATABASE_URL_FILE: cannot open");
    unsetenv("DATABASE_URL_FILE");
}

static void test_password_never_shown(void) {
    char out[256];
    db_describe("postgresql://alice:hunter2@db.example:6543/titanic?sslmode=require", out,
                sizeof out);
    CHECK_CONTAINS(out, "host=db.example");
    CHECK_CONTAINS(out, "port=6543");
    CHECK_CONTAINS(out, "user=alice");
    CHECK(strstr(out, "hunter2") == NULL);

    char err[512];
    /* Malformed: libpq quotes the bad token, which here is the password. */
    PGconn *conn = db_connect("host=db password='hunter2", "t", err, sizeof err);
    CHECK(conn == NULL);
    CHECK(strstr(err, "hunter2") == NULL);
    conn = db_connect("postgresql://alice:hun%zzter2@db/x", "t", err, sizeof err);
    CHECK(conn == NULL);
    CHECK_CONTAINS(err, "invalid database connection string");
    CHECK(strstr(err, "hun") == NULL);
    /* Unreachable server: the message names the target, never the password. */
    conn = db_connect("host=127.0.0.1 port=1 user=alice password=hunter2 connect_timeout=2", "t",
                      err, sizeof err);
    CHECK(conn == NULL);
    CHECK_CONTAINS(err, "cannot connect");
    CHECK_CONTAINS(err, "port=1");
    CHECK(strstr(err, "hunter2") == NULL);
}

int main(void) {
    test_parse_long();
    test_parse_double();
    test_env_long();
    test_database_url();
    test_password_never_shown();
    return check_exit_code("test_config");
}
