/* The shared primitives in core/ that used to be written out in several layers: splitmix64 against
 * the published reference sequence, base64url against RFC 4648's vectors (url-safe alphabet, no
 * padding), a round trip of every length, and the decoder's refusals. */
#include "base64url.h"
#include "check.h"
#include "splitmix.h"

#include <stdint.h>
#include <string.h>

static void test_splitmix(void) {
    /* The reference generator (Vigna's splitmix64.c) seeded with 0. */
    uint64_t state = 0;
    CHECK(splitmix64_next(&state) == 0xE220A8397B1DCDAFull);
    CHECK(splitmix64_next(&state) == 0x6E789E6AA1B965F4ull);
    CHECK(splitmix64_next(&state) == 0x06C45D188009454Full);
    CHECK(state == 3 * SPLITMIX64_GAMMA);
    CHECK(splitmix64(0) == 0xE220A8397B1DCDAFull);
}

static void test_base64url_vectors(void) {
    static const struct {
        const char *plain, *encoded;
    } vectors[] = {{"", ""},
                   {"f", "Zg"},
                   {"fo", "Zm8"},
                   {"foo", "Zm9v"},
                   {"foob", "Zm9vYg"},
                   {"fooba", "Zm9vYmE"},
                   {"foobar", "Zm9vYmFy"},
                   {"\xfb\xff", "-_8"},
                   {"\xfb\xff\xbf", "-_-_"}};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t n = strlen(vectors[i].plain);
        char out[16];
        CHECK_INT(base64url_encode((const unsigned char *)vectors[i].plain, n, out),
                  BASE64URL_LEN(n));
        CHECK_STR(out, vectors[i].encoded);
        unsigned char back[16];
        CHECK_INT(base64url_decode(out, strlen(out), back, sizeof back), (long)n);
        CHECK(memcmp(back, vectors[i].plain, n) == 0);
    }
}

static void test_base64url_round_trip(void) {
    unsigned char in[64], back[64];
    char text[BASE64URL_LEN(sizeof in) + 1];
    uint64_t state = 7;
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)splitmix64_next(&state);
    for (size_t n = 0; n <= sizeof in; n++) {
        size_t len = base64url_encode(in, n, text);
        CHECK_INT(strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                  len);
        CHECK_INT(base64url_decode(text, len, back, n), (long)n); /* exactly n bytes of room */
        CHECK(memcmp(back, in, n) == 0);
    }
}

static void test_base64url_refusals(void) {
    unsigned char out[16];
    CHECK_INT(base64url_decode("Zm9v+g", 6, out, sizeof out), -1); /* standard alphabet */
    CHECK_INT(base64url_decode("Zm8=", 4, out, sizeof out), -1);   /* padding */
    CHECK_INT(base64url_decode("Zm9vY", 5, out, sizeof out), -1);  /* no encoding is 5 long */
    CHECK_INT(base64url_decode("Zm\0v", 4, out, sizeof out), -1);  /* a NUL inside */
    CHECK_INT(base64url_decode("Zm9vYmFy", 8, out, 5), -1);        /* 6 bytes into 5 */
    CHECK_INT(base64url_decode("Zm9vYmE", 7, out, 5), 5);
}

int main(void) {
    test_splitmix();
    test_base64url_vectors();
    test_base64url_round_trip();
    test_base64url_refusals();
    return check_exit_code("test_primitives");
}
