/* Synthetic passenger generator. See generate.h; the survival model is in data/README.md. */
#include "generate.h"

#include "splitmix.h"

#include <csv.h>
#include <math.h>
#include <string.h>

static const char *const surnames[] = {
    "Andersson", "Sage",    "Johnson",  "Goodwin", "Carter",   "Panula",   "Skoog",   "Rice",
    "Asplund",   "Fortune", "Brown",    "Smith",   "Williams", "Kelly",    "Harris",  "Davies",
    "Allison",   "Baxter",  "Becker",   "Collyer", "Dean",     "Hickman",  "Laroche", "Moran",
    "O'Brien",   "Palsson", "Quick",    "Ryerson", "Thayer",   "Wells",    "Zabour",  "Nilsson",
    "Hansen",    "Lefebre", "Navratil", "Strom",   "Turpin",   "Van Impe", "Yasbeck", "Ford"};
static const char *const male_names[] = {
    "John",   "William",   "George", "Thomas",  "Charles", "James", "Henry",   "Edward",
    "Arthur", "Frederick", "Albert", "Alfred",  "Joseph",  "Harry", "Richard", "Ernst",
    "Karl",   "Johan",     "Olaf",   "Patrick", "Michael", "Hans",  "Nils",    "Samuel"};
static const char *const female_names[] = {
    "Mary",  "Anna",      "Elizabeth", "Margaret",   "Alice",   "Helen",    "Ellen",   "Emily",
    "Edith", "Florence",  "Annie",     "Bertha",     "Maria",   "Hilda",    "Johanna", "Kate",
    "Agnes", "Catherine", "Ruth",      "Marguerite", "Eleanor", "Juliette", "Sigrid",  "Nora"};
#define COUNT(a) (sizeof a / sizeof a[0])

/* splitmix64: the same sequence on every platform for a seed. */
static double uniform(generator *g) {
    return (double)(splitmix64_next(&g->state) >> 11) * 0x1.0p-53;
}

static double normal(generator *g) {
    double u1 = uniform(g), u2 = uniform(g);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static size_t pick(generator *g, size_t n) {
    return (size_t)(uniform(g) * (double)n) % n;
}

/* Index drawn from cumulative weights (last entry 1.0). */
static int draw(generator *g, const double *cumulative) {
    double u = uniform(g);
    int i = 0;
    while (u > cumulative[i])
        i++;
    return i;
}

void generator_init(generator *g, uint64_t seed) {
    memset(g, 0, sizeof *g);                 /* no group begun */
    g->state = seed ^ 0x7469746169636B31ull; /* "titanic1": seed 0 is not a degenerate state */
}

static double generator_survival_probability(const passenger *p) {
    double age = isnan(p->age) ? 30.0 : p->age;
    double fare = isnan(p->fare) ? 15.0 : (p->fare > 100 ? 100 : p->fare);
    double logit = -0.15 + 2.5 * (p->sex == SEX_FEMALE) - 1.1 * (p->pclass == 2) -
                   2.3 * (p->pclass == 3) - 0.035 * (age - 30.0) - 0.35 * p->sibsp -
                   0.15 * p->parch + 1.3 * (age < 10.0) + 0.004 * fare;
    return 1.0 / (1.0 + exp(-logit));
}

static double draw_age(generator *g, int pclass) {
    static const double mean[] = {0, 38, 30, 25}, sd[] = {0, 14, 13, 12};
    double age = mean[pclass] + sd[pclass] * normal(g);
    if (uniform(g) < 0.08)
        age = 0.5 + 12.0 * uniform(g); /* children travel with families */
    if (age < 0.42)
        age = 0.42;
    if (age > 80)
        age = 80;
    if (age < 1)
        return round(age * 100) / 100; /* infants: months as fractions, like 0.83 */
    return uniform(g) < 0.1 ? floor(age) + 0.5 : floor(age);
}

static void draw_family(generator *g, passenger *p, int child) {
    static const double sibsp_cdf[] = {0.68, 0.91, 0.94, 0.96, 0.98, 0.99, 0.995, 1.0};
    static const double parch_cdf[] = {0.76, 0.89, 0.98, 0.99, 0.995, 1.0};
    p->sibsp = (int16_t)draw(g, sibsp_cdf);
    p->parch = (int16_t)draw(g, parch_cdf);
    if (p->pclass < 3 && p->sibsp > 3)
        p->sibsp = 1;
    if (child && p->parch == 0)
        p->parch = (int16_t)(1 + (uniform(g) < 0.5));
}

/* A ticket's fare, for all its travellers: log-normal by class, growing with their number. */
static double ticket_fare(generator *g, int pclass, int travellers) {
    static const double median[] = {0, 60, 14, 8}, sigma[] = {0, 0.7, 0.4, 0.35};
    if (uniform(g) < 0.01)
        return 0;
    double fare = median[pclass] * exp(sigma[pclass] * normal(g)) * (1.0 + 0.3 * (travellers - 1));
    return round(fare * 10000) / 10000;
}

/* "Surname, Title. First ...", the title fitting sex, age and marriage; a wife is named by her
 * husband's first name (husband, or a drawn one when NULL), as on the list. */
static void write_name(generator *g, passenger *p, const char *surname, int child, int married,
                       const char *husband) {
    const char *man = husband ? husband : male_names[pick(g, COUNT(male_names))];
    double u = uniform(g);
    if (p->sex == SEX_MALE) {
        const char *title = child ? "Master" : u < 0.01 ? "Dr" : u < 0.02 ? "Rev" : "Mr";
        snprintf(p->name, sizeof p->name, "%s, %s. %s %s", surname, title, man,
                 male_names[pick(g, COUNT(male_names))]);
        return;
    }
    const char *first = female_names[pick(g, COUNT(female_names))];
    if (married)
        snprintf(p->name, sizeof p->name, "%s, Mrs. %s (%s %s)", surname, man, first,
                 surnames[pick(g, COUNT(surnames))]);
    else
        snprintf(p->name, sizeof p->name, "%s, %s. %s", surname, u > 0.995 ? "Mlle" : "Miss",
                 first);
}

/* A ticket number unique to its first traveller's id (a drawn one would repeat at 10M rows and
 * join strangers), with a class-typical prefix; a cabin for about as many as on the list. */
static void draw_ticket_and_cabin(generator *g, int pclass, int32_t id, char *ticket, char *cabin) {
    static const char *const prefixes[] = {"",      "",     "",          "PC ",
                                           "C.A. ", "A/5 ", "STON/O2. ", "SOTON/O.Q. "};
    const char *prefix = pclass == 1   ? (uniform(g) < 0.4 ? "PC " : "")
                         : pclass == 2 ? (uniform(g) < 0.2 ? "C.A. " : "")
                                       : prefixes[pick(g, COUNT(prefixes))];
    snprintf(ticket, PASSENGER_TICKET_MAX + 1, "%s%ld", prefix, 10000L + id);
    static const double known[] = {0, 0.75, 0.1, 0.03};
    static const char *const decks[] = {"", "ABCDE", "DEF", "EFG"};
    cabin[0] = '\0';
    if (uniform(g) < known[pclass]) {
        const char *deck = decks[pclass];
        snprintf(cabin, PASSENGER_CABIN_MAX + 1, "%c%d", deck[pick(g, strlen(deck))],
                 1 + (int)pick(g, 140));
    }
}

static char draw_port(generator *g, int pclass) {
    static const double cdf[4][3] = {{0}, {0.40, 0.42, 1.0}, {0.08, 0.10, 1.0}, {0.13, 0.28, 1.0}};
    if (uniform(g) < 0.002)
        return '\0';
    return "CQS"[draw(g, cdf[pclass])];
}

static const double class_cdf[] = {0.24, 0.45, 1.0};

/* Survival from the documented model, then a fifth of the ages hidden, as on the real list. */
static void finish_passenger(generator *g, passenger *p) {
    p->survived = (int8_t)(uniform(g) < generator_survival_probability(p));
    if (uniform(g) < 0.2)
        p->age = NAN;
}

/* A passenger alone on a ticket (sibsp/parch may still count family on other tickets). */
static void solo_passenger(generator *g, int32_t id, passenger *p) {
    static const double male_share[] = {0, 0.56, 0.57, 0.71};
    p->pclass = (int8_t)(1 + draw(g, class_cdf));
    p->sex = uniform(g) < male_share[p->pclass] ? SEX_MALE : SEX_FEMALE;
    p->age = draw_age(g, p->pclass);
    int child = p->age < 13;
    draw_family(g, p, child);
    p->fare = ticket_fare(g, p->pclass, 1 + p->sibsp + p->parch);
    int married = !child && (p->sibsp > 0 || p->parch > 0 || uniform(g) < 0.3) && p->age >= 18;
    write_name(g, p, surnames[pick(g, COUNT(surnames))], child, married, NULL);
    draw_ticket_and_cabin(g, p->pclass, id, p->ticket, p->cabin);
    p->embarked = draw_port(g, p->pclass);
}

/* The next ticket group: alone (80%), or a family of 2 to 7 on one ticket, sized so that about
 * 39% of passengers share their ticket (train.csv: 38.6%; groups of 2 are 70% of the groups). */
static void start_group(generator *g, int32_t id) {
    static const double size_cdf[] = {0.803, 0.941, 0.972, 0.988, 0.991, 0.9955, 1.0};
    g->size = 1 + draw(g, size_cdf);
    g->next = 0;
    if (g->size == 1)
        return;
    g->pclass = (int8_t)(g->size >= 5 && uniform(g) < 0.85 ? 3 : 1 + draw(g, class_cdf));
    double u = uniform(g); /* couples or parents with children, one parent, or siblings */
    g->parents = u < (g->size == 2 ? 0.45 : 0.65) ? 2 : u < (g->size == 2 ? 0.75 : 0.9) ? 1 : 0;
    g->surname = surnames[pick(g, COUNT(surnames))];
    g->father = male_names[pick(g, COUNT(male_names))];
    g->parent_age = 0;
    g->fare = ticket_fare(g, g->pclass, g->size);
    g->embarked = draw_port(g, g->pclass);
    draw_ticket_and_cabin(g, g->pclass, id, g->ticket, g->cabin);
}

/* A parent: a father first when there are two, else a mother three times in four; a wife a few
 * years younger than her husband. */
static void family_parent(generator *g, passenger *p, int i) {
    int female = g->parents == 2 ? i == 1 : uniform(g) < 0.75;
    p->sex = female ? SEX_FEMALE : SEX_MALE;
    double age = i == 1 ? g->parent_age - 3 + 4 * normal(g) : 36 + 9 * normal(g);
    p->age = floor(age < 18 ? 18 : age > 70 ? 70 : age);
    if (i == 0 || p->age < g->parent_age)
        g->parent_age = p->age;
    p->sibsp = (int16_t)(g->parents == 2);
    p->parch = (int16_t)(g->size - g->parents);
    write_name(g, p, g->surname, 0, female, g->father);
}

/* A child of the group's parents (16 or more years younger, under 18), or a sibling. */
static void family_child(generator *g, passenger *p) {
    p->sex = uniform(g) < 0.5 ? SEX_MALE : SEX_FEMALE;
    if (g->parents) {
        double oldest = g->parent_age - 16 < 17 ? g->parent_age - 16 : 17;
        double age = 0.42 + (oldest - 0.42) * uniform(g);
        p->age = age < 1 ? round(age * 100) / 100 : floor(age);
    } else {
        p->age = draw_age(g, p->pclass);
    }
    p->sibsp = (int16_t)(g->size - g->parents - 1);
    p->parch = (int16_t)g->parents;
    write_name(g, p, g->surname, p->age < 13, 0, NULL);
}

void generator_next(generator *g, int32_t id, passenger *p) {
    passenger_init(p);
    p->id = id;
    if (g->next >= g->size)
        start_group(g, id);
    int i = g->next++;
    if (g->size == 1) {
        solo_passenger(g, id, p);
    } else {
        p->pclass = g->pclass;
        if (i < g->parents)
            family_parent(g, p, i);
        else
            family_child(g, p);
        p->fare = g->fare;
        p->embarked = g->embarked;
        memcpy(p->ticket, g->ticket, sizeof p->ticket);
        memcpy(p->cabin, g->cabin, sizeof p->cabin);
    }
    finish_passenger(g, p);
}

/* Ages and fares in their shortest decimal text (7.25, 71.2833, 8, 0.42): they have at most 4
 * decimals and stay below 10^5, so 10 significant digits hold each exactly and %g drops the
 * trailing zeros. A fare is always drawn; a fifth of the ages are unknown (empty). */
static int write_row(FILE *out, const passenger *p) {
    char age[32] = "";
    if (!isnan(p->age))
        snprintf(age, sizeof age, "%.10g", p->age);
    /* csv_fwrite quotes the name, doubling its quotes. */
    if (fprintf(out, "%d,%d,%d,", p->id, p->survived, p->pclass) < 0 ||
        csv_fwrite(out, p->name, strlen(p->name)) != 0)
        return -1;
    int n = fprintf(out, ",%s,%s,%d,%d,%s,%.10g,%s,%s\n", passenger_sex_name(p->sex), age, p->sibsp,
                    p->parch, p->ticket, p->fare, p->cabin,
                    p->embarked ? (char[]){p->embarked, '\0'} : "");
    return n < 0 ? -1 : 0;
}

int generate_csv(FILE *out, long n, uint64_t seed) {
    generator g;
    generator_init(&g, seed);
    if (fputs("PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n",
              out) == EOF)
        return -1;
    for (long i = 1; i <= n; i++) {
        passenger p;
        generator_next(&g, (int32_t)i, &p);
        if (write_row(out, &p) != 0)
            return -1;
    }
    return fflush(out) == 0 ? 0 : -1;
}
