/* test_backup.c — the pg_dump hint of src/db/backup.c: the URL's
 * password never appears (user:password@, a password= parameter), the
 * rest of the URL and the file name do, quoted for a POSIX shell. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "db/db.h"

#include <stdlib.h>
#include <string.h>

static void expect(const char *url, const char *file, const char *want, const char *never)
{
    char *h = db_pg_dump_hint(url, file);
    assert_non_null(h);
    if (!strstr(h, want))
        fail_msg("%s\nnot in:\n%s", want, h);
    if (never && strstr(h, never))
        fail_msg("%s leaked in:\n%s", never, h);
    free(h);
}

static void test_password_left_out(void **state)
{
    (void)state;
    expect("postgres://chimera:s3cret@db.example:5432/prod", "b.dump",
           "pg_dump --format=custom --file='b.dump' --dbname='postgres://chimera@db.example:5432/prod'",
           "s3cret");
    expect("postgresql://u:p%40ss@h/db?sslmode=require&password=q1&application_name=a", "x",
           "--dbname='postgresql://u@h/db?sslmode=require&application_name=a'", "q1");
    expect("postgres://u:pa:ss@h/db", "x", "--dbname='postgres://u@h/db'", "pa:ss");
    expect("postgres://u:p@ss@h/db", "x", "--dbname='postgres://u@h/db'", "p@ss");
    expect("postgres://u:pw@h/db?password=zz", "x", "--dbname='postgres://u@h/db'", "zz");
    expect("postgres://h/db#frag", "x", "--dbname='postgres://h/db'", "frag");
    /* Empty parameters are dropped; a URL without a scheme keeps its shape. */
    expect("postgres://h/db?&&password=zz&&sslmode=disable&", "x",
           "--dbname='postgres://h/db?sslmode=disable'", "zz");
    expect("u:pw@h/db", "x", "--dbname='u@h/db'", "pw");
}

static void test_quoting(void **state)
{
    (void)state;
    expect("postgres://u@h/db", "it's here.dump", "--file='it'\\''s here.dump'", NULL);
    expect("postgres://u@h/d'b", "x", "--dbname='postgres://u@h/d'\\''b'", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_left_out),
        cmocka_unit_test(test_quoting),
    };
    return cmocka_run_group_tests_name("db/backup", tests, NULL, NULL);
}
