/* extract.h — §8.3 steps 2–4 for POST …/memories/import-file: file name →
 * type, bytes → normalised text, with the exact user-facing error strings
 * (the caller answers 400 with err, or 500 for IMP_ERR_NOMEM).
 *
 * Ownership: out->text is malloc'd and owned by the caller; release it
 * with imp_file_result_free() (or free(out->text)). out->file_type is a
 * static string. */
#ifndef CHIMERA_IMPORTS_EXTRACT_H
#define CHIMERA_IMPORTS_EXTRACT_H

#include <stddef.h>

#define IMP_FILE_MAX (10u << 20)        /* §8.3 step 3: 10 MiB */
#define IMP_FILE_MIN_CHARS 10           /* §8.3 step 4: shorter → IMP_ERR_EMPTY */
#define IMP_ERR_SIZE 256                /* enough for every err message */

typedef enum imp_status {
    IMP_OK = 0,
    IMP_ERR_UNSUPPORTED,    /* Unsupported file type. Supported: .pdf, .docx, … */
    IMP_ERR_TOO_LARGE,      /* File too large. Maximum size is 10MB */
    IMP_ERR_LEGACY_DOC,     /* Legacy .doc format is not supported. Please convert to .docx */
    IMP_ERR_PARSE,          /* Failed to parse PDF: <reason> / Failed to parse DOCX: <reason> */
    IMP_ERR_EMPTY,          /* Could not extract meaningful content from the file */
    IMP_ERR_NOMEM,          /* out of memory: an internal error, not the user's */
} imp_status;

typedef struct imp_file_result {
    char *text;             /* normalised UTF-8 text, >= 10 code points */
    size_t len;             /* its length in bytes */
    const char *file_type;  /* "text", "markdown", "rtf", "html", "json", "csv", "pdf", "docx" */
} imp_file_result;

/* The file_type for filename's extension (text after the last '.',
 * ASCII-lower-cased): one of the names above, "doc" for .doc, NULL if the
 * extension is not accepted. Lets the caller refuse a type before
 * reading the body. */
const char *imp_file_type(const char *filename);

/* The fixed message of a status ("" for IMP_OK and IMP_ERR_PARSE, whose
 * message carries a reason, "Internal server error" for IMP_ERR_NOMEM). */
const char *imp_status_message(imp_status st);

/* §8.3 steps 2–4 in order: extension, size (> IMP_FILE_MAX), .doc, text
 * extraction, normalisation (whitespace runs → one space, control
 * characters removed, stripped), the 10-character minimum. On IMP_OK *out
 * holds the text; otherwise out->text is NULL and err (if errsz > 0) the
 * user-facing message. */
imp_status imp_extract_file(const char *filename, const void *data, size_t len,
                            imp_file_result *out, char *err, size_t errsz);

void imp_file_result_free(imp_file_result *r);

#endif
