/* conditional.c — see conditional.h. */
#include "api/conditional.h"

#include "api/access.h"
#include "api/api.h"
#include "api/handlers.h"
#include "http/bodycache.h"
#include "http/response.h"
#include "store/probe.h"

#include <string.h>

/* The GETs the frontend polls (API.md §1.12), and the rest of the per-user
 * and per-workspace reads whose answer is a function of stored data only.
 * Answers that move with the clock (stats, dashboard, neural load,
 * cleanup info) or with the server's configuration (models) are not here:
 * their ETag is their body's. */
static const etag_rule RULES[] = {
    { h_profile, 0, U_PROFILE, false },
    { h_settings_get, 0, U_PROFILE | U_SETTINGS, false },
    { h_workspaces_list, 0, U_WORKSPACES, true },
    { h_workspace_get, WS_META | WS_TEAM | WS_CONVS | WS_MEMS, 0, false },
    { h_workspace_activity, WS_ACTS, 0, false },
    { h_team_list, WS_TEAM, 0, false },
    { h_conversations_list, WS_CONVS, 0, false },
    { h_conversation_get, WS_CONVS, 0, false },
    { h_memories_list, WS_MEMS, 0, false },
    { h_memory_get, WS_MEMS, 0, false },
    { h_invitations_list, 0, U_INVITATIONS, false },
    { h_integrations_list, 0, U_INTEGRATIONS, false },
    { h_integration_get, 0, U_INTEGRATIONS, false },
};

const etag_rule *etag_rules(size_t *n)
{
    *n = sizeof RULES / sizeof RULES[0];
    return RULES;
}

const etag_rule *etag_rule_of(const route *rt)
{
    if (strcmp(rt->method, "GET") != 0)
        return NULL;
    for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++)
        if (RULES[i].handler == rt->handler)
            return &RULES[i];
    return NULL;
}

/* The 404 / 403 that api_resolve_scope would give, from the probe. */
static int scope_allowed(http_req *r, const stamp_probe *p)
{
    if (r->route->scope == RS_NONE)
        return 0;
    if (!p->found) {
        resp_error(r, 404, r->route->scope == RS_CONVERSATION ? MSG_CONV_NOT_FOUND
                         : r->route->scope == RS_MEMORY ? MSG_MEM_NOT_FOUND
                         : MSG_WS_NOT_FOUND);
        return -1;
    }
    if (p->role == ROLE_NONE) {
        resp_error(r, 403, MSG_ACCESS_DENIED);
        return -1;
    }
    return 0;
}

static void add_query_arg(void *cls, const char *key, const char *value)
{
    etag_add_str(cls, key);
    etag_add_str(cls, value);
}

/* Who asks, what, and the stamps of what the answer shows. The version
 * keeps a new build's answers from matching an old build's tags. */
static void compute_etag(http_req *r, const etag_rule *rule, const stamp_probe *p)
{
    etag_hash h;
    etag_begin(&h);
    etag_add_str(&h, CHIMERA_VERSION);
    etag_add_str(&h, r->user->user.id);
    etag_add_str(&h, r->route->pattern);
    for (int i = 0; i < r->nparams; i++)
        etag_add_str(&h, r->params[i]);
    req_each_query(r, add_query_arg, &h);
    for (int i = 0; i < WS_KINDS; i++)
        if (rule->ws & (1u << i))
            etag_add_int(&h, p->ws_stamps[i]);
    for (int i = 0; i < U_KINDS; i++)
        if (rule->user & (1u << i))
            etag_add_int(&h, p->user_stamps[i]);
    if (rule->visible)
        etag_add_int(&h, p->visible_sum);
    etag_end(&h, r->etag);
}

int etag_check(http_req *r, const etag_rule *rule)
{
    if (api_verify_token(r) != 0)
        return -1;
    stamp_probe p;
    st_rc rc = api_probe(r, rule->visible, &p);
    if (api_accept_user(r, rc, p.revoked) != 0 || api_user_ceiling(r) != 0 ||
        scope_allowed(r, &p) != 0)
        return -1;
    compute_etag(r, rule, &p);
    r->etag_stamped = true;
    if (etag_matches(req_header(r, "If-None-Match"), r->etag)) {
        r->status = 304;
        r->not_modified = true;
        r->responded = true;
        return -1;
    }
    /* the same answer built before, here, under the same stamps */
    if ((r->cached = bc_lookup(r->etag)) != NULL) {
        r->status = 200;
        r->responded = true;
        return -1;
    }
    return 0;
}
