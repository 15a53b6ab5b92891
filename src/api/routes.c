/* routes.c — THE route table. The router dispatches from it, the OpenAPI
 * document is generated from it, and the authorization-matrix tests walk
 * it: a route that is not here does not exist. Order is precedence: list a
 * literal path before a parameterised twin (…/memories/search before
 * …/memories/{memId}).
 *
 * role: the least workspace role a route needs ("-" = not workspace-scoped,
 * "member", "researcher", "admin", "owner"). */
#include "api/api.h"
#include "api/handlers.h"

static const route routes[] = {
    /* method  pattern                        handler            flags         role request response */
    { "GET",  "/api/health",                  h_health,          ROUTE_PUBLIC, "-", "-",             "Health" },
    { "GET",  "/api/schema",                  h_schema,          ROUTE_PUBLIC, "-", "-",             "OpenAPI" },
    { "POST", "/api/auth/register",           h_register,        ROUTE_PUBLIC, "-", "Register",      "AuthResult" },
    { "POST", "/api/auth/login",              h_login,           ROUTE_PUBLIC, "-", "Login",         "AuthResult" },
    { "POST", "/api/auth/logout",             h_logout,          0,            "-", "Logout",        "Message" },
    { "POST", "/api/auth/refresh",            h_refresh,         ROUTE_PUBLIC, "-", "Refresh",       "TokenPair" },
    { "GET",  "/api/auth/profile",            h_profile,         0,            "-", "-",             "User" },
    { "PUT",  "/api/auth/profile/update",     h_profile_update,  0,            "-", "ProfileUpdate", "User" },
};

const route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
