/* main.c — chimerad serve | migrate | backup | embed | openapi | version | gen-keys. */
#include "api/limits.h"
#include "api/openapi/document.h"
#include "auth/fernet.h"
#include "auth/password.h"
#include "auth/token.h"
#include "config.h"
#include "db/db.h"
#include "db/migrate.h"
#include "embed/embedder.h"
#include "embed/index.h"
#include "embed/select.h"
#include "api/services/embedding.h"
#include "api/services/secrets.h"
#include "net/outbound.h"
#include "llm/provider.h"
#include "http/server.h"
#include "http/static.h"
#include "imports/init.h"
#include "util/fault.h"
#include "util/ids.h"
#include "util/log.h"
#include "util/oom.h"

#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CHIMERA_VERSION
#define CHIMERA_VERSION "0.0.0"
#endif

static const char USAGE[] =
    "usage: chimerad <command> [--help]\n"
    "\n"
    "commands:\n"
    "  serve      migrate the database, then serve the API (default port 8000)\n"
    "  migrate    apply pending database migrations and exit\n"
    "  backup     copy the SQLite database to a file while the server runs\n"
    "  embed      print the vector of a text with the configured embedder\n"
    "  openapi    print the OpenAPI document of the API\n"
    "  version    print the version\n"
    "  gen-keys   print fresh SECRET_KEY, JWT_SECRET_KEY and ENCRYPTION_KEY lines\n"
    "\n"
    "Settings come from the environment; see README.md (DATABASE_URL, DEBUG,\n"
    "SECRET_KEY, ENCRYPTION_KEY, CHIMERA_PORT, …).\n";

static const char *const HELP[][2] = {
    { "serve", "usage: chimerad serve\n\n"
               "Applies pending migrations, then serves the REST API on\n"
               "CHIMERA_LISTEN:CHIMERA_PORT (127.0.0.1:8000) until SIGINT or SIGTERM.\n"
               "DATABASE_URL picks the engine: sqlite:///path (default\n"
               "sqlite://./data/chimera.db) or postgres://user@host:port/db.\n" },
    { "migrate", "usage: chimerad migrate\n\n"
                 "Applies pending migrations to DATABASE_URL and prints the schema\n"
                 "version. Running it again is a no-op.\n" },
    { "backup", "usage: chimerad backup FILE [--force]\n\n"
                "Copies the SQLite database of DATABASE_URL to FILE while the server\n"
                "runs and writes: a consistent single file (WAL mode, what a fresh\n"
                "server expects), checked with PRAGMA integrity_check before it is\n"
                "renamed into place; on failure FILE is left as it was. An existing\n"
                "FILE is refused unless --force. To restore: stop the server, replace\n"
                "the database file with the copy, delete the old file's -wal and -shm\n"
                "files, start the server. On PostgreSQL it explains how to use pg_dump.\n" },
    { "embed", "usage: chimerad embed TEXT [TEXT…]\n\n"
               "Embeds the texts in one batch with the embedder the settings select\n"
               "(CHIMERA_EMBEDDER, CHIMERA_EMBED_MODEL_DIR, …) and prints each vector\n"
               "as one JSON array line, to compare with other implementations.\n"
               "No database is opened.\n" },
    { "openapi", "usage: chimerad openapi\n\n"
                 "Prints the OpenAPI 3.1 document that GET /api/openapi.json serves\n"
                 "(make api-doc writes docs/API.md from it). No database is opened.\n" },
    { "version", "usage: chimerad version\n\nPrints the program version.\n" },
    { "gen-keys", "usage: chimerad gen-keys\n\n"
                  "Prints SECRET_KEY, JWT_SECRET_KEY and ENCRYPTION_KEY (a Fernet key)\n"
                  "lines for a production environment file.\n" },
};

#define SHUTDOWN_GRACE_S 65      /* the longest provider timeout, plus a little */

static int open_and_migrate(int verbose)
{
    if (db_configure(cfg.database_url) != 0) {
        fprintf(stderr, "chimerad: DATABASE_URL must be sqlite:///path or postgres://…\n");
        return -1;
    }
    db *d = db_thread();
    int applied = 0;
    if (!d || db_migrate(d, &applied) != 0) {
        fprintf(stderr, "chimerad: cannot migrate the database\n");
        return -1;
    }
    if (verbose)
        printf("schema version %d (%d migration%s applied)\n", db_schema_version(d), applied,
               applied == 1 ? "" : "s");
    db_thread_close();
    db_writer_close();
    return 0;
}

static int cmd_serve(void)
{
    sigset_t set;
    int sig = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Block before threads start so only sigwait below sees them. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (open_and_migrate(0) != 0)
        return 1;
    password_set_cost(cfg.pwhash_ops, cfg.pwhash_mem);
    imp_init();                 /* libxml2's globals, before the workers start */
    char why[256];
    embedder *emb = emb_from_config(why, sizeof why);
    if (!emb) {
        fprintf(stderr, "chimerad: cannot create the embedder: %s\n", why);
        return 1;
    }
    api_set_embedder(emb);
    if (static_init(cfg.static_dir, why, sizeof why) != 0) {
        fprintf(stderr, "chimerad: %s\n", why);
        emb_free(emb);
        return 1;
    }
    idx_set_budget(cfg.index_memory);
    for (int p = LLM_OPENAI; p <= LLM_GROQ; p++)
        llm_set_base_url((llm_provider)p, cfg.provider_base[p]);
    const char *failed = secrets_init(cfg.encryption_key) != 0 ? "the key store"
        : outbound_start(cfg.outbound_max_body) != 0 ? "outbound requests"
        : token_set_key(cfg.jwt_secret, strlen(cfg.jwt_secret)) != 0 ? "the token signer"
        : limits_start() != 0 ? "the request limits"
        : server_start() != 0 ? "the server" : NULL;
    if (failed) {
        fprintf(stderr, "chimerad: cannot start %s\n", failed);
        limits_stop();
        outbound_stop(0);
        emb_free(emb);
        static_free();
        return 1;
    }
    if (fault_fired())          /* the test build's driver reads it (tests/api/test_faults.py) */
        log_warn("start-up went on past the fault the test build injected");
    log_info("chimerad %s listening on %s:%d (%s, %s mode, %d threads)", CHIMERA_VERSION,
             cfg.listen, cfg.port, db_configured_engine() == DB_SQLITE ? "sqlite" : "postgres",
             cfg.debug ? "development" : "production", cfg.threads);
    sigwait(&set, &sig);
    log_info("signal %d: shutting down", sig);
    /* Stop accepting, let chats in flight finish (or time out), answer
     * them, then close: a stored message is never lost. */
    server_quiesce();
    outbound_stop(SHUTDOWN_GRACE_S);
    server_drain(SHUTDOWN_GRACE_S);
    server_stop();
    limits_stop();
    db_writer_close();
    idx_drop(NULL);
    api_set_embedder(NULL);
    emb_free(emb);
    static_free();
    return 0;
}

/* Prints one JSON array line per text (floats to 9 significant digits:
 * exact for float32). */
static int cmd_embed(int n, char **texts)
{
    char why[256];
    embedder *emb = NULL;
    float *out = NULL;
    int rc = 1;
    if (n < 1) {
        fputs("usage: chimerad embed TEXT [TEXT…]\n", stderr);
        return 2;
    }
    emb = emb_from_config(why, sizeof why);
    if (!emb) {
        fprintf(stderr, "chimerad: cannot create the embedder: %s\n", why);
        goto out;
    }
    out = calloc((size_t)n * emb->dim, sizeof *out);
    if (!out || emb->embed(emb, (const char *const *)texts, (size_t)n, out, why, sizeof why) != 0) {
        fprintf(stderr, "chimerad: embedding failed: %s\n", out ? why : "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        for (size_t d = 0; d < emb->dim; d++)
            printf("%s%.9g", d ? ", " : "[", (double)out[(size_t)i * emb->dim + d]);
        printf("]\n");
    }
    rc = fflush(stdout) != 0;
out:
    free(out);
    emb_free(emb);
    return rc;
}

static void on_backup_signal(int sig)
{
    (void)sig;
    db_backup_cancel();
}

static int cmd_backup(int argc, char **argv)
{
    const char *file = NULL;
    bool force = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0)
            force = true;
        else if (argv[i][0] == '-' || file)
            file = "";              /* an unknown option or a second FILE */
        else
            file = argv[i];
    }
    if (!file || !*file) {
        fputs("usage: chimerad backup FILE [--force]\n", stderr);
        return 2;
    }
    if (db_configure(cfg.database_url) != 0) {
        fprintf(stderr, "chimerad: DATABASE_URL must be sqlite:///path or postgres://…\n");
        return 1;
    }
    if (db_configured_engine() == DB_POSTGRES) {
        char *hint = db_pg_dump_hint(cfg.database_url, file);
        fprintf(stderr, "chimerad backup: %s", hint ? hint : "use pg_dump\n");
        free(hint);
        return 1;
    }
    char why[2 * PATH_MAX + 256];
    db_backup_stats st;
    signal(SIGINT, on_backup_signal);
    signal(SIGTERM, on_backup_signal);
    if (db_backup(file, force, &st, why, sizeof why) != 0) {
        fprintf(stderr, "chimerad backup: %s\n", why);
        return 1;
    }
    printf("%s: %d pages in %d step%s (%d restart%s), integrity_check ok\n", file, st.pages,
           st.steps, st.steps == 1 ? "" : "s", st.restarts, st.restarts == 1 ? "" : "s");
    return fflush(stdout) != 0;
}

static int cmd_openapi(void)
{
    json_t *doc = oas_document();
    int rc = !doc || json_dumpf(doc, stdout, JSON_INDENT(2)) != 0 || puts("") < 0;
    json_decref(doc);
    return rc;
}

static int cmd_gen_keys(void)
{
    char secret[65], jwt[65], fkey[45];
    id_hex(secret, 64);
    id_hex(jwt, 64);
    fernet_key_generate(fkey);
    printf("SECRET_KEY=%s\nJWT_SECRET_KEY=%s\nENCRYPTION_KEY=%s\n", secret, jwt, fkey);
    return 0;
}

/* Runs a command that reads the settings but needs no secrets. */
static int with_settings(int (*cmd)(int argc, char **argv), int argc, char **argv)
{
    if (config_load(false) != 0)
        return 1;
    int rc = cmd(argc, argv);
    config_free();
    return rc;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    oom_watch_json();
    fault_arm_env();
    const char *cmd = argc > 1 ? argv[1] : NULL;
    if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(USAGE, cmd ? stdout : stderr);
        return cmd ? 0 : 2;
    }
    for (size_t i = 0; i < sizeof HELP / sizeof HELP[0]; i++) {
        if (strcmp(cmd, HELP[i][0]) != 0)
            continue;
        if (wants_help(argc, argv)) {
            fputs(HELP[i][1], stdout);
            return 0;
        }
        if (sodium_init() < 0)
            return 1;
        if (strcmp(cmd, "version") == 0)
            return printf("chimerad %s\n", CHIMERA_VERSION) < 0;
        if (strcmp(cmd, "gen-keys") == 0)
            return cmd_gen_keys();
        if (strcmp(cmd, "openapi") == 0)
            return cmd_openapi();
        if (strcmp(cmd, "embed") == 0)
            return with_settings(cmd_embed, argc - 2, argv + 2);
        if (strcmp(cmd, "backup") == 0)
            return with_settings(cmd_backup, argc - 2, argv + 2);
        bool migrate_only = strcmp(cmd, "migrate") == 0;
        if (config_load(!migrate_only) != 0)
            return 1;
        int rc = migrate_only ? (open_and_migrate(1) != 0) : cmd_serve();
        config_free();
        return rc;
    }
    fprintf(stderr, "chimerad: unknown command \"%s\"\n\n%s", cmd, USAGE);
    return 2;
}
