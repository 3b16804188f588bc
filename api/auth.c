/* API keys: the key file, constant-time lookup, the access policy and new keys. See auth.h. */
#include "auth.h"

#include "base64url.h"
#include "config.h"
#include "errors.h"
#include "sha256.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES 1024
#define KEYS_MAX 10000
#define KEY_PREFIX "ttk_"
#define KEY_RANDOM_BYTES 32

typedef struct {
    auth_role role;
    unsigned char digest[32];
    char label[AUTH_LABEL_MAX + 1];
} key_entry;

/* One allocation, room for KEYS_MAX keys: free() frees it. */
typedef struct {
    size_t count;
    key_entry keys[];
} key_set;

/* Readers (every request) take the lock shared; a reload swaps the set under it exclusively. */
static pthread_rwlock_t keys_lock = PTHREAD_RWLOCK_INITIALIZER;
static key_set *current_keys;

/* ---- parsing ---- */

static auth_role auth_role_parse(const char *text) {
    if (!strcmp(text, "reader"))
        return AUTH_READER;
    if (!strcmp(text, "writer"))
        return AUTH_WRITER;
    if (!strcmp(text, "admin"))
        return AUTH_ADMIN;
    return AUTH_NONE;
}

/* 64 hex digits (either case) into the 32 bytes they spell; -1 for anything else. */
static int parse_digest(const char *hex, unsigned char out[32]) {
    size_t n = 0;
    return OPENSSL_hexstr2buf_ex(out, 32, &n, hex, '\0') == 1 && n == 32 ? 0 : -1;
}

/* Labels go into JSON log lines and a database column: a plain, short charset keeps them safe to
 * write anywhere without escaping. */
static int valid_label(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > AUTH_LABEL_MAX)
        return 0;
    for (; *s; s++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@:/+", *s))
            return 0;
    }
    return 1;
}

/* One line, comments and blanks already removed from consideration: fields into e. */
static int parse_line(char *line, key_entry *e, char *why, size_t whylen) {
    char *fields[4];
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
        if (n == 3)
            return errorf(why, whylen, "too many fields (expected ROLE SHA256HEX [LABEL])");
        fields[n++] = tok;
    }
    if (n < 2)
        return errorf(why, whylen, "expected ROLE SHA256HEX [LABEL]");
    if ((e->role = auth_role_parse(fields[0])) == AUTH_NONE)
        return errorf(why, whylen, "unknown role \"%.20s\" (reader, writer or admin)", fields[0]);
    if (parse_digest(fields[1], e->digest) != 0)
        return errorf(why, whylen,
                      "the digest must be 64 hex digits (SHA-256 of the key), not a key");
    if (n == 3 && !valid_label(fields[2]))
        return errorf(why, whylen, "label must be 1-%d characters of A-Z a-z 0-9 . _ - @ : / +",
                      AUTH_LABEL_MAX);
    if (n == 3)
        snprintf(e->label, sizeof e->label, "%s", fields[2]);
    else /* a digest prefix names the key without revealing it */
        snprintf(e->label, sizeof e->label, "key-%.8s", fields[1]);
    return 0;
}

static int duplicate(const key_set *set, const key_entry *e) {
    for (size_t i = 0; i < set->count; i++) {
        if (!memcmp(set->keys[i].digest, e->digest, 32))
            return 1;
    }
    return 0;
}

/* Parses every line of text; NULL with err naming origin and the line on the first problem. */
static key_set *parse_keys(const char *text, size_t len, const char *origin, char *err,
                           size_t errlen) {
    key_set *set = calloc(1, sizeof *set + KEYS_MAX * sizeof set->keys[0]);
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t pos = 0;
    for (int number = 1; pos < len; number++) {
        size_t n = strcspn(text + pos, "\n"); /* text is one string (no NUL: config_read_secret) */
        char line[LINE_MAX_BYTES + 1], why[160] = "";
        if (n > LINE_MAX_BYTES)
            snprintf(why, sizeof why, "line longer than %d bytes", LINE_MAX_BYTES);
        snprintf(line, sizeof line, "%.*s", n <= LINE_MAX_BYTES ? (int)n : 0, text + pos);
        pos += n + 1;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        if (!why[0] && strspn(line, " \t\r") == strlen(line))
            continue; /* blank or comment only */
        key_entry e = {0};
        if (!why[0] && set->count == KEYS_MAX)
            snprintf(why, sizeof why, "more than %d keys", KEYS_MAX);
        if (!why[0] && parse_line(line, &e, why, sizeof why) == 0 && duplicate(set, &e))
            snprintf(why, sizeof why, "this digest appears on an earlier line");
        if (why[0]) {
            snprintf(err, errlen, "%s line %d: %s", origin, number, why);
            free(set);
            return NULL;
        }
        set->keys[set->count++] = e;
    }
    return set;
}

static void install(key_set *set) {
    pthread_rwlock_wrlock(&keys_lock);
    key_set *old = current_keys;
    current_keys = set;
    pthread_rwlock_unlock(&keys_lock);
    free(old);
}

int auth_load(const char *path, char *err, size_t errlen) {
    /* The file as core reads every secret file: bounded, and refused when empty or holding a
     * NUL byte (which would cut a key short). */
    char *text = config_read_secret("API_KEYS_FILE", path, AUTH_FILE_MAX, "", err, errlen);
    if (!text)
        return -1;
    char origin[300];
    snprintf(origin, sizeof origin, "API_KEYS_FILE %.256s", path);
    key_set *set = parse_keys(text, strlen(text), origin, err, errlen);
    config_free_secret(text);
    if (!set)
        return -1;
    int count = (int)set->count;
    install(set);
    return count;
}

int auth_enabled(void) {
    pthread_rwlock_rdlock(&keys_lock);
    int enabled = current_keys != NULL;
    pthread_rwlock_unlock(&keys_lock);
    return enabled;
}

void auth_free(void) {
    install(NULL);
}

/* ---- identifying a caller ---- */

/* Compares every stored digest, all bytes each (CRYPTO_memcmp), whatever matched: the time
 * taken does not depend on which key (if any) the digest equals, nor on how much of it. */
static const key_entry *find_constant_time(const key_set *set, const unsigned char digest[32]) {
    const key_entry *found = NULL;
    for (size_t i = 0; i < set->count; i++) {
        /* Branch-free select of the matching entry. */
        uintptr_t mask =
            (uintptr_t)0 - (uintptr_t)(CRYPTO_memcmp(set->keys[i].digest, digest, 32) == 0);
        found = (const key_entry *)(((uintptr_t)&set->keys[i] & mask) | ((uintptr_t)found & ~mask));
    }
    return found;
}

int auth_identify(const char *authorization, auth_identity *who) {
    who->role = AUTH_NONE;
    who->label[0] = '\0';
    if (!authorization)
        return 0;
    static const char scheme[] = "Bearer ";
    if (strncasecmp(authorization, scheme, sizeof scheme - 1) != 0)
        return -1;
    const char *token = authorization + sizeof scheme - 1;
    while (*token == ' ')
        token++;
    size_t len = strlen(token);
    if (len == 0 || len > AUTH_KEY_MAX)
        return -1;
    unsigned char digest[32];
    SHA256((const unsigned char *)token, len, digest);
    pthread_rwlock_rdlock(&keys_lock);
    const key_entry *e = current_keys ? find_constant_time(current_keys, digest) : NULL;
    if (e) {
        who->role = e->role;
        memcpy(who->label, e->label, sizeof who->label);
    }
    pthread_rwlock_unlock(&keys_lock);
    return 0;
}

/* ---- policy ---- */

auth_need auth_requirement(const char *method, route_id route, int reads_need_key) {
    /* Probes (kubelet, the ALB health check, the inference protocol's health) send no keys. */
    if (route == ROUTE_HEALTH || route == ROUTE_READY || route == ROUTE_V2_LIVE ||
        route == ROUTE_V2_READY)
        return AUTH_NEED_NOTHING;
    /* Metrics tell an outsider about traffic and the model: never anonymous when keys exist. */
    if (route == ROUTE_METRICS)
        return AUTH_NEED_KEY;
    int read = !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "OPTIONS");
    /* Predictions compute, they store nothing: reads, whatever the method. */
    int compute = !strcmp(method, "POST") && (route == ROUTE_PREDICT || route == ROUTE_V2_INFER ||
                                              route == ROUTE_V2_VERSION_INFER);
    if (read || compute)
        return reads_need_key ? AUTH_NEED_KEY : AUTH_NEED_NOTHING;
    /* Every other method changes state, on any route, including routes added later. */
    return AUTH_NEED_WRITER;
}

/* ---- new keys ---- */

int auth_new_key(const char *role, const char *label, char *key, size_t keylen, char *line,
                 size_t linelen, char *err, size_t errlen) {
    if (auth_role_parse(role) == AUTH_NONE)
        return errorf(err, errlen, "role must be reader, writer or admin");
    if (label && !valid_label(label))
        return errorf(err, errlen, "label must be 1-%d characters of A-Z a-z 0-9 . _ - @ : / +",
                      AUTH_LABEL_MAX);
    unsigned char raw[KEY_RANDOM_BYTES];
    char encoded[BASE64URL_LEN(KEY_RANDOM_BYTES) + 1];
    if (RAND_bytes(raw, sizeof raw) != 1) { /* the kernel's CSPRNG, via OpenSSL */
        snprintf(err, errlen, "no randomness: RAND_bytes failed");
        return -1;
    }
    base64url_encode(raw, sizeof raw, encoded);
    snprintf(key, keylen, "%s%s", KEY_PREFIX, encoded);
    char hex[65];
    sha256_hex(key, strlen(key), hex);
    if (label)
        snprintf(line, linelen, "%s %s %s", role, hex, label);
    else
        snprintf(line, linelen, "%s %s", role, hex);
    return 0;
}
