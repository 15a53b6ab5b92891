/* conversations.h — conversations, their messages and injected memories
 * (API.md §3.6, §3.7, §3.9, §5.5). Rows own their strings. */
#ifndef CHIMERA_STORE_CONVERSATIONS_H
#define CHIMERA_STORE_CONVERSATIONS_H

#include "store/memories.h"
#include "store/workspaces.h"

#include <stdbool.h>

typedef struct message_row {
    char id[40];
    char conversation_id[40];
    char role[16];
    char *content;
    bool pinned;
    char *metadata;             /* JSON object text */
    int64_t timestamp;
} message_row;

typedef struct injection_row {
    char memory_id[40];
    bool active;
} injection_row;

typedef struct conv_row {
    char id[40];
    char workspace_id[40];
    char *title;
    char *model_id;
    char status[16];
    int64_t created_at, updated_at;
    int64_t message_count;
    message_row *messages;      /* filled by conv_get(full) */
    size_t nmessages;
    injection_row *injections;  /* filled by conv_get(full) and conv_list */
    size_t ninjections;
} conv_row;

/* A memory injected into the chat context (active links, injection order). */
typedef struct context_memory {
    char *title;
    char *content;
} context_memory;

void message_row_free(message_row *m);
void conv_row_free(conv_row *c);
void conv_rows_free(conv_row *rows, size_t n);

/* Light list items (message counts, injections), updatedAt desc. */
st_rc conv_list(const char *wid, page pg, conv_row **out, size_t *n, int64_t *total);

/* Creates an active conversation and the conversation_created activity. */
st_rc conv_create(const char *wid, const char *title, const char *model_id, conv_row *out);

/* With full, messages (oldest first) and injections are loaded too. */
st_rc conv_get(const char *cid, bool full, conv_row *out);

/* Applies title and/or status (NULL = keep), bumps updatedAt. */
st_rc conv_update(const char *cid, const char *title, const char *status, conv_row *out);

st_rc conv_delete(const char *cid);

/* Stores a message, bumps the conversation's updatedAt and writes the
 * message_sent activity, in one transaction. */
st_rc msg_add(const conv_row *c, const char *role, const char *content, const char *metadata,
              message_row *out);

/* The user's message and the reply to it in one write (the offline echo
 * model, whose reply needs no network); the reply is timestamped after it. */
st_rc msg_add_pair(const conv_row *c, const char *user_text, const char *reply_text,
                   const char *reply_meta, message_row *user, message_row *reply);

/* ST_NOT_FOUND when mid is not a message of cid. */
st_rc msg_get(const char *cid, const char *mid, message_row *out);
st_rc msg_set_pinned(const char *cid, const char *mid, bool pinned, message_row *out);
st_rc msg_delete(const char *cid, const char *mid);

/* The prompt material of D3: the active injected memories in injection
 * order, and up to max_history messages before before_us (oldest first,
 * excluding except_id). */
st_rc conv_context(const char *cid, int64_t before_us, const char *except_id,
                   size_t max_history, context_memory **mems, size_t *nmems,
                   message_row **history, size_t *nhistory);
void context_free(context_memory *mems, size_t nmems, message_row *history, size_t nhistory);

/* Injection links. inject is idempotent (an existing link keeps its state);
 * ST_NOT_FOUND from remove/toggle = not linked. */
st_rc inject_add(const char *cid, const char *memory_id);
st_rc inject_remove(const char *cid, const char *memory_id);
st_rc inject_toggle(const char *cid, const char *memory_id, bool *active);

/* Closing: status completed (updatedAt bumped) and, when summary is not
 * NULL, the summary memory created in the same transaction (no activity).
 * Reopen sets status active. */
st_rc conv_close(const char *cid, const memory_input *summary, memory_row *memory);

#endif
