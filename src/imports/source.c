/* source.c — URL host → import source_type (§8.2 step 4); see source.h.
 * Returns static strings only; nothing to free. */
#include "imports/source.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *needle;
    const char *type;
} SOURCE_RULES[] = {
    { "chatgpt.com", "chatgpt" },
    { "chat.openai.com", "chatgpt" },
    { "notion.so", "notion" },
    { "notion.site", "notion" },
    { "docs.google.com", "google_docs" },
    { "github.com", "github" },
};

/* Points *host at the host of url (authority minus userinfo and port). */
static size_t source_host(const char *url, const char **host)
{
    const char *p = strstr(url, "://");
    *host = "";
    if (!p)
        return 0;
    p += 3;
    size_t auth = strcspn(p, "/?#");
    for (size_t i = auth; i > 0; i--) {
        if (p[i - 1] == '@') {
            auth -= i;
            p += i;
            break;
        }
    }
    size_t hlen = auth;
    if (auth && p[0] == '[') {
        const char *close = memchr(p, ']', auth);
        hlen = close ? (size_t)(close - p) + 1 : auth;
    } else {
        const char *colon = memchr(p, ':', auth);
        if (colon)
            hlen = (size_t)(colon - p);
    }
    *host = p;
    return hlen;
}

/* Case-insensitive: does host[0..n) contain needle? */
static int source_contains(const char *host, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(host + i, needle, k) == 0)
            return 1;
    return 0;
}

const char *imp_source_type(const char *url)
{
    const char *host;
    size_t n;
    if (!url)
        return "webpage";
    n = source_host(url, &host);
    for (size_t i = 0; i < sizeof SOURCE_RULES / sizeof *SOURCE_RULES; i++)
        if (source_contains(host, n, SOURCE_RULES[i].needle))
            return SOURCE_RULES[i].type;
    return "webpage";
}
