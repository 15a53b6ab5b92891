/* probe.c — the one statement behind a polled GET; see probe.h. */
#include "store/probe.h"

#include "store/internal.h"

#include <stdio.h>
#include <string.h>

#define PROBE_USER \
    "SELECT u.id, u.name, u.email, u.avatar, u.auto_store, u.retention_period, u.is_active," \
    " u.date_joined, EXISTS (SELECT 1 FROM tokens k WHERE k.jti IN ($2, $3)" \
    " AND k.revoked_at IS NOT NULL)," \
    " u.stamp_profile, u.stamp_settings, u.stamp_integrations, u.stamp_invitations," \
    " u.stamp_workspaces"
#define PROBE_WS \
    ", w.id, w.owner_id, t.role, w.stamp_meta, w.stamp_team, w.stamp_convs, w.stamp_mems," \
    " w.stamp_acts"
#define PROBE_MEMBER " LEFT JOIN team_members t ON t.workspace_id = w.id AND t.user_id = u.id"
#define PROBE_VISIBLE \
    ", (SELECT COALESCE(SUM(v.stamp_meta + v.stamp_team + v.stamp_convs + v.stamp_mems), 0)" \
    " FROM workspaces v WHERE v.owner_id = u.id OR v.id IN" \
    " (SELECT me.workspace_id FROM team_members me WHERE me.user_id = u.id))"
#define PROBE_END " WHERE u.id = $1"

static const char *probe_sql(stamp_scope scope, bool visible)
{
    switch (scope) {
    case SS_WORKSPACE:
        return PROBE_USER PROBE_WS " FROM users u LEFT JOIN workspaces w ON w.id = $4"
               PROBE_MEMBER PROBE_END;
    case SS_CONVERSATION:
        return PROBE_USER PROBE_WS " FROM users u LEFT JOIN conversations c ON c.id = $4"
               " LEFT JOIN workspaces w ON w.id = c.workspace_id" PROBE_MEMBER PROBE_END;
    case SS_MEMORY:
        return PROBE_USER PROBE_WS " FROM users u LEFT JOIN memories m ON m.id = $4"
               " LEFT JOIN workspaces w ON w.id = m.workspace_id" PROBE_MEMBER PROBE_END;
    case SS_NONE:
        break;
    }
    return visible ? PROBE_USER PROBE_VISIBLE " FROM users u" PROBE_END
                   : PROBE_USER " FROM users u" PROBE_END;
}

#define PROBE_WS_COL 14         /* first column of PROBE_WS */

static void read_scope(db_stmt *st, stamp_probe *out)
{
    const char *wid = db_col_text(st, PROBE_WS_COL);
    out->found = wid != NULL;
    if (!out->found)
        return;
    snprintf(out->wid, sizeof out->wid, "%s", wid);
    const char *owner = db_col_text(st, PROBE_WS_COL + 1);
    out->role = owner && strcmp(owner, out->user.id) == 0
        ? ROLE_OWNER : ws_role_parse(db_col_text(st, PROBE_WS_COL + 2));
    for (int i = 0; i < WS_KINDS; i++)
        out->ws_stamps[i] = db_col_int(st, PROBE_WS_COL + 3 + i);
}

st_rc stamp_probe_read(const char *uid, const char *jti, const char *sid, stamp_scope scope,
                       const char *param, bool visible, stamp_probe *out)
{
    memset(out, 0, sizeof *out);
    /* an ended login session is a revoked row under its id (two primary-key
     * probes); tokens from before sessions have none */
    const char *session = sid && *sid ? sid : jti;
    db_stmt *st = scope == SS_NONE
        ? st_prep(db_thread(), probe_sql(scope, visible), ST_T(uid), ST_T(jti), ST_T(session))
        : st_prep(db_thread(), probe_sql(scope, visible), ST_T(uid), ST_T(jti), ST_T(session),
                  ST_T(param));
    if (!st)
        return ST_DB_ERROR;
    db_rc rc = db_step(st);
    st_rc res = rc == DB_ROW ? st_read_user(st, &out->user)
              : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
    if (res == ST_OK) {
        out->revoked = db_col_int(st, 8) != 0;
        for (int i = 0; i < U_KINDS; i++)
            out->user_stamps[i] = db_col_int(st, 9 + i);
        if (scope != SS_NONE)
            read_scope(st, out);
        else if (visible)
            out->visible_sum = db_col_int(st, PROBE_WS_COL);
    }
    db_reset(st);
    return res;
}
