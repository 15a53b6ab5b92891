/* fuzz_headers.c — libFuzzer target for the request-header parsers:
 * X-Forwarded-For lines through src/http/forwarded.c (the client is the
 * peer, a listed address or a trusted hop, never anything else), address
 * and CIDR-list parsing (src/util/cidr.c, also the trusted-proxy setting)
 * and Accept-Encoding (src/http/gzip.c). Input: the header text; '\n'
 * separates X-Forwarded-For lines. Built and run by tests/fuzz/run.sh. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/forwarded.h"
#include "http/gzip.h"
#include "util/cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 16

/* True if a ','- or '\n'-separated item of text, trimmed of blanks, is a. */
static int listed(const char *text, const ip_addr *a)
{
    for (const char *s = text; *s;) {
        size_t len = strcspn(s, ",\n");
        const char *e = s + len;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        ip_addr b;
        if (e > s && ip_parse(s, (size_t)(e - s), &b) && ip_equal(&b, a))
            return 1;
        s += strcspn(s, ",\n");
        if (*s)
            s++;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cidr_list trusted;
    static ip_addr peer;
    static int ready;
    char why[128];
    if (!ready) {
        assert(cidr_list_parse("127.0.0.0/8, 10.0.0.0/8, fd00::/8", &trusted, why,
                               sizeof why) == 0);
        assert(ip_parse("127.0.0.1", 9, &peer));
        ready = 1;
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    const char *lines[MAX_LINES];
    size_t n = 0;
    char *copy = strdup(text), *p = copy;
    while (copy && p && n < MAX_LINES) {
        lines[n++] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }
    ip_addr client;
    fwd_client(&trusted, &peer, lines, n, &client);
    /* only lines before the first 16 count (MAX_LINES), so look in those */
    assert(ip_equal(&client, &peer) || listed(text, &client));
    free(copy);
    char shown[64];

    ip_addr a;
    if (ip_parse(text, size, &a)) {
        ip_text(&a, shown, sizeof shown);
        ip_addr b;
        assert(ip_parse(shown, strlen(shown), &b) && ip_equal(&a, &b));
    }
    cidr_list l;
    memset(&l, 0, sizeof l);
    if (cidr_list_parse(text, &l, why, sizeof why) == 0)
        (void)cidr_list_match(&l, &peer);
    cidr_list_free(&l);
    (void)gzip_accepted(text);
    free(text);
    return 0;
}
