/* Synthetic passengers for the model tests, which must run without the Kaggle files: the ETL's
 * generator, with families added (the generator draws every ticket independently, so on its own
 * no two passengers share a family key and the woman-child evidence would never be exercised).
 * Every third passenger joins the previous one's family: same surname, class, ticket and port. */
#ifndef TITANIC_TEST_SYNTHETIC_FAMILIES_H
#define TITANIC_TEST_SYNTHETIC_FAMILIES_H

#include "generate.h"

#include <stdio.h>
#include <string.h>

/* Fills rows[0..n) with passengers 1..n; the last unlabelled of them have unknown survival. */
static inline void synthetic_families(passenger *rows, size_t n, size_t unlabelled, uint64_t seed) {
    generator g;
    generator_init(&g, seed);
    for (size_t i = 0; i < n; i++) {
        generator_next(&g, (int32_t)(i + 1), &rows[i]);
        if (i % 3 == 2) {
            const passenger *prev = &rows[i - 1];
            const char *comma = strchr(rows[i].name, ',');
            const char *pcomma = strchr(prev->name, ',');
            char name[PASSENGER_NAME_MAX + 1];
            snprintf(name, sizeof name, "%.*s%s", (int)(pcomma - prev->name), prev->name,
                     comma ? comma : ", Miss. X");
            snprintf(rows[i].name, sizeof rows[i].name, "%s", name);
            rows[i].pclass = prev->pclass;
            rows[i].embarked = prev->embarked;
            memcpy(rows[i].ticket, prev->ticket, sizeof rows[i].ticket); /* same-size fields */
            /* Families share a fate more often than strangers: what the feature is for. */
            if (g.state % 4 != 0)
                rows[i].survived = prev->survived;
        }
        if (i >= n - unlabelled)
            rows[i].survived = -1;
    }
}

#endif
