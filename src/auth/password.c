/* password.c — see password.h. */
#include "auth/password.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

static unsigned long long pw_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t pw_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

void password_set_cost(unsigned long long opslimit, size_t memlimit)
{
    pw_ops = opslimit;
    pw_mem = memlimit;
}

int password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
    return crypto_pwhash_str(out, pw, len, pw_ops, pw_mem) == 0 ? 0 : -1;
}

bool password_verify(const char *hash, const char *pw, size_t len)
{
    if (!hash || strlen(hash) >= crypto_pwhash_STRBYTES)
        return false;
    return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

static void make_dummy(void)
{
    char pw[32];
    randombytes_buf(pw, sizeof pw);
    if (crypto_pwhash_str(dummy_hash, pw, sizeof pw, pw_ops, pw_mem) != 0)
        dummy_hash[0] = '\0';
}

void password_verify_dummy(const char *pw, size_t len)
{
    pthread_once(&dummy_once, make_dummy);
    if (dummy_hash[0] && crypto_pwhash_str_verify(dummy_hash, pw, len) == 0)
        dummy_hash[0] = '\0';   /* a random password matched: never again */
}
