/* titanic-etl: loads a Titanic passenger CSV into PostgreSQL (what the Kubernetes Job runs on
 * every data refresh), applies schema migrations, and generates synthetic passengers.
 * This file turns the command line into calls of the loader and generator in libtitanic. */
#include "build_info.h"
#include "config.h"
#include "db.h"
#include "errors.h"
#include "generate.h"
#include "loader.h"
#include "log.h"
#include "migrate.h"
#include "role_passwords.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_LOAD_FAILED 1
#define EXIT_USAGE 2

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *out) {
    fputs("usage: titanic-etl [options] FILE     load a passenger CSV (FILE - reads stdin)\n"
          "       titanic-etl --migrate           apply schema migrations only\n"
          "       titanic-etl --generate N [--seed S]   write N synthetic passengers to stdout\n"
          "\n"
          "options:\n"
          "  --dry-run           what a real run would do against the database (would insert,\n"
          "                      would update, unchanged, rejected); writes nothing\n"
          "  --max-rejects N|P%  fail (commit nothing) when more than N rows, or P% of rows,\n"
          "                      are rejected (default: no limit)\n"
          "  --id-base N         ids for files without PassengerId are N + row (default 900000)\n"
          "  --no-progress       no progress bar even on a terminal\n"
          "  --help, --version\n"
          "\n"
          "Database: DATABASE_URL, or DATABASE_URL_FILE, or libpq's PG* variables.\n"
          "With --migrate and ROLE_PASSWORDS_DIR=DIR: each of titanic_api, titanic_etl,\n"
          "titanic_train with a file DIR/<role> gets LOGIN and that file's content as password.\n"
          "Exit status: 0 committed; 1 nothing committed (see the error); 2 usage error.\n",
          out);
}

typedef struct {
    int migrate_only, dry_run, no_progress, help, version;
    long generate_count, seed, id_base; /* generate_count -1: no --generate */
    long max_rejects;
    double max_rejects_pct;
    const char *file;
} cli;

/* The command line, which getopt_long fills: each flag's int directly, each value through
 * take_value below. */
static cli args;

static int bad_value(const char *flag, const char *value, const char *expected) {
    fprintf(stderr, "titanic-etl: --%s: expected %s, got \"%.40s\"\n", flag, expected, value);
    return -1;
}

/* The integer options, by their val in options[]: where each goes, its range, and what its
 * error says is expected. */
static const struct {
    long *value, min, max;
    const char *expected;
} integers[] = {
    {&args.id_base, 0, 2000000000L, "an integer from 0 to 2000000000"},
    {&args.generate_count, 0, 2000000000L, "a row count from 0 to 2000000000"},
    {&args.seed, 0, 2147483647L, "an integer from 0 to 2147483647"},
};

#define OPT_MAX_REJECTS 3 /* past the integers' vals */

static const struct option options[] = {
    {"migrate", no_argument, &args.migrate_only, 1},
    {"dry-run", no_argument, &args.dry_run, 1},
    {"no-progress", no_argument, &args.no_progress, 1},
    {"help", no_argument, &args.help, 1},
    {"version", no_argument, &args.version, 1},
    {"id-base", required_argument, NULL, 0},
    {"generate", required_argument, NULL, 1},
    {"seed", required_argument, NULL, 2},
    {"max-rejects", required_argument, NULL, OPT_MAX_REJECTS},
    {NULL, 0, NULL, 0},
};

/* "N" or "N%" for --max-rejects: a count, or a percentage of the rows read. */
static int parse_max_rejects(const char *text) {
    size_t len = strlen(text);
    char number[32];
    args.max_rejects = -1;
    args.max_rejects_pct = -1;
    if (len < 2 || text[len - 1] != '%' || len > sizeof number)
        return config_parse_long(text, 0, 2147483647L, &args.max_rejects);
    snprintf(number, sizeof number, "%.*s", (int)len - 1, text);
    return config_parse_double(number, 0, 100, &args.max_rejects_pct);
}

/* One option's value into args. Returns 0, or -1 after printing the error. */
static int take_value(int opt, const char *name, const char *value) {
    if (opt == OPT_MAX_REJECTS)
        return parse_max_rejects(value) == 0
                   ? 0
                   : bad_value(name, value, "a count such as 10 or a percentage such as 1.5%");
    return config_parse_long(value, integers[opt].min, integers[opt].max, integers[opt].value) == 0
               ? 0
               : bad_value(name, value, integers[opt].expected);
}

/* GNU long options: "--max-rejects 5" and "--max-rejects=5" both work. */
static int parse_args(int argc, char **argv) {
    args = (cli){.generate_count = -1,
                 .seed = 1912,
                 .id_base = CSV_DEFAULT_ID_BASE,
                 .max_rejects = -1,
                 .max_rejects_pct = -1};
    int opt, index;
    while ((opt = getopt_long(argc, argv, "", options, &index)) != -1) {
        if (opt == '?' || (options[index].flag == NULL && /* '?': getopt_long said what */
                           take_value(opt, options[index].name, optarg) != 0))
            return -1;
    }
    if (args.help || args.version)
        return 0;
    if (optind < argc)
        args.file = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "titanic-etl: one input file only (got %s and %s)\n", args.file,
                argv[optind]);
        return -1;
    }
    if (!args.migrate_only && args.generate_count < 0 && !args.file) {
        fputs("titanic-etl: no input file (use - for stdin)\n", stderr);
        return -1;
    }
    return 0;
}

static int open_input(const char *file, off_t *size, char *err, size_t errlen) {
    if (strcmp(file, "-") == 0) {
        *size = 0;
        return STDIN_FILENO;
    }
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errorf(err, errlen, "cannot open %s: %s", file, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot read %s: not a regular file", file);
        close(fd);
        return -1;
    }
    *size = S_ISREG(st.st_mode) ? st.st_size : 0;
    return fd;
}

/* Connects and, with migrate, brings the schema up to date: the start of every load (a dry run
 * changes nothing, the schema included) and of --migrate. NULL after logging why not. */
static PGconn *connect_db(int migrate) {
    char err[1024];
    int applied = 0;
    PGconn *conn = db_connect_from_env("titanic-etl", err, sizeof err);
    if (!conn) {
        log_error("database connection failed", "{s:s}", "error", err);
        return NULL;
    }
    if (!migrate)
        return conn;
    if (migrate_apply(conn, embedded_migrations, embedded_migration_count, &applied, err,
                      sizeof err) != 0) {
        log_error("migration failed", "{s:s}", "error", err);
        PQfinish(conn);
        return NULL;
    }
    log_info("schema up to date", "{s:i, s:i}", "applied", applied, "version",
             migrate_latest(embedded_migrations, embedded_migration_count));
    return conn;
}

/* With ROLE_PASSWORDS_DIR, gives the workload roles their passwords (migration step only). */
static int set_role_passwords(PGconn *conn) {
    const char *dir = getenv("ROLE_PASSWORDS_DIR");
    if (!dir || !*dir)
        return 0;
    char err[1024];
    int set = role_passwords_apply(conn, dir, err, sizeof err);
    if (set < 0) {
        log_error("setting workload role passwords failed", "{s:s}", "error", err);
        return -1;
    }
    log_info("workload role passwords set", "{s:i, s:s}", "roles", set, "dir", dir);
    return 0;
}

static void print_summary(const cli *c, const etl_result *r) {
    double rate = r->seconds > 0 ? (double)r->read / r->seconds : 0;
    /* read = inserted + updated + unchanged + rejected, in that order, for either kind of run */
    const char *would = c->dry_run ? "would " : "";
    printf("titanic-etl: %s (%s): %sread %ld, %sinsert%s %ld, %supdate%s %ld, unchanged %ld, "
           "rejected %ld (valid %ld) in %.2f s (%.0f rows/s)",
           c->file, csv_layout_name(r->layout), c->dry_run ? "dry run, nothing written: " : "",
           r->read, would, c->dry_run ? "" : "ed", r->inserted, would, c->dry_run ? "" : "d",
           r->updated, r->unchanged, r->rejected, r->valid, r->seconds, rate);
    if (r->run_id)
        printf("; run %ld", r->run_id);
    printf("\n");
    fflush(stdout);
    log_info(c->dry_run ? "dry run finished" : "load committed",
             "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:b}", "source", c->file,
             "layout", csv_layout_name(r->layout), "sha256", r->sha256, "read", (json_int_t)r->read,
             "valid", (json_int_t)r->valid, "inserted", (json_int_t)r->inserted, "updated",
             (json_int_t)r->updated, "unchanged", (json_int_t)r->unchanged, "rejected",
             (json_int_t)r->rejected, "seconds", r->seconds, "rows_per_s", rate, "run_id",
             (json_int_t)r->run_id, "dry_run", c->dry_run);
}

static int run_load(const cli *c) {
    char err[2048];
    etl_options options = {.source = strcmp(c->file, "-") == 0 ? "stdin" : c->file,
                           .dry_run = c->dry_run,
                           .max_rejects = c->max_rejects,
                           .max_rejects_pct = c->max_rejects_pct,
                           .id_base = (int32_t)c->id_base,
                           .progress_tty = !c->no_progress && isatty(STDERR_FILENO),
                           .interrupted = &interrupted};
    int fd = open_input(c->file, &options.total_bytes, err, sizeof err);
    if (fd < 0) {
        log_error("load failed", "{s:s, s:s}", "source", c->file, "error", err);
        return EXIT_LOAD_FAILED;
    }
    PGconn *conn = connect_db(!c->dry_run);
    if (!conn) {
        close(fd);
        return EXIT_LOAD_FAILED;
    }
    etl_result result;
    int rc = etl_load(conn, fd, &options, &result, err, sizeof err);
    if (fd != STDIN_FILENO)
        close(fd);
    if (rc == 0)
        print_summary(c, &result);
    else
        log_error("load failed; nothing committed", "{s:s, s:s, s:I, s:I}", "source", c->file,
                  "error", err, "read", (json_int_t)result.read, "run_id",
                  (json_int_t)result.run_id);
    PQfinish(conn);
    return rc == 0 ? 0 : EXIT_LOAD_FAILED;
}

int main(int argc, char **argv) {
    char err[1024];
    if (parse_args(argc, argv) != 0) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (args.help) {
        usage(stdout);
        return 0;
    }
    if (args.version) {
        printf("titanic-etl %s (git %s)\n", TITANIC_VERSION, titanic_git_revision);
        return 0;
    }
    if (log_init("etl", err, sizeof err) != 0) {
        fprintf(stderr, "titanic-etl: %s\n", err);
        return EXIT_USAGE;
    }
    if (args.generate_count >= 0)
        return generate_csv(stdout, args.generate_count, (uint64_t)args.seed) == 0
                   ? 0
                   : EXIT_LOAD_FAILED;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns so we can stop */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (args.migrate_only) {
        PGconn *conn = connect_db(1);
        int rc = conn ? set_role_passwords(conn) : -1;
        PQfinish(conn);
        return rc == 0 ? 0 : EXIT_LOAD_FAILED;
    }
    return run_load(&args);
}
