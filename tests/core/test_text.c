/* Text validation (UTF-8, control characters, length) and SHA-256 against FIPS test vectors. */
#include "check.h"
#include "sha256.h"
#include "text.h"

static int valid(const char *s, size_t len) {
    char reason[128];
    return text_validate(s, len, 256, reason, sizeof reason) == 0;
}

static void test_utf8(void) {
    CHECK(valid("Braund, Mr. Owen Harris", 23));
    CHECK(valid("O'Brien, \"Nellie\" \\ back\tslash", 30));
    CHECK(valid("Müller, Mrs. Zoë", strlen("Müller, Mrs. Zoë")));
    CHECK(valid("\xF0\x9F\x9A\xA2 ship", 9)); /* 4-byte emoji */
    CHECK(!valid("caf\xE9", 4));              /* Latin-1 é */
    CHECK(!valid("\xC0\xAF", 2));             /* overlong '/' */
    CHECK(!valid("\xE0\x80\xAF", 3));         /* overlong 3-byte */
    CHECK(!valid("\xED\xA0\x80", 3));         /* surrogate */
    CHECK(!valid("\xF4\x90\x80\x80", 4));     /* above U+10FFFF */
    CHECK(!valid("\xE2\x82", 2));             /* truncated */
    CHECK(!valid("a\nb", 3));
    CHECK(!valid("a\rb", 3));
    CHECK(!valid("a\0b", 3));
    CHECK(!valid("a\x7F", 2));
    CHECK(!valid("a\xC2\x85", 3)); /* C1 NEL */
    char reason[128];
    CHECK_INT(text_validate("abc\xFF", 4, 256, reason, sizeof reason), -1);
    CHECK_STR(reason, "invalid UTF-8 at byte 4");
    CHECK_INT(text_validate("abcdef", 6, 5, reason, sizeof reason), -1);
    CHECK_CONTAINS(reason, "longer than 5 bytes");
}

static void test_quote(void) {
    char out[64];
    text_quote_for_message(out, sizeof out,
                           "a\x01\xFF"
                           "b",
                           4, 40);
    CHECK_STR(out, "a\\x01\\xFFb");
    text_quote_for_message(out, sizeof out, "abcdefghij", 10, 4);
    CHECK_STR(out, "abcd...");
}

static void hash_hex(const char *data, size_t len, char hex[65]) {
    sha256_ctx ctx;
    sha256_init(&ctx);
    /* Feed in uneven pieces to exercise block boundaries. */
    size_t step = 7;
    for (size_t i = 0; i < len; i += step)
        sha256_update(&ctx, data + i, len - i < step ? len - i : step);
    sha256_final_hex(&ctx, hex);
}

static void test_sha256(void) {
    char hex[65];
    hash_hex("", 0, hex);
    CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hash_hex(two_blocks, strlen(two_blocks), hex);
    CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    static char million[1000000];
    memset(million, 'a', sizeof million);
    hash_hex(million, sizeof million, hex);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void) {
    test_utf8();
    test_quote();
    test_sha256();
    return check_exit_code("test_text");
}
