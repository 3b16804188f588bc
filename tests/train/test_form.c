/* Forms first-class (issue 22): what titanic-train fits (here --evaluate-csv --out on generated
 * passengers, no database) carries a form model for requests without a name, and for such a
 * request age and family change the answer: a 4-year-old boy does not get the adult man's
 * probability, and a boy of a large family not a small one's. The document says which inputs it
 * reads and which path answered, what was imputed, and survives a round trip bit for bit. */
#include "check.h"
#include "generate.h"
#include "model.h"
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A nameless passenger as an app's form sends it. */
static passenger form(int pclass, int sex, double age, int sibsp, int parch) {
    passenger p;
    passenger_init(&p);
    p.pclass = pclass;
    p.sex = sex;
    p.age = age;
    p.sibsp = sibsp;
    p.parch = parch;
    p.fare = 15.0;
    p.embarked = 'S';
    return p;
}

static int contains(json_t *list, const char *name) {
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(json_string_value(json_array_get(list, i)), name) == 0)
            return 1;
    return 0;
}

static titanic_model *train_generated(const char *dir) {
    char csv[1100], doc[1100], err[1024] = "";
    snprintf(csv, sizeof csv, "%.1000s/form_train.csv", dir);
    snprintf(doc, sizeof doc, "%.1000s/form_model.json", dir);
    FILE *f = fopen(csv, "w");
    CHECK(f != NULL);
    if (!f)
        return NULL;
    CHECK_INT(generate_csv(f, 891, 7), 0);
    fclose(f);
    train_options opt;
    train_default_options(&opt);
    opt.folds = 5;
    opt.repeats = 1;
    opt.out_path = doc;
    unlink(doc);
    fflush(stdout); /* the estimate is printed as JSON on stdout: sent to stderr instead */
    int saved = dup(STDOUT_FILENO);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    int code = train_evaluate_csv(csv, &opt, err, sizeof err);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    CHECK_INT(code, TRAIN_EXIT_OK);
    if (code != TRAIN_EXIT_OK)
        fprintf(stderr, "train_evaluate_csv: %s\n", err);
    unlink(csv);
    f = fopen(doc, "r");
    CHECK(f != NULL); /* the fitted document was written */
    if (!f)
        return NULL;
    static char text[4 << 20];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    unlink(doc);
    titanic_model *m = model_from_json_limited(text, len, &model_default_limits, err, sizeof err);
    CHECK(m != NULL);
    if (!m)
        fprintf(stderr, "model_from_json_limited: %s\n", err);
    return m;
}

static void test_age_and_family_count(const titanic_model *m) {
    passenger boy = form(3, SEX_MALE, 4, 1, 1), man = form(3, SEX_MALE, 30, 1, 1);
    passenger big = form(3, SEX_MALE, 4, 4, 2), woman = form(3, SEX_FEMALE, 30, 1, 1);
    double pb = model_predict(m, &boy), pm = model_predict(m, &man);
    double pbig = model_predict(m, &big), pw = model_predict(m, &woman);
    printf("nameless: boy of 4 %.4f, man of 30 %.4f, boy of a family of 7 %.4f, woman %.4f\n", pb,
           pm, pbig, pw);
    CHECK(fabs(pb - pm) > 0.05); /* age counts: not the adult man's probability */
    CHECK(pb > pm);
    CHECK(fabs(pb - pbig) > 0.02); /* family counts */
    CHECK(pw > pm);
    CHECK_STR(model_path(m, &boy), "form");
    passenger named = boy;
    snprintf(named.name, sizeof named.name, "Palsson, Master. Gosta Leonard");
    CHECK_STR(model_path(m, &named), "named");
}

static void test_says_what_it_uses(const titanic_model *m) {
    CHECK(model_form(m) != NULL);
    json_t *in = model_inputs(m);
    CHECK(contains(json_object_get(in, "required"), "sex"));
    CHECK(contains(json_object_get(in, "required"), "pclass"));
    CHECK(contains(json_object_get(in, "optional"), "age"));
    CHECK(contains(json_object_get(in, "named"), "name"));
    CHECK(contains(json_object_get(in, "form"), "parch"));
    CHECK(!contains(json_object_get(in, "form"), "name"));
    json_decref(in);
    passenger p = form(2, SEX_FEMALE, NAN, 0, 0);
    p.fare = NAN;
    json_t *imputed = model_imputed(m, &p);
    CHECK(contains(imputed, "age") && contains(imputed, "fare"));
    CHECK(!contains(imputed, "title")); /* the form model reads no title */
    json_decref(imputed);
    snprintf(p.name, sizeof p.name, "Smith, Mrs. Anna");
    p.age = 30;
    p.fare = 10;
    imputed = model_imputed(m, &p);
    CHECK_INT(json_array_size(imputed), 0); /* the named model reads no fare */
    json_decref(imputed);
    json_t *summary = model_summary(m);
    CHECK(json_object_get(summary, "form") != NULL);
    CHECK(json_object_get(summary, "inputs") != NULL);
    json_decref(summary);
}

static void test_round_trip(const titanic_model *m) {
    char *text = model_to_json_text(m), err[512] = "";
    titanic_model *back =
        text ? model_from_json_limited(text, strlen(text), &model_default_limits, err, sizeof err)
             : NULL;
    CHECK(back != NULL);
    passenger boy = form(3, SEX_MALE, 4, 1, 1);
    if (back) {
        double a = model_predict(m, &boy), b = model_predict(back, &boy);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
    }
    model_free(back);
    free(text);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/test_form.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    titanic_model *m = train_generated(dir);
    rmdir(dir);
    if (m) {
        test_age_and_family_count(m);
        test_says_what_it_uses(m);
        test_round_trip(m);
    }
    model_free(m);
    return check_exit_code("form");
}
