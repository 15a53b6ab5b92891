/* fuzz_headers.c — libFuzzer target for the request-header parsers:
 * X-Forwarded-For lines through src/http/forwarded.c (the client is the
 * peer, a listed address or a trusted hop, never anything else), address
 * and CIDR-list parsing (src/util/cidr.c, also the trusted-proxy setting),
 * Accept-Encoding (src/http/gzip.c), If-None-Match (src/http/etag.c,
 * against a model of RFC 9110's grammar written here: every listed tag
 * matches, weak or not; "*" matches all; nothing else matches, and a
 * malformed value matches nothing), and src/http/headers.c: the bearer
 * token of Authorization, Accept's event stream, X-Request-Id; and Origin
 * against the allowed origins (src/config.c). Input: the
 * header text; '\n' separates X-Forwarded-For lines. The text is a copy of
 * exactly the input's length, so ASan sees any read past it. Built and run
 * by tests/fuzz/run.sh. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "http/etag.h"
#include "http/forwarded.h"
#include "http/gzip.h"
#include "http/headers.h"
#include "http/request.h"
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

/* ---- If-None-Match ------------------------------------------------------ */

typedef struct span {
    const char *p;                  /* the opaque tag, quotes included */
    size_t n;
} span;

static int ows(char c)
{
    return c == ' ' || c == '\t';
}

static int etag_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

/* If-None-Match = "*" / #entity-tag, with the empty list elements a
 * recipient accepts (RFC 9110 §5.6.1): 2 for "*", 1 for a list with at
 * least one tag (tags[0..*ntags) then holds them), 0 for anything else. */
static int inm_model(const char *s, size_t n, span *tags, size_t *ntags)
{
    size_t i = 0;
    *ntags = 0;
    while (n > 0 && ows(s[n - 1]))
        n--;
    while (i < n && ows(s[i]))
        i++;
    if (n - i == 1 && s[i] == '*')
        return 2;
    while (i < n) {
        while (i < n && ows(s[i]))
            i++;
        if (i < n && s[i] != ',') {
            if (n - i >= 2 && s[i] == 'W' && s[i + 1] == '/')
                i += 2;
            if (i == n || s[i] != '"')
                return 0;
            size_t q = i++;
            while (i < n && etag_char((unsigned char)s[i]))
                i++;
            if (i == n || s[i] != '"')
                return 0;
            i++;
            tags[(*ntags)++] = (span){ s + q, i - q };
            while (i < n && ows(s[i]))
                i++;
        }
        if (i < n && s[i++] != ',')
            return 0;
    }
    return *ntags > 0;
}

static int listed_tag(const span *tags, size_t ntags, const char *tag)
{
    size_t n = strlen(tag);
    for (size_t i = 0; i < ntags; i++)
        if (tags[i].n == n && memcmp(tags[i].p, tag, n) == 0)
            return 1;
    return 0;
}

/* etag_matches(text, tag) is what the model says, for tag a strong tag. */
static void inm_check(const char *text, const span *tags, size_t ntags, int kind, const char *tag)
{
    int want = kind == 2 || (kind == 1 && listed_tag(tags, ntags, tag));
    assert(etag_matches(text, tag) == want);
}

static void fuzz_if_none_match(const char *text, size_t len)
{
    span *tags = calloc(len / 2 + 1, sizeof *tags);
    if (!tags)
        return;
    size_t ntags;
    int kind = inm_model(text, len, tags, &ntags);
    inm_check(text, tags, ntags, kind, "\"not-listed-0\"");
    char generated[ETAG_MAX];
    etag_hash h;
    etag_begin(&h);
    etag_add(&h, text, len);
    etag_end(&h, generated);
    inm_check(text, tags, ntags, kind, generated);
    for (size_t i = 0; i < ntags && i < 8; i++) {
        char *tag = strndup(tags[i].p, tags[i].n);
        if (!tag)
            break;
        assert(etag_matches(text, tag) == (kind == 1));
        if (tags[i].n > 2) {        /* one character shorter: "ab" for "abc" */
            tag[tags[i].n - 2] = '"';
            tag[tags[i].n - 1] = '\0';
            inm_check(text, tags, ntags, kind, tag);
        }
        free(tag);
    }
    free(tags);
}

/* ---- http/headers.c ------------------------------------------------------ */

static void fuzz_small_headers(const char *text)
{
    const char *tok = NULL;
    hdr_bearer_rc rc = hdr_bearer(text, &tok);
    int bearer = strncasecmp(text, "Bearer", 6) == 0 && (text[6] == ' ' || text[6] == '\0');
    assert((rc == HDR_BEARER_MISSING) == !bearer);
    if (rc == HDR_BEARER_OK) {
        assert(tok == text + 7 && *tok && !strchr(tok, ' '));
    } else {
        assert(tok == NULL);
        assert(rc == HDR_BEARER_MISSING || text[6] == '\0' || text[7] == '\0' ||
               strchr(text + 7, ' '));
    }
    assert(hdr_accepts_event_stream(text) == (strcasestr(text, "text/event-stream") != NULL));
    size_t n = strlen(text);
    if (hdr_request_id_ok(text, REQ_ID_MAX)) {
        assert(n > 0 && n < REQ_ID_MAX);
        for (size_t i = 0; i < n; i++)
            assert(strchr("._-", text[i]) || (text[i] >= '0' && text[i] <= '9') ||
                   ((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z'));
    }
}

/* ---- Origin --------------------------------------------------------------- */

static char *origins[] = { "https://app.example.com", "http://localhost:5173", NULL };

/* config_origin_allowed: the origin, trailing slashes dropped, is the
 * frontend's URL (with or without its one trailing slash) or a listed one. */
static void fuzz_origin(const char *text)
{
    size_t n = strlen(text);
    while (n && text[n - 1] == '/')
        n--;
    static const char frontend[] = "https://chimera.test";     /* cfg.frontend_url less its '/' */
    int want = n == sizeof frontend - 1 && strncmp(text, frontend, n) == 0;
    for (size_t i = 0; origins[i]; i++)
        want |= strlen(origins[i]) == n && strncmp(text, origins[i], n) == 0;
    assert(config_origin_allowed(text) == want);
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
        cfg.debug = false;              /* debug allows every origin */
        cfg.frontend_url = "https://chimera.test/";
        cfg.cors_origins = origins;
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
    fuzz_if_none_match(text, strlen(text));
    fuzz_small_headers(text);
    fuzz_origin(text);
    free(text);
    return 0;
}
