/* init.h — one-time set-up of the libraries the import extractors use
 * (libxml2's parser globals). Safe to call from any thread, any number of
 * times; the extractors call it themselves, but calling it once from main()
 * before the worker threads start is cheapest. Nothing to free. */
#ifndef CHIMERA_IMPORTS_INIT_H
#define CHIMERA_IMPORTS_INIT_H

void imp_init(void);

#endif
