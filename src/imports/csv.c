/* csv.c — Python csv.reader (excel dialect, strict=False) rendered as
 * "a | b" lines; see csv.h. The caller owns the returned string.
 *
 * The state machine is _csv.c's parse_process_char() for delimiter ',',
 * quotechar '"', doublequote=True, no escapechar, with its end-of-line
 * pseudo character CSV_EOL fed after every line. One deliberate
 * difference: a lone '\r' ends a line (Python's io.StringIO would only
 * split at '\n' and then raise "new-line character seen in unquoted
 * field"); this is what csv.reader does on a file opened with newline=''. */
#include "imports/csv.h"

#include <stdbool.h>

#include "util/buf.h"

#define CSV_EOL (-1)

enum csv_state {
    CSV_START_RECORD, CSV_START_FIELD, CSV_IN_FIELD, CSV_IN_QUOTED,
    CSV_QUOTE_IN_QUOTED, CSV_EAT_CRNL,
};

typedef struct csv_parser {
    enum csv_state state;
    buf out;        /* finished rows, "\n"-separated */
    buf row;        /* fields of the current row, " | "-separated */
    buf field;      /* the field being read */
    size_t nfields; /* fields saved in the current row */
    size_t nrows;   /* rows written to out */
} csv_parser;

static int csv_save_field(csv_parser *p)
{
    if (p->nfields++ && buf_append(&p->row, " | ", 3) != 0)
        return -1;
    if (p->field.len && buf_append(&p->row, p->field.p, p->field.len) != 0)
        return -1;
    buf_reset(&p->field);
    return 0;
}

static int csv_emit_row(csv_parser *p)
{
    if (p->nrows++ && buf_putc(&p->out, '\n') != 0)
        return -1;
    if (p->row.len && buf_append(&p->out, p->row.p, p->row.len) != 0)
        return -1;
    buf_reset(&p->row);
    p->nfields = 0;
    return 0;
}

/* Ends a field at a newline or CSV_EOL. */
static int csv_end_field(csv_parser *p, int c)
{
    if (csv_save_field(p) != 0)
        return -1;
    p->state = c == CSV_EOL ? CSV_START_RECORD : CSV_EAT_CRNL;
    return 0;
}

static int csv_add(csv_parser *p, int c)
{
    char ch = (char)c;
    return buf_append(&p->field, &ch, 1);
}

static int csv_start_field(csv_parser *p, int c)
{
    if (c == '\n' || c == '\r' || c == CSV_EOL)
        return csv_end_field(p, c);
    if (c == '"') {
        p->state = CSV_IN_QUOTED;
        return 0;
    }
    if (c == ',')
        return csv_save_field(p);
    p->state = CSV_IN_FIELD;
    return csv_add(p, c);
}

static int csv_step(csv_parser *p, int c)
{
    bool nl = c == '\n' || c == '\r';
    switch (p->state) {
    case CSV_START_RECORD:
        if (c == CSV_EOL)
            return 0;
        if (nl) {
            p->state = CSV_EAT_CRNL;
            return 0;
        }
        p->state = CSV_START_FIELD;
        return csv_start_field(p, c);
    case CSV_START_FIELD:
        return csv_start_field(p, c);
    case CSV_IN_FIELD:
        if (nl || c == CSV_EOL)
            return csv_end_field(p, c);
        if (c == ',') {
            p->state = CSV_START_FIELD;
            return csv_save_field(p);
        }
        return csv_add(p, c);
    case CSV_IN_QUOTED:
        if (c == CSV_EOL)
            return 0;
        if (c == '"') {
            p->state = CSV_QUOTE_IN_QUOTED;
            return 0;
        }
        return csv_add(p, c);
    case CSV_QUOTE_IN_QUOTED:
        if (c == '"') {
            p->state = CSV_IN_QUOTED;
            return csv_add(p, c);
        }
        if (c == ',') {
            p->state = CSV_START_FIELD;
            return csv_save_field(p);
        }
        if (nl || c == CSV_EOL)
            return csv_end_field(p, c);
        p->state = CSV_IN_FIELD;            /* strict=False: keep going */
        return csv_add(p, c);
    case CSV_EAT_CRNL:
        if (c == CSV_EOL)
            p->state = CSV_START_RECORD;
        /* Any other character cannot follow: lines end after '\r'/'\n'. */
        return 0;
    }
    return 0;
}

/* Feeds s line by line; returns 0 or -1 (out of memory). */
static int csv_run(csv_parser *p, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (csv_step(p, c) != 0)
            return -1;
        bool eol = c == '\n' || (c == '\r' && (i + 1 == len || s[i + 1] != '\n'));
        if (!eol && i + 1 < len)
            continue;
        if (csv_step(p, CSV_EOL) != 0)
            return -1;
        /* Like Reader_iternext: a line that ends in START_RECORD yields the
         * row read so far (an empty one for a blank line). */
        if (p->state == CSV_START_RECORD && csv_emit_row(p) != 0)
            return -1;
    }
    /* End of input inside quotes: Python (strict=False) keeps the field. */
    if (p->state == CSV_IN_QUOTED && (csv_save_field(p) != 0 || csv_emit_row(p) != 0))
        return -1;
    return 0;
}

char *imp_csv_text(const char *s, size_t len, size_t *outlen)
{
    csv_parser p = { CSV_START_RECORD, BUF_INIT(0), BUF_INIT(0), BUF_INIT(0), 0, 0 };
    char *out = NULL;
    if (csv_run(&p, s, len) != 0)
        goto out;
    if (outlen)
        *outlen = p.out.len;
    out = buf_steal(&p.out);
out:
    buf_free(&p.out);
    buf_free(&p.row);
    buf_free(&p.field);
    return out;
}
