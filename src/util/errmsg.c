/* errmsg.c — see errmsg.h. */
#include "util/errmsg.h"

#include <stdarg.h>
#include <stdio.h>

void set_err(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    if (!err || errsz == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}
