/* static.h — the built frontend (CHIMERA_STATIC_DIR, the folder Vite
 * writes) served at / from the API's port. Paths under /api are never
 * served from here. Without the setting nothing changes: every path outside
 * the route table answers the JSON 404. */
#ifndef CHIMERA_HTTP_STATIC_H
#define CHIMERA_HTTP_STATIC_H

#include "http/request.h"

#include <stdbool.h>
#include <stddef.h>

struct MHD_Response;

#define STATIC_MAX_FILE (64L << 20)     /* larger files are refused (404, logged) */

/* Checks dir (a readable folder holding a regular index.html) and serves
 * it from now on; dir NULL or "" leaves static serving off. Returns 0, or
 * -1 with the reason in why. static_free() turns it off. */
int static_init(const char *dir, char *why, size_t whylen);
void static_free(void);

/* Called for a path no route matched. True if the request is the static
 * server's: a GET or HEAD is marked r->static_file (answered by
 * static_response), another method gets the 405 envelope. False when
 * static serving is off or the path is /api or under it. */
bool static_claim(http_req *r);

/* The answer to a claimed GET/HEAD, status in r->status; or NULL with a
 * JSON error left in r (404 for anything unsafe, hidden, a folder, a
 * symbolic link or a missing file under /assets/). */
struct MHD_Response *static_response(http_req *r);

/* Pure rules, exposed for the unit tests. */

/* A decoded request path that may name a file in the folder: starts with
 * '/', no empty segment, no segment starting with '.' (".", "..", hidden
 * files), no backslash or control byte, bounded length and depth. */
bool static_path_safe(const char *path);

/* A Vite-hashed asset, cacheable forever: under /assets/, and the name
 * before its first '.' ends in '-' and a hash (see static.c). */
bool static_is_hashed(const char *path);

/* Content-Type for a file name by extension (application/octet-stream when
 * unknown); *compressible says whether gzip is worth it. */
const char *static_content_type(const char *name, bool *compressible);

#endif
