/* log.c — JSON-lines logging to stderr; see log.h. */
#include "util/log.h"

#include "util/buf.h"
#include "util/isotime.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static const char *const level_names[] = { "debug", "info", "warn", "error" };

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
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    time_iso_z(time_now_us(), ts);
    buf b = BUF_INIT(0);
    buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[lvl]);
    buf_json_str(&b, msg);
    buf_puts(&b, "\"}");
    if (b.p)
        log_raw_line(b.p, b.len);
    buf_free(&b);
}
