/* email.c — see email.h. */
#include "util/email.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define EMAIL_MAX 320

static bool atext(unsigned char c)
{
    return isalnum(c) || (c && strchr("-!#$%&'*+/=?^_`{}|~", c));
}

/* dot-atom: atext runs separated by single dots. */
static bool dot_atom(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!atext((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* quoted-string: "…" with qtext or backslash-escaped characters. */
static bool quoted(const char *s, size_t n)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return false;
    for (size_t i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            unsigned char e = (unsigned char)s[++i];
            if (i + 1 >= n || e == 0 || e == '\n' || e == '\r' || e > 0x7f)
                return false;
        } else if (c == 0 || c == '\t' || c == '\n' || c == '\r' || c == ' ' || c == '"' ||
                   c > 0x7f) {
            return false;
        }
    }
    return true;
}

/* Labels of [A-Z0-9] with inner hyphens (≤63), dot-separated, and a final
 * label of 2..63 [A-Z0-9-] not ending in '-'. */
static bool domain(const char *s, size_t n)
{
    const char *last = NULL;
    size_t start = 0, labels = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        size_t len = i - start;
        const char *lab = s + start;
        if (i == n) {
            last = lab;
            if (len < 2 || len > 63 || lab[len - 1] == '-')
                return false;
            for (size_t k = 0; k < len; k++)
                if (!isalnum((unsigned char)lab[k]) && lab[k] != '-')
                    return false;
        } else {
            if (len == 0 || len > 63 || lab[0] == '-' || lab[len - 1] == '-')
                return false;
            for (size_t k = 0; k < len; k++)
                if (!isalnum((unsigned char)lab[k]) && lab[k] != '-')
                    return false;
            labels++;
        }
        start = i + 1;
    }
    return last && labels > 0;
}

static bool ip_literal(const char *s, size_t n)
{
    char tmp[64];
    unsigned char addr[16];
    if (n < 3 || n - 2 >= sizeof tmp || s[0] != '[' || s[n - 1] != ']')
        return false;
    memcpy(tmp, s + 1, n - 2);
    tmp[n - 2] = '\0';
    return inet_pton(AF_INET, tmp, addr) == 1 || inet_pton(AF_INET6, tmp, addr) == 1;
}

bool email_valid(const char *s)
{
    size_t n = strlen(s);
    const char *at = strrchr(s, '@');
    if (n == 0 || n > EMAIL_MAX || !at)
        return false;
    size_t ulen = (size_t)(at - s), dlen = n - ulen - 1;
    if (!dot_atom(s, ulen) && !quoted(s, ulen))
        return false;
    const char *d = at + 1;
    if (dlen == 9 && strncmp(d, "localhost", 9) == 0)
        return true;
    return domain(d, dlen) || ip_literal(d, dlen);
}
