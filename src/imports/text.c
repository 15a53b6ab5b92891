/* text.c — UTF-8 decoding/repair and the import normaliser; see text.h.
 * Strings returned are malloc'd and owned by the caller. */
#include "imports/text.h"

#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

size_t imp_utf8_next(const char *s, size_t len, size_t i, uint32_t *cp)
{
    return utf8_decode(s, len, i, cp);
}

int imp_utf8_put(buf *b, uint32_t cp)
{
    unsigned char o[4];
    size_t n;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        o[0] = (unsigned char)(0xF0 | cp >> 18);
        o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_append(b, o, n);
}

bool imp_is_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 ||
           c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool imp_is_control(uint32_t c)
{
    return c <= 0x1F || (c >= 0x7F && c <= 0x9F);
}

/* Hands b's contents over (an empty string if nothing was appended). */
static char *text_finish(buf *b, size_t *outlen)
{
    size_t n = b->len;
    char *p = buf_steal(b);
    if (p && outlen)
        *outlen = n;
    return p;
}

char *imp_decode_text(const void *data, size_t len, size_t *outlen)
{
    const char *s = data;
    buf b = BUF_INIT(0);
    if (utf8_valid(s, len)) {
        size_t skip = (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
        if (buf_append(&b, s + skip, len - skip) != 0)
            goto fail;
        return text_finish(&b, outlen);
    }
    for (size_t i = 0; i < len; i++)
        if (imp_utf8_put(&b, (unsigned char)s[i]) != 0)
            goto fail;
    return text_finish(&b, outlen);
fail:
    buf_free(&b);
    return NULL;
}

char *imp_utf8_sanitize(const char *s, size_t len, size_t *outlen)
{
    buf b = BUF_INIT(0);
    uint32_t cp;
    for (size_t i = 0; i < len;) {
        size_t n = imp_utf8_next(s, len, i, &cp);
        /* Copy valid runs in one go; each bad byte becomes U+FFFD. */
        size_t run = i;
        while (n) {
            i += n;
            n = i < len ? imp_utf8_next(s, len, i, &cp) : 0;
        }
        if (i > run && buf_append(&b, s + run, i - run) != 0)
            goto fail;
        if (i < len) {
            if (imp_utf8_put(&b, 0xFFFD) != 0)
                goto fail;
            i++;
        }
    }
    return text_finish(&b, outlen);
fail:
    buf_free(&b);
    return NULL;
}

char *imp_collapse(const char *s, size_t len, unsigned flags, size_t *outlen)
{
    buf b = BUF_INIT(0);
    bool pending = false;
    uint32_t cp;
    for (size_t i = 0; i < len;) {
        size_t n = imp_utf8_next(s, len, i, &cp);
        bool bad = n == 0;
        if (bad) {
            cp = 0xFFFD;
            n = 1;
        }
        if (imp_is_space(cp)) {
            pending = b.len > 0;
        } else if (!(flags & IMP_DROP_CONTROLS) || !imp_is_control(cp)) {
            if (pending && buf_putc(&b, ' ') != 0)
                goto fail;
            pending = false;
            if ((bad ? imp_utf8_put(&b, cp) : buf_append(&b, s + i, n)) != 0)
                goto fail;
        }
        i += n;
    }
    return text_finish(&b, outlen);
fail:
    buf_free(&b);
    return NULL;
}

char *imp_normalize(const char *s, size_t len, size_t *outlen)
{
    return imp_collapse(s, len, IMP_DROP_CONTROLS, outlen);
}

size_t imp_cp_len(const char *s, size_t len)
{
    return utf8_count(s, len);
}

char *imp_cut(const char *s, size_t len, size_t max, const char *suffix, size_t *outlen)
{
    buf b = BUF_INIT(0);
    size_t keep = utf8_prefix(s, len, max);
    if (buf_append(&b, s, keep) != 0)
        goto fail;
    if (keep < len && buf_puts(&b, suffix) != 0)
        goto fail;
    return text_finish(&b, outlen);
fail:
    buf_free(&b);
    return NULL;
}
