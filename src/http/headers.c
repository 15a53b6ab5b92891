/* headers.c — see headers.h. */
#include "http/headers.h"

#include <string.h>
#include <strings.h>

hdr_bearer_rc hdr_bearer(const char *value, const char **token)
{
    *token = NULL;
    size_t n = value ? strcspn(value, " ") : 0;
    if (!value || n != 6 || strncasecmp(value, "Bearer", 6) != 0)
        return HDR_BEARER_MISSING;
    /* value[6] is the space or the end: nothing is read past it */
    if (value[6] != ' ' || value[7] == '\0' || strchr(value + 7, ' '))
        return HDR_BEARER_MALFORMED;
    *token = value + 7;
    return HDR_BEARER_OK;
}

bool hdr_accepts_event_stream(const char *accept)
{
    static const char want[] = "text/event-stream";
    for (const char *p = accept; p && *p; p++)
        if (strncasecmp(p, want, sizeof want - 1) == 0)
            return true;
    return false;
}

bool hdr_request_id_ok(const char *value, size_t max)
{
    size_t n = value ? strlen(value) : 0;
    if (n == 0 || n >= max)
        return false;
    return strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}
