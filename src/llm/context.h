/* context.h — the system text of a chat (API.md §6.3 with D3): the fixed
 * preamble, then every active injected memory in injection order, each
 * cut at 4,000 characters. Pure function. */
#ifndef CHIMERA_LLM_CONTEXT_H
#define CHIMERA_LLM_CONTEXT_H

#include <stddef.h>

#define LLM_SYSTEM_PREAMBLE "You are a helpful AI assistant in the Chimera Protocol system."
#define LLM_MEMORY_CHARS 4000
#define LLM_HISTORY_MESSAGES 10

typedef struct llm_memory {
    const char *title;
    const char *content;
} llm_memory;

/* Returns the system text (caller frees), NULL when out of memory. */
char *llm_system_text(const llm_memory *mems, size_t n);

#endif
