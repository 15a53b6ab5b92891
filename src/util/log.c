/* log.c — JSON-lines logging to stderr; see log.h. */
#include "util/log.h"

#include "util/buf.h"
#include "util/isotime.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *const level_names[] = { "debug", "info", "warn", "error" };

/* Length of s[0..len) without a UTF-8 character cut short at its end (what
 * vsnprintf leaves when it truncates a path or a server's message). */
static size_t whole_chars(const char *s, size_t len)
{
    size_t k = 0;               /* continuation bytes at the end */
    while (k < 3 && k < len && ((unsigned char)s[len - 1 - k] & 0xC0) == 0x80)
        k++;
    if (k == len)
        return len;
    unsigned char lead = (unsigned char)s[len - 1 - k];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return k + 1 < need ? len - 1 - k : len;
}

void log_raw_line(const char *json, size_t len)
{
    /* One write of "json\n" (stderr lines from many threads stay whole),
     * allocating nothing: the line that says memory ran out gets out too. */
    struct iovec v[2] = { { (void *)(uintptr_t)json, len }, { (void *)(uintptr_t)"\n", 1 } };
    ssize_t rc = writev(STDERR_FILENO, v, 2);
    (void)rc;
}

void log_msg(log_level lvl, const char *fmt, ...)
{
    char msg[1024], ts[ISOTIME_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof msg)
        msg[whole_chars(msg, sizeof msg - 1)] = '\0';
    time_iso_z(time_now_us(), ts);
    /* A buf over the stack whose max keeps it from ever growing: no
     * allocation, so no log line is lost or cut for lack of memory (the
     * message escapes to at most 6 bytes a byte: it always fits). */
    char line[sizeof msg * 6 + 128];
    buf b = { line, 0, sizeof line, sizeof line - 1 };
    line[0] = '\0';
    if (buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[lvl]) == 0 &&
        buf_json_str(&b, msg) == 0 && buf_puts(&b, "\"}") == 0)
        log_raw_line(b.p, b.len);
}
