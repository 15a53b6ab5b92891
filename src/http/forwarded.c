/* forwarded.c — see forwarded.h. */
#include "http/forwarded.h"

#include <string.h>

typedef enum { WALK_ON, WALK_DONE } walk_step;

/* One list item, right to left: decides whether the walk goes on. */
static walk_step walk_item(const cidr_list *trusted, const char *s, size_t len,
                           ip_addr *client)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0)
        return WALK_ON;                     /* "a, , b": an empty item */
    ip_addr a;
    if (!ip_parse(s, len, &a))
        return WALK_DONE;                   /* keep the last trusted hop */
    *client = a;
    return cidr_list_match(trusted, &a) ? WALK_ON : WALK_DONE;
}

/* The items of one header line, right to left. */
static walk_step walk_line(const cidr_list *trusted, const char *line, ip_addr *client)
{
    size_t end = strlen(line);
    for (;;) {
        const char *comma = end ? memrchr(line, ',', end) : NULL;
        size_t start = comma ? (size_t)(comma - line) + 1 : 0;
        if (walk_item(trusted, line + start, end - start, client) == WALK_DONE)
            return WALK_DONE;
        if (!comma)
            return WALK_ON;
        end = start - 1;
    }
}

void fwd_client(const cidr_list *trusted, const ip_addr *peer, const char *const *values,
                size_t nvalues, ip_addr *client)
{
    *client = *peer;
    if (!cidr_list_match(trusted, peer))
        return;
    for (size_t i = nvalues; i > 0; i--)
        if (values[i - 1] && walk_line(trusted, values[i - 1], client) == WALK_DONE)
            return;
}
