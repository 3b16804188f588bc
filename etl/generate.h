/* Synthetic Titanic passengers with realistic joint distributions, deterministic for a seed.
 *
 * Class drives sex mix, age, fare, cabin and port; family sizes are skewed like the real list;
 * names carry titles (Mr, Mrs, Miss, Master, and rare ones) consistent with sex and age. Survival
 * is drawn from the logistic model documented in data/README.md, so model tests know the truth.
 * Used by `titanic-etl --generate`, the benchmarks and the README's run command. */
#ifndef TITANIC_GENERATE_H
#define TITANIC_GENERATE_H

#include "passenger.h"

#include <stdint.h>
#include <stdio.h>

typedef struct {
    uint64_t state;
} generator;

void generator_init(generator *g, uint64_t seed);

/* Fills p with passenger number id (survived drawn from the documented model). */
void generator_next(generator *g, int32_t id, passenger *p);

/* Writes a Kaggle-train-layout CSV with n passengers (ids 1..n) to out. Returns 0 or -1 on a
 * write error. */
int generate_csv(FILE *out, long n, uint64_t seed);

#endif
