/* context.c — see context.h. */
#include "llm/context.h"

#include "util/buf.h"
#include "util/utf8.h"

#include <string.h>

char *llm_system_text(const llm_memory *mems, size_t n)
{
    buf b = BUF_INIT(0);
    int rc = buf_puts(&b, LLM_SYSTEM_PREAMBLE);
    if (n) {
        rc |= buf_puts(&b, "\n\n=== Injected Context ===\n");
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(mems[i].content);
            size_t cut = utf8_prefix(mems[i].content, len, LLM_MEMORY_CHARS);
            rc |= buf_printf(&b, "\n[%s]\n", mems[i].title);
            rc |= buf_append(&b, mems[i].content, cut);
            rc |= buf_putc(&b, '\n');
        }
        rc |= buf_puts(&b, "\n=== End Context ===\n");
    }
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}
