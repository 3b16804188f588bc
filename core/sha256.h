/* SHA-256 (FIPS 180-4), streaming. Fingerprints ETL inputs and model training sets, and derives
 * each passenger's stable UUID, without pulling in a crypto library for one hash. */
#ifndef TITANIC_SHA256_H
#define TITANIC_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t bytes;
    unsigned char block[64];
    size_t used;
} sha256_ctx;

void sha256_init(sha256_ctx *ctx);
void sha256_update(sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(sha256_ctx *ctx, unsigned char digest[32]);
/* Finishes and writes 64 lowercase hex digits plus NUL. */
void sha256_final_hex(sha256_ctx *ctx, char hex[65]);

#endif
