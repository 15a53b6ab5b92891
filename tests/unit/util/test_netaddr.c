/* test_netaddr.c — which addresses import-url may connect to. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static bool public_text(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
    }
    return net_addr_public((struct sockaddr *)&ss);
}

static void test_special_ipv4(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "0.0.0.0", "10.1.2.3", "100.64.0.1", "100.127.255.255", "127.0.0.1", "127.255.0.9",
        "169.254.169.254", "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1",
        "192.168.1.1", "198.18.0.1", "198.19.255.1", "198.51.100.7", "203.0.113.9",
        "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_false(public_text(refused[i]));
}

static void test_public_ipv4(void **state)
{
    (void)state;
    static const char *const allowed[] = {
        "1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255",
        "172.32.0.0", "192.169.0.1", "198.17.255.255", "198.20.0.0", "223.255.255.254",
        "11.0.0.1", "126.255.255.255", "128.0.0.1",
    };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        assert_true(public_text(allowed[i]));
}

static void test_ipv6(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "::", "::1", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
        "::ffff:169.254.169.254", "64:ff9b::10.0.0.1", "fc00::1", "fd12:3456::1",
        "fe80::1", "febf::1", "fec0::1", "ff02::1", "2001:db8::1", "2001:0:1::1",
        "2002:c000:0204::1", "100::1",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_false(public_text(refused[i]));
    static const char *const allowed[] = {
        "2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8",
        "2001:4860::8888", "fbff::1", "100:0:0:1::1",
    };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        assert_true(public_text(allowed[i]));
}

static void test_other_family_and_text(void **state)
{
    (void)state;
    struct sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_family = AF_UNIX;
    assert_false(net_addr_public(&sa));
    char text[64];
    net_addr_text(&sa, text, sizeof text);
    assert_string_equal(text, "?");
    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    inet_pton(AF_INET, "10.9.8.7", &in.sin_addr);
    net_addr_text((struct sockaddr *)&in, text, sizeof text);
    assert_string_equal(text, "10.9.8.7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_special_ipv4),
        cmocka_unit_test(test_public_ipv4),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_other_family_and_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
