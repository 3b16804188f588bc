/* titanic-train: fits the survival model on the passengers in PostgreSQL, stores it as a new
 * model version, activates it per the policy in train.h, and notifies running API servers. What
 * the retraining CronJob runs. This file only turns the command line into train_options. */
#include "build_info.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "train.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fputs(
        "usage: titanic-train [options]\n"
        "Fits the logistic-regression survival model on the passengers with known survival:\n"
        "features, L2 penalty and calibration chosen by inner cross-validation, the whole\n"
        "procedure estimated by nested cross-validation; stores it as a new models version and\n"
        "activates it when it is at least as good as the active model's configuration on the\n"
        "same outer folds (see docs/model.md).\n"
        "\n"
        "options:\n"
        "  --force               store and activate the new model whatever the comparison\n"
        "  --score               write predictions for every stored passenger (active model)\n"
        "  --include-api-rows    also learn from passengers written through the API (default:\n"
        "                        only the data as the ETL loaded it)\n"
        "  --out FILE            also write the model document to FILE\n"
        "  --report DIR          also write the HTML report to DIR/index.html\n"
        "  --folds K             cross-validation folds, 2..100 (default 10)\n"
        "  --repeats R           cross-validation repeats, 1..100 (default 5)\n"
        "  --seed S              cross-validation seed, 0..4294967295 (default 1912)\n"
        "  --l2 LAMBDA           ridge penalty on all but the intercept, 0..1e6 (default: chosen\n"
        "                        by inner CV from 0.1, 0.3, 1, 3, 10)\n"
        "  --min-improvement X   activate only when CV log-loss improves by X, 0..1 (default 0)\n"
        "  --features LIST       one feature set instead of the candidates chosen among by\n"
        "                        inner CV: reference, or comma-separated groups (docs/model.md)\n"
        "  --cv-max-rows N       CV sample above which the CV subsamples, 100..1000000\n"
        "                        (default 1000; docs/model.md)\n"
        "  --max-iter N          Newton iterations, 1..1000 (default 50)\n"
        "\n"
        "model operations:\n"
        "  --list                every stored version: estimate, servable, last activation\n"
        "  --activate VERSION    make VERSION the active model (roll back or forward), NOTIFY\n"
        "                        titanic_model; refused for a document this build cannot serve\n"
        "  --by NAME             who, recorded with the activation (default $USER)\n"
        "  --reason TEXT         why, recorded with the activation (required with --activate)\n"
        "\n"
        "without a database:\n"
        "  --evaluate-csv FILES  nested CV on Kaggle-layout CSVs (comma-separated; rows without\n"
        "                        Survived form families only) and print the estimate; with\n"
        "                        --out, also fit the chosen model and write its document\n"
        "  --help, --version\n"
        "\n"
        "Database: DATABASE_URL, or DATABASE_URL_FILE, or libpq's PG* variables.\n"
        "Exit status: 0 a model is active (the new one, or the unchanged one kept); 1 error,\n"
        "nothing activated; 2 usage error; 3 new model stored but not activated (worse).\n",
        out);
}

typedef struct {
    train_options opt;
    const char *evaluate_csv, *reason;
    int help, version, list;
    long activate; /* 0: not asked */
    long max_iter; /* -1: not given (train_default_options' value) */
} cli;

/* The command line, which getopt_long fills: each flag's int directly, each value through
 * take_value below. */
static cli args;

/* The options that take a value, by their val in options[]: where the value goes (an integer, a
 * number or a text), its range (for a text: its length; max 0, any), and what its error says is
 * expected. */
static const struct {
    long *integer;
    double *number;
    const char **text;
    double min, max;
    const char *expected;
} valued[] = {
    {&args.activate, NULL, NULL, 1, 2147483647L, "a model version (an integer >= 1)"},
    {&args.opt.cv_max_rows, NULL, NULL, 100, 1000000, "an integer from 100 to 1000000"},
    {&args.opt.folds, NULL, NULL, 2, 100, "an integer from 2 to 100"},
    {&args.opt.repeats, NULL, NULL, 1, 100, "an integer from 1 to 100"},
    {&args.opt.seed, NULL, NULL, 0, 4294967295.0, "an integer from 0 to 4294967295"},
    {&args.max_iter, NULL, NULL, 1, 1000, "an integer from 1 to 1000"},
    {NULL, &args.opt.param.l2, NULL, 0, 1e6, "a number from 0 to 1e6"},
    {NULL, &args.opt.min_improvement, NULL, 0, 1, "a number from 0 to 1"},
    {NULL, NULL, &args.opt.by, 1, 60, "a name of 1 to 60 bytes"},
    {NULL, NULL, &args.reason, 1, 500, "a reason of 1 to 500 bytes"},
    {NULL, NULL, &args.opt.out_path, 0, 0, NULL},
    {NULL, NULL, &args.opt.report_dir, 0, 0, NULL},
    {NULL, NULL, &args.evaluate_csv, 0, 0, NULL},
};

#define OPT_L2 6
#define OPT_FEATURES 13 /* past valued[] */

static const struct option options[] = {
    {"force", no_argument, &args.opt.force, 1},
    {"score", no_argument, &args.opt.score, 1},
    {"include-api-rows", no_argument, &args.opt.include_api_rows, 1},
    {"list", no_argument, &args.list, 1},
    {"help", no_argument, &args.help, 1},
    {"version", no_argument, &args.version, 1},
    {"activate", required_argument, NULL, 0},
    {"cv-max-rows", required_argument, NULL, 1},
    {"folds", required_argument, NULL, 2},
    {"repeats", required_argument, NULL, 3},
    {"seed", required_argument, NULL, 4},
    {"max-iter", required_argument, NULL, 5},
    {"l2", required_argument, NULL, OPT_L2},
    {"min-improvement", required_argument, NULL, 7},
    {"by", required_argument, NULL, 8},
    {"reason", required_argument, NULL, 9},
    {"out", required_argument, NULL, 10},
    {"report", required_argument, NULL, 11},
    {"evaluate-csv", required_argument, NULL, 12},
    {"features", required_argument, NULL, OPT_FEATURES},
    {NULL, 0, NULL, 0},
};

/* One option's value into args. Returns 0, or -1 after printing the error. */
static int take_value(int opt, const char *name, const char *value) {
    char err[512];
    if (opt == OPT_FEATURES) {
        if (feature_set_parse(value, &args.opt.features, err, sizeof err) != 0) {
            fprintf(stderr, "titanic-train: --features: %s\n", err);
            return -1;
        }
        args.opt.features_given = strcmp(value, "default") != 0;
        return 0;
    }
    args.opt.l2_given |= opt == OPT_L2;
    size_t len = strlen(value);
    int ok =
        valued[opt].integer ? config_parse_long(value, (long)valued[opt].min, (long)valued[opt].max,
                                                valued[opt].integer) == 0
        : valued[opt].number
            ? config_parse_double(value, valued[opt].min, valued[opt].max, valued[opt].number) == 0
            : valued[opt].max == 0 || (len >= valued[opt].min && len <= valued[opt].max);
    if (ok && valued[opt].text)
        *valued[opt].text = value;
    if (!ok)
        fprintf(stderr, "titanic-train: --%s: expected %s, got \"%.40s\"\n", name,
                valued[opt].expected, value);
    return ok ? 0 : -1;
}

/* GNU long options: "--folds 5" and "--folds=5" both work. */
static int parse_args(int argc, char **argv) {
    args = (cli){.max_iter = -1};
    train_default_options(&args.opt);
    int opt, index;
    while ((opt = getopt_long(argc, argv, "", options, &index)) != -1) {
        if (opt == '?' || (options[index].flag == NULL && /* '?': getopt_long said what */
                           take_value(opt, options[index].name, optarg) != 0))
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "titanic-train: unexpected argument \"%.40s\" (see --help)\n",
                argv[optind]);
        return -1;
    }
    if (args.max_iter >= 0)
        args.opt.param.max_iter = (int)args.max_iter;
    return 0;
}

int main(int argc, char **argv) {
    if (parse_args(argc, argv) != 0)
        return TRAIN_EXIT_USAGE;
    if (args.help) {
        usage(stdout);
        return TRAIN_EXIT_OK;
    }
    if (args.version) {
        printf("titanic-train %s (git %s, model format %d)\n", TITANIC_VERSION,
               titanic_git_revision, MODEL_FORMAT_VERSION);
        return TRAIN_EXIT_OK;
    }
    char err[1024] = "";
    if (log_init("titanic-train", err, sizeof err) != 0)
        fprintf(stderr, "titanic-train: %s\n", err);
    if (args.evaluate_csv) {
        int code = train_evaluate_csv(args.evaluate_csv, &args.opt, err, sizeof err);
        if (code != TRAIN_EXIT_OK)
            log_event(LOG_ERROR, "titanic-train failed", "{s:s}", "error", err);
        return code;
    }
    if (args.activate && !args.reason) {
        fprintf(stderr, "titanic-train: --activate needs --reason TEXT (recorded with it)\n");
        return TRAIN_EXIT_USAGE;
    }
    PGconn *conn = db_connect_from_env("titanic-train", err, sizeof err);
    if (!conn) {
        log_event(LOG_ERROR, "cannot connect to the database", "{s:s}", "error", err);
        return TRAIN_EXIT_ERROR;
    }
    if (args.list || args.activate) {
        int code = args.list ? train_list(conn, stdout, err, sizeof err)
                             : train_activate(conn, (int)args.activate, args.opt.by, args.reason,
                                              err, sizeof err);
        PQfinish(conn);
        if (code != TRAIN_EXIT_OK || err[0])
            log_event(code == TRAIN_EXIT_OK ? LOG_INFO : LOG_ERROR,
                      code == TRAIN_EXIT_OK ? "nothing to do" : "titanic-train failed", "{s:s}",
                      "error", err);
        if (code != TRAIN_EXIT_OK)
            fprintf(stderr, "titanic-train: %s\n", err);
        return code;
    }
    train_outcome out;
    int code = train_run(conn, &args.opt, &out, err, sizeof err);
    PQfinish(conn);
    if (code == TRAIN_EXIT_NOT_BETTER)
        log_event(LOG_WARN, "new model not activated", "{s:i, s:i, s:s}", "stored_version",
                  out.stored_version, "active_version", out.active_version, "reason", err);
    else if (code != TRAIN_EXIT_OK)
        log_event(LOG_ERROR, "titanic-train failed; nothing activated", "{s:s}", "error", err);
    else
        log_event(LOG_INFO, "done", "{s:i, s:b, s:b, s:I}", "active_version", out.active_version,
                  "newly_activated", out.activated, "unchanged", out.unchanged, "scored",
                  (json_int_t)out.scored);
    return code;
}
