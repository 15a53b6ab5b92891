/* auth.c — register, login, logout, refresh, profile (API.md §5.1 with the
 * token decisions of D4 and the abuse limits of D5). */
#include "api/api.h"
#include "api/handlers.h"
#include "api/shapes/serialize.h"
#include "api/validate.h"

#include "auth/password.h"
#include "config.h"
#include "api/limits.h"
#include "http/response.h"
#include "store/tokens.h"
#include "util/ids.h"
#include "util/isotime.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Issues an access + refresh pair of login session sid (NULL: a new login
 * session); the refresh token's claims go to *rc. */
static int issue_pair(const char *user_id, const char *sid, char **access, char **refresh,
                      tok_claims *rc)
{
    int64_t now = time_now_us() / 1000000;
    char fresh[33];
    tok_claims ac;
    if (!sid || !*sid)
        id_hex(fresh, 32), sid = fresh;
    *access = token_issue(TOK_ACCESS, user_id, sid, now, cfg.access_ttl_s, &ac);
    *refresh = token_issue(TOK_REFRESH, user_id, sid, now, cfg.refresh_ttl_s, rc);
    if (*access && *refresh)
        return 0;
    free(*access);
    free(*refresh);
    *access = *refresh = NULL;
    return -1;
}

static json_t *auth_result(char *access, char *refresh, const user_row *u)
{
    json_t *o = json_put(json_object(), "token", json_string(access));
    o = json_put(o, "refresh", json_string(refresh));
    o = json_put(o, "user", user_json(u));
    free(access);
    free(refresh);
    return o;
}

static int throttled(http_req *r, const char *kind, const char *who, int limit)
{
    int wait = limit_wait(kind, who, limit);
    if (wait)
        resp_throttled(r, wait);
    return wait;
}

void h_register(http_req *r)
{
    char *name = NULL, *email = NULL, *password = NULL, *access = NULL, *refresh = NULL;
    json_t *body = NULL, *errs = json_object();
    user_row u = { 0 };
    if (throttled(r, "reg", r->client, cfg.register_limit))
        goto out;
    if (!(body = val_body(r)))
        goto out;
    val_decl_str(body, "Register", "name", errs, &name);
    val_decl_str(body, "Register", "email", errs, &email);
    val_decl_str(body, "Register", "password", errs, &password);
    /* Uniqueness is a field error beside the others, as DRF reports it;
     * user_create() checks again inside its transaction. */
    if (email && user_email_taken(email) == ST_CONFLICT)
        val_error(errs, "email", "Email already exists");
    if (val_failed(r, errs))
        goto out;
    char hash[PASSWORD_HASH_MAX], id[ID_UUID_LEN + 1];
    tok_claims rc;
    if (password_hash(password, strlen(password), hash) != 0 ||
        issue_pair((id_uuid4(id), id), NULL, &access, &refresh, &rc) != 0) {
        resp_error(r, 500, "Internal server error");
        goto out;
    }
    st_rc st = user_create(id, name, email, hash, rc.jti, rc.sid, rc.exp * 1000000, &u);
    if (st == ST_CONFLICT) {
        val_error(errs, "email", "Email already exists");
        resp_fields(r, json_incref(errs));
        goto out;
    }
    if (st != ST_OK) {
        api_store_error(r, st, NULL);
        goto out;
    }
    limit_count("reg", r->client, cfg.register_window_s);
    resp_data(r, 201, auth_result(access, refresh, &u));
    access = refresh = NULL;
out:
    if (password)
        memset(password, 0, strlen(password));
    free(name), free(email), free(password), free(access), free(refresh);
    user_row_free(&u);
    json_decref(body);
    json_decref(errs);
}

/* Verifies the credentials; counts a failure against email and address.
 * A user that could not be read (the database failed) is answered here
 * (false, r answered): never "Invalid credentials", which would send the
 * user to retype a good password and count it as a failure. */
static bool login_ok(http_req *r, const char *email, const char *password, user_row *u)
{
    st_rc st = user_by_email(email, u);
    if (st != ST_OK && st != ST_NOT_FOUND) {
        api_store_error(r, st, NULL);
        return false;
    }
    bool ok;
    if (st == ST_OK)
        ok = password_verify(u->password, password, strlen(password)) && u->is_active;
    else
        password_verify_dummy(password, strlen(password)), ok = false;
    if (!ok) {
        limit_count("lf-e", email, cfg.login_fail_window_s);
        limit_count("lf-a", r->client, cfg.login_fail_window_s);
    }
    return ok;
}

void h_login(http_req *r)
{
    char *email = NULL, *password = NULL, *access = NULL, *refresh = NULL;
    json_t *body = NULL, *errs = json_object();
    user_row u = { 0 };
    if (!(body = val_body(r)))
        goto out;
    val_decl_str(body, "Login", "email", errs, &email);
    val_decl_str(body, "Login", "password", errs, &password);
    if (val_failed(r, errs))
        goto out;
    if (throttled(r, "lf-e", email, cfg.login_fail_limit) ||
        throttled(r, "lf-a", r->client, cfg.login_fail_limit))
        goto out;
    if (!login_ok(r, email, password, &u)) {
        if (!r->responded)
            resp_error(r, 401, "Invalid credentials");
        goto out;
    }
    tok_claims rc;
    if (issue_pair(u.id, NULL, &access, &refresh, &rc) != 0 ||
        token_record_refresh(rc.jti, u.id, rc.sid, rc.exp * 1000000) != ST_OK) {
        resp_error(r, 500, "Internal server error");
        goto out;
    }
    limit_clear("lf-e", email);
    resp_data(r, 200, auth_result(access, refresh, &u));
    access = refresh = NULL;
out:
    if (password)
        memset(password, 0, strlen(password));
    free(email), free(password), free(access), free(refresh);
    user_row_free(&u);
    json_decref(body);
    json_decref(errs);
}

static json_t *message(const char *text)
{
    return json_pack("{s:s}", "message", text);
}

/* The "refresh" body field as a string, or NULL when absent/unusable. */
static const char *refresh_field(json_t *body)
{
    json_t *v = json_object_get(body, "refresh");
    return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

void h_logout(http_req *r)
{
    json_t *body = val_body(r);
    if (!body)
        return;
    const char *rt = refresh_field(body);
    tok_claims rc;
    int64_t now = time_now_us();
    tok_rc v = rt ? token_verify(rt, now / 1000000, &rc) : TOK_INVALID;
    if (v == TOK_NO_MEMORY) {
        resp_no_memory(r);
        goto out;
    }
    if (json_object_get(body, "refresh") && !json_is_null(json_object_get(body, "refresh")) &&
        (!rt || v != TOK_OK || rc.type != TOK_REFRESH ||
         strcmp(rc.user_id, r->user->user.id) != 0)) {
        resp_error(r, 400, "Token is invalid or expired");
        goto out;
    }
    const tok_claims *ac = &r->user->claims;
    int64_t ttl = cfg.access_ttl_s > cfg.refresh_ttl_s ? cfg.access_ttl_s : cfg.refresh_ttl_s;
    token_logout_job job = {
        .user_id = r->user->user.id,
        .access_jti = ac->jti,
        .access_exp_us = ac->exp * 1000000,
        .sid = ac->sid,
        .session_exp_us = now + ttl * 1000000,
        .refresh_jti = rt ? rc.jti : NULL,
    };
    st_rc st = token_logout(&job);
    if (st == ST_CONFLICT)
        resp_error(r, 400, "Token is blacklisted");
    else if (st == ST_NOT_FOUND)
        resp_error(r, 400, "Token is invalid or expired");
    else if (st != ST_OK)
        api_store_error(r, st, NULL);
    else {
        token_purge_expired(now);
        resp_data(r, 200, message("Successfully logged out"));
    }
out:
    json_decref(body);
}

void h_refresh(http_req *r)
{
    json_t *body = val_body(r);
    if (!body)
        return;
    const char *rt = refresh_field(body);
    tok_claims old, fresh;
    char *access = NULL, *refresh = NULL;
    if (!rt) {
        resp_error(r, 400, "Refresh token required");
        goto out;
    }
    tok_rc v = token_verify(rt, time_now_us() / 1000000, &old);
    if (v == TOK_NO_MEMORY) {
        resp_no_memory(r);
        goto out;
    }
    if (v != TOK_OK || old.type != TOK_REFRESH) {
        resp_error(r, 401, "Invalid or expired refresh token");
        goto out;
    }
    if (issue_pair(old.user_id, old.sid, &access, &refresh, &fresh) != 0) {
        resp_error(r, 500, "Internal server error");
        goto out;
    }
    st_rc st = token_rotate(old.jti, old.user_id, fresh.sid, fresh.jti, fresh.exp * 1000000);
    if (st == ST_NOT_FOUND)
        resp_error(r, 401, "Invalid or expired refresh token");
    else if (st != ST_OK)
        api_store_error(r, st, NULL);
    else
        resp_data(r, 200, json_pack("{s:s,s:s}", "token", access, "refresh", refresh));
out:
    free(access);
    free(refresh);
    json_decref(body);
}

void h_profile(http_req *r)
{
    resp_data(r, 200, user_json(&r->user->user));
}

/* A truthy profile value as a validated string; NULL when it is to be
 * ignored (absent or falsy) or invalid (error recorded). */
static char *profile_value(json_t *body, const char *name, json_t *errs)
{
    char *s = NULL;
    if (!val_truthy(json_object_get(body, name)))
        return NULL;
    val_decl_str(body, "ProfileUpdate", name, errs, &s);
    return s;
}

void h_profile_update(http_req *r)
{
    json_t *body = val_body(r), *errs = json_object();
    char *name = NULL, *email = NULL;
    user_row u = { 0 };
    if (!body)
        goto out;
    name = profile_value(body, "name", errs);
    email = profile_value(body, "email", errs);
    if (val_failed(r, errs))
        goto out;
    st_rc st = user_update_profile(r->user->user.id, name, email, &u);
    if (st == ST_CONFLICT)
        resp_error(r, 400, "Email already exists");
    else if (st != ST_OK)
        api_store_error(r, st, "User not found");
    else
        resp_data(r, 200, user_json(&u));
out:
    free(name);
    free(email);
    user_row_free(&u);
    json_decref(body);
    json_decref(errs);
}
