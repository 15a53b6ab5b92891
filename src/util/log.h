/* log.h — one JSON object per line on stderr, written with a single write()
 * so lines from different threads never interleave. Secrets never go here. */
#ifndef CHIMERA_UTIL_LOG_H
#define CHIMERA_UTIL_LOG_H

#include <stddef.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_msg(log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes a preformatted JSON object (without newline) as one line. */
void log_raw_line(const char *json, size_t len);

#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
