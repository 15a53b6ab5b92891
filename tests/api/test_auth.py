"""Register, login, profile and profile update (API.md §5.1, §1.3, §3.1, §12)."""
import time
import uuid

import pytest

from chimera_api import (
    USER_KEYS, assert_error, check_user, claims, django_email_valid, error_of, forge_jwt,
    jwt_payload, login, new_password, note_tokens, ok_data, parse_ts, register,
    register_full, unique_email,
)

REQUIRED = "This field is required."
BLANK = "This field may not be blank."
NULL = "This field may not be null."
NOT_STR = "Not a valid string."
BAD_EMAIL = "Enter a valid email address."
MAX255 = "Ensure this field has no more than 255 characters."
MAX254 = "Ensure this field has no more than 254 characters."
MAX4096 = "Ensure this field has no more than 4096 characters."
MIN8 = "Ensure this field has at least 8 characters."

# Every character Python's str.strip() removes (str.isspace()).
PY_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


def reg(api, **fields):
    return api.post("/auth/register", fields)


# ------------------------------------------------------------------ register

def test_register_returns_tokens_and_user(api):
    email = unique_email()
    r = reg(api, name="Ada Lovelace", email=email, password="correct horse")
    data = ok_data(r, 201)
    note_tokens(data)
    assert set(data) == {"token", "refresh", "user"}
    check_user(data["user"], name="Ada Lovelace", email=email)
    created = time.time()
    assert abs(parse_ts(data["user"]["createdAt"]).timestamp() - created) < 120
    assert isinstance(data["token"], str) and isinstance(data["refresh"], str)
    assert data["token"] != data["refresh"]
    assert jwt_payload(data["token"])["user_id"] == data["user"]["id"]
    prof = ok_data(api.get("/auth/profile", token=data["token"]))
    assert prof == data["user"]


def test_register_never_returns_secrets(api):
    pw = new_password()
    r = reg(api, name="N", email=unique_email(), password=pw)
    assert pw not in r.text
    u = ok_data(r, 201)["user"]
    assert set(u) == USER_KEYS
    for k in ("password", "username", "passwordHash", "hash"):
        assert k not in u


def test_register_ids_unique(api):
    ids = {register(api)[2]["id"] for _ in range(5)}
    assert len(ids) == 5


def test_register_duplicate_email(api):
    email = unique_email()
    register(api, email=email)
    r = reg(api, name="Other", email=email, password="another password")
    assert error_of(r, 400) == {"email": ["Email already exists"]}


def test_register_duplicate_email_plus_other_error(api):
    email = unique_email()
    register(api, email=email)
    r = reg(api, name="Other", email=email, password="short")
    assert error_of(r, 400) == {"email": ["Email already exists"], "password": [MIN8]}


def test_register_email_case_sensitive_uniqueness(api):
    """§3.1: email unique with an exact, case-sensitive match."""
    local = "Case-" + uuid.uuid4().hex
    email = local + "@example.com"
    register(api, email=email)
    _, _, u = register(api, email=local.lower() + "@example.com")
    assert u["email"] == local.lower() + "@example.com"


def test_register_all_fields_missing(api):
    r = api.post("/auth/register", {})
    assert error_of(r, 400) == {"name": [REQUIRED], "email": [REQUIRED], "password": [REQUIRED]}


def test_register_all_fields_null(api):
    r = reg(api, name=None, email=None, password=None)
    assert error_of(r, 400) == {"name": [NULL], "email": [NULL], "password": [NULL]}


def test_register_all_fields_blank(api):
    r = reg(api, name="  ", email="\t", password="     ")
    assert error_of(r, 400) == {"name": [BLANK], "email": [BLANK], "password": [BLANK]}


@pytest.mark.parametrize("bad", [True, False, [], ["a"], {}, {"a": 1}])
def test_register_not_a_string(api, bad):
    r = reg(api, name=bad, email=bad, password=bad)
    assert error_of(r, 400) == {"name": [NOT_STR], "email": [NOT_STR], "password": [NOT_STR]}


def test_register_numbers_are_strings(api):
    email = unique_email()
    r = reg(api, name=42, email=email, password=123456789)
    u = ok_data(r, 201)["user"]
    assert u["name"] == "42"
    assert ok_data(login(api, email, "123456789"))["user"]["id"] == u["id"]
    r = reg(api, name=2.5, email=unique_email(), password="password1")
    assert ok_data(r, 201)["user"]["name"] == "2.5"


def test_register_number_email_invalid(api):
    r = reg(api, name="x", email=12345, password="password1")
    assert error_of(r, 400) == {"email": [BAD_EMAIL]}


def test_register_name_length_counts_code_points(api):
    for ch in ["a", "\u00e9", "\u20ac", "\U0001F600", "\U00010348"]:
        _, _, u = register(api, name=ch * 255)
        assert u["name"] == ch * 255
        r = reg(api, name=ch * 256, email=unique_email(), password="password1")
        assert error_of(r, 400) == {"name": [MAX255]}, ch


def test_register_name_combining_characters_count_individually(api):
    name = "e\u0301" * 127 + "x"  # 255 code points, 128 grapheme clusters
    assert ok_data(reg(api, name=name, email=unique_email(), password="password1"), 201)
    r = reg(api, name=name + "y", email=unique_email(), password="password1")
    assert error_of(r, 400) == {"name": [MAX255]}


def test_register_trims_name_and_email(api):
    email = unique_email()
    r = reg(api, name="  Grace Hopper \n", email="  " + email + "\t", password="password1")
    u = ok_data(r, 201)["user"]
    assert u["name"] == "Grace Hopper"
    assert u["email"] == email
    assert ok_data(login(api, email, "password1"))["user"]["id"] == u["id"]


def test_register_trim_uses_python_whitespace(api):
    ws = PY_WHITESPACE
    name = ws + "Bob \u200bX" + ws  # U+200B is not whitespace for Python: kept
    r = reg(api, name=name, email=unique_email(), password="password1")
    assert ok_data(r, 201)["user"]["name"] == "Bob \u200bX"
    r = reg(api, name=ws, email=unique_email(), password="password1")
    assert error_of(r, 400) == {"name": [BLANK]}
    for ch in ws:
        r = reg(api, name=ch * 3, email=unique_email(), password="password1")
        assert error_of(r, 400) == {"name": [BLANK]}, hex(ord(ch))


def test_register_name_length_checked_after_trim(api):
    _, _, u = register(api, name="   " + "n" * 255 + "   ")
    assert u["name"] == "n" * 255


def test_register_password_trimmed(api):
    """Password is trimmed (DRF CharField): login with or without padding works."""
    email = unique_email()
    register(api, email=email, password="   padded-secret   ")
    assert ok_data(login(api, email, "padded-secret"))
    assert ok_data(login(api, email, "\tpadded-secret\n"))
    assert_error(login(api, email, "padded-secre"), 401, "Invalid credentials")


@pytest.mark.parametrize("pw", ["1234567", "  1234567  ", "\u20ac" * 7, "   a  b   ", "a"])
def test_register_password_too_short(api, pw):
    r = reg(api, name="x", email=unique_email(), password=pw)
    assert error_of(r, 400) == {"password": [MIN8]}


def test_register_password_min_length_boundary(api):
    register(api, password="12345678")
    register(api, password="\U0001F600" * 8)  # 8 code points


def test_register_password_max_length(api):
    email = unique_email()
    register(api, email=email, password="p" * 4096)
    assert ok_data(login(api, email, "p" * 4096))
    r = reg(api, name="x", email=unique_email(), password="p" * 4097)
    assert error_of(r, 400) == {"password": [MAX4096]}


def test_register_password_length_counts_code_points(api):
    email = unique_email()
    register(api, email=email, password="\U0001F600" * 4096)   # 16 KiB of UTF-8
    assert ok_data(login(api, email, "\U0001F600" * 4096))
    r = reg(api, name="x", email=unique_email(), password="\U0001F600" * 4097)
    assert error_of(r, 400) == {"password": [MAX4096]}
    r = reg(api, name="x", email=unique_email(), password="  " + "\u20ac" * 4096 + "\u3000")
    assert ok_data(r, 201)


@pytest.mark.parametrize("email", [
    "plainaddress", "missing-at.example.com", "@example.com", "user@", "user@@example.com",
    "user name@example.com", "user@exam ple.com", "user@example", "user@-example.com",
    "user@example-.com", "user@example..com", "user@.example.com", ".user@example.com",
    "user.@example.com", "us..er@example.com", "user@example.c", "user@example.com.",
    "user@exa_mple.com", "\u00fcser@example.com", "a@b@c.com",
])
def test_register_invalid_email(api, email):
    r = reg(api, name="x", email=email, password="password1")
    assert error_of(r, 400) == {"email": [BAD_EMAIL]}


@pytest.mark.parametrize("email_fmt", [
    "{u}@example.com", "{u}.first.last@sub.example.co.uk", "{u}+tag@example.io",
    "{u}!#$%&'*+-/=?^_`{{|}}~@example.org", "{u}@xn--bcher-kva.example", "{u}@EXAMPLE.COM",
    "{u}@a-b.c0m", "{u}@123.example.com",
])
def test_register_valid_emails(api, email_fmt):
    email = email_fmt.format(u=uuid.uuid4().hex[:12])
    pw = new_password()
    _, _, u = register(api, email=email, password=pw)
    assert u["email"] == email
    assert ok_data(login(api, email, pw))["user"]["id"] == u["id"]


def test_register_email_max_length(api):
    # local part under 64, long domain: only the 254 limit can reject it
    domain = "@" + ("d" * 60 + ".") * 3 + "example.com"
    ok = uuid.uuid4().hex + "x" * (254 - 32 - len(domain)) + domain
    assert len(ok) == 254 and django_email_valid(ok)
    register(api, email=ok)
    too_long = uuid.uuid4().hex + "x" * (255 - 32 - len(domain)) + domain
    assert django_email_valid(too_long)
    r = reg(api, name="x", email=too_long, password="password1")
    assert error_of(r, 400) == {"email": [MAX254]}


def test_register_ignores_server_owned_fields(api):
    fake_id = str(uuid.uuid4())
    r = reg(api, name="x", email=unique_email(), password="password1", id=fake_id,
            createdAt="2000-01-01T00:00:00Z", avatar="http://evil/x.png", username="root",
            is_staff=True, isAdmin=True)
    u = ok_data(r, 201)["user"]
    assert u["id"] != fake_id
    assert u["avatar"] is None
    assert not u["createdAt"].startswith("2000")


@pytest.mark.parametrize("auth", ["Bearer garbage", "Bearer", "Bearer a b", "Basic eDp5", "Token x",
                                  "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_public_endpoints_ignore_authorization(api, auth):
    email, pw = unique_email(), new_password()
    r = api.post("/auth/register", {"name": "n", "email": email, "password": pw}, auth=auth)
    data = ok_data(r, 201)
    note_tokens(data)
    r = api.post("/auth/login", {"email": email, "password": pw}, auth=auth)
    assert ok_data(r)["user"]["email"] == email
    r = api.post("/auth/refresh", {"refresh": data["refresh"]}, auth=auth)
    note_tokens(ok_data(r))
    assert ok_data(api.get("/health", auth=auth))["status"] == "healthy"
    # and errors on public endpoints stay what they are, not 401-for-the-header
    assert error_of(api.post("/auth/login", {}, auth=auth), 400)


def test_public_endpoints_ignore_expired_token(api):
    tok, _, u = register(api)
    expired = forge_jwt(claims(u["id"], lifetime=-100))
    r = api.post("/auth/login", {"email": "nobody-%s@example.com" % uuid.uuid4().hex,
                                 "password": "password1"}, token=expired)
    assert_error(r, 401, "Invalid credentials")
    assert ok_data(reg_with_token(api, expired), 201)


def reg_with_token(api, token):
    return api.post("/auth/register", {"name": "n", "email": unique_email(),
                                       "password": "password1"}, token=token)


# ------------------------------------------------------------------ login

def test_login_success(api):
    acct = register_full(api, name="Login Person")
    r = login(api, acct["email"], acct["password"])
    data = ok_data(r, 200)
    note_tokens(data)
    assert set(data) == {"token", "refresh", "user"}
    check_user(data["user"], name="Login Person", email=acct["email"], uid=acct["user"]["id"])
    assert data["user"] == acct["user"]
    assert ok_data(api.get("/auth/profile", token=data["token"]))["id"] == acct["user"]["id"]
    assert jwt_payload(data["token"])["jti"] != jwt_payload(acct["token"])["jti"]


def test_login_wrong_password(api):
    acct = register_full(api)
    assert_error(login(api, acct["email"], acct["password"] + "x"), 401, "Invalid credentials")
    assert_error(login(api, acct["email"], acct["password"].upper()), 401, "Invalid credentials")


def test_login_unknown_email(api):
    assert_error(login(api, unique_email(), "password1"), 401, "Invalid credentials")


def test_login_email_match_is_exact(api):
    local = "Mixed-" + uuid.uuid4().hex
    acct = register_full(api, email=local + "@Example.com")
    assert ok_data(login(api, local + "@Example.com", acct["password"]))
    assert_error(login(api, local.lower() + "@example.com", acct["password"]), 401,
                 "Invalid credentials")
    assert_error(login(api, local.upper() + "@EXAMPLE.COM", acct["password"]), 401,
                 "Invalid credentials")


def test_login_email_trimmed(api):
    acct = register_full(api)
    assert ok_data(login(api, "  " + acct["email"] + " ", acct["password"]))


def test_login_short_password_is_not_a_validation_error(api):
    acct = register_full(api)
    assert_error(login(api, acct["email"], "abc"), 401, "Invalid credentials")


def test_login_validation(api):
    assert error_of(api.post("/auth/login", {}), 400) == {"email": [REQUIRED], "password": [REQUIRED]}
    assert error_of(login(api, None, None), 400) == {"email": [NULL], "password": [NULL]}
    assert error_of(login(api, " ", ""), 400) == {"email": [BLANK], "password": [BLANK]}
    assert error_of(login(api, "nope", "password1"), 400) == {"email": [BAD_EMAIL]}
    assert error_of(login(api, [], {}), 400) == {"email": [NOT_STR], "password": [NOT_STR]}
    assert error_of(login(api, True, False), 400) == {"email": [NOT_STR], "password": [NOT_STR]}
    assert error_of(api.post("/auth/login", {"email": unique_email()}), 400) == {"password": [REQUIRED]}
    assert error_of(api.post("/auth/login", {"password": "x"}), 400) == {"email": [REQUIRED]}


def test_login_numeric_password(api):
    acct = register_full(api, password="987654321")
    assert ok_data(login(api, acct["email"], 987654321))


# ------------------------------------------------------------------ profile

def test_profile(api):
    acct = register_full(api, name="Prof")
    u = ok_data(api.get("/auth/profile", token=acct["token"]))
    check_user(u, name="Prof", email=acct["email"], uid=acct["user"]["id"])
    assert u == acct["user"]


def test_profile_update_name(api):
    acct = register_full(api, name="Old")
    r = api.put("/auth/profile/update", {"name": "New Name"}, token=acct["token"])
    u = ok_data(r)
    check_user(u, name="New Name", email=acct["email"], uid=acct["user"]["id"])
    assert u["createdAt"] == acct["user"]["createdAt"]
    assert ok_data(api.get("/auth/profile", token=acct["token"]))["name"] == "New Name"


def test_profile_update_email_then_login(api):
    acct = register_full(api)
    new = unique_email("new")
    u = ok_data(api.put("/auth/profile/update", {"email": new}, token=acct["token"]))
    assert u["email"] == new and u["id"] == acct["user"]["id"]
    assert ok_data(login(api, new, acct["password"]))["user"]["id"] == acct["user"]["id"]
    assert_error(login(api, acct["email"], acct["password"]), 401, "Invalid credentials")
    # the old email is free again
    register(api, email=acct["email"])


def test_profile_update_both(api):
    acct = register_full(api)
    new = unique_email("both")
    u = ok_data(api.put("/auth/profile/update", {"name": "Both", "email": new}, token=acct["token"]))
    assert (u["name"], u["email"]) == ("Both", new)


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"email": ""}, {"name": None, "email": None},
                                  {"name": "", "email": ""}])
def test_profile_update_falsy_values_ignored(api, body):
    acct = register_full(api, name="Keep")
    u = ok_data(api.put("/auth/profile/update", body, token=acct["token"]))
    assert (u["name"], u["email"]) == ("Keep", acct["email"])
    assert ok_data(api.put("/auth/profile/update", data=b"", token=acct["token"]))["name"] == "Keep"


def test_profile_update_email_taken(api):
    a = register_full(api)
    b = register_full(api)
    r = api.put("/auth/profile/update", {"email": a["email"]}, token=b["token"])
    assert_error(r, 400, "Email already exists")
    assert ok_data(api.get("/auth/profile", token=b["token"]))["email"] == b["email"]
    r = api.put("/auth/profile/update", {"name": "Changed", "email": a["email"]}, token=b["token"])
    assert_error(r, 400, "Email already exists")
    assert ok_data(api.get("/auth/profile", token=b["token"]))["name"] == b["user"]["name"]


def test_profile_update_own_email_ok(api):
    a = register_full(api)
    u = ok_data(api.put("/auth/profile/update", {"email": a["email"]}, token=a["token"]))
    assert u["email"] == a["email"]


def test_profile_update_email_case_variant_is_distinct(api):
    """§3.1 / §5.1.6: uniqueness is an exact, case-sensitive match."""
    local = "Up-" + uuid.uuid4().hex
    register_full(api, email=local + "@example.com")
    b = register_full(api)
    variant = local.lower() + "@example.com"
    assert ok_data(api.put("/auth/profile/update", {"email": variant}, token=b["token"]))["email"] == variant


def test_profile_update_invalid_email(api):
    a = register_full(api)
    for bad in ["not-an-email", "a@b", "x y@example.com"]:
        r = api.put("/auth/profile/update", {"email": bad}, token=a["token"])
        assert error_of(r, 400) == {"email": [BAD_EMAIL]}
    assert ok_data(api.get("/auth/profile", token=a["token"]))["email"] == a["email"]


def test_profile_update_name_too_long(api):
    a = register_full(api, name="Short")
    r = api.put("/auth/profile/update", {"name": "n" * 256}, token=a["token"])
    assert error_of(r, 400) == {"name": [MAX255]}
    ok_data(api.put("/auth/profile/update", {"name": "\U0001F600" * 255}, token=a["token"]))
    r = api.put("/auth/profile/update", {"name": "\U0001F600" * 256}, token=a["token"])
    assert error_of(r, 400) == {"name": [MAX255]}


def test_profile_update_cannot_set_server_owned_fields(api):
    a = register_full(api)
    other = str(uuid.uuid4())
    body = {"id": other, "createdAt": "2000-01-01T00:00:00Z", "avatar": "http://x/y.png",
            "password": "hijacked-password", "username": "root"}
    u = ok_data(api.put("/auth/profile/update", body, token=a["token"]))
    assert u == a["user"]
    assert ok_data(login(api, a["email"], a["password"]))
    assert_error(login(api, a["email"], "hijacked-password"), 401, "Invalid credentials")


def test_profile_update_not_object(api):
    a = register_full(api)
    r = api.put("/auth/profile/update", data=b"[1]", token=a["token"],
                headers={"Content-Type": "application/json"})
    assert error_of(r, 400) == {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_usernames_take_the_smallest_free_suffix(api, db):
    """The stored username (API.md §3.1, not in any answer): the email's
    local part, then local1, local2 …; names that only start like it
    (local0, local07, local5x, one past the scanned range) take no suffix."""
    from chimera_api import register

    stem = "un" + uuid.uuid4().hex[:10]

    def username_of(email):
        rows = db.query("SELECT username FROM users WHERE email = %s" % db.lit(email))
        assert len(rows) == 1, rows
        return rows[0][0]

    got = []
    for domain in ("a.example", "b.example", "c.example"):
        email = "%s@%s" % (stem, domain)
        register(api, email=email)
        got.append(username_of(email))
    assert got == [stem, stem + "1", stem + "2"]
    # look-alikes registered directly: none of them is "stem<n>" for 0 < n < 4096
    for i, odd in enumerate(("0", "07", "5x", "99999")):
        uid = str(uuid.uuid4())
        db.execute("INSERT INTO users (id, email, username, name, password, date_joined,"
                   " updated_at) VALUES (%s, %s, %s, 'Look-alike', 'x', 1, 1)"
                   % (db.lit(uid), db.lit("odd%d-%s@x.example" % (i, stem)),
                      db.lit(stem + odd)))
    email = "%s@d.example" % stem
    register(api, email=email)
    assert username_of(email) == stem + "3"
