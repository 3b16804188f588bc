/* splitmix64 (Steele, Lea and Flood, 2014): a fast, well-mixed bijection on 64 bits and the
 * generator built on it. The one definition for every place that needs the same numbers for a
 * seed on every platform (the synthetic generator, the trainer's sample) or cheap ones (request
 * ids, passenger UUIDs); never for secrets. Inline because it sits in per-row loops. */
#ifndef TITANIC_SPLITMIX_H
#define TITANIC_SPLITMIX_H

#include <stdint.h>

#define SPLITMIX64_GAMMA 0x9E3779B97F4A7C15ull

/* The mix of z: the generator's output for state z. */
static inline uint64_t splitmix64(uint64_t z) {
    z += SPLITMIX64_GAMMA;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The next number of the generator whose state is *state, which it advances. */
static inline uint64_t splitmix64_next(uint64_t *state) {
    uint64_t z = *state;
    *state += SPLITMIX64_GAMMA;
    return splitmix64(z);
}

#endif
