/* docx.c — .docx text (python-docx's paragraphs, then table rows) from
 * memory; see docx.h. The caller owns *out. Errors are short reasons
 * for "Failed to parse DOCX: <reason>". */
#include "imports/docx.h"

#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "imports/init.h"
#include "imports/text.h"
#include "util/buf.h"

#define DOCX_PART "word/document.xml"
#define DOCX_CHUNK 65536

static const char *const W_NS[] = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",     /* Strict OOXML */
};

typedef struct docx_ctx {
    buf paras;              /* paragraph texts, "\n"-separated */
    buf rows;               /* table rows, "\n"-separated */
    size_t nparas, nrows;
    char *err;
    size_t errsz;
    bool failed;            /* err already set */
} docx_ctx;

/* One cell of the previous/current table row, for vertical merges. */
typedef struct docx_cell {
    long offset;            /* grid column where the w:tc starts */
    xmlNode *root;          /* the w:tc holding the text (NULL: unresolved) */
} docx_cell;

typedef struct docx_rowcells {
    docx_cell *v;
    size_t n, cap;
} docx_rowcells;

static void docx_fail(docx_ctx *c, const char *reason)
{
    if (!c->failed)
        snprintf(c->err, c->errsz, "%s", reason);
    c->failed = true;
}

static int docx_oom(docx_ctx *c)
{
    docx_fail(c, "out of memory");
    return -1;
}

/* Merged cells repeat text, so the output is capped on its own. */
static int docx_budget(docx_ctx *c)
{
    if (c->paras.len + c->rows.len <= IMP_DOCX_MAX_TEXT)
        return 0;
    docx_fail(c, "document text too large");
    return -1;
}

/* ---- WordprocessingML helpers --------------------------------------------- */

static bool docx_is(const xmlNode *n, const char *local)
{
    if (!n || n->type != XML_ELEMENT_NODE || !n->ns || !n->ns->href ||
        strcmp((const char *)n->name, local) != 0)
        return false;
    for (size_t i = 0; i < sizeof W_NS / sizeof *W_NS; i++)
        if (strcmp((const char *)n->ns->href, W_NS[i]) == 0)
            return true;
    return false;
}

static xmlNode *docx_child(const xmlNode *n, const char *local)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (docx_is(c, local))
            return c;
    return NULL;
}

/* The w:val attribute of a WordprocessingML element (NULL if absent);
 * caller xmlFree()s. */
static xmlChar *docx_val(xmlNode *n)
{
    for (size_t i = 0; n && i < sizeof W_NS / sizeof *W_NS; i++) {
        xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"val", (const xmlChar *)W_NS[i]);
        if (v)
            return v;
    }
    return NULL;
}

/* Appends the text of an element's text children (w:t). */
static int docx_put_text(buf *b, const xmlNode *t)
{
    for (xmlNode *c = t->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
            buf_puts(b, (const char *)c->content) != 0)
            return -1;
    return 0;
}

/* A w:br is "\n" unless it is a page or column break. */
static const char *docx_br(xmlNode *br)
{
    xmlChar *type = NULL;
    for (size_t i = 0; i < sizeof W_NS / sizeof *W_NS && !type; i++)
        type = xmlGetNsProp(br, (const xmlChar *)"type", (const xmlChar *)W_NS[i]);
    const char *s = !type || strcmp((const char *)type, "textWrapping") == 0 ? "\n" : "";
    xmlFree(type);
    return s;
}

static int docx_run(buf *b, const xmlNode *r)
{
    for (xmlNode *c = r->children; c; c = c->next) {
        int rc = 0;
        if (docx_is(c, "t"))
            rc = docx_put_text(b, c);
        else if (docx_is(c, "tab") || docx_is(c, "ptab"))
            rc = buf_putc(b, '\t');
        else if (docx_is(c, "br"))
            rc = buf_puts(b, docx_br(c));
        else if (docx_is(c, "cr"))
            rc = buf_putc(b, '\n');
        else if (docx_is(c, "noBreakHyphen"))
            rc = buf_putc(b, '-');
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int docx_para(buf *b, const xmlNode *p)
{
    for (xmlNode *c = p->children; c; c = c->next) {
        if (docx_is(c, "r") && docx_run(b, c) != 0)
            return -1;
        if (docx_is(c, "hyperlink"))
            for (xmlNode *r = c->children; r; r = r->next)
                if (docx_is(r, "r") && docx_run(b, r) != 0)
                    return -1;
    }
    return 0;
}

/* A cell's text: its direct paragraphs joined by "\n". */
static int docx_cell_text(buf *b, const xmlNode *tc)
{
    bool first = true;
    for (xmlNode *c = tc->children; c; c = c->next) {
        if (!docx_is(c, "p"))
            continue;
        if ((!first && buf_putc(b, '\n') != 0) || docx_para(b, c) != 0)
            return -1;
        first = false;
    }
    return 0;
}

/* The integer w:val of tcPr/<name> or trPr/<name>; dflt when absent. */
static long docx_prop_int(xmlNode *n, const char *pr, const char *name, long dflt)
{
    xmlChar *v = docx_val(docx_child(docx_child(n, pr), name));
    long x = dflt;
    if (v) {
        char *end;
        x = strtol((const char *)v, &end, 10);
        if (end == (char *)v)
            x = dflt;
    }
    xmlFree(v);
    return x;
}

/* Is tc a vertical-merge continuation (w:vMerge present, val not "restart")? */
static bool docx_vmerge_continue(xmlNode *tc)
{
    xmlNode *vm = docx_child(docx_child(tc, "tcPr"), "vMerge");
    if (!vm)
        return false;
    xmlChar *v = docx_val(vm);
    bool cont = !v || strcmp((const char *)v, "restart") != 0;
    xmlFree(v);
    return cont;
}

static long docx_span(xmlNode *tc)
{
    long span = docx_prop_int(tc, "tcPr", "gridSpan", 1);
    return span < 1 ? 1 : span > IMP_DOCX_MAX_SPAN ? IMP_DOCX_MAX_SPAN : span;
}

/* ---- tables ---------------------------------------------------------------- */

static int docx_cells_push(docx_rowcells *rc, long offset, xmlNode *root)
{
    if (rc->n == rc->cap) {
        size_t cap = rc->cap ? rc->cap * 2 : 16;
        docx_cell *v = realloc(rc->v, cap * sizeof *v);
        if (!v)
            return -1;
        rc->v = v;
        rc->cap = cap;
    }
    rc->v[rc->n++] = (docx_cell){ offset, root };
    return 0;
}

/* python-docx's _tc_above, through the previous row's resolved cells. */
static xmlNode *docx_above(const docx_rowcells *prev, long offset)
{
    for (size_t i = 0; i < prev->n; i++)
        if (prev->v[i].offset == offset)
            return prev->v[i].root;
    return NULL;
}

/* Appends one row: each cell's text (repeated per spanned column)
 * joined by " | ". An unresolvable continuation shows its own text. */
static int docx_row(docx_ctx *c, xmlNode *tr, const docx_rowcells *prev, docx_rowcells *cur)
{
    long offset = docx_prop_int(tr, "trPr", "gridBefore", 0);
    size_t ncell = 0;
    cur->n = 0;
    if (c->nrows++ && buf_putc(&c->rows, '\n') != 0)
        return docx_oom(c);
    for (xmlNode *tc = tr->children; tc; tc = tc->next) {
        if (!docx_is(tc, "tc"))
            continue;
        xmlNode *root = docx_vmerge_continue(tc) ? docx_above(prev, offset) : tc;
        xmlNode *shown = root ? root : tc;
        long reps = docx_span(shown);
        if (docx_cells_push(cur, offset, root) != 0)
            return docx_oom(c);
        offset += docx_span(tc);
        for (long k = 0; k < reps; k++) {
            if ((ncell++ && buf_append(&c->rows, " | ", 3) != 0) ||
                docx_cell_text(&c->rows, shown) != 0)
                return docx_oom(c);
            if (docx_budget(c) != 0)
                return -1;
        }
    }
    return 0;
}

static int docx_table(docx_ctx *c, xmlNode *tbl)
{
    docx_rowcells a = { 0 }, b = { 0 }, *prev = &a, *cur = &b;
    int rc = 0;
    for (xmlNode *tr = tbl->children; tr && rc == 0; tr = tr->next) {
        if (!docx_is(tr, "tr"))
            continue;
        rc = docx_row(c, tr, prev, cur);
        docx_rowcells *t = prev;
        prev = cur;
        cur = t;
    }
    free(a.v);
    free(b.v);
    return rc;
}

/* ---- document.xml, one top-level block at a time ------------------------ */

static void docx_xml_error(void *arg, xmlErrorPtr e)
{
    docx_ctx *c = arg;
    char reason[200];
    if (c->failed || !e)
        return;
    snprintf(reason, sizeof reason, "invalid XML in " DOCX_PART " (line %d: %s", e->line,
             e->message ? e->message : "error");
    size_t n = strlen(reason);
    while (n && (reason[n - 1] == '\n' || reason[n - 1] == ' '))
        reason[--n] = '\0';
    if (n + 1 < sizeof reason)
        reason[n++] = ')', reason[n] = '\0';
    docx_fail(c, reason);
}

static int docx_block(docx_ctx *c, xmlNode *n)
{
    if (docx_is(n, "p")) {
        if ((c->nparas++ && buf_putc(&c->paras, '\n') != 0) || docx_para(&c->paras, n) != 0)
            return docx_oom(c);
        return docx_budget(c);
    }
    return docx_is(n, "tbl") ? docx_table(c, n) : 0;
}

/* Is the reader on w:document (depth 0) or w:body (depth 1)? */
static bool docx_reader_is(xmlTextReaderPtr r, const char *local)
{
    const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
    const xmlChar *name = xmlTextReaderConstLocalName(r);
    if (!ns || !name || strcmp((const char *)name, local) != 0)
        return false;
    for (size_t i = 0; i < sizeof W_NS / sizeof *W_NS; i++)
        if (strcmp((const char *)ns, W_NS[i]) == 0)
            return true;
    return false;
}

static int docx_parse(docx_ctx *c, const char *xml, size_t len)
{
    xmlTextReaderPtr r = xmlReaderForMemory(xml, (int)len, NULL, NULL,
                                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                                            XML_PARSE_NOWARNING);
    bool in_doc = false, in_body = false;
    int ret, rc = -1;
    if (!r) {
        docx_fail(c, "cannot read " DOCX_PART);
        return -1;
    }
    xmlTextReaderSetStructuredErrorHandler(r, docx_xml_error, c);
    ret = xmlTextReaderRead(r);
    while (ret == 1) {
        int depth = xmlTextReaderDepth(r);
        if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT || depth > 2) {
            ret = xmlTextReaderRead(r);
            continue;
        }
        if (depth == 0)
            in_doc = docx_reader_is(r, "document");
        else if (depth == 1)
            in_body = in_doc && docx_reader_is(r, "body");
        if (depth < 2) {
            ret = xmlTextReaderRead(r);
            continue;
        }
        if (in_body && (docx_reader_is(r, "p") || docx_reader_is(r, "tbl"))) {
            xmlNode *n = xmlTextReaderExpand(r);
            if (!n) {
                ret = -1;
                break;
            }
            if (docx_block(c, n) != 0)
                goto out;
        }
        ret = xmlTextReaderNext(r);         /* past this block's subtree */
    }
    if (ret < 0) {
        docx_fail(c, "invalid XML in " DOCX_PART);
        goto out;
    }
    rc = 0;
out:
    xmlFreeTextReader(r);
    return rc;
}

/* ---- the archive ---------------------------------------------------------- */

/* Inflates DOCX_PART into b (at most IMP_DOCX_MAX_XML bytes). */
static int docx_read_part(docx_ctx *c, zip_t *za, buf *b)
{
    zip_stat_t st;
    zip_file_t *f = NULL;
    char *chunk = NULL;
    int rc = -1;
    zip_int64_t idx = zip_name_locate(za, DOCX_PART, 0);
    if (idx < 0) {
        docx_fail(c, "not a Word document (no " DOCX_PART ")");
        return -1;
    }
    zip_stat_init(&st);
    if (zip_stat_index(za, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
        st.size > IMP_DOCX_MAX_XML) {
        docx_fail(c, DOCX_PART " is too large");
        return -1;
    }
    if (!(f = zip_fopen_index(za, (zip_uint64_t)idx, 0))) {
        docx_fail(c, "cannot open " DOCX_PART " in the archive");
        goto out;
    }
    if (!(chunk = malloc(DOCX_CHUNK))) {
        docx_fail(c, "out of memory");
        goto out;
    }
    for (;;) {
        zip_int64_t n = zip_fread(f, chunk, DOCX_CHUNK);
        if (n < 0) {
            docx_fail(c, "corrupt archive (cannot inflate " DOCX_PART ")");
            goto out;
        }
        if (n == 0)
            break;
        if (b->len + (size_t)n > IMP_DOCX_MAX_XML) {
            docx_fail(c, DOCX_PART " inflates past the size limit");
            goto out;
        }
        if (buf_append(b, chunk, (size_t)n) != 0) {
            docx_fail(c, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    free(chunk);
    if (f)
        zip_fclose(f);
    return rc;
}

static zip_t *docx_open(docx_ctx *c, const void *data, size_t len)
{
    zip_error_t zerr;
    zip_source_t *src;
    zip_t *za;
    zip_error_init(&zerr);
    src = zip_source_buffer_create(len ? data : NULL, len, 0, &zerr);
    za = src ? zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
    if (!za) {
        zip_source_free(src);
        docx_fail(c, "not a valid zip archive");
    } else if (zip_get_num_entries(za, 0) > IMP_DOCX_MAX_ENTRIES) {
        docx_fail(c, "too many entries in the archive");
        zip_discard(za);
        za = NULL;
    }
    zip_error_fini(&zerr);
    return za;
}

/* paras, then "\n" and rows when both exist; sanitised to valid UTF-8. */
static char *docx_join(docx_ctx *c, size_t *outlen)
{
    if (c->nparas && c->nrows && buf_putc(&c->paras, '\n') != 0)
        return NULL;
    if (c->rows.len && buf_append(&c->paras, c->rows.p, c->rows.len) != 0)
        return NULL;
    return imp_utf8_sanitize(c->paras.p ? c->paras.p : "", c->paras.len, outlen);
}

int imp_docx_text(const void *data, size_t len, char **out, size_t *outlen,
                  char *err, size_t errsz)
{
    docx_ctx c = { BUF_INIT(0), BUF_INIT(0), 0, 0, err, errsz, false };
    buf xml = BUF_INIT(0);
    zip_t *za;
    int rc = -1;
    *out = NULL;
    if (errsz)
        err[0] = '\0';
    imp_init();
    if (len > INT32_MAX || !(za = docx_open(&c, data, len)))
        goto out;
    rc = docx_read_part(&c, za, &xml);
    zip_discard(za);
    if (rc != 0 || (rc = docx_parse(&c, xml.p ? xml.p : "", xml.len)) != 0)
        goto out;
    if (!(*out = docx_join(&c, outlen))) {
        docx_fail(&c, "out of memory");
        rc = -1;
    }
out:
    if (rc != 0 && !c.failed)
        docx_fail(&c, len > INT32_MAX ? "file too large" : "out of memory");

    buf_free(&xml);
    buf_free(&c.paras);
    buf_free(&c.rows);
    return rc;
}
