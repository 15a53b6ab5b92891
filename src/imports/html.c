/* html.c — §8.2/§8.3 HTML text extraction with libxml2; see html.h.
 * The caller owns every returned string. Tree walks are iterative, so
 * deep nesting costs no stack. */
#include "imports/html.h"

#include <libxml/HTMLparser.h>
#include <libxml/encoding.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "imports/init.h"
#include "imports/text.h"
#include "util/buf.h"

#define HTML_OPTS (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | \
                   HTML_PARSE_NONET)

static const char *const HTML_DROP_PAGE[] = {
    "script", "style", "nav", "footer", "header", "aside", NULL,
};
static const char *const HTML_DROP_FILE[] = {
    "script", "style", "nav", "footer", "header", NULL,
};

/* The §8.2 selectors, in the order they are tried. */
enum { SEL_TAG, SEL_CLASS, SEL_ID };
static const struct {
    int kind;
    const char *name;
} HTML_SELECTORS[] = {
    { SEL_TAG, "main" }, { SEL_TAG, "article" }, { SEL_CLASS, "content" },
    { SEL_ID, "content" }, { SEL_CLASS, "post" }, { SEL_CLASS, "entry" },
};
#define HTML_NSEL (sizeof HTML_SELECTORS / sizeof *HTML_SELECTORS)

static bool html_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, name) == 0;
}

/* Next node in document order inside root; skips n's subtree unless
 * descend. Only elements and the document itself are descended into. */
static xmlNode *html_next(xmlNode *n, const xmlNode *root, bool descend)
{
    if (descend && n->children &&
        (n->type == XML_ELEMENT_NODE || n->type == XML_HTML_DOCUMENT_NODE ||
         n->type == XML_DOCUMENT_NODE))
        return n->children;
    while (n && n != root) {
        if (n->next)
            return n->next;
        n = n->parent;
    }
    return NULL;
}

static void html_drop(xmlDoc *doc, const char *const *names)
{
    xmlNode *root = (xmlNode *)doc, *n = root;
    while (n) {
        bool drop = false;
        for (size_t i = 0; names[i] && !drop; i++)
            drop = html_is(n, names[i]);
        if (!drop) {
            n = html_next(n, root, true);
            continue;
        }
        xmlNode *next = html_next(n, root, false);
        xmlUnlinkNode(n);
        xmlFreeNode(n);
        n = next;
    }
}

static xmlNode *html_find(xmlDoc *doc, const char *name)
{
    xmlNode *root = (xmlNode *)doc;
    for (xmlNode *n = root; n; n = html_next(n, root, true))
        if (html_is(n, name))
            return n;
    return NULL;
}

/* Is word one of the whitespace-separated tokens of the value (as
 * BeautifulSoup splits class, on Python's \s)? */
static bool html_has_token(const char *value, const char *word)
{
    size_t len = strlen(value), wlen = strlen(word), i = 0, n;
    uint32_t cp;
    while (i < len) {
        size_t start = i;
        while (i < len) {
            n = imp_utf8_next(value, len, i, &cp);
            if (n && imp_is_space(cp))
                break;
            i += n ? n : 1;                     /* an ill-formed byte is part of a token */
        }
        if (i - start == wlen && memcmp(value + start, word, wlen) == 0)
            return true;
        if (i < len)
            i += imp_utf8_next(value, len, i, &cp);     /* the space */
    }
    return false;
}

static bool html_attr_matches(xmlNode *n, const char *attr, const char *want, bool token)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);
    bool ok = false;
    if (v)
        ok = token ? html_has_token((const char *)v, want) : strcmp((const char *)v, want) == 0;
    xmlFree(v);
    return ok;
}

static bool html_selector_matches(xmlNode *n, size_t i)
{
    if (n->type != XML_ELEMENT_NODE)
        return false;
    switch (HTML_SELECTORS[i].kind) {
    case SEL_TAG:
        return html_is(n, HTML_SELECTORS[i].name);
    case SEL_CLASS:
        return html_attr_matches(n, "class", HTML_SELECTORS[i].name, true);
    default:
        return html_attr_matches(n, "id", HTML_SELECTORS[i].name, false);
    }
}

/* First match of each selector in document order, in one walk. */
static void html_select(xmlDoc *doc, xmlNode *found[HTML_NSEL])
{
    xmlNode *root = (xmlNode *)doc;
    size_t left = HTML_NSEL;
    for (size_t i = 0; i < HTML_NSEL; i++)
        found[i] = NULL;
    for (xmlNode *n = root; n && left; n = html_next(n, root, true)) {
        for (size_t i = 0; i < HTML_NSEL; i++) {
            if (!found[i] && html_selector_matches(n, i)) {
                found[i] = n;
                left--;
            }
        }
    }
}

/* get_text(' ', strip=True) then whitespace-collapsed; "" for NULL. */
static char *html_text_of(xmlNode *root, size_t *outlen)
{
    buf b = BUF_INIT(0);
    char *out = NULL;
    for (xmlNode *n = root; n; n = html_next(n, root, true)) {
        if ((n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE) || !n->content)
            continue;
        if (buf_putc(&b, ' ') != 0 || buf_puts(&b, (const char *)n->content) != 0)
            goto out;
    }
    out = imp_collapse(b.p ? b.p : "", b.len, IMP_COLLAPSE_WS, outlen);
out:
    buf_free(&b);
    return out;
}

static xmlDoc *html_parse(const char *html, size_t len, const char *encoding)
{
    imp_init();
    if (encoding) {
        xmlCharEncodingHandler *h = xmlFindCharEncodingHandler(encoding);
        if (h)
            xmlCharEncCloseFunc(h);
        else
            encoding = NULL;
    }
    return htmlReadMemory(html, (int)len, NULL, encoding, HTML_OPTS);
}

/* The §8.2 content choice over the selector matches, then <body>. */
static char *html_pick_content(xmlDoc *doc, size_t *outlen)
{
    xmlNode *found[HTML_NSEL];
    char *text = NULL;
    size_t n = 0;
    html_select(doc, found);
    for (size_t i = 0; i < HTML_NSEL; i++) {
        if (!found[i])
            continue;
        free(text);
        if (!(text = html_text_of(found[i], &n)))
            return NULL;
        if (imp_cp_len(text, n) > IMP_HTML_PICK_OVER)
            break;
    }
    if (text && n > 0) {
        *outlen = n;
        return text;
    }
    free(text);
    xmlNode *body = html_find(doc, "body");
    return html_text_of(body ? body : (xmlNode *)doc, outlen);
}

int imp_html_page(const char *html, size_t len, const char *encoding,
                  char **title, char **content)
{
    xmlDoc *doc = NULL;
    char *t = NULL, *c = NULL;
    size_t tn = 0, cn = 0;
    int rc = -1;
    *title = *content = NULL;
    if (len > IMP_HTML_MAX_INPUT)
        goto out;
    if (len > 0 && (doc = html_parse(html, len, encoding)) != NULL) {
        html_drop(doc, HTML_DROP_PAGE);
        xmlNode *tnode = html_find(doc, "title");
        if (tnode && !(t = html_text_of(tnode, &tn)))
            goto out;
        if (!(c = html_pick_content(doc, &cn)))
            goto out;
    }
    *title = tn ? imp_cut(t, tn, IMP_HTML_TITLE_MAX, "", NULL) : strdup("Imported");
    *content = c ? imp_cut(c, cn, IMP_HTML_CONTENT_MAX, "\n[truncated]", NULL) : strdup("");
    if (!*title || !*content) {
        free(*title);
        free(*content);
        *title = *content = NULL;
        goto out;
    }
    rc = 0;
out:
    free(t);
    free(c);
    xmlFreeDoc(doc);
    return rc;
}

char *imp_html_text(const char *html, size_t len, const char *encoding, size_t *outlen)
{
    xmlDoc *doc;
    char *out;
    if (len > IMP_HTML_MAX_INPUT)
        return NULL;
    if (len == 0 || !(doc = html_parse(html, len, encoding))) {
        if (outlen)
            *outlen = 0;
        return strdup("");
    }
    html_drop(doc, HTML_DROP_FILE);
    out = html_text_of((xmlNode *)doc, outlen);
    xmlFreeDoc(doc);
    return out;
}
