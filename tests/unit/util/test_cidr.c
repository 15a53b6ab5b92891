/* test_cidr.c — addresses and networks of src/util/cidr.c: IPv4, IPv6,
 * IPv4-mapped peers against IPv4 networks, /0 /32 /128, host bits, lists,
 * and the inputs CHIMERA_TRUSTED_PROXIES must refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static ip_addr ip(const char *s)
{
    ip_addr a;
    assert_true(ip_parse(s, strlen(s), &a));
    return a;
}

static bool in_net(const char *net, const char *addr)
{
    cidr c;
    const char *why = NULL;
    assert_int_equal(cidr_parse(net, strlen(net), &c, &why), 0);
    ip_addr a = ip(addr);
    return cidr_match(&c, &a);
}

static void test_parse_addresses(void **state)
{
    (void)state;
    static const char *const good[] = { "1.2.3.4", "0.0.0.0", "255.255.255.255", "::", "::1",
                                        "fd00::1", "2001:db8::8:800:200c:417a", "::ffff:1.2.3.4" };
    static const char *const bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4x", "0x1.2.3.4",
                                       "1.2.3.4:80", "[::1]", "::1%lo", " 1.2.3.4", "1.2.3.4 ",
                                       "fe80:::1", "unknown", "1.2.3.4/8",
                                       "aaaa:bbbb:cccc:dddd:eeee:ffff:1111:2222:3333" };
    ip_addr a;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(ip_parse(good[i], strlen(good[i]), &a));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(ip_parse(bad[i], strlen(bad[i]), &a));
}

static void test_text(void **state)
{
    (void)state;
    char t[IP_TEXT_MAX];
    ip_addr a = ip("::ffff:10.1.2.3");
    ip_text(&a, t, sizeof t);
    assert_string_equal(t, "10.1.2.3");          /* mapped peers print as IPv4 */
    a = ip("2001:DB8::1");
    ip_text(&a, t, sizeof t);
    assert_string_equal(t, "2001:db8::1");
    ip_addr x = ip("1.2.3.4"), y = ip("::ffff:1.2.3.4"), z = ip("1.2.3.5");
    assert_true(ip_equal(&x, &y));
    assert_false(ip_equal(&x, &z));
}

static void test_v4(void **state)
{
    (void)state;
    assert_true(in_net("10.0.0.0/8", "10.255.1.2"));
    assert_false(in_net("10.0.0.0/8", "11.0.0.1"));
    assert_true(in_net("192.168.1.0/24", "192.168.1.77"));
    assert_false(in_net("192.168.1.0/24", "192.168.2.1"));
    assert_true(in_net("172.16.0.0/12", "172.31.255.255"));
    assert_false(in_net("172.16.0.0/12", "172.32.0.0"));
    assert_true(in_net("1.2.3.4/32", "1.2.3.4"));
    assert_false(in_net("1.2.3.4/32", "1.2.3.5"));
    assert_true(in_net("1.2.3.4", "1.2.3.4"));          /* a bare address is a /32 */
    assert_false(in_net("1.2.3.4", "1.2.3.5"));
    assert_true(in_net("10.9.9.9/8", "10.1.1.1"));       /* host bits ignored */
}

static void test_v4_zero_prefix(void **state)
{
    (void)state;
    assert_true(in_net("0.0.0.0/0", "8.8.8.8"));
    assert_true(in_net("0.0.0.0/0", "::ffff:8.8.8.8"));
    assert_false(in_net("0.0.0.0/0", "2001:db8::1"));    /* every IPv4, no IPv6 */
    assert_true(in_net("::/0", "2001:db8::1"));
    assert_true(in_net("::/0", "8.8.8.8"));              /* everything */
}

static void test_v6(void **state)
{
    (void)state;
    assert_true(in_net("fd00::/8", "fd12:3456::1"));
    assert_false(in_net("fd00::/8", "fe00::1"));
    assert_true(in_net("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(in_net("2001:db8::/32", "2001:db9::1"));
    assert_true(in_net("2001:db8::/33", "2001:db8:7fff::1"));
    assert_false(in_net("2001:db8::/33", "2001:db8:8000::1"));
    assert_true(in_net("::1/128", "::1"));
    assert_false(in_net("::1/128", "::2"));
    assert_true(in_net("::1", "::1"));
    assert_false(in_net("::1", "127.0.0.1"));
}

static void test_v4_mapped_peer(void **state)
{
    (void)state;
    assert_true(in_net("1.2.3.0/24", "::ffff:1.2.3.4"));
    assert_false(in_net("1.2.3.0/24", "::ffff:1.2.4.4"));
    assert_true(in_net("127.0.0.1", "::ffff:127.0.0.1"));
    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, "::ffff:1.2.3.4", &s6.sin6_addr), 1);
    ip_addr a;
    assert_true(ip_from_sockaddr((struct sockaddr *)&s6, &a));
    cidr c;
    const char *why;
    assert_int_equal(cidr_parse("1.2.3.0/24", 10, &c, &why), 0);
    assert_true(cidr_match(&c, &a));
    struct sockaddr_in s4;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, "1.2.3.9", &s4.sin_addr), 1);
    assert_true(ip_from_sockaddr((struct sockaddr *)&s4, &a));
    assert_true(cidr_match(&c, &a));
    struct sockaddr other = { .sa_family = AF_UNIX };
    assert_false(ip_from_sockaddr(&other, &a));
}

static bool loop(const char *s)
{
    ip_addr a;
    assert_true(ip_parse(s, strlen(s), &a));
    return ip_is_loopback(&a);
}

static void test_loopback(void **state)
{
    (void)state;
    assert_true(loop("127.0.0.1"));
    assert_true(loop("127.255.3.9"));
    assert_true(loop("::1"));
    assert_true(loop("::ffff:127.0.0.2"));
    assert_false(loop("128.0.0.1"));
    assert_false(loop("10.0.0.1"));
    assert_false(loop("::2"));
    assert_false(loop("::ffff:10.0.0.1"));
}

static void test_bad_networks(void **state)
{
    (void)state;
    static const char *const bad[] = { "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1",
                                       "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0.0/0008",
                                       "10.0.0/8", "host.example", "/8", "10.0.0.0/a", "::ffff:1.2.3.4/129" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cidr c;
        const char *why = NULL;
        assert_int_equal(cidr_parse(bad[i], strlen(bad[i]), &c, &why), -1);
        assert_non_null(why);
    }
}

static void test_list(void **state)
{
    (void)state;
    cidr_list l;
    char why[200];
    assert_int_equal(cidr_list_parse("127.0.0.1, 10.0.0.0/8,::1 ,fd00::/8", &l, why, sizeof why), 0);
    assert_int_equal(l.n, 4);
    ip_addr a = ip("10.3.3.3");
    assert_true(cidr_list_match(&l, &a));
    a = ip("fd00::5");
    assert_true(cidr_list_match(&l, &a));
    a = ip("::ffff:127.0.0.1");
    assert_true(cidr_list_match(&l, &a));
    a = ip("127.0.0.2");
    assert_false(cidr_list_match(&l, &a));
    cidr_list_free(&l);
    assert_int_equal(cidr_list_parse("", &l, why, sizeof why), 0);
    assert_int_equal(l.n, 0);
    assert_false(cidr_list_match(&l, &a));               /* empty: trust nobody */
    assert_int_equal(cidr_list_parse(NULL, &l, why, sizeof why), 0);
    assert_false(cidr_list_match(NULL, &a));
}

static void test_bad_lists(void **state)
{
    (void)state;
    cidr_list l;
    char why[200];
    assert_int_equal(cidr_list_parse("10.0.0.1,,10.0.0.2", &l, why, sizeof why), -1);
    assert_non_null(strstr(why, "item 2"));
    assert_non_null(strstr(why, "empty"));
    assert_null(l.v);
    assert_int_equal(cidr_list_parse("10.0.0.0/8, 10.0.0.0/40", &l, why, sizeof why), -1);
    assert_non_null(strstr(why, "\"10.0.0.0/40\""));
    assert_non_null(strstr(why, "prefix length"));
    assert_int_equal(cidr_list_parse("proxy.internal", &l, why, sizeof why), -1);
    assert_non_null(strstr(why, "not an IP address"));
    assert_int_equal(cidr_list_parse("10.0.0.1,", &l, why, sizeof why), -1);
    assert_int_equal(cidr_list_parse(" ", &l, why, sizeof why), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_addresses),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_v4),
        cmocka_unit_test(test_v4_zero_prefix),
        cmocka_unit_test(test_v6),
        cmocka_unit_test(test_v4_mapped_peer),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_bad_networks),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_bad_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
