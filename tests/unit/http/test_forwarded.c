/* test_forwarded.c — the client address behind trusted proxies
 * (src/http/forwarded.c): rightmost untrusted, all trusted, spoofed left
 * items, several header lines, garbage, and an untrusted peer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/forwarded.h"

#include <string.h>

static cidr_list trusted;

static int setup(void **state)
{
    (void)state;
    char why[128];
    return cidr_list_parse("127.0.0.1,10.0.0.0/8,::1,fd00::/8", &trusted, why, sizeof why);
}

static int teardown(void **state)
{
    (void)state;
    cidr_list_free(&trusted);
    return 0;
}

/* The client for a peer and header lines, as text. */
static const char *client_of(const char *peer, const char *const *lines, size_t n)
{
    static char out[IP_TEXT_MAX];
    ip_addr p, c;
    assert_true(ip_parse(peer, strlen(peer), &p));
    fwd_client(&trusted, &p, lines, n, &c);
    ip_text(&c, out, sizeof out);
    return out;
}

static const char *one(const char *peer, const char *line)
{
    const char *lines[1] = { line };
    return client_of(peer, lines, line ? 1 : 0);
}

static void test_untrusted_peer_ignores_header(void **state)
{
    (void)state;
    assert_string_equal(one("203.0.113.9", "198.51.100.1"), "203.0.113.9");
    assert_string_equal(one("127.0.0.2", "198.51.100.1"), "127.0.0.2");
    assert_string_equal(one("2001:db8::1", "198.51.100.1"), "2001:db8::1");
}

static void test_trusted_peer(void **state)
{
    (void)state;
    assert_string_equal(one("127.0.0.1", NULL), "127.0.0.1");
    assert_string_equal(one("127.0.0.1", "198.51.100.1"), "198.51.100.1");
    assert_string_equal(one("::ffff:127.0.0.1", "198.51.100.1"), "198.51.100.1");
    assert_string_equal(one("::1", "2001:db8::7"), "2001:db8::7");
    /* the left items were written by the client: not believed */
    assert_string_equal(one("127.0.0.1", "1.1.1.1, 2.2.2.2,198.51.100.1"), "198.51.100.1");
    /* trusted hops on the right are skipped */
    assert_string_equal(one("127.0.0.1", "1.1.1.1, 198.51.100.1, 10.0.0.5, fd00::2"),
                        "198.51.100.1");
}

static void test_all_trusted_gives_leftmost(void **state)
{
    (void)state;
    assert_string_equal(one("127.0.0.1", "10.0.0.9, 10.0.0.5"), "10.0.0.9");
    assert_string_equal(one("127.0.0.1", ""), "127.0.0.1");
    assert_string_equal(one("127.0.0.1", " , ,"), "127.0.0.1");
}

static void test_garbage_stops_the_walk(void **state)
{
    (void)state;
    assert_string_equal(one("127.0.0.1", "198.51.100.1, unknown"), "127.0.0.1");
    assert_string_equal(one("127.0.0.1", "garbage, 10.0.0.5"), "10.0.0.5");
    assert_string_equal(one("127.0.0.1", "198.51.100.1:443"), "127.0.0.1");
    assert_string_equal(one("127.0.0.1", "[2001:db8::1]"), "127.0.0.1");
    assert_string_equal(one("127.0.0.1", "1.1.1.1, <script>, 10.0.0.5, 10.0.0.6"), "10.0.0.5");
}

static void test_several_lines(void **state)
{
    (void)state;
    const char *a[] = { "1.1.1.1", "198.51.100.1, 10.0.0.5" };
    assert_string_equal(client_of("127.0.0.1", a, 2), "198.51.100.1");
    const char *b[] = { "198.51.100.1", "10.0.0.5", "10.0.0.6" };
    assert_string_equal(client_of("127.0.0.1", b, 3), "198.51.100.1");
    const char *c[] = { "10.0.0.7", "10.0.0.5" };
    assert_string_equal(client_of("127.0.0.1", c, 2), "10.0.0.7");
    const char *d[] = { "198.51.100.1", "junk" };
    assert_string_equal(client_of("127.0.0.1", d, 2), "127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untrusted_peer_ignores_header),
        cmocka_unit_test(test_trusted_peer),
        cmocka_unit_test(test_all_trusted_gives_leftmost),
        cmocka_unit_test(test_garbage_stops_the_walk),
        cmocka_unit_test(test_several_lines),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
