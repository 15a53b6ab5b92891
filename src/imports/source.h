/* source.h — §8.2 step 4: which kind of site an imported URL points at,
 * from substring tests on its host. Returns a static string. */
#ifndef CHIMERA_IMPORTS_SOURCE_H
#define CHIMERA_IMPORTS_SOURCE_H

/* "chatgpt", "notion", "google_docs", "github" or "webpage". The host is
 * the URL's authority without userinfo and port, lower-cased; NULL or a URL
 * without "://" gives "webpage". */
const char *imp_source_type(const char *url);

#endif
