/* health.c — the database probe behind GET /api/health. */
#include "store/store.h"

#include "db/db.h"

#include <stdio.h>

st_rc store_ping(char *why, unsigned long whylen)
{
    db *d = db_thread();
    if (!d) {
        snprintf(why, whylen, "cannot connect to the database");
        return ST_DB_ERROR;
    }
    db_stmt *st = db_prepare(d, "SELECT 1");
    db_rc rc = st ? db_step(st) : DB_ERR;
    if (st)
        db_reset(st);
    if (rc != DB_ROW) {
        snprintf(why, whylen, "query failed");
        return ST_DB_ERROR;
    }
    return ST_OK;
}
