/* fault.h — fault injection for the test build only (`make faults` compiles
 * everything with -DCHIMERA_FAULTS; the release build has none of it: every
 * call below is a constant or nothing, and fault.c compiles to an empty
 * object). A request carrying `X-Chimera-Fault: KIND:N` makes the Nth event
 * of KIND from then on fail, once; the answer says in
 * `X-Chimera-Fault-Fired: 0|1` whether it did. Kinds: db_step (a statement
 * step), db_commit (a transaction's COMMIT), xfer (an outbound HTTP
 * transfer, e.g. a chat provider call), alloc (a malloc, calloc, realloc or
 * strdup made by chimerad's own code: the test build links with
 * -Wl,--wrap for them; libraries' own allocations are not counted). One
 * process-wide setting: the driver
 * (tests/api/test_faults.py) sends one request at a time. */
#ifndef CHIMERA_UTIL_FAULT_H
#define CHIMERA_UTIL_FAULT_H

#include <stdbool.h>

typedef enum fault_kind {
    FAULT_DB_STEP, FAULT_DB_COMMIT, FAULT_XFER, FAULT_ALLOC, FAULT_KINDS
} fault_kind;

#ifdef CHIMERA_FAULTS
/* Arms the fault a request header names ("db_step:3"; "none:0" or garbage
 * disarms). */
void fault_arm(const char *spec);
/* True when this event of kind is the one to fail. */
bool fault_fail(fault_kind kind);
/* Whether the armed fault has fired since fault_arm(). */
bool fault_fired(void);
#else
#define fault_fail(kind) false
#endif

#endif
