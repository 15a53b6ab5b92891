/* select.h — the embedder the settings ask for (CHIMERA_EMBEDDER). */
#ifndef CHIMERA_EMBED_SELECT_H
#define CHIMERA_EMBED_SELECT_H

#include "embed/embedder.h"

/* Creates the embedder named by cfg.embedder ("hash", "remote", "minilm")
 * from the other CHIMERA_EMBED_* settings. NULL with the reason in err when
 * the name is unknown or its settings are missing or wrong. */
embedder *emb_from_config(char *err, size_t errsz);

#endif
