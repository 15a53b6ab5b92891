/* static.c — the built frontend served at / (see static.h).
 *
 * The traversal defence has two independent layers. First the decoded path
 * (libmicrohttpd has already turned %2e into '.', %2f into '/', %5c into
 * '\' and cut the path at a %00) must pass static_path_safe: no "." or ".."
 * segment, no hidden name, no empty segment (so "//etc/passwd" cannot
 * become an absolute path), no backslash or control byte. Then the file is
 * opened from the folder one segment at a time with openat(O_NOFOLLOW): a
 * symbolic link anywhere below the folder fails to open, so whatever a path
 * or the folder's contents say, no open can leave the folder. The folder
 * itself is opened by its configured path on every request, so a deploy
 * that swaps a symlinked release folder takes effect at once.
 *
 * Representations: a "<file>.gz" twin when the client accepts gzip, else
 * gzip on the fly for compressible types from GZIP_MIN_SIZE up to
 * STATIC_GZIP_MAX, else the file itself through MHD_create_response_from_fd
 * (sendfile). Each has its own strong ETag (size, mtime, inode, and "-gz"
 * for compressed ones). Responses own what they hold; nothing outlives
 * the request here. */
#include "http/static.h"

#include "http/cors.h"
#include "http/etag.h"
#include "http/gzip.h"
#include "http/response.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MAX_PATH 1024
#define STATIC_MAX_DEPTH 16
#define STATIC_MAX_NAME 250             /* room for the ".gz" twin's name */
#define STATIC_GZIP_MAX (8L << 20)      /* compressed on the fly up to this size */
#define STATIC_HASH_MIN 8
#define STATIC_IMMUTABLE "public, max-age=31536000, immutable"
#define STATIC_ETAG_MAX 96

static char *static_root;

/* ---- pure rules -------------------------------------------------------- */

static const struct {
    const char *ext, *type;
    bool compressible;
} TYPES[] = {
    { "html", "text/html; charset=utf-8", true },
    { "js", "text/javascript; charset=utf-8", true },
    { "mjs", "text/javascript; charset=utf-8", true },
    { "css", "text/css; charset=utf-8", true },
    { "json", "application/json", true },
    { "map", "application/json", true },
    { "svg", "image/svg+xml", true },
    { "txt", "text/plain; charset=utf-8", true },
    { "wasm", "application/wasm", true },
    { "ttf", "font/ttf", true },
    { "ico", "image/x-icon", true },
    { "png", "image/png", false },
    { "jpg", "image/jpeg", false },
    { "jpeg", "image/jpeg", false },
    { "gif", "image/gif", false },
    { "webp", "image/webp", false },
    { "woff", "font/woff", false },
    { "woff2", "font/woff2", false },
};

const char *static_content_type(const char *name, bool *compressible)
{
    const char *dot = strrchr(name, '.');
    *compressible = false;
    if (!dot)
        return "application/octet-stream";
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        if (strcasecmp(dot + 1, TYPES[i].ext) == 0) {
            *compressible = TYPES[i].compressible;
            return TYPES[i].type;
        }
    }
    return "application/octet-stream";
}

static bool segment_safe(const char *s, size_t n)
{
    if (n == 0 || n > STATIC_MAX_NAME || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\\')
            return false;
    }
    return true;
}

bool static_path_safe(const char *path)
{
    size_t len = strlen(path);
    if (len == 0 || len > STATIC_MAX_PATH || path[0] != '/')
        return false;
    if (len == 1)
        return true;                    /* "/" */
    const char *p = path + 1;
    for (int depth = 1; depth <= STATIC_MAX_DEPTH; depth++) {
        size_t n = strcspn(p, "/");
        if (!segment_safe(p, n))
            return false;
        if (p[n] == '\0')
            return true;
        p += n + 1;
    }
    return false;
}

static bool hash_char(char c, bool dash)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (dash && c == '-');
}

/* A hash rather than a word: it has a digit, or a capital after its first
 * character ("Dashboard" is a name, "CkBvYPZ7" a hash). A hash that looks
 * like a word is only revalidated more often; a word taken for a hash
 * would be cached for a year. */
static bool hash_like(const char *h, size_t n, bool dash)
{
    bool mixed = false;
    for (size_t i = 0; i < n; i++) {
        if (!hash_char(h[i], dash))
            return false;
        if ((h[i] >= '0' && h[i] <= '9') || (i > 0 && h[i] >= 'A' && h[i] <= 'Z'))
            mixed = true;
    }
    return mixed;
}

/* name-HASH.ext (Vite's [name]-[hash][extname]; ".js.map" and the like
 * count from the first '.'): HASH is everything after the stem's last '-'
 * when that is 8 or more of [A-Za-z0-9_]; or, since Vite's base64url
 * hashes may themselves hold a '-', the stem's last 8 characters of
 * [A-Za-z0-9_-] when a '-' precedes them. */
bool static_is_hashed(const char *path)
{
    if (strncmp(path, "/assets/", 8) != 0)
        return false;
    const char *base = strrchr(path, '/') + 1;
    size_t stem = strcspn(base, ".");
    if (stem == 0 || base[stem] != '.' || base[stem + 1] == '\0')
        return false;
    const char *dash = memrchr(base, '-', stem);
    if (dash && dash > base) {
        size_t n = (size_t)(base + stem - (dash + 1));
        if (n >= STATIC_HASH_MIN && hash_like(dash + 1, n, false))
            return true;
    }
    return stem > STATIC_HASH_MIN + 1 && base[stem - STATIC_HASH_MIN - 1] == '-' &&
           hash_like(base + stem - STATIC_HASH_MIN, STATIC_HASH_MIN, true);
}

/* ---- the folder -------------------------------------------------------- */

int static_init(const char *dir, char *why, size_t whylen)
{
    struct stat st;
    int dfd = -1, fd = -1, rc = -1;
    static_free();
    if (!dir || !*dir)
        return 0;
    if (stat(dir, &st) != 0) {
        snprintf(why, whylen, "CHIMERA_STATIC_DIR %s: %s", dir, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, whylen, "CHIMERA_STATIC_DIR %s: not a folder", dir);
        goto out;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    fd = dfd < 0 ? -1 : openat(dfd, "index.html", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, whylen, "CHIMERA_STATIC_DIR %s: %s%s", dir,
                 dfd < 0 ? "" : "no readable index.html: ", strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "CHIMERA_STATIC_DIR %s: index.html is not a regular file", dir);
        goto out;
    }
    static_root = strdup(dir);
    rc = static_root ? 0 : -1;
    if (rc != 0)
        snprintf(why, whylen, "out of memory");
out:
    if (fd >= 0)
        close(fd);
    if (dfd >= 0)
        close(dfd);
    return rc;
}

void static_free(void)
{
    free(static_root);
    static_root = NULL;
}

bool static_claim(http_req *r)
{
    if (!static_root || strcmp(r->path, "/api") == 0 || strncmp(r->path, "/api/", 5) == 0)
        return false;
    r->pattern = "static";
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
        resp_errorf(r, 405, "Method \"%s\" not allowed.", r->method);
    else
        r->static_file = true;
    return true;
}

/* ---- one request ------------------------------------------------------- */

typedef struct sfile {
    int dir;                    /* the folder holding the file */
    int fd;
    struct stat st;
    const char *name;           /* its last segment, in rel */
    bool gz;                    /* a compressed representation */
    char rel[STATIC_MAX_PATH + 1];
} sfile;

static void sf_close(sfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->dir >= 0)
        close(f->dir);
    f->fd = f->dir = -1;
}

/* Opens a safe path below the folder, one O_NOFOLLOW segment at a time.
 * Returns 0 or an errno (ELOOP for a symbolic link, EISDIR for a folder). */
static int sf_open(sfile *f, const char *path)
{
    char *seg, *slash;
    sf_close(f);
    snprintf(f->rel, sizeof f->rel, "%s", path + 1);
    f->dir = open(static_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dir < 0)
        return errno;
    for (seg = f->rel; (slash = strchr(seg, '/')) != NULL; seg = slash + 1) {
        *slash = '\0';
        int next = openat(f->dir, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            return errno;
        close(f->dir);
        f->dir = next;
    }
    f->name = seg;
    f->fd = openat(f->dir, seg, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (f->fd < 0 || fstat(f->fd, &f->st) != 0)
        return errno;
    if (!S_ISREG(f->st.st_mode))
        return S_ISDIR(f->st.st_mode) ? EISDIR : EINVAL;
    return f->st.st_size > STATIC_MAX_FILE ? EFBIG : 0;
}

/* Swaps in "<name>.gz" when it is a regular file of bounded size. */
static bool sf_twin(sfile *f)
{
    char twin[STATIC_MAX_NAME + 8];
    struct stat st;
    snprintf(twin, sizeof twin, "%s.gz", f->name);
    int fd = openat(f->dir, twin, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_FILE) {
        close(fd);
        return false;
    }
    close(f->fd);
    f->fd = fd;
    f->st = st;
    f->gz = true;
    return true;
}

static void sf_etag(const sfile *f, char out[STATIC_ETAG_MAX])
{
    snprintf(out, STATIC_ETAG_MAX, "\"%llx-%llx.%lx-%llx%s\"", (unsigned long long)f->st.st_size,
             (unsigned long long)f->st.st_mtim.tv_sec, (long)f->st.st_mtim.tv_nsec,
             (unsigned long long)f->st.st_ino, f->gz ? "-gz" : "");
}

/* The whole file, gzip-compressed, as a response; NULL on failure. */
static struct MHD_Response *sf_gzip_body(const sfile *f)
{
    size_t n = (size_t)f->st.st_size, got = 0;
    char *raw = malloc(n ? n : 1), *z = NULL;
    size_t zlen = 0;
    struct MHD_Response *resp = NULL;
    while (raw && got < n) {
        ssize_t k = pread(f->fd, raw + got, n - got, (off_t)got);
        if (k <= 0)
            goto out;
        got += (size_t)k;
    }
    if (!raw || gzip_compress(raw, n, &z, &zlen) != 0)
        goto out;
    resp = MHD_create_response_from_buffer(zlen, z, MHD_RESPMEM_MUST_FREE);
    if (resp)
        z = NULL;
out:
    free(raw);
    free(z);
    return resp;
}

/* The body for f as chosen: 304, compressed now, or the file descriptor
 * itself (MHD then owns and closes it). */
static struct MHD_Response *sf_body(sfile *f, bool fresh, bool zip_now)
{
    if (fresh)
        return MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (zip_now)
        return sf_gzip_body(f);
    struct MHD_Response *resp = MHD_create_response_from_fd((size_t)f->st.st_size, f->fd);
    if (resp)
        f->fd = -1;
    return resp;
}

static struct MHD_Response *sf_answer(http_req *r, sfile *f, const char *path)
{
    bool compressible, zip_now = false;
    const char *type = static_content_type(f->name, &compressible);
    char etag[STATIC_ETAG_MAX];
    if (gzip_accepted(req_header(r, "Accept-Encoding")) && !sf_twin(f) && compressible &&
        f->st.st_size >= GZIP_MIN_SIZE && f->st.st_size <= STATIC_GZIP_MAX)
        zip_now = f->gz = true;
    sf_etag(f, etag);
    bool fresh = etag_matches(req_header(r, "If-None-Match"), etag);
    struct MHD_Response *resp = sf_body(f, fresh, zip_now);
    if (!resp)
        return NULL;
    if (!fresh)
        MHD_add_response_header(resp, "Content-Type", type);
    if (f->gz && !fresh)
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
    MHD_add_response_header(resp, "Cache-Control",
                            static_is_hashed(path) ? STATIC_IMMUTABLE : "no-cache");
    MHD_add_response_header(resp, "ETag", etag);
    MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    cors_headers(r, resp, 0);
    r->status = fresh ? 304 : 200;
    r->responded = true;
    return resp;
}

struct MHD_Response *static_response(http_req *r)
{
    sfile f = { .dir = -1, .fd = -1 };
    struct MHD_Response *resp = NULL;
    const char *path = strcmp(r->path, "/") == 0 ? "/index.html" : r->path;
    int err = static_path_safe(path) ? sf_open(&f, path) : EPERM;
    if (err == ENOENT && strncmp(path, "/assets/", 8) != 0) {
        path = "/index.html";           /* a client-side route */
        err = sf_open(&f, path);
    }
    if (err == EFBIG)
        log_warn("static file over %ld bytes refused: %s", STATIC_MAX_FILE, path);
    if (err == 0)
        resp = sf_answer(r, &f, path);
    sf_close(&f);
    if (!resp)
        resp_error(r, err == 0 ? 500 : 404, err == 0 ? "Internal server error" : "Not found");
    return resp;
}
