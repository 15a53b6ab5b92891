/* routes.c — THE route table. The router dispatches from it, the OpenAPI
 * document is generated from it, and the authorization-matrix tests walk
 * it: a route that is not here does not exist. Order is precedence: list a
 * literal path before a parameterised twin (…/memories/search before
 * …/memories/{memId}).
 *
 * role: who may call a workspace-scoped route (the authorization-matrix
 * tests read it from GET /api/schema as x-min-role):
 *   "-"      not workspace-scoped (per-user or public)
 *   "member" any member, observers included (reads)
 *   "writer" members except observers (D6: observers are read-only)
 *   "admin"  the owner or an admin
 *   "owner"  the owner only
 *   "self"   any member, on their own row only (team status); team removal
 *            is "admin" for others and allowed to any member for themself. */
#include "api/api.h"
#include "api/handlers.h"

static const route routes[] = {
    /* method  pattern                        handler            flags         role request response */
    { "GET",  "/api/health",                  h_health,          ROUTE_PUBLIC, "-", "-",             "Health" },
    { "GET",  "/api/schema",                  h_schema,          ROUTE_PUBLIC, "-", "-",             "OpenAPI" },
    { "GET",  "/api/metrics",                 h_metrics,         ROUTE_PUBLIC, "-", "-",             "Metrics" },
    { "POST", "/api/auth/register",           h_register,        ROUTE_PUBLIC, "-", "Register",      "AuthResult" },
    { "POST", "/api/auth/login",              h_login,           ROUTE_PUBLIC, "-", "Login",         "AuthResult" },
    { "POST", "/api/auth/logout",             h_logout,          0,            "-", "Logout",        "Message" },
    { "POST", "/api/auth/refresh",            h_refresh,         ROUTE_PUBLIC, "-", "Refresh",       "TokenPair" },
    { "GET",  "/api/auth/profile",            h_profile,         0,            "-", "-",             "User" },
    { "PUT",  "/api/auth/profile/update",     h_profile_update,  0,            "-", "ProfileUpdate", "User" },

    { "GET",    "/api/workspaces",                          h_workspaces_list,       0, "-",      "-",               "WorkspaceList" },
    { "POST",   "/api/workspaces",                          h_workspaces_create,     0, "-",      "WorkspaceCreate", "Workspace" },
    { "GET",    "/api/workspaces/{wid}",                    h_workspace_get,         0, "member", "-",               "Workspace" },
    { "PUT",    "/api/workspaces/{wid}",                    h_workspace_update,      0, "admin",  "WorkspaceUpdate", "Workspace" },
    { "DELETE", "/api/workspaces/{wid}",                    h_workspace_delete,      0, "owner",  "-",               "Message" },
    { "GET",    "/api/workspaces/{wid}/stats",              h_workspace_stats,       0, "member", "-",               "WorkspaceStats" },
    { "GET",    "/api/workspaces/{wid}/dashboard",          h_workspace_dashboard,   0, "member", "-",               "Dashboard" },
    { "GET",    "/api/workspaces/{wid}/activity",           h_workspace_activity,    0, "member", "-",               "ActivityList" },
    { "GET",    "/api/workspaces/{wid}/neural-load",        h_workspace_neural_load, 0, "member", "-",               "NeuralLoad" },
    { "POST",   "/api/workspaces/{wid}/record-load",        h_workspace_record_load, 0, "member", "-",               "RecordLoad" },

    { "GET",    "/api/workspaces/{wid}/team",               h_team_list,             0, "member", "-",               "TeamList" },
    { "POST",   "/api/workspaces/{wid}/team/invite",        h_team_invite,           0, "writer", "Invite",          "InviteResult" },
    { "PUT",    "/api/workspaces/{wid}/team/{userId}/role", h_team_role,             0, "admin",  "RoleUpdate",      "TeamMember" },
    { "PUT",    "/api/workspaces/{wid}/team/{userId}/status", h_team_status,         0, "self",   "StatusUpdate",    "TeamMember" },
    { "DELETE", "/api/workspaces/{wid}/team/{userId}",      h_team_remove,           0, "admin",  "-",               "Message" },

    { "GET",    "/api/workspaces/{wid}/conversations",      h_conversations_list,    0, "member", "-",               "ConversationList" },
    { "POST",   "/api/workspaces/{wid}/conversations",      h_conversations_create,  0, "writer", "ConversationCreate", "Conversation" },
    { "GET",    "/api/conversations/{cid}",                 h_conversation_get,      0, "member", "-",               "Conversation" },
    { "PUT",    "/api/conversations/{cid}",                 h_conversation_update,   0, "writer", "ConversationUpdate", "Conversation" },
    { "DELETE", "/api/conversations/{cid}",                 h_conversation_delete,   0, "writer", "-",               "Message" },
    { "POST",   "/api/conversations/{cid}/messages",        h_message_send,          0, "writer", "MessageSend",     "SendResult" },
    { "PUT",    "/api/conversations/{cid}/messages/{mid}",  h_message_update,        0, "writer", "MessageUpdate",   "ChatMessage" },
    { "DELETE", "/api/conversations/{cid}/messages/{mid}",  h_message_delete,        0, "writer", "-",               "Message" },
    { "POST",   "/api/conversations/{cid}/inject-memory",   h_conversation_inject,   0, "writer", "Inject",          "Message" },
    { "DELETE", "/api/conversations/{cid}/inject-memory/{memId}", h_conversation_uninject, 0, "writer", "-",         "Message" },
    { "PUT",    "/api/conversations/{cid}/inject-memory/{memId}/toggle", h_conversation_toggle, 0, "writer", "-",    "InjectionToggle" },
    { "POST",   "/api/conversations/{cid}/close",           h_conversation_close,    0, "writer", "-",               "CloseResult" },
    { "POST",   "/api/conversations/{cid}/reopen",          h_conversation_reopen,   0, "writer", "-",               "ReopenResult" },

    { "GET",    "/api/workspaces/{wid}/memories",           h_memories_list,         0, "member", "-",               "MemoryList" },
    { "POST",   "/api/workspaces/{wid}/memories",           h_memories_create,       0, "writer", "MemoryCreate",    "Memory" },
    { "POST",   "/api/workspaces/{wid}/memories/import-url", h_memories_import_url, 0, "writer", "ImportUrl",       "UrlImport" },
    { "POST",   "/api/workspaces/{wid}/memories/import-file", h_memories_import_file, ROUTE_UPLOAD, "writer", "ImportFile (multipart)", "FileImport" },
    { "POST",   "/api/memories/search",                     h_memories_search,       0, "-",      "MemorySearch",    "SearchResults" },
    { "GET",    "/api/memories/{memId}",                    h_memory_get,            0, "member", "-",               "Memory" },
    { "PUT",    "/api/memories/{memId}",                    h_memory_update,         0, "writer", "MemoryUpdate",    "Memory" },
    { "DELETE", "/api/memories/{memId}",                    h_memory_delete,         0, "writer", "-",               "Message" },
    { "POST",   "/api/memories/{memId}/re-embed",           h_memory_reembed,        0, "writer", "-",               "Memory" },

    { "GET",    "/api/invitations",                         h_invitations_list,      0, "-",      "-",               "InvitationList" },
    { "POST",   "/api/invitations/{invId}/accept",          h_invitation_accept,     0, "-",      "-",               "InvitationAccepted" },
    { "POST",   "/api/invitations/{invId}/decline",         h_invitation_decline,    0, "-",      "-",               "Message" },

    { "GET",    "/api/integrations",                        h_integrations_list,     0, "-",      "-",               "IntegrationList" },
    { "POST",   "/api/integrations",                        h_integrations_create,   0, "-",      "IntegrationCreate", "Integration" },
    { "GET",    "/api/integrations/{intId}",                h_integration_get,       0, "-",      "-",               "Integration" },
    { "PUT",    "/api/integrations/{intId}",                h_integration_update,    0, "-",      "IntegrationUpdate", "Integration" },
    { "DELETE", "/api/integrations/{intId}",                h_integration_delete,    0, "-",      "-",               "Message" },
    { "POST",   "/api/integrations/{intId}/test",           h_integration_test,      0, "-",      "-",               "IntegrationTest" },
    { "GET",    "/api/models/available",                    h_models_available,      0, "-",      "-",               "ModelList" },
    { "GET",    "/api/models",                              h_models_legacy,         0, "-",      "-",               "ModelTable" },
    { "POST",   "/api/mcp/remember",                        h_mcp_remember,          0, "-",      "McpRemember",     "McpRemembered" },
    { "POST",   "/api/mcp/batch-remember",                  h_mcp_batch_remember,    0, "-",      "McpBatch",        "McpBatchResult" },
    { "POST",   "/api/mcp/search",                          h_mcp_search,            0, "-",      "McpSearch",       "SearchResults" },
    { "POST",   "/api/mcp/inject",                          h_mcp_inject,            0, "-",      "McpInject",       "McpContext" },
    { "GET",    "/api/mcp/listMemories",                    h_mcp_list_memories,     0, "-",      "-",               "McpMemoryList" },
    { "POST",   "/api/mcp/index/rebuild",                   h_mcp_index_rebuild,     0, "-",      "-",               "IndexStatus" },
    { "GET",    "/api/mcp/index/status",                    h_mcp_index_status,      0, "-",      "-",               "IndexStatus" },
    { "POST",   "/api/chat",                                h_chat_legacy,           0, "-",      "-",               "Gone" },

    { "GET",    "/api/settings",                            h_settings_get,          0, "-",      "-",               "Settings" },
    { "PUT",    "/api/settings/profile",                    h_settings_profile,      0, "-",      "ProfileUpdate",   "Settings" },
    { "PUT",    "/api/settings/memory-retention",           h_settings_retention,    0, "-",      "RetentionUpdate", "Settings" },
    { "GET",    "/api/settings/cleanup-info",               h_settings_cleanup_info, 0, "-",      "-",               "CleanupInfo" },
    { "POST",   "/api/settings/cleanup",                    h_settings_cleanup,      0, "-",      "-",               "CleanupResult" },
    { "GET",    "/api/export",                              h_export,                0, "-",      "-",               "ExportFile" },
    { "DELETE", "/api/account",                             h_account_delete,        0, "-",      "-",               "Message" },
};

const route *api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
