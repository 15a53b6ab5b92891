"""The request log on stderr: one JSON line per request with rid, method,
route, status and us; never a password, a token or an Authorization value
(API.md §12, seed-design "Do not log sensitive data")."""
import json
import re
import uuid

import pytest

import chimera_api as ca
from chimera_api import SECRETS, login, ok_data, register, register_full


def rid():
    return "t-" + uuid.uuid4().hex


def one_line(server, request_id):
    recs = server.log_lines_for(request_id)
    assert len(recs) == 1, recs
    rec = recs[0]
    for k in ("rid", "method", "route", "status", "us"):
        assert k in rec, rec
    assert isinstance(rec["us"], int) and not isinstance(rec["us"], bool) and rec["us"] >= 0, rec
    return rec


def test_log_line_per_request(server, api):
    token, _, _ = register(api)
    cases = [
        ("GET", "/auth/profile", token, 200, "/api/auth/profile"),
        ("GET", "/auth/profile", None, 401, "/api/auth/profile"),
        ("GET", "/health", None, 200, "/api/health"),
        ("GET", "/health/", None, 200, "/api/health"),
        ("DELETE", "/health", None, 405, "/api/health"),
        ("PUT", "/auth/profile/update", token, 200, "/api/auth/profile/update"),
        ("POST", "/auth/login", None, 400, "/api/auth/login"),
        ("GET", "/no/such/" + uuid.uuid4().hex, None, 404, None),
    ]
    for method, path, tok, status, route in cases:
        i = rid()
        body = {"name": "Logged"} if path == "/auth/profile/update" else (
            {} if method == "POST" else ca._MISSING)
        r = api.request(method, path, json_body=body, token=tok, headers={"X-Request-Id": i})
        assert r.status_code == status, (method, path, r.status_code)
        assert r.headers["X-Request-Id"] == i
        rec = one_line(server, i)
        assert rec["rid"] == i
        assert rec["method"] == method, rec
        assert rec["route"] == route, rec
        assert rec["status"] == status, rec


def test_log_uses_generated_rid(server, api):
    r = api.get("/health", headers={"X-Request-Id": "not valid!"})
    got = r.headers["X-Request-Id"]
    assert got != "not valid!"
    rec = one_line(server, got)
    assert rec["status"] == 200 and rec["route"] == "/api/health"


def test_log_413(server, api):
    from test_limits import padded_body, post_raw
    i = rid()
    status, headers, _ = post_raw(api.port, "/api/auth/login", padded_body(2 * 1024 * 1024),
                                  extra_headers=b"X-Request-Id: " + i.encode() + b"\r\n")
    assert status == 413
    assert headers.get("x-request-id") == i
    rec = one_line(server, i)
    assert rec["status"] == 413 and rec["method"] == "POST"


def test_log_options(server, api):
    i = rid()
    r = api.request("OPTIONS", "/auth/login", headers={"X-Request-Id": i, "Origin": "http://a.b",
                                                       "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200
    rec = one_line(server, i)
    assert rec["method"] == "OPTIONS" and rec["status"] == 200


@pytest.mark.parametrize("method", ["PATCHY", "X" * 5000])
def test_log_line_of_an_unknown_or_overlong_method(server, method):
    """A log line is whole or not written: a method too long for the line
    is logged by its first 64 bytes."""
    import requests
    request_id = rid()
    r = requests.request(method, server.base + "/api/health",
                         headers={"X-Request-Id": request_id}, timeout=30)
    assert r.status_code == 405, r.status_code
    rec = one_line(server, request_id)
    assert rec["method"] == method[:64]
    assert rec["status"] == 405


def test_no_request_lines_when_turned_off():
    srv = ca.Server({"CHIMERA_LOG_REQUESTS": "0"}, name="quiet").start()
    try:
        request_id = rid()
        api = ca.Api(srv)
        assert api.get("/health", headers={"X-Request-Id": request_id}).status_code == 200
        assert srv.log_lines_for(request_id) == []
        assert not [ln for ln in srv.read_log().splitlines() if '"route":' in ln]
        assert "listening on" in srv.read_log()     # the rest of the log is still there
    finally:
        srv.stop()


def test_log_excludes_secrets(server, api):
    pw = "Distinctive-Passw0rd-" + uuid.uuid4().hex
    wrong = "Wrong-Passw0rd-" + uuid.uuid4().hex
    garbage = "garbage-token-" + uuid.uuid4().hex
    SECRETS.update({pw, wrong, garbage})
    acct = register_full(api, password=pw)
    ok_data(login(api, acct["email"], pw))
    login(api, acct["email"], wrong)
    api.get("/auth/profile", auth="Bearer " + garbage)
    api.get("/auth/profile", token=acct["token"])
    ok_data(api.post("/auth/refresh", {"refresh": acct["refresh"]}))
    api.post("/auth/register", {"name": "x", "email": "bad", "password": pw})
    api.post("/auth/login", data=('{"email": "x@example.com", "password": "%s"' % pw).encode())
    assert server.log_lines_for(api.get("/health", headers={"X-Request-Id": "flush-" + uuid.uuid4().hex})
                                .headers["X-Request-Id"])
    log = server.read_log()
    for s in (pw, wrong, garbage, acct["token"], acct["refresh"]):
        assert s not in log
    assert acct["token"].split(".")[2] not in log
    assert acct["refresh"].split(".")[2] not in log


JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}")


@pytest.mark.session_end
def test_zz_no_secret_in_any_log():
    """Runs last: scans every server log of the session for every password,
    token and Authorization value the suite sent or received."""
    assert ca.ALL_SERVERS, "no server was started"
    secrets = [s for s in SECRETS if len(s) >= 12]
    for srv in ca.ALL_SERVERS:
        log = srv.read_log()
        leaked = [s for s in secrets if s in log]
        assert not leaked, (srv.log_path, leaked[:3])
        m = JWT_RE.search(log)
        assert not m, (srv.log_path, m.group(0)[:60])
        assert "Bearer " not in log, srv.log_path


@pytest.mark.session_end
def test_zz_every_log_line_is_json():
    """Every request-log line is a JSON object with the required keys."""
    for srv in ca.ALL_SERVERS:
        n = 0
        for line in srv.read_log().splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            rec = json.loads(line)
            if "rid" not in rec:
                continue
            n += 1
            for k in ("rid", "method", "route", "status", "us"):
                assert k in rec, rec
            # 0 = no response was sent (client stalled until the connection timeout)
            assert isinstance(rec["status"], int) and (rec["status"] == 0 or 100 <= rec["status"] <= 599), rec
            # a route-table pattern, "static" (CHIMERA_STATIC_DIR files) or null
            assert rec["route"] in (None, "static") or rec["route"].startswith("/api"), rec
        if srv.proc is not None and srv.env_overrides.get("CHIMERA_LOG_REQUESTS") != "0":
            assert n > 0, srv.log_path


def test_password_not_logged_on_validation_errors(server, api):
    pw = "Leaky-Pw-" + uuid.uuid4().hex
    SECRETS.add(pw)
    api.post("/auth/register", {"name": "", "email": "", "password": pw})
    api.post("/auth/register", {"name": "x" * 300, "email": "not-an-email", "password": pw})
    api.post("/auth/register", {"name": "x", "email": "a@example.com", "password": [pw]})
    i = rid()
    api.get("/health", headers={"X-Request-Id": i})
    assert server.log_lines_for(i)
    assert pw not in server.read_log()


@pytest.mark.session_end
def test_zz_servers_clean():
    """Every server stopped so far shut down on SIGTERM and logged no sanitizer
    report or crash (the session server is checked at its fixture teardown)."""
    problems = []
    for srv in ca.ALL_SERVERS:
        if srv.proc is not None and srv.proc.poll() is not None:
            problems += srv.problems()
    assert not problems, "\n\n".join(problems)
