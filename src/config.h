/* config.h — every setting, read from the environment and validated once at
 * start-up (config_load). Read-only afterwards; the one global is `cfg`. */
#ifndef CHIMERA_CONFIG_H
#define CHIMERA_CONFIG_H

#include "util/cidr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct config {
    bool debug;                   /* DEBUG (default true: development mode) */
    char *data_dir;               /* CHIMERA_DATA_DIR (./data) */
    char *database_url;           /* DATABASE_URL (sqlite:///<data_dir>/chimera.db) */
    char *listen;                 /* CHIMERA_LISTEN (127.0.0.1) */
    int port;                     /* CHIMERA_PORT (8000) */
    int threads;                  /* CHIMERA_THREADS (worker threads) */
    char *secret_key;             /* SECRET_KEY */
    char *jwt_secret;             /* JWT_SECRET_KEY (falls back to SECRET_KEY) */
    char *encryption_key;         /* ENCRYPTION_KEY (a Fernet key) */
    char *frontend_url;           /* FRONTEND_URL */
    char **cors_origins;          /* CORS_ALLOWED_ORIGINS, comma-separated, NULL-terminated */
    char **allowed_hosts;         /* ALLOWED_HOSTS, comma-separated; "*" = any */
    int64_t access_ttl_s;         /* JWT_EXPIRATION_HOURS (24) */
    int64_t refresh_ttl_s;        /* CHIMERA_REFRESH_DAYS (7) */
    size_t max_body;              /* CHIMERA_MAX_BODY bytes (1 MiB) */
    int max_json_depth;           /* CHIMERA_MAX_JSON_DEPTH (32) */
    unsigned conn_timeout_s;      /* CHIMERA_CONN_TIMEOUT seconds (30) */
    int max_connections;          /* CHIMERA_MAX_CONNECTIONS (1024) */
    int header_timeout_s;         /* CHIMERA_HEADER_TIMEOUT seconds for a request's headers (10) */
    cidr_list trusted_proxies;    /* CHIMERA_TRUSTED_PROXIES: peers whose X-Forwarded-For is believed */
    size_t conn_memory;           /* CHIMERA_CONN_MEMORY bytes per connection, bounds headers (32 KiB) */
    unsigned long long pwhash_ops;/* CHIMERA_ARGON2_OPSLIMIT (libsodium interactive: 2) */
    size_t pwhash_mem;            /* CHIMERA_ARGON2_MEMLIMIT bytes (interactive: 64 MiB) */
    int login_fail_limit;         /* CHIMERA_LOGIN_FAIL_LIMIT (10) */
    int login_fail_window_s;      /* CHIMERA_LOGIN_FAIL_WINDOW seconds (900) */
    int register_limit;           /* CHIMERA_REGISTER_LIMIT (20) */
    int register_window_s;        /* CHIMERA_REGISTER_WINDOW seconds (3600) */
    int user_rate_limit;          /* CHIMERA_USER_RATE_LIMIT requests per minute (1200) */
    bool echo_model;              /* CHIMERA_ECHO_MODEL: list the echo model in production */
    char *provider_base[5];       /* CHIMERA_{OPENAI,ANTHROPIC,GOOGLE,DEEPSEEK,GROQ}_BASE_URL */
    size_t outbound_max_body;     /* CHIMERA_OUTBOUND_MAX_BODY bytes (5 MiB) */
    char *embedder;               /* CHIMERA_EMBEDDER: hash (default) | remote | minilm */
    char *embed_url;              /* CHIMERA_EMBED_URL: base of an OpenAI-compatible API (remote) */
    char *embed_model;            /* CHIMERA_EMBED_MODEL (remote: text-embedding-3-small) */
    char *embed_key;              /* CHIMERA_EMBED_API_KEY (remote; optional for local servers) */
    char *embed_model_dir;        /* CHIMERA_EMBED_MODEL_DIR (minilm: the model folder) */
    size_t embed_dims;            /* CHIMERA_EMBED_DIMENSIONS (remote: 0 = the model's known length) */
    int embed_batch;              /* CHIMERA_EMBED_BATCH texts per request (remote: 64) */
    int embed_timeout_s;          /* CHIMERA_EMBED_TIMEOUT seconds per request (remote: 30) */
    size_t body_cache;            /* CHIMERA_BODY_CACHE bytes of answers kept by ETag (64 MiB) */
    size_t index_memory;          /* CHIMERA_INDEX_MEMORY bytes of cached vector indexes (1 GiB) */
    size_t keyword_index_memory;  /* CHIMERA_KEYWORD_INDEX_MEMORY bytes of cached keyword indexes (512 MiB) */
    bool import_allow_private;    /* CHIMERA_IMPORT_ALLOW_PRIVATE: import-url may fetch private addresses */
    char **import_allow_addrs;    /* CHIMERA_IMPORT_ALLOW_ADDRS: these addresses only (e.g. an intranet wiki) */
    size_t import_max_body;       /* CHIMERA_IMPORT_MAX_BODY bytes fetched by import-url (5 MiB) */
    int import_timeout_s;         /* CHIMERA_IMPORT_TIMEOUT seconds for import-url (15) */
    long stream_keepalive_ms;     /* CHIMERA_STREAM_KEEPALIVE_MS: SSE comment after this
                                     much silence in a streamed reply (15000) */
    char *static_dir;             /* CHIMERA_STATIC_DIR: the built frontend served at / (off when unset) */
    bool log_requests;            /* CHIMERA_LOG_REQUESTS (1) */
    bool log_debug;               /* CHIMERA_LOG_DEBUG (0): adds SQL counts to request lines */
    char *metrics_token;          /* CHIMERA_METRICS_TOKEN: GET /api/metrics from non-loopback */
} config;

extern config cfg;

/* Reads the environment into cfg. With secrets, also the keys: in
 * development mode missing ones are generated once and kept in
 * <data_dir>/secrets.env. Returns 0, or -1 after printing why to stderr
 * (production mode without SECRET_KEY, bad numbers). */
int config_load(bool secrets);

/* True if origin may receive CORS headers. */
bool config_origin_allowed(const char *origin);

void config_free(void);

#endif
