"""JWT claims, authentication failures, refresh rotation, logout (API.md §0 D4, §1.8, §5.1, §12)."""
import hashlib
import hmac
import json
import os
import tempfile
import time
import uuid

import pytest

from chimera_api import (
    JWT_SECRET_KEY, SECRETS, Api, Server, base_tmp, assert_error, b64url, claims, error_of, forge_jwt,
    jwt_parts, jwt_payload, jwt_verify, login, note_tokens, ok_data, register, register_full,
)

NOT_PROVIDED = "Authentication credentials were not provided."
TWO_VALUES = "Authorization header must contain two space-delimited values"
INVALID = "Given token not valid for any token type"
USER_NOT_FOUND = "User not found"
BAD_REFRESH = "Invalid or expired refresh token"

# Protected routes known so far (method, path, body). Later suites extend it.
PROTECTED_ROUTES = [
    ("GET", "/auth/profile", None),
    ("PUT", "/auth/profile/update", {"name": "x"}),
    ("POST", "/auth/logout", None),
]


def call(api, method, path, body, **kw):
    if body is None:
        return api.request(method, path, **kw)
    return api.request(method, path, json_body=body, **kw)


# ------------------------------------------------------------------ claims

def test_access_token_claims(api):
    token, refresh, user = register(api)
    header, payload, _ = jwt_parts(token)
    assert header["alg"] == "HS256"
    assert jwt_verify(token), "access token not HS256-signed with JWT_SECRET_KEY"
    assert payload["token_type"] == "access"
    assert payload["user_id"] == user["id"]
    assert isinstance(payload["jti"], str) and payload["jti"]
    assert isinstance(payload["exp"], int) and isinstance(payload["iat"], int)
    assert payload["exp"] - payload["iat"] == 24 * 3600
    assert abs(payload["iat"] - time.time()) < 120


def test_refresh_token_claims(api):
    token, refresh, user = register(api)
    header, payload, _ = jwt_parts(refresh)
    assert header["alg"] == "HS256"
    assert jwt_verify(refresh)
    assert payload["token_type"] == "refresh"
    assert payload["user_id"] == user["id"]
    assert payload["exp"] - payload["iat"] == 7 * 24 * 3600
    assert payload["jti"] != jwt_payload(token)["jti"]


def test_login_and_refresh_tokens_claims(api):
    acct = register_full(api)
    data = ok_data(login(api, acct["email"], acct["password"]))
    note_tokens(data)
    for tok, typ, life in [(data["token"], "access", 86400), (data["refresh"], "refresh", 604800)]:
        p = jwt_payload(tok)
        assert (p["token_type"], p["exp"] - p["iat"], p["user_id"]) == (typ, life, acct["user"]["id"])
    new = ok_data(api.post("/auth/refresh", {"refresh": data["refresh"]}))
    note_tokens(new)
    for tok, typ, life in [(new["token"], "access", 86400), (new["refresh"], "refresh", 604800)]:
        assert jwt_verify(tok)
        p = jwt_payload(tok)
        assert (p["token_type"], p["exp"] - p["iat"], p["user_id"]) == (typ, life, acct["user"]["id"])


def test_jti_unique(api):
    acct = register_full(api)
    jtis = {jwt_payload(acct["token"])["jti"], jwt_payload(acct["refresh"])["jti"]}
    for _ in range(3):
        d = ok_data(login(api, acct["email"], acct["password"]))
        note_tokens(d)
        jtis |= {jwt_payload(d["token"])["jti"], jwt_payload(d["refresh"])["jti"]}
    assert len(jtis) == 8


def test_token_lifetimes_are_settings():
    with Server({"JWT_EXPIRATION_HOURS": "2", "CHIMERA_REFRESH_DAYS": "3"}, name="ttl") as srv:
        api = Api(srv)
        token, refresh, _ = register(api)
        p = jwt_payload(token)
        assert p["exp"] - p["iat"] == 2 * 3600
        p = jwt_payload(refresh)
        assert p["exp"] - p["iat"] == 3 * 86400


# ------------------------------------------------------------------ authentication failures

@pytest.mark.parametrize("method,path,body", PROTECTED_ROUTES)
def test_no_credentials(api, method, path, body):
    assert_error(call(api, method, path, body), 401, NOT_PROVIDED)


@pytest.mark.parametrize("auth", ["", "Basic dXNlcjpwYXNz", "Token abc", "JWT abc", "Bearerabc", "x"])
@pytest.mark.parametrize("method,path,body", PROTECTED_ROUTES)
def test_non_bearer_header(api, method, path, body, auth):
    assert_error(call(api, method, path, body, auth=auth), 401, NOT_PROVIDED)


@pytest.mark.parametrize("auth", ["Bearer", "Bearer a b", "Bearer a b c"])
@pytest.mark.parametrize("method,path,body", PROTECTED_ROUTES)
def test_bearer_wrong_part_count(api, method, path, body, auth):
    assert_error(call(api, method, path, body, auth=auth), 401, TWO_VALUES)


def test_bearer_with_valid_token_plus_extra_part(api):
    token, _, _ = register(api)
    assert_error(api.get("/auth/profile", auth="Bearer %s extra" % token), 401, TWO_VALUES)


def _bad_tokens(user_id, good_token, refresh):
    h, p, s = good_token.split(".")
    other_payload = dict(jwt_payload(good_token), user_id=str(uuid.uuid4()))
    tampered = h + "." + b64url(json.dumps(other_payload).encode()) + "." + s
    bad = {
        "garbage": "garbage-" + uuid.uuid4().hex,
        "three-garbage-parts": "a.b.c",
        "empty-parts": "..",
        "bad-signature": h + "." + p + "." + b64url(b"\0" * 32),
        "truncated-signature": h + "." + p + "." + s[:-4],
        "no-signature": h + "." + p + ".",
        "two-parts": h + "." + p,
        "tampered-payload": tampered,
        "refresh-as-access": refresh,
        "expired": forge_jwt(claims(user_id, lifetime=-10)),
        "expired-long-ago": forge_jwt(claims(user_id, lifetime=-86400 * 30)),
        "other-key": forge_jwt(claims(user_id), key="not-the-key-" + uuid.uuid4().hex),
        "alg-none": forge_jwt(claims(user_id), alg="none"),
        "alg-None-header-with-sig": forge_jwt(claims(user_id), header={"alg": "none", "typ": "JWT"}),
        "alg-HS512": forge_jwt(claims(user_id), alg="HS512"),
        "alg-HS384": forge_jwt(claims(user_id), alg="HS384"),
        "wrong-token-type": forge_jwt(claims(user_id, token_type="id")),
        "no-token-type": forge_jwt({k: v for k, v in claims(user_id).items() if k != "token_type"}),
        "no-exp": forge_jwt({k: v for k, v in claims(user_id).items() if k != "exp"}),
        "payload-not-json": h + "." + b64url(b"not json") + "." + s,
        "payload-array": forge_jwt([1, 2, 3]),
    }
    # a correctly signed HS256 token whose header claims another alg
    hdr = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    sig = b64url(hmac.new(JWT_SECRET_KEY.encode(), (hdr + "." + p).encode(), hashlib.sha256).digest())
    bad["alg-RS256-header"] = hdr + "." + p + "." + sig
    for v in bad.values():
        if len(v) > 20:
            SECRETS.add(v)
    return bad


def test_invalid_tokens_rejected(api):
    token, refresh, user = register(api)
    for name, bad in _bad_tokens(user["id"], token, refresh).items():
        for method, path, body in PROTECTED_ROUTES:
            r = call(api, method, path, body, token=bad)
            assert r.status_code == 401, (name, path, r.status_code, r.text)
            assert r.json()["error"] == INVALID, (name, path, r.text)
    # the real token still works afterwards
    assert ok_data(api.get("/auth/profile", token=token))["id"] == user["id"]


def test_forged_token_with_known_key_accepted(api):
    """Sanity: the server verifies with JWT_SECRET_KEY (so the forgery tests mean something)."""
    _, _, user = register(api)
    tok = forge_jwt(claims(user["id"]))
    assert ok_data(api.get("/auth/profile", token=tok))["id"] == user["id"]


def test_token_of_unknown_user(api):
    tok = forge_jwt(claims(str(uuid.uuid4())))
    for method, path, body in PROTECTED_ROUTES:
        assert_error(call(api, method, path, body, token=tok), 401, USER_NOT_FOUND)


def test_expiry_boundary(api):
    _, _, user = register(api)
    now = int(time.time())
    fresh = forge_jwt({"token_type": "access", "exp": now + 30, "iat": now - 10,
                       "jti": uuid.uuid4().hex, "user_id": user["id"]})
    assert ok_data(api.get("/auth/profile", token=fresh))
    stale = forge_jwt({"token_type": "access", "exp": now - 5, "iat": now - 100,
                       "jti": uuid.uuid4().hex, "user_id": user["id"]})
    assert_error(api.get("/auth/profile", token=stale), 401, INVALID)


# ------------------------------------------------------------------ refresh (D4 rotation)

def test_refresh_rotates(api):
    token, refresh, user = register(api)
    data = ok_data(api.post("/auth/refresh", {"refresh": refresh}))
    note_tokens(data)
    assert set(data) == {"token", "refresh"}
    assert data["refresh"] != refresh and data["token"] != token
    assert ok_data(api.get("/auth/profile", token=data["token"]))["id"] == user["id"]
    # the old refresh token is revoked
    assert_error(api.post("/auth/refresh", {"refresh": refresh}), 401, BAD_REFRESH)
    # the new one works, once
    data2 = ok_data(api.post("/auth/refresh", {"refresh": data["refresh"]}))
    note_tokens(data2)
    assert_error(api.post("/auth/refresh", {"refresh": data["refresh"]}), 401, BAD_REFRESH)
    assert ok_data(api.get("/auth/profile", token=data2["token"]))["id"] == user["id"]


def test_refresh_missing(api):
    for body in [{}, {"refresh": ""}, {"refresh": None}, {"token": "x"}]:
        assert_error(api.post("/auth/refresh", body), 400, "Refresh token required")
    assert_error(api.post("/auth/refresh", data=b""), 400, "Refresh token required")


def test_refresh_with_access_token(api):
    token, refresh, _ = register(api)
    assert_error(api.post("/auth/refresh", {"refresh": token}), 401, BAD_REFRESH)
    # and the real refresh token is unaffected
    note_tokens(ok_data(api.post("/auth/refresh", {"refresh": refresh})))


def test_refresh_invalid_tokens(api):
    token, refresh, user = register(api)
    uid = user["id"]
    h, p, s = refresh.split(".")
    bad = [
        "garbage", "a.b.c", h + "." + p + "." + b64url(b"x" * 32),
        forge_jwt(claims(uid, token_type="refresh", lifetime=-10)),
        forge_jwt(claims(uid, token_type="refresh"), key="other-key"),
        forge_jwt(claims(uid, token_type="refresh"), alg="none"),
        forge_jwt(claims(uid, token_type="refresh"), alg="HS512"),
        forge_jwt(claims(uid, token_type="access")),
    ]
    for b in bad:
        assert_error(api.post("/auth/refresh", {"refresh": b}), 401, BAD_REFRESH)
    for b in [123, True, ["x"], {"a": 1}]:
        r = api.post("/auth/refresh", {"refresh": b})
        assert r.status_code in (400, 401), (b, r.status_code, r.text)
        error_of(r, r.status_code)


def test_refresh_unknown_user(api):
    tok = forge_jwt(claims(str(uuid.uuid4()), token_type="refresh"))
    assert_error(api.post("/auth/refresh", {"refresh": tok}), 401, BAD_REFRESH)


# ------------------------------------------------------------------ logout

def test_logout_revokes_access_token(api):
    token, refresh, _ = register(api)
    data = ok_data(api.post("/auth/logout", token=token))
    assert data == {"message": "Successfully logged out"}
    for method, path, body in PROTECTED_ROUTES:
        assert_error(call(api, method, path, body, token=token), 401, INVALID)
    # without a refresh in the body, the login's refresh token is revoked too (issue 16)
    assert_error(api.post("/auth/refresh", {"refresh": refresh}), 401, BAD_REFRESH)


def rotate(api, refresh, times):
    """Rotates refresh `times` times; returns every (access, refresh) pair issued."""
    pairs = []
    for _ in range(times):
        d = ok_data(api.post("/auth/refresh", {"refresh": refresh}))
        note_tokens(d)
        pairs.append((d["token"], d["refresh"]))
        refresh = d["refresh"]
    return pairs


def test_tokens_carry_their_login_session(api):
    acct = register_full(api)
    sid = jwt_payload(acct["token"])["sid"]
    assert isinstance(sid, str) and sid and jwt_payload(acct["refresh"])["sid"] == sid
    for access, refresh in rotate(api, acct["refresh"], 2):
        assert jwt_payload(access)["sid"] == sid == jwt_payload(refresh)["sid"]
    again = ok_data(login(api, acct["email"], acct["password"]))
    note_tokens(again)
    assert jwt_payload(again["token"])["sid"] == jwt_payload(again["refresh"])["sid"] != sid


@pytest.mark.parametrize("logout_with", ["latest", "first"])
def test_bodyless_logout_ends_the_session(api, logout_with):
    """The frontend logs out without a body: the refresh token of that login and every
    token rotated from it stop working, whichever access token of the session logs out."""
    acct = register_full(api)
    pairs = [(acct["token"], acct["refresh"])] + rotate(api, acct["refresh"], 3)
    other = ok_data(login(api, acct["email"], acct["password"]))
    note_tokens(other)
    token = pairs[-1][0] if logout_with == "latest" else pairs[0][0]
    assert ok_data(api.post("/auth/logout", data=b"", token=token)) == {
        "message": "Successfully logged out"}
    for access, refresh in pairs:
        assert_error(api.post("/auth/refresh", {"refresh": refresh}), 401, BAD_REFRESH)
        assert_error(api.get("/auth/profile", token=access), 401, INVALID)
    # another login of the same user is another session and keeps working
    assert ok_data(api.get("/auth/profile", token=other["token"]))["id"] == acct["user"]["id"]
    note_tokens(ok_data(api.post("/auth/refresh", {"refresh": other["refresh"]})))


def test_logout_with_refresh_of_the_same_session(api):
    acct = register_full(api)
    (token, refresh), = rotate(api, acct["refresh"], 1)
    ok_data(api.post("/auth/logout", {"refresh": refresh}, token=token))
    for t in (acct["token"], token):
        assert_error(api.get("/auth/profile", token=t), 401, INVALID)
    assert_error(api.post("/auth/refresh", {"refresh": refresh}), 401, BAD_REFRESH)


def test_tokens_without_session_still_work_and_log_out(api):
    """Tokens issued before sessions existed carry no sid: they authenticate and logout
    revokes exactly the presented access token (and the body's refresh token)."""
    _, _, user = register(api)
    legacy = forge_jwt(claims(user["id"]))
    assert "sid" not in jwt_payload(legacy)
    assert ok_data(api.get("/auth/profile", token=legacy))["id"] == user["id"]
    ok_data(api.post("/auth/logout", token=legacy))
    assert_error(api.get("/auth/profile", token=legacy), 401, INVALID)


def test_forged_session_claim_types_rejected(api):
    _, _, user = register(api)
    for sid in [7, "", None, ["x"], "x" * 64]:
        tok = forge_jwt(dict(claims(user["id"]), sid=sid))
        assert_error(api.get("/auth/profile", token=tok), 401, INVALID)


def test_logout_with_refresh_revokes_both(api):
    token, refresh, _ = register(api)
    data = ok_data(api.post("/auth/logout", {"refresh": refresh}, token=token))
    assert data == {"message": "Successfully logged out"}
    assert_error(api.post("/auth/refresh", {"refresh": refresh}), 401, BAD_REFRESH)
    assert_error(api.get("/auth/profile", token=token), 401, INVALID)


def test_logout_only_revokes_that_session(api):
    acct = register_full(api)
    other = ok_data(login(api, acct["email"], acct["password"]))
    note_tokens(other)
    ok_data(api.post("/auth/logout", {"refresh": acct["refresh"]}, token=acct["token"]))
    assert ok_data(api.get("/auth/profile", token=other["token"]))["id"] == acct["user"]["id"]
    note_tokens(ok_data(api.post("/auth/refresh", {"refresh": other["refresh"]})))
    # and logging in again gives working tokens
    again = ok_data(login(api, acct["email"], acct["password"]))
    note_tokens(again)
    assert ok_data(api.get("/auth/profile", token=again["token"]))


def test_logout_invalid_refresh(api):
    token, _, _ = register(api)
    assert_error(api.post("/auth/logout", {"refresh": "not-a-token"}, token=token), 400,
                 "Token is invalid or expired")
    token2, _, user = register(api)
    expired = forge_jwt(claims(user["id"], token_type="refresh", lifetime=-10))
    assert_error(api.post("/auth/logout", {"refresh": expired}, token=token2), 400,
                 "Token is invalid or expired")


def test_logout_blacklisted_refresh(api):
    token, refresh, _ = register(api)
    new = ok_data(api.post("/auth/refresh", {"refresh": refresh}))  # revokes `refresh`
    note_tokens(new)
    assert_error(api.post("/auth/logout", {"refresh": refresh}, token=new["token"]), 400,
                 "Token is blacklisted")


def test_logout_blacklisted_refresh_after_logout(api):
    acct = register_full(api)
    ok_data(api.post("/auth/logout", {"refresh": acct["refresh"]}, token=acct["token"]))
    other = ok_data(login(api, acct["email"], acct["password"]))
    note_tokens(other)
    assert_error(api.post("/auth/logout", {"refresh": acct["refresh"]}, token=other["token"]), 400,
                 "Token is blacklisted")


def test_logout_twice(api):
    token, _, _ = register(api)
    ok_data(api.post("/auth/logout", token=token))
    assert_error(api.post("/auth/logout", token=token), 401, INVALID)


def test_logout_requires_auth(api):
    _, refresh, _ = register(api)
    assert_error(api.post("/auth/logout", {"refresh": refresh}), 401, NOT_PROVIDED)
    # that failed logout revoked nothing
    note_tokens(ok_data(api.post("/auth/refresh", {"refresh": refresh})))


def test_logout_with_refresh_as_bearer(api):
    _, refresh, _ = register(api)
    assert_error(api.post("/auth/logout", token=refresh), 401, INVALID)


def test_revocation_survives_restart():
    """Revocation is stored in the database (D4): a restarted server still honours it."""
    url = os.environ.get("CHIMERA_TEST_DATABASE_URL", "")
    env = {}
    if url in ("", "sqlite"):
        d = tempfile.mkdtemp(prefix="restart-", dir=base_tmp())
        env["DATABASE_URL"] = "sqlite:///" + os.path.join(d, "chimera.db")
    with Server(env, name="restart1") as s1:
        a1 = Api(s1)
        token, refresh, user = register(a1)
        ok_data(a1.post("/auth/logout", {"refresh": refresh}, token=token))
        token2, refresh2, _ = register(a1)
        rotated = rotate(a1, refresh2, 1)
        ok_data(a1.post("/auth/logout", token=token2))
    with Server(env, name="restart2") as s2:
        a2 = Api(s2)
        assert_error(a2.get("/auth/profile", token=token), 401, INVALID)
        assert_error(a2.post("/auth/refresh", {"refresh": refresh}), 401, BAD_REFRESH)
        for access, rt in rotated:
            assert_error(a2.get("/auth/profile", token=access), 401, INVALID)
            assert_error(a2.post("/auth/refresh", {"refresh": rt}), 401, BAD_REFRESH)
