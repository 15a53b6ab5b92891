/* echo.c — the offline echo provider of API.md §6.4: no network, no key. */
#include "llm/common.h"

#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_PREFIX "[Echo Mode] Received: "
#define ECHO_SUFFIX "\n\nThis is a demo response. Connect an LLM provider to get real AI responses."

/* Byte length of the code point starting at s[0] (1 for stray bytes). */
static size_t echo_cp_len(const char *s, size_t len)
{
    size_t n = 1;
    while (n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
        n++;
    return n;
}

/* Python's len(s.split()): runs of non-whitespace, with Python's notion of
 * whitespace (a code point is whitespace when strip() removes all of it). */
static long echo_words(const char *s)
{
    size_t len = strlen(s), start;
    long words = 0;
    int in_word = 0;
    for (size_t i = 0; i < len;) {
        size_t n = echo_cp_len(s + i, len - i);
        int space = utf8_strip(s + i, n, &start) == 0;
        if (!space && !in_word)
            words++;
        in_word = !space;
        i += n;
    }
    return words;
}

void llm_echo(const char *user, const char *model_name, llm_reply *reply)
{
    const char *msg = user ? user : "";
    size_t n = sizeof ECHO_PREFIX - 1 + strlen(msg) + sizeof ECHO_SUFFIX;
    char *text = malloc(n);
    memset(reply, 0, sizeof *reply);
    if (!text) {
        llm_reply_set_error(reply, "Out of memory");
        return;
    }
    snprintf(text, n, "%s%s%s", ECHO_PREFIX, msg, ECHO_SUFFIX);
    llm_reply_set_text(reply, text, echo_words(msg), model_name ? model_name : "echo");
    free(text);
}
