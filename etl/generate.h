/* Synthetic Titanic passengers with realistic joint distributions, deterministic for a seed.
 *
 * Class drives sex mix, age, fare, cabin and port; about 39% of passengers travel in a family on
 * one ticket (parents and children, couples, siblings: consistent sibsp/parch, ages and titles),
 * as in the real list's train.csv; the others' family sizes are skewed like the real list; names
 * carry titles (Mr, Mrs, Miss, Master, and rare ones) consistent with sex and age. Survival
 * is drawn from the logistic model documented in data/README.md, so model tests know the truth.
 * Used by `titanic-etl --generate`, the benchmarks and the README's run command. */
#ifndef TITANIC_GENERATE_H
#define TITANIC_GENERATE_H

#include "passenger.h"

#include <stdint.h>
#include <stdio.h>

/* The random state, and the ticket group being written: a family shares its ticket, surname,
 * class, fare (the ticket's), cabin and port, so consecutive ids are its members. */
typedef struct {
    uint64_t state;
    int size, parents, next; /* the group's members, how many are parents, the next one's index */
    int8_t pclass;
    char embarked;
    double fare, parent_age; /* parent_age: the youngest parent's, children are younger by 16+ */
    const char *surname, *father; /* the father's first name, which a "Mrs." is called by */
    char ticket[PASSENGER_TICKET_MAX + 1], cabin[PASSENGER_CABIN_MAX + 1];
} generator;

void generator_init(generator *g, uint64_t seed);

/* Fills p with passenger number id (survived drawn from the documented model). */
void generator_next(generator *g, int32_t id, passenger *p);

/* Writes a Kaggle-train-layout CSV with n passengers (ids 1..n) to out. Returns 0 or -1 on a
 * write error. */
int generate_csv(FILE *out, long n, uint64_t seed);

#endif
