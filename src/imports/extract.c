/* extract.c — the §8.3 import-file dispatcher: extension → extractor →
 * normalised text, with the user-facing error strings; see extract.h.
 * out->text is malloc'd and owned by the caller. */
#include "imports/extract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imports/csv.h"
#include "imports/docx.h"
#include "imports/html.h"
#include "imports/json_indent.h"
#include "imports/pdf.h"
#include "imports/text.h"

#define EXT_MAX 8

static const struct {
    const char *ext;
    const char *type;
} EXT_TYPES[] = {
    { "txt", "text" }, { "md", "markdown" }, { "rtf", "rtf" }, { "pdf", "pdf" },
    { "docx", "docx" }, { "doc", "doc" }, { "html", "html" }, { "htm", "html" },
    { "json", "json" }, { "csv", "csv" },
};

static const char *const STATUS_MSG[] = {
    [IMP_OK] = "",
    [IMP_ERR_UNSUPPORTED] =
        "Unsupported file type. Supported: .pdf, .docx, .txt, .md, .html, .json, .csv",
    [IMP_ERR_TOO_LARGE] = "File too large. Maximum size is 10MB",
    [IMP_ERR_LEGACY_DOC] = "Legacy .doc format is not supported. Please convert to .docx",
    [IMP_ERR_PARSE] = "",
    [IMP_ERR_EMPTY] = "Could not extract meaningful content from the file",
    [IMP_ERR_NOMEM] = "Internal server error",
};

const char *imp_status_message(imp_status st)
{
    if ((unsigned)st >= sizeof STATUS_MSG / sizeof *STATUS_MSG)
        return "Internal server error";
    return STATUS_MSG[st];
}

const char *imp_file_type(const char *filename)
{
    const char *dot = filename ? strrchr(filename, '.') : NULL;
    char ext[EXT_MAX + 1];
    size_t n;
    if (!dot || (n = strlen(dot + 1)) > EXT_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = dot[1 + i];
        ext[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    ext[n] = '\0';
    for (size_t i = 0; i < sizeof EXT_TYPES / sizeof *EXT_TYPES; i++)
        if (strcmp(ext, EXT_TYPES[i].ext) == 0)
            return EXT_TYPES[i].type;
    return NULL;
}

/* JSON re-serialised (one-line form: equal to indent=2 once whitespace is
 * collapsed), or the raw text when it does not parse. */
static char *extract_json(const char *text, size_t len, size_t *outlen)
{
    char *out = NULL;
    int rc = imp_json_indent(text, len, IMP_JSON_ONELINE, 0, &out, outlen);
    if (rc == 1) {
        out = malloc(len + 1);
        if (out) {
            memcpy(out, text, len);
            out[len] = '\0';
            *outlen = len;
        }
    }
    return out;
}

/* Text formats: decode, then the per-type transformation. */
static imp_status extract_decoded(const char *type, const void *data, size_t len,
                                  char **raw, size_t *rawlen)
{
    size_t tlen = 0;
    char *text = imp_decode_text(data, len, &tlen);
    if (!text)
        return IMP_ERR_NOMEM;
    if (strcmp(type, "json") == 0) {
        *raw = extract_json(text, tlen, rawlen);
        free(text);
    } else if (strcmp(type, "csv") == 0) {
        *raw = imp_csv_text(text, tlen, rawlen);
        free(text);
    } else {
        *raw = text;
        *rawlen = tlen;
    }
    return *raw ? IMP_OK : IMP_ERR_NOMEM;
}

/* Raw (not yet normalised) text of data as type; PDF/DOCX reasons in err. */
static imp_status extract_raw(const char *type, const void *data, size_t len,
                              char **raw, size_t *rawlen, char *err, size_t errsz)
{
    char reason[IMP_ERR_SIZE];
    int pdf = strcmp(type, "pdf") == 0;
    if (pdf || strcmp(type, "docx") == 0) {
        int rc = pdf ? imp_pdf_text(data, len, raw, rawlen, reason, sizeof reason)
                     : imp_docx_text(data, len, raw, rawlen, reason, sizeof reason);
        if (rc == 0)
            return IMP_OK;
        snprintf(err, errsz, "Failed to parse %s: %s", pdf ? "PDF" : "DOCX", reason);
        return IMP_ERR_PARSE;
    }
    if (strcmp(type, "html") == 0) {
        *raw = imp_html_text(data, len, NULL, rawlen);
        return *raw ? IMP_OK : IMP_ERR_NOMEM;
    }
    return extract_decoded(type, data, len, raw, rawlen);
}

imp_status imp_extract_file(const char *filename, const void *data, size_t len,
                            imp_file_result *out, char *err, size_t errsz)
{
    const char *type = imp_file_type(filename);
    char *raw = NULL;
    size_t rawlen = 0;
    imp_status st;
    memset(out, 0, sizeof *out);
    if (errsz)
        err[0] = '\0';
    if (!type)
        st = IMP_ERR_UNSUPPORTED;
    else if (len > IMP_FILE_MAX)
        st = IMP_ERR_TOO_LARGE;
    else if (strcmp(type, "doc") == 0)
        st = IMP_ERR_LEGACY_DOC;
    else
        st = extract_raw(type, data, len, &raw, &rawlen, err, errsz);
    if (st != IMP_OK)
        goto out;
    if (!(out->text = imp_normalize(raw, rawlen, &out->len))) {
        st = IMP_ERR_NOMEM;
        goto out;
    }
    out->file_type = type;
    if (imp_cp_len(out->text, out->len) < IMP_FILE_MIN_CHARS)
        st = IMP_ERR_EMPTY;
out:
    free(raw);
    if (st != IMP_OK) {
        imp_file_result_free(out);
        if (st != IMP_ERR_PARSE)
            snprintf(err, errsz, "%s", imp_status_message(st));
    }
    return st;
}

void imp_file_result_free(imp_file_result *r)
{
    if (!r)
        return;
    free(r->text);
    r->text = NULL;
    r->len = 0;
    r->file_type = NULL;
}
