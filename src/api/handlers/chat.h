/* chat.h — getting the assistant's reply to a stored user message. */
#ifndef CHIMERA_API_CHAT_H
#define CHIMERA_API_CHAT_H

#include "http/request.h"
#include "llm/provider.h"
#include "store/conversations.h"

#include <stdbool.h>
#include <stdint.h>

/* Answers r: 201 {userMessage, assistantMessage} after storing the reply,
 * or the failure of API.md §5.5 with {userMessage} as data. The echo
 * provider answers at once; the others run on the outbound engine while
 * the connection is suspended (no worker thread waits on the network). */
void chat_reply(http_req *r, const conv_row *c, const message_row *user);

/* The offline echo model answers without the network, so the user's
 * message and the reply are stored in one write and answered 201. Returns
 * false, having done nothing, when the conversation's model is another. */
bool chat_echo_send(http_req *r, const conv_row *c, const char *content);

/* 1 when the client asked for the reply as server-sent events (Accept:
 * text/event-stream); chat_stream.c answers those. */
bool chat_wants_stream(const http_req *r);

/* As chat_reply and chat_echo_send, streamed (chat_stream.c): 200
 * text/event-stream, "delta" events as the provider produces text, then
 * "done" with the data chat_reply answers, or "error" with its error.
 * Failures known before the stream starts (no integration) are answered as
 * chat_reply answers them. */
void chat_stream_reply(http_req *r, const conv_row *c, const message_row *user);
bool chat_stream_echo(http_req *r, const conv_row *c, const char *content);

/* Shared by chat.c and chat_stream.c. */
/* The assistant message's metadata (D3) as JSON text (malloc); partial
 * adds "partial": true (a streamed reply cut short). */
char *chat_reply_metadata(const llm_reply *rep, llm_provider p, int64_t t0, bool partial);
/* The provider request for the user's message from the stored
 * conversation (D3), streamed or not. 0 or -1. */
int chat_build_request(const conv_row *c, const message_row *user, llm_provider p,
                       const char *key, const char *requested, bool stream, net_request *req);
/* The echo model's reply to content, stored with the user message in one
 * write: ST_OK with both rows in *user and *a and the reply in *rep (free
 * all three), else the store's status with r answered. -1 (nothing done)
 * when c's model is not the echo. */
int chat_echo_pair(http_req *r, const conv_row *c, const char *content, llm_reply *rep,
                   message_row *user, message_row *a);
/* Deep copies of what a reply outliving the handler needs. 0 or -1 (then
 * free what was copied). */
int chat_copy_rows(conv_row *dc, message_row *du, const conv_row *c, const message_row *user);
/* The caller's plain key for provider p (wipe with secrets_wipe), or NULL
 * with r answered (400 no connected integration, 500). */
char *chat_provider_key(http_req *r, llm_provider p, const message_row *user);

#endif
