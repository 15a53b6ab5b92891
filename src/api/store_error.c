/* store_error.c — the one mapping of a store failure to an answer: 404 with
 * the caller's message for NOT_FOUND, 500 for the rest; and the answer of a
 * change that replies with a message. */
#include "api/api.h"

#include "http/response.h"
#include "store/store.h"

void api_store_error(http_req *r, int st, const char *not_found_msg)
{
    if (st == ST_NOT_FOUND && not_found_msg)
        resp_error(r, 404, not_found_msg);
    else
        resp_error(r, 500, "Internal server error");
}

void api_reply_done(http_req *r, int st, const char *not_found_msg, const char *message)
{
    if (st != ST_OK)
        api_store_error(r, st, not_found_msg);
    else
        resp_data(r, 200, json_pack("{s:s}", "message", message));
}
