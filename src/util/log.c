/* log.c — JSON-lines logging to stderr; see log.h. */
#include "util/log.h"

#include "util/buf.h"
#include "util/isotime.h"

#include <stdarg.h>
#include <stdio.h>
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
    /* One write of "json\n": stderr lines from many threads stay whole. */
    char stackbuf[2048];
    if (len + 1 <= sizeof stackbuf) {
        for (size_t i = 0; i < len; i++)
            stackbuf[i] = json[i];
        stackbuf[len] = '\n';
        ssize_t rc = write(STDERR_FILENO, stackbuf, len + 1);
        (void)rc;
        return;
    }
    buf b = BUF_INIT(0);
    if (buf_append(&b, json, len) == 0 && buf_putc(&b, '\n') == 0) {
        ssize_t rc = write(STDERR_FILENO, b.p, b.len);
        (void)rc;
    }
    buf_free(&b);
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
    buf b = BUF_INIT(0);
    buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[lvl]);
    buf_json_str(&b, msg);
    buf_puts(&b, "\"}");
    if (b.p)
        log_raw_line(b.p, b.len);
    buf_free(&b);
}
