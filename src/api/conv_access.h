/* conv_access.h — loading the {cid} of a conversation route with the
 * access checks of API.md §5.5 (404 → 403, observers read-only). */
#ifndef CHIMERA_API_CONV_ACCESS_H
#define CHIMERA_API_CONV_ACCESS_H

#include "http/request.h"
#include "store/conversations.h"

#include <stdbool.h>

#define MSG_CONV_NOT_FOUND "Conversation not found"

/* Loads conversation req_param(0) (with messages and injections when full)
 * and checks the caller may read it (write: and change it). Answers and
 * returns -1 otherwise. */
int conv_load(http_req *r, bool write, bool full, conv_row *c);

#endif
