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

static int bad_value(const char *flag, const char *value, const char *expected) {
    fprintf(stderr, "titanic-train: %s: expected %s, got \"%.40s\"\n", flag, expected, value);
    return -1;
}

typedef struct {
    train_options opt;
    const char *evaluate_csv, *reason;
    int help, version, list;
    long activate; /* 0: not asked */
} cli;

/* Parses one flag that takes a value. Returns 0, or -1 after printing the error. */
static int parse_valued(cli *c, const char *flag, const char *value) {
    long l;
    double d;
    char err[512];
    if (!strcmp(flag, "--out")) {
        c->opt.out_path = value;
    } else if (!strcmp(flag, "--report")) {
        c->opt.report_dir = value;
    } else if (!strcmp(flag, "--evaluate-csv")) {
        c->evaluate_csv = value;
    } else if (!strcmp(flag, "--activate")) {
        if (config_parse_long(value, 1, 2147483647L, &l) != 0)
            return bad_value(flag, value, "a model version (an integer >= 1)");
        c->activate = l;
    } else if (!strcmp(flag, "--by")) {
        if (!*value || strlen(value) > 60)
            return bad_value(flag, value, "a name of 1 to 60 bytes");
        c->opt.by = value;
    } else if (!strcmp(flag, "--reason")) {
        if (!*value || strlen(value) > 500)
            return bad_value(flag, value, "a reason of 1 to 500 bytes");
        c->reason = value;
    } else if (!strcmp(flag, "--cv-max-rows")) {
        if (config_parse_long(value, 100, 1000000, &l) != 0)
            return bad_value(flag, value, "an integer from 100 to 1000000");
        c->opt.cv_max_rows = l;
    } else if (!strcmp(flag, "--folds")) {
        if (config_parse_long(value, 2, 100, &l) != 0)
            return bad_value(flag, value, "an integer from 2 to 100");
        c->opt.folds = (int)l;
    } else if (!strcmp(flag, "--repeats")) {
        if (config_parse_long(value, 1, 100, &l) != 0)
            return bad_value(flag, value, "an integer from 1 to 100");
        c->opt.repeats = (int)l;
    } else if (!strcmp(flag, "--seed")) {
        if (config_parse_long(value, 0, 4294967295L, &l) != 0)
            return bad_value(flag, value, "an integer from 0 to 4294967295");
        c->opt.seed = (unsigned long)l;
    } else if (!strcmp(flag, "--max-iter")) {
        if (config_parse_long(value, 1, 1000, &l) != 0)
            return bad_value(flag, value, "an integer from 1 to 1000");
        c->opt.param.max_iter = (int)l;
    } else if (!strcmp(flag, "--l2")) {
        if (config_parse_double(value, 0.0, 1e6, &d) != 0)
            return bad_value(flag, value, "a number from 0 to 1e6");
        c->opt.param.l2 = d;
        c->opt.l2_given = 1;
    } else if (!strcmp(flag, "--min-improvement")) {
        if (config_parse_double(value, 0.0, 1.0, &d) != 0)
            return bad_value(flag, value, "a number from 0 to 1");
        c->opt.min_improvement = d;
    } else if (!strcmp(flag, "--features")) {
        if (feature_set_parse(value, &c->opt.features, err, sizeof err) != 0) {
            fprintf(stderr, "titanic-train: --features: %s\n", err);
            return -1;
        }
        c->opt.features_given = strcmp(value, "default") != 0;
    } else {
        fprintf(stderr, "titanic-train: unknown option %s (see --help)\n", flag);
        return -1;
    }
    return 0;
}

/* GNU long options: "--folds 5" and "--folds=5" both work. */
static int parse_args(int argc, char **argv, cli *c) {
    train_default_options(&c->opt);
    /* Flags set their field (getopt_long then returns 0); valued ones return 'V' and go through
     * parse_valued under their name. */
    const struct option options[] = {
        {"force", no_argument, &c->opt.force, 1},
        {"score", no_argument, &c->opt.score, 1},
        {"include-api-rows", no_argument, &c->opt.include_api_rows, 1},
        {"list", no_argument, &c->list, 1},
        {"help", no_argument, &c->help, 1},
        {"version", no_argument, &c->version, 1},
        {"out", required_argument, NULL, 'V'},
        {"report", required_argument, NULL, 'V'},
        {"folds", required_argument, NULL, 'V'},
        {"repeats", required_argument, NULL, 'V'},
        {"seed", required_argument, NULL, 'V'},
        {"l2", required_argument, NULL, 'V'},
        {"max-iter", required_argument, NULL, 'V'},
        {"min-improvement", required_argument, NULL, 'V'},
        {"features", required_argument, NULL, 'V'},
        {"evaluate-csv", required_argument, NULL, 'V'},
        {"activate", required_argument, NULL, 'V'},
        {"by", required_argument, NULL, 'V'},
        {"reason", required_argument, NULL, 'V'},
        {"cv-max-rows", required_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt, index = 0;
    while ((opt = getopt_long(argc, argv, "", options, &index)) != -1) {
        char flag[40];
        if (opt != 0 && opt != 'V') /* getopt_long has printed what was wrong */
            return -1;
        snprintf(flag, sizeof flag, "--%s", options[index].name);
        if (opt == 'V' && parse_valued(c, flag, optarg) != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "titanic-train: unexpected argument \"%.40s\" (see --help)\n",
                argv[optind]);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    cli c = {0};
    if (parse_args(argc, argv, &c) != 0)
        return TRAIN_EXIT_USAGE;
    if (c.help) {
        usage(stdout);
        return TRAIN_EXIT_OK;
    }
    if (c.version) {
        printf("titanic-train %s (git %s, model format %d)\n", TITANIC_VERSION,
               titanic_git_revision, MODEL_FORMAT_VERSION);
        return TRAIN_EXIT_OK;
    }
    char err[1024] = "";
    if (log_init("titanic-train", err, sizeof err) != 0)
        fprintf(stderr, "titanic-train: %s\n", err);
    if (c.evaluate_csv) {
        int code = train_evaluate_csv(c.evaluate_csv, &c.opt, err, sizeof err);
        if (code != TRAIN_EXIT_OK)
            log_event(LOG_ERROR, "titanic-train failed", "{s:s}", "error", err);
        return code;
    }
    if (c.activate && !c.reason) {
        fprintf(stderr, "titanic-train: --activate needs --reason TEXT (recorded with it)\n");
        return TRAIN_EXIT_USAGE;
    }
    PGconn *conn = db_connect_from_env("titanic-train", err, sizeof err);
    if (!conn) {
        log_event(LOG_ERROR, "cannot connect to the database", "{s:s}", "error", err);
        return TRAIN_EXIT_ERROR;
    }
    if (c.list || c.activate) {
        int code = c.list
                       ? train_list(conn, stdout, err, sizeof err)
                       : train_activate(conn, (int)c.activate, c.opt.by, c.reason, err, sizeof err);
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
    int code = train_run(conn, &c.opt, &out, err, sizeof err);
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
