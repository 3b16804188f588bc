/* SHA-256 through libcrypto's EVP interface. See sha256.h. */
#include "sha256.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* EVP only fails when out of memory; then there is no honest fingerprint to give, and every
 * caller's result would be wrong in a way no one could see, so stop loudly. */
static void out_of_memory(void) {
    fputs("sha256: libcrypto could not allocate a digest context\n", stderr);
    abort();
}

void sha256_init(sha256_ctx *ctx) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
        out_of_memory();
    ctx->md = md;
    ctx->npending = 0;
}

static void flush_pending(sha256_ctx *ctx) {
    if (ctx->npending > 0 && EVP_DigestUpdate(ctx->md, ctx->pending, ctx->npending) != 1)
        out_of_memory();
    ctx->npending = 0;
}

/* The digest of the concatenated input does not depend on how it was split into updates. */
void sha256_update(sha256_ctx *ctx, const void *data, size_t len) {
    if (len <= sizeof ctx->pending - ctx->npending) {
        memcpy(ctx->pending + ctx->npending, data, len);
        ctx->npending += len;
        return;
    }
    flush_pending(ctx);
    if (len < sizeof ctx->pending) {
        memcpy(ctx->pending, data, len);
        ctx->npending = len;
    } else if (EVP_DigestUpdate(ctx->md, data, len) != 1) {
        out_of_memory();
    }
}

static void sha256_final(sha256_ctx *ctx, unsigned char digest[32]) {
    unsigned int n = 0;
    flush_pending(ctx);
    if (EVP_DigestFinal_ex(ctx->md, digest, &n) != 1 || n != 32)
        out_of_memory();
    EVP_MD_CTX_free(ctx->md);
    ctx->md = NULL;
}

void sha256_final_hex(sha256_ctx *ctx, char hex[65]) {
    static const char digits[] = "0123456789abcdef";
    unsigned char digest[32];
    sha256_final(ctx, digest);
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

void sha256_hex(const void *data, size_t len, char hex[65]) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final_hex(&ctx, hex);
}
