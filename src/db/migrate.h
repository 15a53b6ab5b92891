/* migrate.h — versioned schema migrations embedded in the binary (one SQL
 * file per version for both engines, see src/db/migrations/ and
 * scripts/embed-migrations.sh), applied in order
 * inside one transaction each and recorded in schema_version. */
#ifndef CHIMERA_DB_MIGRATE_H
#define CHIMERA_DB_MIGRATE_H

#include "db/db.h"

typedef struct migration {
    int version;
    const char *name;
    db_engine engine;
    const char *sql;
} migration;

extern const migration migrations[];
extern const unsigned migrations_count;

/* Applies every pending migration of this engine. Safe to run twice and from
 * several processes at once. Sets *applied to how many ran. Returns 0 or -1. */
int db_migrate(db *d, int *applied);

/* Highest applied version, or -1 on error (0 on an empty database). */
int db_schema_version(db *d);

#endif
