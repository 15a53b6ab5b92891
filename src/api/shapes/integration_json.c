/* integration_json.c — see integration_json.h. */
#include "api/shapes/integration_json.h"

#include "api/services/secrets.h"
#include "api/shapes/serialize.h"

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *integration_json(const integration_row *in)
{
    char masked[SECRETS_MASK_MAX];
    secrets_mask(in->api_key, masked, sizeof masked);
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:o,s:o}", "id", in->id,
                     "userId", in->user_id, "provider", in->provider,
                     "modelId", str_or_null(in->model_id), "modelName", str_or_null(in->model_name),
                     "apiKey", masked, "status", in->status,
                     "lastTested", in->last_tested ? json_ts(in->last_tested) : json_null(),
                     "errorMessage", str_or_null(in->error_message),
                     "createdAt", json_ts(in->created_at));
}
