/* The real Kaggle files (TITANIC_DATA_DIR): exact counts, reruns that change nothing, and the
 * 887-row layout with deterministic ids. Skips, saying so, when the files are not available. */
#include "check.h"
#include "loader.h"
#include "testdb.h"

#include <fcntl.h>
#include <unistd.h>

static PGconn *conn;

static etl_result load_file(const char *path) {
    etl_options o = {
        .source = path, .max_rejects = 0, .max_rejects_pct = -1, .id_base = CSV_DEFAULT_ID_BASE};
    etl_result r;
    char err[1024];
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    int rc = etl_load(conn, fd, &o, &r, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "load %s: %s\n", path, err);
    CHECK_INT(rc, 0);
    close(fd);
    CHECK_INT(r.read, r.inserted + r.updated + r.unchanged + r.rejected);
    return r;
}

int main(void) {
    const char *train = testdb_data_file("test_etl_real_data", "train.csv");
    char test_path[1100], people_path[1100];
    snprintf(test_path, sizeof test_path, "%s", testdb_data_file("test_etl_real_data", "test.csv"));
    snprintf(people_path, sizeof people_path, "%s",
             testdb_data_file("test_etl_real_data", "people-887.csv"));
    conn = testdb_create("etl_real");

    etl_result r = load_file(train);
    CHECK_INT(r.layout, LAYOUT_TRAIN);
    CHECK_INT(r.inserted, 891);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM passengers"), 891);
    CHECK_INT(testdb_long(conn, "SELECT sum(survived) FROM passengers"), 342);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM passengers WHERE age IS NULL"), 177);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM passengers WHERE cabin IS NULL"), 687);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM passengers WHERE embarked IS NULL"), 2);
    r = load_file(train);
    CHECK_INT(r.unchanged, 891);
    CHECK_INT(r.inserted + r.updated, 0);

    r = load_file(test_path);
    CHECK_INT(r.layout, LAYOUT_TEST);
    CHECK_INT(r.inserted, 418);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM passengers WHERE survived IS NULL"), 418);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM passengers WHERE passenger_id > 891 "
                                "AND age IS NULL"),
              86);
    r = load_file(test_path);
    CHECK_INT(r.unchanged, 418);

    r = load_file(people_path);
    CHECK_INT(r.layout, LAYOUT_PEOPLE);
    CHECK_INT(r.inserted, 887);
    CHECK_INT(testdb_long(conn, "SELECT min(passenger_id) FROM passengers WHERE passenger_id > "
                                "900000"),
              900001);
    r = load_file(people_path);
    CHECK_INT(r.unchanged, 887);
    CHECK_INT(testdb_long(conn, "SELECT count(*) FROM passengers"), 891 + 418 + 887);
    char *name = testdb_text(conn, "SELECT name FROM passengers WHERE passenger_id = 900001");
    CHECK_STR(name, "Mr. Owen Harris Braund");
    free(name);
    testdb_drop(conn);
    return check_exit_code("test_etl_real_data");
}
