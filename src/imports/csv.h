/* csv.h — §8.3 ".csv": rows read like Python's csv.reader (default
 * "excel" dialect, strict=False), each row's fields joined with " | ",
 * rows joined with "\n". The returned string is malloc'd and owned by the
 * caller; NULL means out of memory. */
#ifndef CHIMERA_IMPORTS_CSV_H
#define CHIMERA_IMPORTS_CSV_H

#include <stddef.h>

/* s is decoded text (UTF-8; NULs allowed). Quoted fields may hold commas,
 * newlines and doubled quotes; a blank line is an empty row (""); an
 * unterminated quoted field runs to the end of input. Lines end at "\n",
 * "\r\n" or a lone "\r". */
char *imp_csv_text(const char *s, size_t len, size_t *outlen);

#endif
