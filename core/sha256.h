/* SHA-256, streaming: fingerprints ETL inputs and model training sets and checksums migrations.
 * A thin wrapper on libcrypto (which libpq links anyway, so every image already carries it): the
 * ETL hashes each input file, and OpenSSL's implementation is several times faster than a
 * portable one. */
#ifndef TITANIC_SHA256_H
#define TITANIC_SHA256_H

#include <stddef.h>

typedef struct sha256_ctx {
    void *md; /* EVP_MD_CTX */
    /* Small updates gather here: a call into EVP costs as much as hashing a few hundred bytes,
     * and the trainer's fingerprint sends 8 bytes per passenger. */
    unsigned char pending[2048];
    size_t npending;
} sha256_ctx;

void sha256_init(sha256_ctx *ctx);
void sha256_update(sha256_ctx *ctx, const void *data, size_t len);
/* Finishes and writes 64 lowercase hex digits plus NUL. */
void sha256_final_hex(sha256_ctx *ctx, char hex[65]);

/* The hex digest of data[0..len) in one call. */
void sha256_hex(const void *data, size_t len, char hex[65]);

#endif
