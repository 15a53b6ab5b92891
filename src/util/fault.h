/* fault.h — fault injection for the test build only (`make faults` compiles
 * everything with -DCHIMERA_FAULTS; the release build has none of it: every
 * call below is a constant or nothing, and fault.c compiles to an empty
 * object). A request carrying `X-Chimera-Fault: KIND:N` makes the Nth event
 * of KIND from then on fail, once; the answer says in
 * `X-Chimera-Fault-Fired: 0|1` whether it did. Kinds: db_step (a statement
 * step), db_commit (a transaction's COMMIT), xfer (an outbound HTTP
 * transfer, e.g. a chat provider call), alloc (a malloc, calloc, realloc or
 * strdup made by chimerad's own code — the test build links with
 * -Wl,--wrap for them — or by jansson, whose allocator is ours
 * (util/oom.c); other libraries' allocations are not counted), file_write
 * (a write of SQLite to its database, journal or WAL file answers
 * SQLITE_FULL, as a full disk does: db/sqlite_faults.c). One
 * process-wide setting: the driver (tests/api/test_faults.py) sends one
 * request at a time. Background threads that serve no request (timers,
 * reapers, flushers) exempt themselves, so that the Nth event is the same
 * one in every run. */
#ifndef CHIMERA_UTIL_FAULT_H
#define CHIMERA_UTIL_FAULT_H

#include <stdbool.h>

typedef enum fault_kind {
    FAULT_DB_STEP, FAULT_DB_COMMIT, FAULT_XFER, FAULT_ALLOC, FAULT_FILE_WRITE, FAULT_KINDS
} fault_kind;

#ifdef CHIMERA_FAULTS
/* Arms the fault a request header names ("db_step:3"; NULL, "none:0" or
 * garbage disarms). Returns the arming's number for fault_disarm(). */
unsigned long fault_arm(const char *spec);
/* Arms from CHIMERA_FAULT (same syntax): how the driver fails a
 * subcommand (`chimerad backup`), which reads no request header. */
void fault_arm_env(void);
/* Disarms, unless another fault_arm() came after the one numbered armed. */
void fault_disarm(unsigned long armed);
/* True when this event of kind is the one to fail. */
bool fault_fail(fault_kind kind);
/* Whether the armed fault has fired since fault_arm(). */
bool fault_fired(void);
/* Between fault_pause() and fault_resume() the calling thread's events do
 * not count: around library code that is known not to survive a failed
 * allocation (it would crash the test build for the library's defect). */
void fault_pause(void);
void fault_resume(void);
/* The calling thread's events never count (called first thing by
 * background threads). */
void fault_exempt_thread(void);
#else
#define fault_fail(kind) false
#define fault_fired() false
#define fault_exempt_thread() ((void)0)
#define fault_arm_env() ((void)0)
#define fault_pause() ((void)0)
#define fault_resume() ((void)0)
#endif

#endif
