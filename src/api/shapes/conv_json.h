/* conv_json.h — JSON of conversations and messages (API.md §4). */
#ifndef CHIMERA_API_CONV_JSON_H
#define CHIMERA_API_CONV_JSON_H

#include "store/conversations.h"

#include <jansson.h>

json_t *message_json(const message_row *m);
/* Full conversation: messages and injected memories. */
json_t *conversation_json(const conv_row *c);
/* Light list item (messageCount, lastUpdated; updatedAt and
 * injectedMemories added, as API.md recommends). */
json_t *conversation_item_json(const conv_row *c);

#endif
