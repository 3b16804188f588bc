/* API keys: who may call what on titanic-api.
 *
 * API_KEYS_FILE holds one key per line, "ROLE SHA256HEX [LABEL]" ('#' starts a comment): the
 * SHA-256 digest of each key, never a key, so the file (a Kubernetes Secret) is no credential by
 * itself. Clients send "Authorization: Bearer KEY"; the key's digest is compared with every
 * stored one in constant time. Roles nest: admin > writer > reader. The file is re-read on
 * SIGHUP; a malformed file keeps the keys in force (at start it stops the server), naming the
 * line. The label (never the key) names the caller in the access log and in passengers.api_writer.
 * See docs/security.md. */
#ifndef TITANIC_AUTH_H
#define TITANIC_AUTH_H

#include "route_id.h"

#include <stddef.h>

typedef enum { AUTH_NONE = 0, AUTH_READER, AUTH_WRITER, AUTH_ADMIN } auth_role;

#define AUTH_LABEL_MAX 64
#define AUTH_KEY_MAX 256 /* longest key text accepted in a header */
#define AUTH_FILE_MAX (1 << 20)

typedef struct {
    auth_role role; /* AUTH_NONE: no key, or not a known one */
    char label[AUTH_LABEL_MAX + 1];
} auth_identity;

/* What a request needs. */
typedef enum { AUTH_NEED_NOTHING, AUTH_NEED_KEY, AUTH_NEED_WRITER } auth_need;

/* Reads and installs path's keys. Returns the number of keys, or -1 with err naming the line
 * (the keys in force stay). */
int auth_load(const char *path, char *err, size_t errlen);

/* Whether keys are configured at all (API_KEYS_FILE set and loaded). */
int auth_enabled(void);

/* Identifies the caller from the Authorization header value (may be NULL). Returns 0 with *who
 * set (role AUTH_NONE for no or unknown key), or -1 when the header is not "Bearer <token>". */
int auth_identify(const char *authorization, auth_identity *who);

/* What a request with this method needs on the route it resolved to (routes_resolve: the route
 * that will run, never a re-reading of the path), given whether reads need a key. */
auth_need auth_requirement(const char *method, route_id route, int reads_need_key);

/* Makes a new random key for role: writes the key (to give the client) and the line for
 * API_KEYS_FILE. Returns 0, or -1 with err (no randomness, bad role or label). */
int auth_new_key(const char *role, const char *label, char *key, size_t keylen, char *line,
                 size_t linelen, char *err, size_t errlen);

/* Frees the keys (at exit). */
void auth_free(void);

#endif
