/* sse.c — see sse.h. Lines end at CR, LF or CRLF (a CRLF split across two
 * feeds included); a line starting with ':' is a comment (keep-alives);
 * "field: value" loses one space after the colon; a blank line dispatches
 * the event when it had data. Fields other than event and data (id,
 * retry) do not matter to a reply and are skipped. */
#include "llm/sse.h"

#include <stdio.h>
#include <string.h>

void llm_sse_init(llm_sse *s, size_t max)
{
    memset(s, 0, sizeof *s);
    s->line.max = max;
    s->data.max = max;
}

void llm_sse_free(llm_sse *s)
{
    buf_free(&s->line);
    buf_free(&s->data);
    memset(s, 0, sizeof *s);
}

static void sse_reset_event(llm_sse *s)
{
    buf_reset(&s->data);
    s->has_data = false;
    s->event[0] = '\0';
}

static int sse_dispatch(llm_sse *s, llm_sse_fn fn, void *ctx)
{
    if (!s->has_data) {
        sse_reset_event(s);
        return 0;
    }
    char name[LLM_SSE_EVENT_MAX];
    snprintf(name, sizeof name, "%s", s->event[0] ? s->event : "message");
    int rc = fn(ctx, name, s->data.p ? s->data.p : "", s->data.len);
    sse_reset_event(s);
    return rc;
}

/* One complete line (without its end). */
static int sse_line(llm_sse *s, const char *line, size_t n, llm_sse_fn fn, void *ctx)
{
    if (n == 0)
        return sse_dispatch(s, fn, ctx);
    if (line[0] == ':')
        return 0;
    const char *colon = memchr(line, ':', n);
    size_t flen = colon ? (size_t)(colon - line) : n;
    const char *value = colon ? colon + 1 : line + n;
    size_t vlen = n - (size_t)(value - line);
    if (vlen && *value == ' ') {
        value++;
        vlen--;
    }
    if (flen == 4 && memcmp(line, "data", 4) == 0) {
        if (s->has_data && buf_putc(&s->data, '\n') != 0)
            return -1;
        s->has_data = true;
        return buf_append(&s->data, value, vlen);
    }
    if (flen == 5 && memcmp(line, "event", 5) == 0)
        snprintf(s->event, sizeof s->event, "%.*s", (int)vlen, value);
    return 0;
}

int llm_sse_feed(llm_sse *s, const char *p, size_t n, llm_sse_fn fn, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool lf_after_cr = c == '\n' && s->after_cr;
        s->after_cr = c == '\r';
        if (lf_after_cr)
            continue;
        if (c != '\r' && c != '\n') {
            /* runs of ordinary bytes in one append */
            size_t j = i;
            while (j < n && p[j] != '\r' && p[j] != '\n')
                j++;
            if (buf_append(&s->line, p + i, j - i) != 0)
                return -1;
            i = j - 1;
            continue;
        }
        int rc = sse_line(s, s->line.p ? s->line.p : "", s->line.len, fn, ctx);
        buf_reset(&s->line);
        if (rc != 0)
            return rc;
    }
    return 0;
}
