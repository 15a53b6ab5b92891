/* oom.h — telling "out of memory" from "bad input" where a library does
 * not. jansson reports an allocation that failed while parsing as a parse
 * error (and libjwt, parsing with jansson, as an invalid token); answering
 * those with 400 or 401 would blame the client — a 401 logs the user out.
 * oom_watch_json() gives jansson an allocator that counts its failures per
 * thread; a caller compares oom_failures() before and after a parse. */
#ifndef CHIMERA_UTIL_OOM_H
#define CHIMERA_UTIL_OOM_H

#include <jansson.h>

/* Installs the counting allocator; first thing in main(), before any JSON
 * value exists. */
void oom_watch_json(void);

/* Allocations jansson could not get on this thread so far. */
unsigned long oom_failures(void);

/* json_dumps(), NULL unless every allocation it made succeeded: jansson
 * 2.14 drops the error of an object key it could not write and returns the
 * text without it (`{"ok":true,":…`). Every text the server stores or sends
 * is made by this. */
char *json_dumps_whole(const json_t *v, size_t flags);

/* json_loadb(). jansson 2.14's lexer does not survive a failed allocation
 * (it ignores a failed save and later pops the byte it never saved,
 * writing far out of its buffer), so the test build injects no fault into
 * it: see util/fault.h. Every parse the server makes goes through here. */
json_t *json_parse(const char *text, size_t len, size_t flags, json_error_t *err);

#endif
