"""Black-box API suite for chimerad: server harness and shared helpers
(imported by conftest.py and the test modules).

Each `Server` runs a real `chimerad serve` on a free loopback port with its
own data directory and a stderr request log. The database comes from
CHIMERA_TEST_DATABASE_URL (unset or "sqlite" -> a fresh SQLite file per
server; otherwise a postgres:// URL shared by every server of the run, so
tests never assume an empty database and always use unique emails).

Only stdlib + requests + pytest + hypothesis.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests
import requests.adapters
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("CHIMERA_BIN") or os.path.join(REPO, "build", "chimerad")

# Known secrets so tests can forge and verify tokens.
SECRET_KEY = "test-secret-key-" + uuid.uuid4().hex
JWT_SECRET_KEY = "test-jwt-secret-" + uuid.uuid4().hex
# A Fernet key (urlsafe base64 of 32 bytes), so the server needs to generate nothing.
ENCRYPTION_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()

TIMEOUT = 15

# Hypothesis: nothing written into the repository (no example database, and its
# Unicode-table cache goes to the session's temp dir); generous by default.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "chimera-api-hypothesis"))
settings.register_profile(
    "chimera",
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("chimera")

# Every password, token and Authorization value the suite sends that is
# distinctive enough to search for; test_log scans every server log for them.
SECRETS = set()

# What AddressSanitizer / UBSan / glibc print when something went wrong.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "*** stack smashing detected",
                     "double free or corruption", "Segmentation fault")

# Every server started in this session (their logs are scanned at the end).
ALL_SERVERS = []

_BASE_TMP = None


def base_tmp():
    global _BASE_TMP
    if _BASE_TMP is None:
        _BASE_TMP = tempfile.mkdtemp(prefix="chimera-api-")
    return _BASE_TMP


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# Default environment: fast hashing, no abuse limits in the way.
DEFAULT_ENV = {
    "DEBUG": "true",
    "SECRET_KEY": SECRET_KEY,
    "JWT_SECRET_KEY": JWT_SECRET_KEY,
    "ENCRYPTION_KEY": ENCRYPTION_KEY,
    "CHIMERA_LISTEN": "127.0.0.1",
    "CHIMERA_ARGON2_OPSLIMIT": "1",
    "CHIMERA_ARGON2_MEMLIMIT": "8388608",
    "CHIMERA_LOGIN_FAIL_LIMIT": "100000",
    "CHIMERA_REGISTER_LIMIT": "100000",
    "CHIMERA_USER_RATE_LIMIT": "1000000",
}


class Server:
    """One chimerad process. `Server(env_overrides).start()`; `.stop()`."""

    def __init__(self, env_overrides=None, name="server"):
        self.env_overrides = dict(env_overrides or {})
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=base_tmp())
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.data_dir)
        self.log_path = os.path.join(self.dir, "stderr.log")
        self.out_path = os.path.join(self.dir, "stdout.log")
        self.port = None
        self.proc = None

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def database_url(self):
        url = os.environ.get("CHIMERA_TEST_DATABASE_URL", "")
        if url in ("", "sqlite"):
            return "sqlite:///" + os.path.join(self.dir, "chimera.db")
        return url

    def start(self, timeout=10.0):
        if not os.path.exists(BIN):
            pytest.fail("chimerad binary not found at %s (set CHIMERA_BIN)" % BIN)
        env = dict(os.environ)
        env.update(DEFAULT_ENV)
        env["DATABASE_URL"] = self.database_url()
        env["CHIMERA_DATA_DIR"] = self.data_dir
        last_err = None
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            env["CHIMERA_PORT"] = str(self.port)
            env.update(self.env_overrides)
            self._err = open(self.log_path, "ab")
            self._out = open(self.out_path, "ab")
            self.proc = subprocess.Popen([BIN, "serve"], env=env, stdout=self._out,
                                         stderr=self._err, stdin=subprocess.DEVNULL)
            if self not in ALL_SERVERS:
                ALL_SERVERS.append(self)
            try:
                self._wait_healthy(timeout)
                return self
            except RuntimeError as e:
                last_err = e
                self.stop()
        pytest.fail("chimerad did not become healthy: %s\n--- stderr ---\n%s"
                    % (last_err, self.read_log()[-4000:]))

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("exited with status %s" % self.proc.returncode)
            try:
                r = requests.get(self.base + "/api/health", timeout=1)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("no 200 from /api/health within %.0f s" % timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then wait (SIGKILL after 10 s, remembered in needed_kill)."""
        if self.proc is None or self._err.closed:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.needed_kill = True
                self.proc.kill()
                self.proc.wait()
        else:
            self.died_early = True
        self._err.close()
        self._out.close()

    def problems(self):
        """Sanitizer reports, crashes, or a shutdown that needed SIGKILL."""
        out = []
        log = self.read_log()
        for marker in SANITIZER_MARKERS:
            if marker in log:
                i = log.index(marker)
                out.append("%s: %s" % (self.log_path, log[max(0, i - 200):i + 800]))
        if getattr(self, "needed_kill", False):
            out.append("%s: did not exit within 10 s of SIGTERM" % self.log_path)
        if getattr(self, "died_early", False):
            out.append("%s: had exited (status %s) before the suite stopped it"
                       % (self.log_path, self.proc.returncode))
        return out

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_records(self):
        """Request-log lines (JSON objects carrying "rid")."""
        out = []
        for line in self.read_log().splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "rid" in obj:
                out.append(obj)
        return out

    def log_lines_for(self, rid, wait=2.0):
        """Log records with this rid; waits briefly for the line to be written."""
        deadline = time.monotonic() + wait
        while True:
            recs = [r for r in self.log_records() if r.get("rid") == rid]
            if recs or time.monotonic() > deadline:
                return recs
            time.sleep(0.05)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


_MISSING = object()


class _SourceAddressAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, source, **kw):
        self._source = source
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self._source, 0)
        return super().init_poolmanager(*args, **kw)


def random_loopback():
    """A random 127.x.y.z source address, so per-address limits start fresh."""
    b = os.urandom(3)
    return "127.%d.%d.%d" % (b[0], b[1], max(2, min(b[2], 254)))


class Api:
    """Builds URLs under /api and sends requests (fresh connection each time).

    With `source`, requests come from that loopback address (per-client limits).
    """

    def __init__(self, server, source=None):
        self.server = server
        self.source = source
        self._session = None
        if source:
            self._session = requests.Session()
            self._session.mount("http://", _SourceAddressAdapter(source))

    @property
    def base(self):
        return self.server.base

    @property
    def port(self):
        return self.server.port

    def url(self, path):
        if not path.startswith("/"):
            path = "/" + path
        return self.server.base + "/api" + path

    def request(self, method, path, json_body=_MISSING, token=None, auth=None,
                data=None, headers=None, **kw):
        h = {}
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if auth is not None:
            h["Authorization"] = auth
        if json_body is not _MISSING:
            data = json.dumps(json_body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        kw.setdefault("timeout", TIMEOUT)
        if self._session is not None:
            h.setdefault("Connection", "close")
            return self._session.request(method, self.url(path), data=data, headers=h, **kw)
        return requests.request(method, self.url(path), data=data, headers=h, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=_MISSING, **kw):
        return self.request("POST", path, json_body=json_body, **kw)

    def put(self, path, json_body=_MISSING, **kw):
        return self.request("PUT", path, json_body=json_body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def patch(self, path, json_body=_MISSING, **kw):
        return self.request("PATCH", path, json_body=json_body, **kw)


# ---------------------------------------------------------------- helpers

def unique_email(prefix="u"):
    return "%s-%s@example.com" % (prefix, uuid.uuid4().hex)


def new_password():
    pw = "Pw-" + uuid.uuid4().hex
    SECRETS.add(pw)
    return pw


def register(api, name=None, email=None, password=None, expect=201):
    """Registers a user; returns (token, refresh, user)."""
    name = "Test User" if name is None else name
    email = unique_email() if email is None else email
    password = new_password() if password is None else password
    r = api.post("/auth/register", {"name": name, "email": email, "password": password})
    assert r.status_code == expect, (r.status_code, r.text)
    body = r.json()
    data = body["data"]
    note_tokens(data)
    return data["token"], data["refresh"], data["user"]


def register_full(api, **kw):
    """Like register, also returning the password and email used."""
    password = kw.pop("password", None) or new_password()
    email = kw.pop("email", None) or unique_email()
    token, refresh, user = register(api, email=email, password=password, **kw)
    return {"token": token, "refresh": refresh, "user": user,
            "email": email, "password": password}


def login(api, email, password):
    return api.post("/auth/login", {"email": email, "password": password})


def note_tokens(data):
    if isinstance(data, dict):
        for k in ("token", "refresh"):
            v = data.get(k)
            if isinstance(v, str) and len(v) > 20:
                SECRETS.add(v)


ENVELOPE_KEYS = {"ok", "data", "error"}


def envelope(r, status=None):
    """Asserts the {ok,data,error} envelope (and the status if given); returns the body."""
    if status is not None:
        assert r.status_code == status, (r.status_code, r.text[:2000])
    ctype = r.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip().lower() == "application/json", ctype
    body = r.json()
    assert isinstance(body, dict), body
    assert set(body) == ENVELOPE_KEYS, body
    assert isinstance(body["ok"], bool), body
    if 200 <= r.status_code < 300:
        assert body["ok"] is True, body
        assert body["error"] is None, body
        assert isinstance(body["data"], dict), body
    else:
        assert body["ok"] is False, body
        assert body["data"] is None, body
        err = body["error"]
        assert isinstance(err, (str, dict)) and err, body
    return body


def ok_data(r, status=200):
    return envelope(r, status)["data"]


def error_of(r, status):
    return envelope(r, status)["error"]


def assert_error(r, status, message):
    err = error_of(r, status)
    assert err == message, (r.status_code, err)


# ---------------------------------------------------------------- JWT

def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(s):
    s += "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s.encode())


def jwt_parts(token):
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), s


def jwt_payload(token):
    return jwt_parts(token)[1]


def jwt_verify(token, key=JWT_SECRET_KEY):
    h, p, s = token.split(".")
    mac = hmac.new(key.encode(), (h + "." + p).encode(), hashlib.sha256).digest()
    return hmac.compare_digest(b64url(mac), s)


_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def forge_jwt(payload, key=JWT_SECRET_KEY, alg="HS256", header=None):
    hdr = header if header is not None else {"alg": alg, "typ": "JWT"}
    h = b64url(json.dumps(hdr, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    signing = (h + "." + p).encode()
    if alg in _HASHES:
        sig = b64url(hmac.new(key.encode(), signing, _HASHES[alg]).digest())
    else:
        sig = ""
    tok = h + "." + p + "." + sig
    SECRETS.add(tok)
    return tok


def claims(user_id, token_type="access", lifetime=3600, **extra):
    now = int(time.time())
    c = {"token_type": token_type, "exp": now + lifetime, "iat": now,
         "jti": uuid.uuid4().hex, "user_id": user_id}
    c.update(extra)
    return c


# ---------------------------------------------------------------- shapes

UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
USER_KEYS = {"id", "name", "email", "avatar", "createdAt"}


def parse_ts(s):
    import datetime
    assert isinstance(s, str) and TS_RE.match(s), s
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check_user(u, name=None, email=None, uid=None):
    assert isinstance(u, dict), u
    assert set(u) == USER_KEYS, u
    assert isinstance(u["id"], str) and UUID4_RE.match(u["id"]), u
    assert u["avatar"] is None, u
    ts = parse_ts(u["createdAt"])
    assert abs(ts.timestamp() - time.time()) < 24 * 3600 + 300
    if name is not None:
        assert u["name"] == name, (u["name"], name)
    if email is not None:
        assert u["email"] == email, (u["email"], email)
    if uid is not None:
        assert u["id"] == uid
    return u


# ---------------------------------------------------------------- raw HTTP

def raw_http(port, payload, timeout=5.0, send_chunks=None, read=True):
    """Sends raw bytes, returns (status:int|None, headers:dict, body:bytes).

    status None means the server closed the connection without answering.
    send_chunks: optional iterable of further bytes sent after `payload`,
    ignoring broken pipes (the server may answer and close early).
    """
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(payload)
            for chunk in send_chunks or ():
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not read:
            return None, {}, b""
        return read_response(s, timeout)
    finally:
        s.close()


def read_response(s, timeout=5.0):
    s.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\r\n\r\n" not in buf:
            if time.monotonic() > deadline:
                raise socket.timeout()
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except ConnectionResetError:
        pass
    if b"\r\n\r\n" not in buf:
        return None, {}, buf
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        try:
            while len(body) < n:
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return status, headers, body


def health_ok(api):
    r = api.get("/health")
    return r.status_code == 200 and r.json()["ok"] is True


# ---------------------------------------------------------------- reference email check

# Django's EmailValidator (4.x), ASCII only (no IDN conversion): what the server
# must accept and reject for `email` fields.
_EMAIL_USER_RE = re.compile(
    r"(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\Z"
    r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
    re.IGNORECASE | re.ASCII)
_EMAIL_DOMAIN_RE = re.compile(
    r"((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))\Z",
    re.IGNORECASE | re.ASCII)


def django_email_valid(value):
    if not value or "@" not in value or len(value) > 320:
        return False
    user, domain = value.rsplit("@", 1)
    if not _EMAIL_USER_RE.match(user):
        return False
    return domain == "localhost" or bool(_EMAIL_DOMAIN_RE.match(domain))
