/* integration_json.h — the Integration shape (API.md §4): the key masked,
 * never plain. */
#ifndef CHIMERA_API_INTEGRATION_JSON_H
#define CHIMERA_API_INTEGRATION_JSON_H

#include "store/integrations.h"

#include <jansson.h>

json_t *integration_json(const integration_row *in);

#endif
