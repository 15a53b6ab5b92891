/* fuzz_stream.c — libFuzzer target for the provider stream decoder
 * (src/llm/sse.c + src/llm/stream.c): the first byte picks the provider,
 * the second how the rest is cut into feeds; the decoder must give the same
 * pieces, counts and verdict whole and cut, every piece valid UTF-8.
 * Built and run by tests/fuzz/run.sh (seeds: one stream per provider format
 * in tests/fuzz/corpus/stream). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/stream.h"
#include "util/buf.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int joined(void *ctx, const char *text, size_t len)
{
    if (!utf8_valid(text, len))
        abort();
    buf *b = ctx;
    return buf_append(b, text, len) == 0 && buf_putc(b, '\x01') == 0 ? 0 : -1;
}

/* Feeds in cuts of 1..step bytes (step 0: whole); returns the verdict. */
static int run(llm_provider p, const char *in, size_t n, size_t step, buf *out, llm_stream *s)
{
    llm_stream_init(s, p, "m");
    if (!step)
        return llm_stream_feed(s, in, n, joined, out);
    for (size_t i = 0, k = 0; i < n; k++) {
        size_t cut = 1 + (k * 7 + step) % step;
        if (cut > n - i)
            cut = n - i;
        int rc = llm_stream_feed(s, in + i, cut, joined, out);
        if (rc != 0)
            return rc;
        i += cut;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const llm_provider provs[] = { LLM_OPENAI, LLM_ANTHROPIC, LLM_GOOGLE };
    if (size < 2)
        return 0;
    llm_provider p = provs[data[0] % 3];
    size_t step = 1 + data[1] % 64;
    const char *in = (const char *)data + 2;
    size_t n = size - 2;
    buf a = BUF_INIT(1 << 20), b = BUF_INIT(1 << 20);
    llm_stream sa, sb;
    int ra = run(p, in, n, 0, &a, &sa);
    int rb = run(p, in, n, step, &b, &sb);
    /* the same verdict, and the same pieces up to where the whole feed stopped */
    if ((ra == 0) != (rb == 0) || a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0))
        abort();
    if (ra == 0 && (sa.total_tokens != sb.total_tokens || sa.in_tokens != sb.in_tokens ||
                    sa.out_tokens != sb.out_tokens || strcmp(sa.model, sb.model) != 0 ||
                    sa.finished != sb.finished))
        abort();
    llm_stream_free(&sa);
    llm_stream_free(&sb);
    buf_free(&a);
    buf_free(&b);
    return 0;
}
