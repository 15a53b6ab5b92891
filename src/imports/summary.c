/* summary.c — §8.6 summary algorithm; see summary.h. The caller owns the
 * returned string. Mirrors the original Python:
 *     paras = [p.strip() for p in text.split('\n') if p.strip()]
 *     for p in paras:
 *         if cur + len(p) + 1 <= 2000: keep p; cur += len(p) + 1
 *         else: if 2000 - cur > 100: keep p[:2000 - cur] + '...'; break
 *     s = '\n\n'.join(kept); s += f'\n\n[Content truncated from {len(text)} to {len(s)} characters]'
 */
#include "imports/summary.h"

#include <string.h>

#include "util/buf.h"
#include "util/utf8.h"

/* Appends one kept paragraph (or a prefix of it), "\n\n"-separated. */
static int summary_keep(buf *b, const char *p, size_t n, int first)
{
    if (!first && buf_append(b, "\n\n", 2) != 0)
        return -1;
    return buf_append(b, p, n);
}

/* Walks the '\n'-separated paragraphs of s, keeping what fits. */
static int summary_body(buf *b, const char *s, size_t len)
{
    size_t cur = 0, pos = 0;
    int first = 1;
    while (pos < len) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - s) : len, start;
        size_t n = utf8_strip(s + pos, end - pos, &start);
        const char *p = s + pos + start;
        pos = end + 1;
        if (n == 0)
            continue;
        size_t cps = utf8_count(p, n);
        if (cur + cps + 1 <= IMP_SUMMARY_MAX) {
            if (summary_keep(b, p, n, first) != 0)
                return -1;
            first = 0;
            cur += cps + 1;
            continue;
        }
        size_t room = IMP_SUMMARY_MAX - cur;
        if (room > 100 && (summary_keep(b, p, utf8_prefix(p, n, room), first) != 0 ||
                           buf_append(b, "...", 3) != 0))
            return -1;
        break;
    }
    return 0;
}

char *imp_summarize(const char *s, size_t len, size_t *outlen)
{
    buf b = BUF_INIT(0);
    size_t total = utf8_count(s, len);
    char *out = NULL;
    if (total <= IMP_SUMMARY_MAX) {
        if (buf_append(&b, s, len) != 0)
            goto out;
    } else {
        if (summary_body(&b, s, len) != 0)
            goto out;
        size_t kept = utf8_count(b.p ? b.p : "", b.len);
        if (buf_printf(&b, "\n\n[Content truncated from %zu to %zu characters]",
                       total, kept) != 0)
            goto out;
    }
    if (outlen)
        *outlen = b.len;
    out = buf_steal(&b);
out:
    buf_free(&b);
    return out;
}
