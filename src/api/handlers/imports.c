/* imports.c — POST /workspaces/{wid}/memories/import-url and …/import-file
 * (API.md §8.2, §8.3, §8.6, D10). A URL is fetched on the outbound engine
 * (the request suspended meanwhile): http/https only, redirects followed,
 * every address connected to checked (imports/… never sees the network),
 * the answer capped. Text extraction lives in src/imports/; this file turns
 * its result into a memory: summary, title, tags, metadata, vector. Errors
 * are strings, as the frontend shows them. */
#include "api/access.h"
#include "api/api.h"
#include "api/services/embedding.h"
#include "api/handlers.h"
#include "api/shapes/memory_json.h"
#include "api/services/outcall.h"
#include "api/shapes/serialize.h"
#include "api/upload.h"
#include "api/validate.h"

#include "config.h"
#include "http/response.h"
#include "imports/extract.h"
#include "imports/html.h"
#include "imports/source.h"
#include "imports/summary.h"
#include "imports/text.h"
#include "util/isotime.h"
#include "util/jsonx.h"
#include "util/oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMPORT_SUMMARY_OVER 500         /* summarize texts longer than this */
#define IMPORT_TITLE_CHARS 100
#define IMPORT_URL_MIN_CHARS 50
#define IMPORT_ERR_CHARS 80
#define IMPORT_URL_MAX 4096

/* A desktop Chrome, as the original sends (§8.2 step 2). */
static const char CHROME_UA[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";

/* One import from the request to the stored memory. */
typedef struct import_job {
    char wid[40];
    bool summarize;
    bool was_summarized;
    /* import-url */
    char *url;
    const char *source_type;    /* static */
    /* import-file */
    char *filename;
    const char *file_type;      /* static */
    size_t file_size;
    /* the memory */
    char *title, *content;
    json_t *tags, *metadata;
} import_job;

static void import_job_free(void *p)
{
    import_job *j = p;
    if (!j)
        return;
    free(j->url);
    free(j->filename);
    free(j->title);
    free(j->content);
    json_decref(j->tags);
    json_decref(j->metadata);
    free(j);
}

/* ---- shared: summary, memory, vector, answer ------------------------------ */

static void import_embedded(http_req *r, void *ctx, embedded_vec *v, size_t n)
{
    import_job *j = ctx;
    memory_row m;
    char *meta_text = NULL, *tags_text = json_dumps_whole(j->tags, JSON_COMPACT);
    size_t ntags = json_array_size(j->tags);
    const char **list = json_string_list(j->tags);
    (void)n;
    memory_input in = { .title = j->title, .content = j->content, .tags = tags_text,
                        .tag_list = list, .ntags = ntags };
    int applied = api_embed_apply(&v[0], &j->metadata, &meta_text, &in);
    if (applied == 0 && !meta_text)
        in.metadata = meta_text = json_dumps_whole(j->metadata, JSON_COMPACT);
    st_rc st = ST_DB_ERROR;
    if (applied != 0 || !list || !tags_text || !meta_text)
        resp_no_memory(r);
    else if ((st = memory_create(j->wid, &in, &m)) != ST_OK) {
        api_store_error(r, st, NULL);
    } else {
        jsonw w;
        jw_init(&w);
        jw_obj(&w);
        jw_key(&w, "memory");
        write_memory(&w, &m);
        if (j->url) {
            jw_kstr(&w, "source_type", j->source_type);
        } else {
            jw_kstr(&w, "file_type", j->file_type);
            jw_kstr(&w, "original_filename", j->filename);
        }
        jw_kbool(&w, "was_summarized", j->was_summarized);
        jw_obj_end(&w);
        resp_data_text(r, 201, jw_finish(&w));
        memory_row_free(&m);
    }
    free(tags_text);
    free(meta_text);
    free(list);
}

/* §8.6 when asked for and the text is long; records was_summarized. */
static int maybe_summarize(import_job *j)
{
    size_t len = strlen(j->content);
    if (!j->summarize || imp_cp_len(j->content, len) <= IMPORT_SUMMARY_OVER)
        return 0;
    size_t outlen;
    char *sum = imp_summarize(j->content, len, &outlen);
    if (!sum)
        return -1;
    free(j->content);
    j->content = sum;
    j->was_summarized = true;
    return 0;
}

/* "<prefix><first 100 characters of name>" */
static char *import_title(const char *prefix, const char *name)
{
    size_t outlen, pl = strlen(prefix);
    char *cut = imp_cut(name, strlen(name), IMPORT_TITLE_CHARS, "", &outlen);
    char *t = cut ? malloc(pl + outlen + 1) : NULL;
    if (t) {
        memcpy(t, prefix, pl);
        memcpy(t + pl, cut, outlen + 1);
    }
    free(cut);
    return t;
}

/* Summary, then the vector, then the memory (import_embedded answers). */
static void import_store(http_req *r, import_job *j)
{
    char *text = NULL;
    char now[ISOTIME_MAX];
    time_iso_offset(time_now_us(), now);
    if (maybe_summarize(j) != 0 || !j->metadata || !j->tags ||
        json_object_set_new(j->metadata, "imported_at", json_string(now)) != 0 ||
        json_object_set_new(j->metadata, "was_summarized", json_boolean(j->was_summarized)) ||
        !(text = api_memory_text(j->title, j->content))) {
        resp_error(r, 500, "Import failed: out of memory");
        import_job_free(j);
        return;
    }
    api_embed_then(r, (const char *const *)&text, 1, import_embedded, j, import_job_free);
    free(text);
}

/* ---- import-url ------------------------------------------------------------ */

/* Python requests' reason phrases for the statuses a page commonly answers. */
static const char *reason_phrase(long status)
{
    static const struct { long code; const char *text; } R[] = {
        { 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
        { 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
        { 406, "Not Acceptable" }, { 408, "Request Timeout" }, { 410, "Gone" },
        { 429, "Too Many Requests" }, { 451, "Unavailable For Legal Reasons" },
        { 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
        { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
    };
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++)
        if (R[i].code == status)
            return R[i].text;
    return "";
}

/* 400 "Request failed: <first 80 characters of why>". */
static void request_failed(http_req *r, const char *why)
{
    size_t outlen;
    char *cut = imp_cut(why, strlen(why), IMPORT_ERR_CHARS, "", &outlen);
    resp_errorf(r, 400, "Request failed: %s", cut ? cut : why);
    free(cut);
}

/* The charset parameter of a Content-Type, or NULL. */
static const char *content_charset(const char *ct, char *out, size_t outsz)
{
    const char *p = strcasestr(ct, "charset=");
    if (!p)
        return NULL;
    p += 8;
    if (*p == '"')
        p++;
    size_t n = strcspn(p, "\"; \t");
    if (n == 0 || n >= outsz)
        return NULL;
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

/* Pages are HTML; plain text is read as it is; anything else is refused. */
static bool html_type(const char *ct)
{
    size_t n = strcspn(ct, "; \t");
    return n == 0 || (n == 9 && strncasecmp(ct, "text/html", 9) == 0) ||
           (n == 21 && strncasecmp(ct, "application/xhtml+xml", 21) == 0) ||
           (n == 10 && strncasecmp(ct, "text/plain", 10) == 0);
}

/* Checks the fetch; 0 with the page's title and text in j, or -1 answered. */
static int read_page(http_req *r, const net_result *res, import_job *j)
{
    char why[400], cs[64];
    if (res->timed_out) {
        resp_error(r, 400, "Request timed out");
        return -1;
    }
    if (res->blocked || res->transport_failed || res->too_large) {
        request_failed(r, res->too_large ? "the page is larger than the import limit"
                                         : res->error);
        return -1;
    }
    if (res->status < 200 || res->status > 299) {
        snprintf(why, sizeof why, "%ld %s Error: %s for url: %s", res->status,
                 res->status < 500 ? "Client" : "Server", reason_phrase(res->status), j->url);
        request_failed(r, why);
        return -1;
    }
    if (!html_type(res->content_type)) {
        snprintf(why, sizeof why, "not an HTML page (%s)", res->content_type);
        request_failed(r, why);
        return -1;
    }
    if (imp_html_page(res->body, res->len, content_charset(res->content_type, cs, sizeof cs),
                      &j->title, &j->content) != 0) {
        resp_error(r, 500, "Import failed: out of memory");
        return -1;
    }
    if (imp_cp_len(j->content, strlen(j->content)) < IMPORT_URL_MIN_CHARS) {
        resp_error(r, 400, "No meaningful content found. Try Advanced mode for JS-heavy sites.");
        return -1;
    }
    return 0;
}

/* Worker, after the fetch: page → memory fields → import_store. */
static void url_fetched(http_req *r, const net_result *res, void *ctx)
{
    import_job *j = ctx;
    if (read_page(r, res, j) != 0) {
        import_job_free(j);
        return;
    }
    char *page_title = j->title;
    j->title = import_title("[Imported] ", page_title);
    free(page_title);
    char tag[64];
    snprintf(tag, sizeof tag, "source:%s", j->source_type);
    j->tags = json_pack("[s,s]", "imported", tag);
    static const struct { const char *type, *tag; } EXTRA[] = {
        { "chatgpt", "ai-conversation" }, { "notion", "documentation" },
        { "google_docs", "document" }, { "github", "code" },
    };
    for (size_t i = 0; j->tags && i < sizeof EXTRA / sizeof EXTRA[0]; i++)
        if (strcmp(j->source_type, EXTRA[i].type) == 0)
            j->tags = json_push(j->tags, json_string(EXTRA[i].tag));
    j->metadata = json_pack("{s:s,s:s,s:s}", "source_url", j->url, "source_type",
                            j->source_type, "scrape_mode", "basic");
    if (!j->title) {
        resp_error(r, 500, "Import failed: out of memory");
        import_job_free(j);
        return;
    }
    import_store(r, j);
}

static net_request *fetch_request(const char *url)
{
    net_request *req = calloc(1, sizeof *req);
    if (!req || net_req_init(req, url, "", cfg.import_timeout_s) != 0 ||
        net_req_header(req, "Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8") != 0 ||
        net_req_header(req, "Accept-Language: en-US,en;q=0.9") != 0) {
        free(req);
        return NULL;
    }
    req->flags = NET_REQ_FOLLOW | (cfg.import_allow_private ? 0 : NET_REQ_PUBLIC_ONLY);
    req->allow_addrs = cfg.import_allow_addrs;
    req->user_agent = CHROME_UA;
    req->max_body = cfg.import_max_body;
    req->target = "import";
    return req;
}

static bool http_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

void h_memories_import_url(http_req *r)
{
    const char *wid = req_param(r, 0);
    json_t *body = NULL;
    import_job *j = NULL;
    net_request *req = NULL;
    if (!(body = val_body(r)))
        goto out;
    const char *url = json_string_value(json_object_get(body, "url"));
    const char *mode = json_string_value(json_object_get(body, "mode"));
    json_t *sum = json_object_get(body, "summarize");
    if (!url || !*url) {
        resp_error(r, 400, "URL is required");
        goto out;
    }
    if (mode && strcmp(mode, "advanced") == 0) {
        resp_error(r, 400, "Advanced scraping not available. Playwright not installed. "
                           "Use Basic mode or upgrade server.");
        goto out;
    }
    if (!http_url(url) || strlen(url) > IMPORT_URL_MAX || strpbrk(url, " \t\r\n")) {
        resp_error(r, 400, "Only HTTP/HTTPS supported");
        goto out;
    }
    if (!(j = calloc(1, sizeof *j)) || !(j->url = strdup(url))) {
        resp_error(r, 500, "Import failed: out of memory");
        goto out;
    }
    snprintf(j->wid, sizeof j->wid, "%s", wid);
    j->summarize = sum ? val_truthy(sum) : true;
    j->source_type = imp_source_type(url);
    if (!(req = fetch_request(url))) {
        request_failed(r, "out of memory");
        goto out;
    }
    api_fetch(r, req, url_fetched, j);
    j = NULL;
out:
    import_job_free(j);
    json_decref(body);
}

/* ---- import-file ----------------------------------------------------------- */

/* The file's name without its last extension. */
static char *file_stem(const char *name)
{
    const char *dot = strrchr(name, '.');
    return strndup(name, dot ? (size_t)(dot - name) : strlen(name));
}

void h_memories_import_file(http_req *r)
{
    const char *wid = req_param(r, 0);
    upload u;
    import_job *j = NULL;
    imp_file_result fr = { 0 };
    char err[300], *stem = NULL;
    upload_init(&u, HTTP_UPLOAD_MAX);
    if (upload_read(r, &u) != 0)
        goto out;
    imp_status st = imp_extract_file(u.filename, u.data.p ? u.data.p : "", u.data.len, &fr,
                                     err, sizeof err);
    if (st != IMP_OK) {
        resp_error(r, st == IMP_ERR_NOMEM ? 500 : 400, err);
        goto out;
    }
    if (!(j = calloc(1, sizeof *j)) || !(stem = file_stem(u.filename))) {
        resp_error(r, 500, "Import failed: out of memory");
        goto out;
    }
    snprintf(j->wid, sizeof j->wid, "%s", wid);
    j->summarize = strcasecmp(u.summarize, "true") == 0;
    j->filename = u.filename;
    u.filename = NULL;
    j->file_type = fr.file_type;
    j->file_size = u.data.len;
    j->content = fr.text;
    fr.text = NULL;
    j->title = import_title("[File] ", stem);
    char tag[64];
    snprintf(tag, sizeof tag, "format:%s", j->file_type);
    j->tags = json_pack("[s,s,s]", "imported", "file-upload", tag);
    j->metadata = json_pack("{s:s,s:s,s:s,s:I}", "source_type", "file", "original_filename",
                            j->filename, "file_type", j->file_type, "file_size",
                            (json_int_t)j->file_size);
    if (!j->title) {
        resp_error(r, 500, "Import failed: out of memory");
        goto out;
    }
    import_store(r, j);
    j = NULL;
out:
    import_job_free(j);
    imp_file_result_free(&fr);
    free(stem);
    upload_free(&u);
}
