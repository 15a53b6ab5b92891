/* chat.h — getting the assistant's reply to a stored user message. */
#ifndef CHIMERA_API_CHAT_H
#define CHIMERA_API_CHAT_H

#include "http/request.h"
#include "store/conversations.h"

/* Answers r: 201 {userMessage, assistantMessage} after storing the reply,
 * or the failure of API.md §5.5 with {userMessage} as data. The echo
 * provider answers at once; the others run on the outbound engine while
 * the connection is suspended (no worker thread waits on the network). */
void chat_reply(http_req *r, const conv_row *c, const message_row *user);

/* The offline echo model answers without the network, so the user's
 * message and the reply are stored in one write and answered 201. Returns
 * false, having done nothing, when the conversation's model is another. */
bool chat_echo_send(http_req *r, const conv_row *c, const char *content);

#endif
