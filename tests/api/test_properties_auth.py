"""Property-based tests (Hypothesis) for seed-design "Correctness Properties"
1, 2, 3, 4, 25, 26, 27, 29 and 30, over the auth endpoints.

Names are arbitrary Unicode (no surrogates, no NUL) of 1..255 code points
after Python str.strip(); emails come from st.emails() made unique with a
random prefix in the local part (some in mixed case); passwords are
arbitrary Unicode of at least 8 code points after strip. Bodies are sent
both as ASCII-escaped JSON and as raw UTF-8.
"""
import json
import os
import string
import uuid

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chimera_api import (
    check_user, claims, django_email_valid, envelope, error_of, forge_jwt, jwt_payload,
    jwt_verify, login, note_tokens, ok_data, register_full, unique_email,
)
from test_tokens import INVALID, NOT_PROVIDED, PROTECTED_ROUTES, TWO_VALUES, USER_NOT_FOUND

# CHIMERA_PROPERTY_EXAMPLES raises the count for a longer soak (default 100).
PROPERTY = settings(max_examples=int(os.environ.get("CHIMERA_PROPERTY_EXAMPLES", "100")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# ------------------------------------------------------------------ strategies

PY_WS = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
TEXT_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
padding = st.text(alphabet=st.sampled_from(PY_WS), max_size=3)


def padded(core):
    return st.builds(lambda a, c, b: a + c + b, padding, core, padding)


core_names = st.text(TEXT_CHARS, min_size=1, max_size=255).filter(lambda s: s.strip() != "")
names = padded(core_names)
passwords = padded(st.text(TEXT_CHARS, min_size=8, max_size=64)
                   .filter(lambda s: len(s.strip()) >= 8))
mixed_case = st.emails().flatmap(
    lambda e: st.tuples(*[st.sampled_from([c.lower(), c.upper()]) for c in e]).map("".join))
raw_emails = st.one_of(st.emails(), mixed_case)
email_padding = st.sampled_from(["", " ", "\t", "  \n", "\u3000", "\xa0"])


def make_unique(email):
    """Prefixes the local part with random hex (the database outlives examples)."""
    e = uuid.uuid4().hex[:16] + email
    assume(len(e) <= 254)
    assert django_email_valid(e), e
    return e


def post_json(api, path, body, ascii_json, token=None, method="POST"):
    raw = json.dumps(body, ensure_ascii=ascii_json).encode("utf-8")
    return api.request(method, path, data=raw, token=token,
                       headers={"Content-Type": "application/json"})


def do_register(api, name, email, password, ascii_json):
    r = post_json(api, "/auth/register", {"name": name, "email": email, "password": password},
                  ascii_json)
    data = ok_data(r, 201)
    note_tokens(data)
    return data


def all_keys(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from all_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from all_keys(v)


# ------------------------------------------------------------------ property 1

@PROPERTY
@given(name=names, email=raw_emails, pad=email_padding, password=passwords, ascii_json=st.booleans())
def test_property_01_registration_creates_valid_account(api, name, email, pad, password, ascii_json):
    """Property 1: For any valid registration data (name, email, password), the
    system should create a user account and return JWT tokens with complete user
    profile including id, name, email, and createdAt."""
    email = make_unique(email)
    data = do_register(api, name, pad + email + pad, password, ascii_json)
    assert set(data) == {"token", "refresh", "user"}
    user = check_user(data["user"], name=name.strip(), email=email)
    for tok, typ in [(data["token"], "access"), (data["refresh"], "refresh")]:
        assert jwt_verify(tok)
        p = jwt_payload(tok)
        assert p["user_id"] == user["id"] and p["token_type"] == typ
    assert ok_data(api.get("/auth/profile", token=data["token"])) == user


# ------------------------------------------------------------------ property 2

@PROPERTY
@given(name=names, email=raw_emails, password=passwords, ascii_json=st.booleans())
def test_property_02_login_returns_usable_tokens(api, name, email, password, ascii_json):
    """Property 2: For any registered user with correct credentials, login should
    return both access and refresh JWT tokens that can be used for subsequent
    authenticated requests."""
    email = make_unique(email)
    reg = do_register(api, name, email, password, ascii_json)
    for pw in {password, password.strip()}:
        data = ok_data(post_json(api, "/auth/login", {"email": email, "password": pw}, ascii_json))
        note_tokens(data)
        assert set(data) == {"token", "refresh", "user"}
        assert data["user"] == reg["user"]
        assert ok_data(api.get("/auth/profile", token=data["token"]))["id"] == reg["user"]["id"]
        new = ok_data(api.post("/auth/refresh", {"refresh": data["refresh"]}))
        note_tokens(new)
        assert ok_data(api.get("/auth/profile", token=new["token"]))["id"] == reg["user"]["id"]
    r = post_json(api, "/auth/login", {"email": email, "password": password.strip() + "x"}, ascii_json)
    assert r.status_code == 401 and r.json()["error"] == "Invalid credentials"


# ------------------------------------------------------------------ property 3

@PROPERTY
@given(name=names, email=raw_emails, password=passwords, ascii_json=st.booleans())
def test_property_03_profile_matches_token_user(api, name, email, password, ascii_json):
    """Property 3: For any valid JWT token, the profile endpoint should return
    user data that matches the user ID encoded in the token."""
    email = make_unique(email)
    reg = do_register(api, name, email, password, ascii_json)
    logged = ok_data(login(api, email, password))
    note_tokens(logged)
    forged = forge_jwt(claims(reg["user"]["id"]))
    for tok in (reg["token"], logged["token"], forged):
        prof = ok_data(api.get("/auth/profile", token=tok))
        assert prof["id"] == jwt_payload(tok)["user_id"]
        assert prof == reg["user"]
        check_user(prof, name=name.strip(), email=email)


# ------------------------------------------------------------------ property 4

@PROPERTY
@given(email_a=raw_emails, email_b=raw_emails, new_name=names, pad=email_padding)
def test_property_04_email_uniqueness_on_update(api, email_a, email_b, new_name, pad):
    """Property 4: For any profile update with a new email, if the email already
    exists for a different user, the system should reject the update with a 400
    error."""
    email_a, email_b = make_unique(email_a), make_unique(email_b)
    a = register_full(api, email=email_a)
    b = register_full(api, email=email_b)
    r = api.put("/auth/profile/update", {"email": email_a}, token=b["token"])
    assert r.status_code == 400
    assert error_of(r, 400) == "Email already exists"
    r = api.put("/auth/profile/update", {"name": new_name, "email": email_a}, token=b["token"])
    assert error_of(r, 400) == "Email already exists"
    assert ok_data(api.get("/auth/profile", token=b["token"])) == b["user"]
    # A keeps its email; B can still move to a fresh one, and then A cannot take it
    fresh = unique_email("p4")
    assert ok_data(api.put("/auth/profile/update", {"email": fresh}, token=b["token"]))["email"] == fresh
    assert error_of(api.put("/auth/profile/update", {"email": fresh}, token=a["token"]), 400) \
        == "Email already exists"
    assert ok_data(api.get("/auth/profile", token=a["token"]))["email"] == email_a
    # register with a taken email is rejected as well
    r = api.post("/auth/register", {"name": "x", "email": pad + fresh + pad, "password": "password1"})
    assert error_of(r, 400) == {"email": ["Email already exists"]}


# ------------------------------------------------------------------ property 25

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
KNOWN_PATHS = ["/health", "/health/", "/auth/register", "/auth/login", "/auth/logout",
               "/auth/refresh", "/auth/profile", "/auth/profile/", "/auth/profile/update",
               "/auth", "/auth/", "/nope", "/auth/profile/update/x", "/"]
json_scalars = (st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**63 - 1)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(TEXT_CHARS, max_size=20))
json_values = st.recursive(json_scalars, lambda c: st.lists(c, max_size=4)
                           | st.dictionaries(st.text(TEXT_CHARS, max_size=8), c, max_size=4),
                           max_leaves=12)
field_dicts = st.dictionaries(st.sampled_from(["name", "email", "password", "refresh", "x", "id"]),
                              json_values | st.emails(), max_size=4)
bodies = st.one_of(
    st.none(),
    json_values.map(lambda v: json.dumps(v).encode()),
    field_dicts.map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
    st.binary(max_size=80),
    st.text(TEXT_CHARS, max_size=40).map(lambda s: s.encode("utf-8")),
)
AUTH_KINDS = ["none", "valid", "garbage", "bearer-only", "basic"]
ALLOWED_STATUSES = {200, 201, 400, 401, 404, 405, 413, 429}


@PROPERTY
@given(method=st.sampled_from(METHODS), path=st.sampled_from(KNOWN_PATHS), body=bodies,
       auth=st.sampled_from(AUTH_KINDS))
def test_property_25_envelope_format(api, method, path, body, auth):
    """Property 25: For any API endpoint response, the response should have the
    structure {ok: boolean, data: object | null, error: string | null} with
    ok=true for success and ok=false for errors."""
    headers = {"Content-Type": "application/json"}
    if auth == "valid":
        # a fresh account each time: random bodies may log out or change the email
        headers["Authorization"] = "Bearer " + register_full(api)["token"]
    elif auth == "garbage":
        headers["Authorization"] = "Bearer not.a.token"
    elif auth == "bearer-only":
        headers["Authorization"] = "Bearer"
    elif auth == "basic":
        headers["Authorization"] = "Basic Zm9vOmJhcg=="
    r = api.request(method, path, data=body, headers=headers)
    assert r.status_code in ALLOWED_STATUSES, (r.status_code, r.text[:500])
    doc = envelope(r)
    if doc["ok"]:
        note_tokens(doc["data"])


_P30 = {}


def _p30_token(api):
    if "acct" not in _P30:
        _P30["acct"] = register_full(api)
    return _P30["acct"]["token"]


# ------------------------------------------------------------------ property 26

def _check_camel(data):
    for k in all_keys(data):
        assert "_" not in k, k
        assert k[:1].islower() and k.isalnum() and k.isascii(), k


@PROPERTY
@given(name=names, email=raw_emails, password=passwords, new_name=core_names)
def test_property_26_camelcase_keys(api, name, email, password, new_name):
    """Property 26: For any model serialization, all field names should be
    converted from snake_case to camelCase (e.g., created_at → createdAt,
    workspace_id → workspaceId)."""
    email = make_unique(email)
    reg = do_register(api, name, email, password, True)
    _check_camel(reg)
    logged = ok_data(login(api, email, password))
    note_tokens(logged)
    _check_camel(logged)
    _check_camel(ok_data(api.get("/auth/profile", token=reg["token"])))
    upd = ok_data(api.put("/auth/profile/update", {"name": new_name}, token=reg["token"]))
    _check_camel(upd)
    assert upd["name"] == new_name or upd["name"] == new_name.strip()
    new = ok_data(api.post("/auth/refresh", {"refresh": reg["refresh"]}))
    note_tokens(new)
    _check_camel(new)
    _check_camel(ok_data(api.get("/health")))


# ------------------------------------------------------------------ property 27

TOKEN_CHARS = string.ascii_letters + string.digits + "-_.~+/="
word = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=60)
scheme = st.text(alphabet=string.ascii_letters, min_size=1, max_size=10).filter(
    lambda s: s.lower() != "bearer")


@st.composite
def bad_auth(draw):
    """(header value or None, expected error message)."""
    kind = draw(st.sampled_from(["none", "scheme", "scheme-only", "bearer-only", "bearer-many",
                                 "bearer-garbage", "forged-bad", "unknown-user"]))
    if kind == "none":
        return None, NOT_PROVIDED
    if kind == "scheme":
        return draw(scheme) + " " + draw(word), NOT_PROVIDED
    if kind == "scheme-only":
        return draw(scheme), NOT_PROVIDED
    if kind == "bearer-only":
        return "Bearer", TWO_VALUES
    if kind == "bearer-many":
        parts = draw(st.lists(word, min_size=2, max_size=4))
        return "Bearer " + " ".join(parts), TWO_VALUES
    if kind == "bearer-garbage":
        return "Bearer " + draw(word), INVALID
    uid = str(uuid.uuid4())
    if kind == "unknown-user":
        return "Bearer " + forge_jwt(claims(uid)), USER_NOT_FOUND
    how = draw(st.sampled_from(["expired", "key", "none", "HS512", "HS384", "refresh", "type"]))
    if how == "expired":
        tok = forge_jwt(claims(uid, lifetime=-draw(st.integers(1, 10**8))))
    elif how == "key":
        tok = forge_jwt(claims(uid), key=draw(st.text(TOKEN_CHARS, min_size=1, max_size=40)))
    elif how in ("none", "HS512", "HS384"):
        tok = forge_jwt(claims(uid), alg=how)
    elif how == "refresh":
        tok = forge_jwt(claims(uid, token_type="refresh"))
    else:
        tok = forge_jwt(claims(uid, token_type=draw(st.text(string.ascii_letters, max_size=10)
                                                    .filter(lambda t: t != "access"))))
    return "Bearer " + tok, INVALID


@PROPERTY
@given(route=st.sampled_from(PROTECTED_ROUTES), auth=bad_auth(), body=bodies)
def test_property_27_protected_routes_require_auth(api, route, auth, body):
    """Property 27: For any protected endpoint request without a valid JWT token,
    the system should return 401 Unauthorized with an error message."""
    method, path, _ = route
    header, expected = auth
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Authorization"] = header
    r = api.request(method, path, data=body, headers=headers)
    assert r.status_code == 401, (header, r.status_code, r.text[:300])
    assert envelope(r, 401)["error"] == expected, (header, r.text[:300])


# ------------------------------------------------------------------ property 29

MISSING = object()
REQUIRED = "This field is required."
BLANK = "This field may not be blank."
NULL = "This field may not be null."
NOT_STR = "Not a valid string."
BAD_EMAIL = "Enter a valid email address."

wrong_types = st.one_of(st.booleans(), st.lists(json_scalars, max_size=3),
                        st.dictionaries(st.text(TEXT_CHARS, max_size=5), json_scalars, max_size=3))
blanks = st.text(alphabet=st.sampled_from(PY_WS), max_size=5)
BAD_EMAILS = ["plainaddress", "missing-at.example.com", "@example.com", "user@", "user@@example.com",
              "user name@example.com", "user@example", "user@-example.com", "user@example..com",
              ".user@example.com", "us..er@example.com", "user@example.c", "user@exa_mple.com",
              "a@b@c.com", "user@example.com."]


def common_invalid(msg_blank=BLANK):
    return st.one_of(
        st.just((MISSING, REQUIRED)),
        st.just((None, NULL)),
        blanks.map(lambda s: (s, msg_blank)),
        wrong_types.map(lambda v: (v, NOT_STR)),
    )


def over_long(limit):
    return st.builds(lambda a, core, b: (a + core + b, "Ensure this field has no more than %d characters." % limit),
                     padding, st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
                                      min_size=limit + 1, max_size=limit + 40), padding)


invalid_name = st.one_of(common_invalid(), over_long(255))
invalid_email = st.one_of(
    common_invalid(),
    st.builds(lambda e, a, b: (a + e + b, BAD_EMAIL), st.sampled_from(BAD_EMAILS), padding, padding),
    st.integers(min_value=-2**63, max_value=2**63 - 1).map(lambda i: (i, BAD_EMAIL)),
    st.integers(min_value=255, max_value=300).map(
        lambda n: (uuid.uuid4().hex + "x" * (n - 32 - 12) + "@example.com",
                   "Ensure this field has no more than 254 characters.")),
)
short_pw = st.builds(lambda a, core, b: (a + core + b, "Ensure this field has at least 8 characters."),
                     padding, st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
                                      min_size=1, max_size=7), padding)
invalid_register_password = st.one_of(
    common_invalid(), short_pw, st.integers(min_value=0, max_value=9999999).map(
        lambda i: (i, "Ensure this field has at least 8 characters.")),
    st.integers(min_value=4097, max_value=4200).map(
        lambda n: ("p" * n, "Ensure this field has no more than 4096 characters.")),
)
invalid_login_password = common_invalid()


@st.composite
def register_case(draw):
    bad = draw(st.sets(st.sampled_from(["name", "email", "password"]), min_size=1))
    body, expected = {}, {}
    for field, invalid, valid in [
        ("name", invalid_name, names | st.integers(0, 10**6)),
        ("email", invalid_email, st.just("VALID-EMAIL")),
        ("password", invalid_register_password, passwords | st.integers(10**7, 10**12)),
    ]:
        if field in bad:
            value, msg = draw(invalid)
            expected[field] = [msg]
        else:
            value = draw(valid)
        if value is not MISSING:
            body[field] = value
    return body, expected


@st.composite
def login_case(draw):
    bad = draw(st.sets(st.sampled_from(["email", "password"]), min_size=1))
    body, expected = {}, {}
    for field, invalid, valid in [
        ("email", invalid_email.filter(lambda t: "254" not in t[1]), st.just("VALID-EMAIL")),
        ("password", invalid_login_password, passwords),
    ]:
        if field in bad:
            value, msg = draw(invalid)
            expected[field] = [msg]
        else:
            value = draw(valid)
        if value is not MISSING:
            body[field] = value
    return body, expected


def _fill_email(body):
    if body.get("email") == "VALID-EMAIL":
        body["email"] = unique_email("p29")
    return body


@PROPERTY
@given(reg_case=register_case(), login_case_=login_case(), ascii_json=st.booleans())
def test_property_29_validation_error_specificity(api, reg_case, login_case_, ascii_json):
    """Property 29: For any request with invalid data, the system should return
    400 Bad Request with specific field-level error messages indicating which
    fields are invalid and why."""
    body, expected = reg_case
    r = post_json(api, "/auth/register", _fill_email(dict(body)), ascii_json)
    assert r.status_code == 400, (body, r.status_code, r.text[:500])
    assert error_of(r, 400) == expected, (body, r.text[:500])
    body, expected = login_case_
    r = post_json(api, "/auth/login", _fill_email(dict(body)), ascii_json)
    assert r.status_code == 400, (body, r.status_code, r.text[:500])
    assert error_of(r, 400) == expected, (body, r.text[:500])


# ------------------------------------------------------------------ property 30

SEGMENT_CHARS = string.ascii_letters + string.digits + "-_~"
KNOWN_TOP = {"health", "auth", "workspaces", "conversations", "memories", "integrations", "models",
             "settings", "export", "account", "invitations", "mcp", "chat", "hooks", "dashboard",
             "team", "messages", "api", "docs", "openapi", "openapi.json", "metrics", "stats",
             "schema", "version", "status", "users", "admin", "static"}
segments = st.text(alphabet=SEGMENT_CHARS, min_size=1, max_size=20)
unknown_paths = st.lists(segments, min_size=1, max_size=4).filter(
    lambda segs: segs[0].lower() not in KNOWN_TOP).map(lambda segs: "/" + "/".join(segs))
unknown_auth_paths = st.lists(segments, min_size=1, max_size=3).filter(
    lambda segs: segs[0] not in ("register", "login", "logout", "refresh", "profile")
).map(lambda segs: "/auth/" + "/".join(segs))


@PROPERTY
@given(path=unknown_paths | unknown_auth_paths, method=st.sampled_from(METHODS),
       with_token=st.booleans(), slash=st.booleans())
def test_property_30_unknown_paths_404(api, path, method, with_token, slash):
    """Property 30: For any request for a non-existent resource ID, the system
    should return 404 Not Found with a descriptive error message."""
    tok = _p30_token(api) if with_token else None
    r = api.request(method, path + ("/" if slash else ""), token=tok)
    assert r.status_code == 404, (method, path, r.status_code, r.text[:300])
    assert envelope(r, 404)["error"] == "Not found"
