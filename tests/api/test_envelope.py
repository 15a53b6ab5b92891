"""Envelope, routing, headers, CORS, request ids, compression, JSON body parsing.

API.md §1.1 (routing), §1.2 (envelope), §1.3 (errors), §1.10 (CORS), §1.11
(bodies), §5.9 (health), D11 (compression), plus the lead's server rules.
"""
import gzip
import http.client
import json
import re
import time

import pytest

from chimera_api import (
    ENVELOPE_KEYS, TS_RE, assert_error, envelope, error_of, ok_data, parse_ts,
    raw_http, register, unique_email,
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
HEX16 = re.compile(r"^[0-9a-f]{16}$")
ORIGIN = "http://localhost:5173"
ALLOW_METHODS = {"DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"}
ALLOW_HEADERS = {"accept", "accept-encoding", "authorization", "content-type", "dnt",
                 "origin", "user-agent", "x-csrftoken", "x-requested-with"}


def tokens(value):
    return {t.strip().lower() for t in (value or "").split(",") if t.strip()}


def check_security_headers(r):
    for k, v in SECURITY_HEADERS.items():
        assert r.headers.get(k) == v, (k, r.headers.get(k))
    rid = r.headers.get("X-Request-Id")
    assert rid, r.headers


# ------------------------------------------------------------------ health

def test_health(api):
    r = api.get("/health")
    data = ok_data(r, 200)
    assert set(data) == {"status", "timestamp", "database", "version"}, data
    assert data["status"] == "healthy"
    assert data["database"] == "connected"
    assert isinstance(data["version"], str) and data["version"]
    ts = parse_ts(data["timestamp"])
    assert abs(ts.timestamp() - time.time()) < 300
    check_security_headers(r)


def test_health_trailing_slash_tolerated(api):
    r = api.get("/health/")
    assert ok_data(r, 200)["status"] == "healthy"


def test_two_trailing_slashes_not_tolerated(api):
    assert_error(api.get("/health//"), 404, "Not found")


@pytest.mark.parametrize("auth", ["Bearer garbage", "Bearer", "Basic Zm9vOmJhcg==", "Bearer a b c"])
def test_health_ignores_authorization(api, auth):
    assert ok_data(api.get("/health", auth=auth), 200)["status"] == "healthy"


# ------------------------------------------------------------------ routing

@pytest.mark.parametrize("path", ["/nope", "/auth", "/auth/nope", "/health/extra",
                                  "/auth/profile/update/more", "/", "/AUTH/LOGIN",
                                  "/Health"])
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
def test_unknown_path_404(api, path, method):
    r = api.request(method, path)
    assert_error(r, 404, "Not found")
    check_security_headers(r)


@pytest.mark.parametrize("path", ["/", "/index.html", "/apiX/health", "/api"])
def test_paths_outside_api_404(server, path):
    import requests
    r = requests.get(server.base + path, timeout=10)
    assert_error(r, 404, "Not found")


@pytest.mark.parametrize("method,path", [
    ("DELETE", "/health"), ("POST", "/health"), ("PUT", "/health"), ("PATCH", "/health"),
    ("GET", "/auth/login"), ("PUT", "/auth/login"), ("DELETE", "/auth/login"),
    ("GET", "/auth/register"), ("PATCH", "/auth/register"),
    ("GET", "/auth/refresh"), ("DELETE", "/auth/refresh"),
    ("POST", "/health/"), ("DELETE", "/auth/login/"),
])
def test_wrong_method_405(api, method, path):
    r = api.request(method, path)
    assert_error(r, 405, 'Method "%s" not allowed.' % method)
    check_security_headers(r)


@pytest.mark.parametrize("method,path", [
    ("POST", "/auth/profile"), ("DELETE", "/auth/profile"),
    ("GET", "/auth/profile/update"), ("POST", "/auth/profile/update"),
    ("GET", "/auth/logout"), ("PUT", "/auth/logout"),
])
def test_wrong_method_405_protected_with_token(api, method, path):
    token, _, _ = register(api)
    assert_error(api.request(method, path, token=token), 405,
                 'Method "%s" not allowed.' % method)


# ------------------------------------------------------------------ headers

def test_security_headers_on_success_and_errors(api):
    token, _, _ = register(api)
    for r in [api.get("/health"), api.get("/nope"), api.delete("/health"),
              api.get("/auth/profile"), api.get("/auth/profile", token=token),
              api.post("/auth/login", {})]:
        check_security_headers(r)
        envelope(r)


def test_request_id_echoed_when_valid(api):
    for rid in ["abc", "A" * 64, "req-1.2_3", "0", "Z.z-_9"]:
        r = api.get("/health", headers={"X-Request-Id": rid})
        assert r.headers.get("X-Request-Id") == rid


@pytest.mark.parametrize("rid", ["A" * 65, "bad id", "a/b", "a;b", "caf\u00e9".encode("utf-8"),
                                 "{x}", ""])
def test_request_id_replaced_when_invalid(api, rid):
    r = api.get("/health", headers={"X-Request-Id": rid})
    got = r.headers.get("X-Request-Id")
    assert got and HEX16.match(got), got


def test_request_id_fresh_per_request(api):
    ids = {api.get("/health").headers.get("X-Request-Id") for _ in range(5)}
    assert len(ids) == 5
    assert all(i and HEX16.match(i) for i in ids), ids


# ------------------------------------------------------------------ CORS

@pytest.mark.parametrize("path", ["/auth/login", "/auth/profile", "/health", "/does/not/exist"])
def test_preflight(api, path):
    origin = "https://chimera-six.vercel.app"
    r = api.request("OPTIONS", path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 200
    assert r.content == b""
    h = r.headers
    assert h.get("Access-Control-Allow-Origin") == origin
    assert h.get("Access-Control-Allow-Credentials") == "true"
    assert {t.upper() for t in tokens(h.get("Access-Control-Allow-Methods"))} == ALLOW_METHODS
    # §1.10 lists these; extra ones (e.g. x-request-id) are harmless
    assert tokens(h.get("Access-Control-Allow-Headers")) >= ALLOW_HEADERS
    assert h.get("Access-Control-Max-Age") == "86400"
    assert "origin" in tokens(h.get("Vary"))
    check_security_headers(r)


def test_options_without_origin_200_empty(api):
    r = api.request("OPTIONS", "/auth/profile")
    assert r.status_code == 200
    assert r.content == b""


def test_options_needs_no_auth(api):
    r = api.request("OPTIONS", "/auth/logout", auth="Bearer garbage",
                    headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200 and r.content == b""


@pytest.mark.parametrize("origin", [ORIGIN, "https://evil.example", "null"])
def test_cors_on_actual_responses(api, origin):
    token, _, _ = register(api)
    for r in [api.get("/health", headers={"Origin": origin}),
              api.get("/auth/profile", headers={"Origin": origin}),            # 401
              api.get("/auth/profile", token=token, headers={"Origin": origin}),
              api.get("/nope", headers={"Origin": origin}),                    # 404
              api.delete("/health", headers={"Origin": origin}),               # 405
              api.post("/auth/login", {}, headers={"Origin": origin})]:       # 400
        envelope(r)
        assert r.headers.get("Access-Control-Allow-Origin") == origin, r.headers
        assert r.headers.get("Access-Control-Allow-Credentials") == "true"
        assert "origin" in tokens(r.headers.get("Vary"))


# ------------------------------------------------------------------ compression

def _raw_get(api, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    try:
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        conn.request(method, "/api" + path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _big_register_body():
    # 255 three-byte characters: the response (user + two tokens) is well over 1 KiB.
    return json.dumps({"name": "\u20ac" * 255, "email": unique_email(),
                       "password": "long-enough-password"}).encode()


def test_large_response_gzipped(api):
    status, headers, body = _raw_get(api, "POST", "/auth/register", _big_register_body(),
                                     {"Accept-Encoding": "gzip"})
    assert status == 201
    assert headers.get("content-encoding") == "gzip", headers
    doc = json.loads(gzip.decompress(body))
    assert set(doc) == ENVELOPE_KEYS and doc["ok"] is True
    assert doc["data"]["user"]["name"] == "\u20ac" * 255


def test_large_response_not_gzipped_without_accept_encoding(api):
    status, headers, body = _raw_get(api, "POST", "/auth/register", _big_register_body(),
                                     {"Accept-Encoding": "identity"})
    assert status == 201
    assert headers.get("content-encoding") in (None, "identity"), headers
    doc = json.loads(body)
    assert doc["ok"] is True
    assert len(body) > 1024


def test_large_response_via_requests(api):
    r = api.post("/auth/register", {"name": "\u20ac" * 255, "email": unique_email(),
                                    "password": "long-enough-password"})
    envelope(r, 201)
    assert r.headers.get("Content-Encoding") == "gzip"


def test_small_response_not_gzipped(api):
    status, headers, body = _raw_get(api, "GET", "/health", None, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert len(body) <= 1024
    assert "content-encoding" not in headers, headers
    assert json.loads(body)["ok"] is True


# ------------------------------------------------------------------ JSON bodies

@pytest.mark.parametrize("raw", [b'{"email": ', b"{", b"{'a': 1}", b'{"a": 1,}', b"nul",
                                 b'{"a" 1}', b"[1, 2", b'"unterminated', b"{}x", b"\x00"])
def test_malformed_json(api, raw):
    r = api.post("/auth/login", data=raw, headers={"Content-Type": "application/json"})
    err = error_of(r, 400)
    assert isinstance(err, str) and err.startswith("JSON parse error - "), err


@pytest.mark.parametrize("raw", [b'{"email": "\xff\xfe@example.com", "password": "x"}',
                                 b'{"name": "\xc3\x28"}', b'{"a": "\xed\xa0\x80"}',
                                 b'{"a": "\xf8\x88\x80\x80\x80"}'])
def test_invalid_utf8(api, raw):
    r = api.post("/auth/register", data=raw, headers={"Content-Type": "application/json"})
    err = error_of(r, 400)
    assert isinstance(err, str) and err.startswith("JSON parse error - "), err


def _nested(depth):
    """An object body whose total container depth is `depth` (object + lists)."""
    return '{"a": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_json_depth_limit_boundary(api):
    r = api.post("/auth/login", data=_nested(32).encode(),
                 headers={"Content-Type": "application/json"})
    # Within the limit: parses; login then fails validation (email/password missing).
    assert error_of(r, 400) == {"email": ["This field is required."],
                                "password": ["This field is required."]}
    r = api.post("/auth/login", data=_nested(33).encode(),
                 headers={"Content-Type": "application/json"})
    err = error_of(r, 400)
    assert isinstance(err, str) and err.startswith("JSON parse error - "), err


@pytest.mark.parametrize("depth", [100, 10000, 100000])
def test_json_very_deep_rejected_server_survives(api, depth):
    for raw in ["[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth, "[" * depth]:
        r = api.post("/auth/login", data=raw.encode(), headers={"Content-Type": "application/json"})
        err = error_of(r, 400)
        assert isinstance(err, str) and err.startswith("JSON parse error - "), err
    assert ok_data(api.get("/health"))["status"] == "healthy"


@pytest.mark.parametrize("raw,typ", [
    (b"[]", "list"), (b'[{"email": "a@b.com"}]', "list"), (b'"text"', "str"),
    (b"42", "int"), (b"-1", "int"), (b"1.5", "float"), (b"true", "bool"), (b"false", "bool"),
    (b"null", "NoneType"),
])
@pytest.mark.parametrize("path", ["/auth/register", "/auth/login"])
def test_non_object_body(api, raw, typ, path):
    r = api.post(path, data=raw, headers={"Content-Type": "application/json"})
    assert error_of(r, 400) == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got %s." % typ]}


def test_empty_body_is_empty_object(api):
    r = api.post("/auth/register", data=b"", headers={"Content-Type": "application/json"})
    assert error_of(r, 400) == {"name": ["This field is required."],
                                "email": ["This field is required."],
                                "password": ["This field is required."]}
    r = api.post("/auth/login", data=b"")
    assert error_of(r, 400) == {"email": ["This field is required."],
                                "password": ["This field is required."]}


def test_whitespace_around_json_accepted(api):
    r = api.post("/auth/login", data=b"  \n {} \n ", headers={"Content-Type": "application/json"})
    assert error_of(r, 400) == {"email": ["This field is required."],
                                "password": ["This field is required."]}


def test_server_healthy_after_garbage(api):
    for raw in [b"\xff" * 1000, b"{" * 5000, b'{"a":"' + b"\\u" * 100 + b'"}',
                b'{"a":"\\ud800"}', b'{"a":1e999999}', b'{"a":' + b"9" * 5000 + b"}"]:
        r = api.post("/auth/login", data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 401), (raw[:40], r.status_code, r.text[:200])
        envelope(r)
    assert ok_data(api.get("/health"))["status"] == "healthy"


def test_raw_http10_request(server):
    status, headers, body = raw_http(server.port, b"GET /api/health HTTP/1.0\r\n\r\n")
    assert status == 200
    assert json.loads(body)["ok"] is True


def test_timestamp_format_regex_sanity():
    assert TS_RE.match("2025-12-08T06:18:00.123456Z")
    assert TS_RE.match("2025-12-08T06:18:00+00:00")
    assert not TS_RE.match("2025-12-08T06:18:00")
