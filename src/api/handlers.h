/* handlers.h — every route handler, grouped by resource file. */
#ifndef CHIMERA_API_HANDLERS_H
#define CHIMERA_API_HANDLERS_H

#include "http/request.h"

/* api/auth.c */
void h_register(http_req *r);
void h_login(http_req *r);
void h_logout(http_req *r);
void h_refresh(http_req *r);
void h_profile(http_req *r);
void h_profile_update(http_req *r);

/* api/health.c */
void h_health(http_req *r);

/* api/schema.c */
void h_schema(http_req *r);

#endif
