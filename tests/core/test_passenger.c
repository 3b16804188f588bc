/* The passenger rules: every parser accepts exactly its documented forms and explains refusals. */
#include "check.h"
#include "passenger.h"

#include <math.h>

#define T(s) s, strlen(s)

static void test_numbers(void) {
    char reason[160];
    int32_t id;
    CHECK_INT(passenger_parse_id(T("891"), &id, reason, sizeof reason), 0);
    CHECK_INT(id, 891);
    CHECK_INT(passenger_parse_id(T("2147483647"), &id, reason, sizeof reason), 0);
    CHECK_INT(passenger_parse_id(T("2147483648"), &id, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_id(T("0"), &id, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_id(T("-1"), &id, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_id(T("1.0"), &id, reason, sizeof reason), -1);
    CHECK_CONTAINS(reason, "positive integer");
    CHECK_CONTAINS(reason, "\"1.0\"");

    double age;
    CHECK_INT(passenger_parse_age(T("0.42"), &age, reason, sizeof reason), 0);
    CHECK_CLOSE(age, 0.42, 0);
    CHECK_INT(passenger_parse_age(T("120"), &age, reason, sizeof reason), 0);
    CHECK_INT(passenger_parse_age(T("120.5"), &age, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_age(T("-1"), &age, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_age(T("1e2"), &age, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_age(T("NaN"), &age, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_age(T("28."), &age, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_age(T(".5"), &age, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_age(T(" 28"), &age, reason, sizeof reason), -1);

    double fare;
    CHECK_INT(passenger_parse_fare(T("512.3292"), &fare, reason, sizeof reason), 0);
    CHECK_INT(passenger_parse_fare(T("0"), &fare, reason, sizeof reason), 0);
    CHECK_INT(passenger_parse_fare(T("7,25"), &fare, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_fare(T("100000.01"), &fare, reason, sizeof reason), -1);

    int16_t n;
    CHECK_INT(passenger_parse_family(T("8"), &n, reason, sizeof reason), 0);
    CHECK_INT(n, 8);
    CHECK_INT(passenger_parse_family(T("51"), &n, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_family(T("1.5"), &n, reason, sizeof reason), -1);
    CHECK_INT(passenger_check_age(NAN, reason, sizeof reason), -1);
    CHECK_INT(passenger_check_fare(-0.01, reason, sizeof reason), -1);
    CHECK_INT(passenger_check_fare(1e6, reason, sizeof reason), -1);
}

static void test_categories(void) {
    char reason[160];
    int8_t v;
    CHECK_INT(passenger_parse_pclass(T("3"), &v, reason, sizeof reason), 0);
    CHECK_INT(v, 3);
    CHECK_INT(passenger_parse_pclass(T("4"), &v, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_pclass(T("03"), &v, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_survived(T("1"), &v, reason, sizeof reason), 0);
    CHECK_INT(passenger_parse_survived(T("yes"), &v, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_sex(T("female"), 0, &v, reason, sizeof reason), 0);
    CHECK_INT(v, SEX_FEMALE);
    CHECK_INT(passenger_parse_sex(T("Female"), 0, &v, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_sex(T("other"), 0, &v, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_sex(T("other"), 1, &v, reason, sizeof reason), 0);
    CHECK_INT(v, SEX_OTHER);
    char e;
    CHECK_INT(passenger_parse_embarked(T("Q"), &e, reason, sizeof reason), 0);
    CHECK_INT(e, 'Q');
    CHECK_INT(passenger_parse_embarked(T("q"), &e, reason, sizeof reason), -1);
    CHECK_INT(passenger_parse_embarked(T("SS"), &e, reason, sizeof reason), -1);
}

static void test_uuid(void) {
    char a[37], b[37], c[37];
    passenger_uuid_for_id(1, a);
    passenger_uuid_for_id(1, b);
    passenger_uuid_for_id(2, c);
    CHECK_STR(a, b);
    CHECK(strcmp(a, c) != 0);
    CHECK_INT(strlen(a), 36);
    CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    CHECK(a[14] == '8');                                                 /* version 8 */
    CHECK(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b'); /* RFC variant */
    CHECK(strncmp(a, "00000001-", 9) == 0);
    int32_t id = 0;
    passenger_uuid_for_id(891, c);
    CHECK_INT(passenger_id_from_uuid(c, &id), 0);
    CHECK_INT(id, 891);
    for (char *p = c; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
    CHECK_INT(passenger_id_from_uuid(c, &id), 0); /* case-insensitive */
    c[35] = c[35] == '0' ? '1' : '0';
    CHECK_INT(passenger_id_from_uuid(c, &id), -1); /* right prefix, forged rest */
    CHECK_INT(passenger_id_from_uuid("00000000-0000-8000-8000-000000000000", &id), -1);
    CHECK_INT(passenger_id_from_uuid("not-a-uuid", &id), -1);
    CHECK_INT(passenger_id_from_uuid("", &id), -1);
}

int main(void) {
    test_numbers();
    test_categories();
    test_uuid();
    return check_exit_code("test_passenger");
}
