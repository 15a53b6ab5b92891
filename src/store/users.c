/* users.c — user rows; see users.h. */
#include "store/users.h"

#include "db/db.h"
#include "store/internal.h"
#include "store/stamps.h"
#include "util/isotime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLS "id, name, email, avatar, auto_store, retention_period, is_active, date_joined"

void user_row_free(user_row *u)
{
    free(u->name);
    free(u->email);
    free(u->avatar);
    if (u->password)
        memset(u->password, 0, strlen(u->password));
    free(u->password);
    memset(u, 0, sizeof *u);
}

static char *dup_col(db_stmt *st, int col)
{
    const char *s = db_col_text(st, col);
    return s ? strdup(s) : NULL;
}

st_rc st_read_user(db_stmt *st, user_row *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", db_col_text(st, 0));
    u->name = dup_col(st, 1);
    u->email = dup_col(st, 2);
    u->avatar = dup_col(st, 3);
    u->auto_store = db_col_int(st, 4) != 0;
    snprintf(u->retention, sizeof u->retention, "%s", db_col_text(st, 5));
    u->is_active = db_col_int(st, 6) != 0;
    u->created_at = db_col_int(st, 7);
    if (!u->name || !u->email) {
        user_row_free(u);
        return ST_DB_ERROR;
    }
    return ST_OK;
}

/* Runs a bound single-row query and reads a user from it. */
static st_rc fetch_user(db_stmt *st, user_row *out)
{
    db_rc rc = db_step(st);
    st_rc res = rc == DB_ROW ? st_read_user(st, out) : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
    db_reset(st);
    return res;
}

st_rc user_get(const char *id, user_row *out)
{
    db_stmt *st = st_prep(db_thread(), "SELECT " USER_COLS " FROM users WHERE id = $1", ST_T(id));
    return st ? fetch_user(st, out) : ST_DB_ERROR;
}

st_rc user_by_email(const char *email, user_row *out)
{
    db_stmt *st = st_prep(db_thread(), "SELECT " USER_COLS ", password FROM users WHERE email = $1",
                          ST_T(email));
    if (!st)
        return ST_DB_ERROR;
    db_rc rc = db_step(st);
    st_rc res = rc == DB_ROW ? st_read_user(st, out) : rc == DB_DONE ? ST_NOT_FOUND : ST_DB_ERROR;
    if (res == ST_OK && !(out->password = dup_col(st, 8))) {
        user_row_free(out);         /* read as a wrong password otherwise */
        res = ST_DB_ERROR;
    }
    db_reset(st);
    return res;
}

static st_rc email_taken(db *d, const char *email, const char *except_id)
{
    db_stmt *st = st_prep(d, "SELECT id FROM users WHERE email = $1", ST_T(email));
    if (!st)
        return ST_DB_ERROR;
    db_rc rc = db_step(st);
    st_rc res = rc == DB_DONE ? ST_OK : rc != DB_ROW ? ST_DB_ERROR
              : except_id && strcmp(db_col_text(st, 0), except_id) == 0 ? ST_OK : ST_CONFLICT;
    db_reset(st);
    return res;
}

st_rc user_email_taken(const char *email)
{
    db *d = db_thread();
    return d ? email_taken(d, email, NULL) : ST_DB_ERROR;
}

/* The username of API.md §3.1: the email's local part, then local1,
 * local2 … — the smallest suffix not yet taken. */
static st_rc derive_username(db *d, const char *email, char *out, size_t outsz)
{
    const char *at = strrchr(email, '@');
    size_t base = at ? (size_t)(at - email) : strlen(email);
    if (base > 150)
        base = 150;
    char stem[160];
    snprintf(stem, sizeof stem, "%.*s", (int)base, email);
    db_stmt *st = st_prep(d, "SELECT username FROM users WHERE substr(username, 1, $2) = $1",
                          ST_T(stem), ST_I(strlen(stem)));
    if (!st)
        return ST_DB_ERROR;
    /* taken[i]: suffix i is used (0 = the bare stem); bounded scan. */
    enum { SCAN = 4096 };
    unsigned char *taken = calloc(SCAN, 1);
    if (!taken) {
        db_reset(st);
        return ST_DB_ERROR;
    }
    db_rc rc;
    while ((rc = db_step(st)) == DB_ROW) {
        const char *u = db_col_text(st, 0) + strlen(stem);
        char *end;
        if (*u == '\0')
            taken[0] = 1;
        else if (*u >= '1' && *u <= '9') {
            long n = strtol(u, &end, 10);
            if (*end == '\0' && n > 0 && n < SCAN)
                taken[n] = 1;
        }
    }
    db_reset(st);
    long pick = -1;
    for (long i = 0; i < SCAN && pick < 0; i++)
        if (!taken[i])
            pick = i;
    free(taken);
    if (rc != DB_DONE)
        return ST_DB_ERROR;
    if (pick == 0)
        snprintf(out, outsz, "%s", stem);
    else if (pick > 0)
        snprintf(out, outsz, "%s%ld", stem, pick);
    else    /* thousands of namesakes: fall back to a random-looking suffix */
        snprintf(out, outsz, "%s%lld", stem, (long long)(time_now_us() % 1000000000));
    return ST_OK;
}

typedef struct user_job {
    const char *id, *name, *email, *pwhash, *refresh_jti, *refresh_sid;
    int64_t refresh_exp_us;
} user_job;

static st_rc create_on(db *d, void *ctx)
{
    const user_job *j = ctx;
    char username[200];
    st_rc res = email_taken(d, j->email, NULL);
    if (res == ST_OK)
        res = derive_username(d, j->email, username, sizeof username);
    if (res == ST_OK)
        res = st_run(d, "INSERT INTO users (id, username, email, name, password, date_joined,"
                        " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                     ST_T(j->id), ST_T(username), ST_T(j->email), ST_T(j->name),
                     ST_T(j->pwhash), ST_I(time_now_us()));
    if (res == ST_OK && j->refresh_jti)
        res = insert_refresh_token(d, j->refresh_jti, j->id, j->refresh_sid,
                                   j->refresh_exp_us);
    return res;
}

st_rc user_create(const char *id, const char *name, const char *email, const char *pwhash,
                  const char *refresh_jti, const char *refresh_sid, int64_t refresh_exp_us,
                  user_row *out)
{
    user_job j = { id, name, email, pwhash, refresh_jti, refresh_sid, refresh_exp_us };
    st_rc res = st_write(create_on, &j);
    return res == ST_OK ? user_get(id, out) : res;
}

/* Sets the email (when not NULL, and free) and the name (when not NULL). */
static st_rc profile_on(db *d, void *ctx)
{
    const user_job *j = ctx;
    int64_t now = time_now_us();
    st_rc res = j->email ? email_taken(d, j->email, j->id) : ST_OK;
    if (res == ST_OK && j->email)
        res = st_change(d, "UPDATE users SET email = $2, updated_at = $3 WHERE id = $1",
                        ST_T(j->id), ST_T(j->email), ST_I(now));
    if (res == ST_OK && j->name)
        res = st_change(d, "UPDATE users SET name = $2, updated_at = $3 WHERE id = $1",
                        ST_T(j->id), ST_T(j->name), ST_I(now));
    /* teams show members' names and emails, inboxes the inviter's */
    if (res == ST_OK)
        res = stamp_user(d, j->id, U_PROFILE);
    if (res == ST_OK)
        res = stamp_ws_of_user(d, j->id, WS_TEAM);
    if (res == ST_OK)
        res = stamp_invitees_of_inviter(d, j->id);
    return res;
}

st_rc user_update_profile(const char *id, const char *name, const char *email, user_row *out)
{
    user_job j = { id, name, email, NULL, NULL, NULL, 0 };
    st_rc res = st_write(profile_on, &j);
    return res == ST_OK ? user_get(id, out) : res;
}
