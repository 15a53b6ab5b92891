/* fuzz_provider.c — libFuzzer target for the chat providers' answers
 * (src/llm/): any body under any status, for each provider. Every answer
 * must give exactly one of text or error, and rate_limited only with an
 * error. Input: 1 byte choosing the provider and the status, then the
 * body. Built and run by tests/fuzz/run.sh. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llm/provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const llm_provider PROVIDERS[] = { LLM_OPENAI, LLM_ANTHROPIC, LLM_GOOGLE, LLM_DEEPSEEK,
                                          LLM_GROQ };
static const long STATUS[] = { 200, 200, 200, 400, 401, 403, 404, 429, 500, 503, 201, 0 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    llm_provider p = PROVIDERS[data[0] % 5];
    long status = STATUS[(data[0] / 5) % (sizeof STATUS / sizeof *STATUS)];
    char *body = malloc(size);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    llm_reply reply;
    memset(&reply, 0, sizeof reply);
    llm_chat_parse(p, "model-fuzz", status, body, size - 1, &reply);
    assert((reply.text != NULL) != (reply.error != NULL));
    assert(!reply.rate_limited || reply.error);
    llm_reply_free(&reply);
    free(body);
    return 0;
}
