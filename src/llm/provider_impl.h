/* provider_impl.h — the per-provider request builders and reply parsers
 * that provider.c dispatches to (openai.c, anthropic.c, google.c); what they
 * share is in common.h. Requests are built with net/request.h. */
#ifndef CHIMERA_LLM_PROVIDER_IMPL_H
#define CHIMERA_LLM_PROVIDER_IMPL_H

#include "llm/provider.h"

#include <jansson.h>
#include <stddef.h>

/* Per-provider builders and parsers. Builders ask for a streamed reply
 * when stream is set (stream.h decodes it). */
int llm_openai_chat(llm_provider p, const char *key, const char *model, const char *system,
                    const llm_message *hist, size_t nhist, const char *user, int stream,
                    net_request *out);
void llm_openai_parse(const char *model, long status, const char *body, size_t len,
                      llm_reply *r);
int llm_openai_test(llm_provider p, const char *key, net_request *out);

int llm_anthropic_chat(const char *key, const char *model, const char *system,
                       const llm_message *hist, size_t nhist, const char *user, int stream,
                       net_request *out);
void llm_anthropic_parse(const char *model, long status, const char *body, size_t len,
                         llm_reply *r);
int llm_anthropic_test(const char *key, net_request *out);

int llm_google_chat(const char *key, const char *model, const char *system,
                    const llm_message *hist, size_t nhist, const char *user, int stream,
                    net_request *out);
void llm_google_parse(const char *model, long status, const char *body, size_t len,
                      llm_reply *r);
int llm_google_test(const char *key, net_request *out);

#endif
