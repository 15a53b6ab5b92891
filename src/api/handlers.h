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

/* api/workspaces.c */
void h_workspaces_list(http_req *r);
void h_workspaces_create(http_req *r);
void h_workspace_get(http_req *r);
void h_workspace_update(http_req *r);
void h_workspace_delete(http_req *r);
void h_workspace_stats(http_req *r);
void h_workspace_dashboard(http_req *r);
void h_workspace_activity(http_req *r);
void h_workspace_neural_load(http_req *r);
void h_workspace_record_load(http_req *r);

/* api/team.c */
void h_team_list(http_req *r);
void h_team_invite(http_req *r);
void h_team_role(http_req *r);
void h_team_status(http_req *r);
void h_team_remove(http_req *r);

/* api/invitations.c */
void h_invitations_list(http_req *r);
void h_invitation_accept(http_req *r);
void h_invitation_decline(http_req *r);

/* api/memories.c, api/search.c */
void h_memories_list(http_req *r);
void h_memories_create(http_req *r);
void h_memories_import_url(http_req *r);       /* imports.c */
void h_memories_import_file(http_req *r);
void h_memory_get(http_req *r);
void h_memory_update(http_req *r);
void h_memory_delete(http_req *r);
void h_memory_reembed(http_req *r);
void h_memories_search(http_req *r);

/* api/conversations.c, api/close.c, api/messages.c */
void h_conversations_list(http_req *r);
void h_conversations_create(http_req *r);
void h_conversation_get(http_req *r);
void h_conversation_update(http_req *r);
void h_conversation_delete(http_req *r);
void h_conversation_inject(http_req *r);
void h_conversation_uninject(http_req *r);
void h_conversation_toggle(http_req *r);
void h_conversation_close(http_req *r);
void h_conversation_reopen(http_req *r);
void h_message_send(http_req *r);
void h_message_update(http_req *r);
void h_message_delete(http_req *r);

/* api/integrations.c, api/models.c */
void h_integrations_list(http_req *r);
void h_integrations_create(http_req *r);
void h_integration_get(http_req *r);
void h_integration_update(http_req *r);
void h_integration_delete(http_req *r);
void h_integration_test(http_req *r);
void h_models_available(http_req *r);
void h_chat_legacy(http_req *r);

/* api/mcp.c (legacy and MCP, D8) */
void h_models_legacy(http_req *r);
void h_mcp_remember(http_req *r);
void h_mcp_batch_remember(http_req *r);
void h_mcp_search(http_req *r);
void h_mcp_inject(http_req *r);
void h_mcp_list_memories(http_req *r);
void h_mcp_index_status(http_req *r);
void h_mcp_index_rebuild(http_req *r);

/* api/settings.c */
void h_settings_get(http_req *r);
void h_settings_profile(http_req *r);
void h_settings_retention(http_req *r);
void h_settings_cleanup_info(http_req *r);
void h_settings_cleanup(http_req *r);
void h_account_delete(http_req *r);

/* api/export.c */
void h_export(http_req *r);

/* api/health.c */
void h_health(http_req *r);

/* api/schema.c */
void h_schema(http_req *r);

/* api/metrics.c */
void h_metrics(http_req *r);

#endif
