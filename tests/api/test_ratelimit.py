"""Abuse limits (API.md §0 D5): failed logins, registrations, per-user ceiling.

Each test starts its own server with small limits and talks to it from its
own random 127.x.y.z address (so per-address counters start fresh even if a
server keeps them in the shared database); every 429 uses the envelope, the
DRF wording and a Retry-After header.
"""
import re

import pytest

from chimera_api import (
    Api, Server, assert_error, envelope, login, new_password, ok_data, register, register_full,
    random_loopback, unique_email,
)

THROTTLED = re.compile(r"^Request was throttled\. Expected available in (\d+) seconds\.$")


def check_429(r, max_wait):
    body = envelope(r, 429)
    m = THROTTLED.match(body["error"] or "")
    assert m, body["error"]
    n = int(m.group(1))
    assert 0 < n <= max_wait, n
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.isdigit(), r.headers
    assert int(ra) == n, (ra, n)
    return n


@pytest.fixture
def limited(request):
    srv = Server(request.param, name="limits").start()
    yield Api(srv, source=random_loopback())
    srv.stop()


@pytest.mark.parametrize("limited", [{"CHIMERA_LOGIN_FAIL_LIMIT": "3",
                                      "CHIMERA_LOGIN_FAIL_WINDOW": "900"}], indirect=True)
def test_failed_login_limit(limited):
    api = limited
    acct = register_full(api)
    for _ in range(3):
        assert_error(login(api, acct["email"], "wrong-password"), 401, "Invalid credentials")
    check_429(login(api, acct["email"], "wrong-password"), 900)
    check_429(login(api, acct["email"], "wrong-password"), 900)
    # the server itself is fine
    assert ok_data(api.get("/health"))["status"] == "healthy"
    # authenticated use of the account is unaffected
    assert ok_data(api.get("/auth/profile", token=acct["token"]))["id"] == acct["user"]["id"]


@pytest.mark.parametrize("limited", [{"CHIMERA_LOGIN_FAIL_LIMIT": "3",
                                      "CHIMERA_LOGIN_FAIL_WINDOW": "900"}], indirect=True)
def test_failed_login_limit_unknown_email(limited):
    api = limited
    email = unique_email()
    for _ in range(3):
        assert_error(login(api, email, "whatever-pass"), 401, "Invalid credentials")
    check_429(login(api, email, "whatever-pass"), 900)


@pytest.mark.parametrize("limited", [{"CHIMERA_LOGIN_FAIL_LIMIT": "3",
                                      "CHIMERA_LOGIN_FAIL_WINDOW": "900"}], indirect=True)
def test_successful_logins_not_limited(limited):
    api = limited
    acct = register_full(api)
    for _ in range(8):
        assert ok_data(login(api, acct["email"], acct["password"]))


@pytest.mark.parametrize("limited", [{"CHIMERA_REGISTER_LIMIT": "2"}], indirect=True)
def test_register_limit(limited):
    api = limited
    register(api)
    register(api)
    r = api.post("/auth/register", {"name": "third", "email": unique_email(),
                                    "password": new_password()})
    check_429(r, 3600)
    assert ok_data(api.get("/health"))["status"] == "healthy"


@pytest.mark.parametrize("limited", [{"CHIMERA_USER_RATE_LIMIT": "5"}], indirect=True)
def test_user_rate_limit(limited):
    api = limited
    a_token, _, a = register(api)
    b_token, _, b = register(api)
    for _ in range(5):
        assert ok_data(api.get("/auth/profile", token=a_token))["id"] == a["id"]
    r = api.get("/auth/profile", token=a_token, headers={"Origin": "http://localhost:5173"})
    check_429(r, 60)
    assert r.headers.get("Access-Control-Allow-Origin") == "http://localhost:5173"
    assert r.headers.get("X-Content-Type-Options") == "nosniff"
    check_429(api.put("/auth/profile/update", {"name": "x"}, token=a_token), 60)
    # the limit is per user
    assert ok_data(api.get("/auth/profile", token=b_token))["id"] == b["id"]
    # public endpoints are not counted against the user
    assert ok_data(api.get("/health"))["status"] == "healthy"
