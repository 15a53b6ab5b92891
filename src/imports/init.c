/* init.c — libxml2 initialisation behind pthread_once; see init.h. */
#include "imports/init.h"

#include <libxml/parser.h>
#include <pthread.h>

static pthread_once_t imp_once = PTHREAD_ONCE_INIT;

static void imp_init_once(void)
{
    xmlInitParser();
}

void imp_init(void)
{
    pthread_once(&imp_once, imp_init_once);
}
