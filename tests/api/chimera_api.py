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
import errno
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
import threading
import uuid

import pytest
import requests
import requests.adapters
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

import openapi_check

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
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "LeakSanitizer", "runtime error:",
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


_GIVEN_PORTS = set()
_PORT_LOCK = threading.Lock()


def free_port():
    """A free loopback port not handed out before in this run (servers started
    from several threads at once must not be given the same one)."""
    with _PORT_LOCK:
        while True:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            if port not in _GIVEN_PORTS:
                _GIVEN_PORTS.add(port)
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
    """One chimerad process. `Server(env_overrides).start()`; `.stop()`.

    `stop()` (also on leaving a `with` block) fails the calling test if the
    server logged a sanitizer report or crash, needed SIGKILL, had died on its
    own, or did not exit with status 0 after SIGTERM (`make asan` runs this
    suite against an ASan/UBSan build, so every server is a sanitizer probe).
    """

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
        if self.env_overrides.get("DATABASE_URL"):
            return self.env_overrides["DATABASE_URL"]
        url = os.environ.get("CHIMERA_TEST_DATABASE_URL", "")
        if url in ("", "sqlite"):
            return "sqlite:///" + os.path.join(self.dir, "chimera.db")
        return url

    def start(self, timeout=10.0):
        if not os.path.exists(BIN):
            pytest.fail("chimerad binary not found at %s (set CHIMERA_BIN)" % BIN)
        last_err = None
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.spawn()
            try:
                self._wait_healthy(timeout)
                return self
            except RuntimeError as e:
                last_err = e
                self.stop(check=False)
        pytest.fail("chimerad did not become healthy: %s\n--- stderr ---\n%s"
                    % (last_err, self.read_log()[-4000:]))

    def spawn(self):
        """Starts the process on a fresh port without waiting for it (several
        nodes started at the same instant); then wait_started()."""
        env = dict(os.environ)
        env.update(DEFAULT_ENV)
        env["DATABASE_URL"] = self.database_url()
        env["CHIMERA_DATA_DIR"] = self.data_dir
        self.port = free_port()
        env["CHIMERA_PORT"] = str(self.port)
        env.update(self.env_overrides)
        self._err = open(self.log_path, "ab")
        self._out = open(self.out_path, "ab")
        self.proc = self._spawn(env)
        if self not in ALL_SERVERS:
            ALL_SERVERS.append(self)
        return self

    def wait_started(self, timeout=30.0):
        try:
            self._wait_healthy(timeout)
        except RuntimeError as e:
            pytest.fail("chimerad did not become healthy: %s\n--- stderr ---\n%s"
                        % (e, self.read_log()[-4000:]))
        return self

    def _spawn(self, env):
        # A binary being relinked right now (make in another shell) is briefly
        # not executable (EACCES) or busy (ETXTBSY): wait for the linker.
        for _ in range(50):
            try:
                return subprocess.Popen([BIN, "serve"], env=env, stdout=self._out,
                                        stderr=self._err, stdin=subprocess.DEVNULL)
            except (PermissionError, OSError) as e:
                if not isinstance(e, PermissionError) and e.errno != errno.ETXTBSY:
                    raise
                time.sleep(0.2)
        return subprocess.Popen([BIN, "serve"], env=env, stdout=self._out,
                                stderr=self._err, stdin=subprocess.DEVNULL)

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

    def stop(self, check=True):
        """SIGTERM, then wait (SIGKILL after 10 s, remembered in needed_kill).

        With check (the default) asserts that the shutdown was clean: see
        problems(). A server already stopped is not checked again."""
        if self.proc is None or self._err.closed:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.sent_term = True
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
        if check:
            problems = self.problems()
            assert not problems, "\n\n".join(problems)

    def problems(self):
        """Sanitizer reports, crashes, a shutdown that needed SIGKILL, a non-zero
        exit status after SIGTERM."""
        out = []
        log = self.read_log()
        for marker in SANITIZER_MARKERS:
            if marker in log:
                i = log.index(marker)
                out.append("%s: %s" % (self.log_path, log[max(0, i - 200):i + 800]))
        if getattr(self, "needed_kill", False):
            out.append("%s: did not exit within 10 s of SIGTERM" % self.log_path)
        elif getattr(self, "sent_term", False) and self.proc.returncode != 0:
            out.append("%s: exited with status %s after SIGTERM (expected 0)\n%s"
                       % (self.log_path, self.proc.returncode, log[-1500:]))
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

    def __exit__(self, exc_type, *exc):
        # An exception already on its way out is the more useful report.
        self.stop(check=exc_type is None)

    def db(self):
        """Direct access to this server's database (see Database)."""
        return Database(self.database_url())


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
            r = self._session.request(method, self.url(path), data=data, headers=h, **kw)
        else:
            r = requests.request(method, self.url(path), data=data, headers=h, **kw)
        # every answer against the server's own OpenAPI document
        openapi_check.check(self.base, method, "/api" + ("" if path.startswith("/") else "/")
                            + path, r, body_read=not kw.get("stream"))
        return r

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


# ---------------------------------------------------------------- the database, directly

# Every table of the schema (migrations 001..); cascade tests count them all.
TABLES = ("users", "tokens", "workspaces", "team_members", "invitations", "integrations",
          "conversations", "messages", "memories", "memory_tags", "conversation_memories",
          "activities", "load_snapshots", "memory_tombstones", "schema_version")


def now_us():
    return time.time_ns() // 1000


def hex12():
    return uuid.uuid4().hex[:12]


class Database:
    """A server's database seen from outside: SQLite through the sqlite3 module
    (reads on a read-only connection), PostgreSQL through psql.

    Used to count rows (cascade checks) and to create rows no endpoint can
    create yet (old load snapshots, conversations, messages, memories,
    activities, integrations). Row writers keep the workspace counters
    (memory_count, embedding_count, conversation_count) the way the server
    does when asked to (`counters=True`), so embedded stats stay truthful."""

    def __init__(self, url):
        self.url = url
        self.sqlite = url.startswith("sqlite://")
        # sqlite:///abs/path and sqlite:////abs/path both name /abs/path
        self.path = "/" + url[len("sqlite://"):].lstrip("/") if self.sqlite else None

    # -- literals (only for values the suite controls)
    def lit(self, v):
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, bytes):
            return ("X'%s'" % v.hex()) if self.sqlite else ("'\\x%s'::bytea" % v.hex())
        v = str(v)
        assert "\x00" not in v
        return "'" + v.replace("'", "''") + "'"

    def in_list(self, values):
        values = list(values)
        return "(" + ", ".join(self.lit(v) for v in values) + ")" if values else "(NULL)"

    # -- running SQL
    def query(self, sql):
        """Rows of one SELECT; values as the engine gives them (psql: strings)."""
        if self.sqlite:
            import sqlite3
            con = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=15)
            try:
                return [tuple(r) for r in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = self._psql(sql, tuples=True)
        return [tuple(line.split("\t")) for line in out]

    def scalar(self, sql):
        rows = self.query(sql)
        assert len(rows) == 1 and len(rows[0]) == 1, rows
        v = rows[0][0]
        return int(v) if isinstance(v, str) and re.match(r"^-?\d+$", v) else v

    def execute(self, sql):
        """Runs statements (separated by ';') in one transaction."""
        if self.sqlite:
            import sqlite3
            con = sqlite3.connect(self.path, timeout=15, isolation_level=None)
            try:
                con.execute("PRAGMA foreign_keys=ON")
                con.executescript("BEGIN IMMEDIATE;\n" + sql + ";\nCOMMIT;")
            finally:
                con.close()
        else:
            self._psql("BEGIN;\n" + sql + ";\nCOMMIT;", tuples=False)

    def _psql(self, sql, tuples):
        return _psql_session(self.url).run(sql)

    # -- counting
    def counts(self, where=None):
        """{table: row count} for every table; `where` maps a table to a SQL
        condition restricting what is counted (tables not in it: all rows)."""
        where = where or {}
        parts = []
        for t in TABLES:
            cond = where.get(t)
            parts.append("(SELECT COUNT(*) FROM %s%s)" % (t, " WHERE " + cond if cond else ""))
        row = self.query("SELECT " + ", ".join(parts))[0]
        return dict(zip(TABLES, (int(v) for v in row)))

    def orphans(self):
        """Rows whose parent row is gone, per child table and key (all must be 0)."""
        links = [("tokens", "user_id", "users"), ("workspaces", "owner_id", "users"),
                 ("team_members", "user_id", "users"), ("team_members", "workspace_id", "workspaces"),
                 ("invitations", "workspace_id", "workspaces"), ("invitations", "inviter_id", "users"),
                 ("invitations", "invitee_id", "users"), ("integrations", "user_id", "users"),
                 ("conversations", "workspace_id", "workspaces"),
                 ("messages", "conversation_id", "conversations"),
                 ("messages", "workspace_id", "workspaces"), ("memories", "workspace_id", "workspaces"),
                 ("memory_tags", "memory_id", "memories"),
                 ("conversation_memories", "conversation_id", "conversations"),
                 ("conversation_memories", "memory_id", "memories"),
                 ("activities", "workspace_id", "workspaces"),
                 ("load_snapshots", "workspace_id", "workspaces"),
                 ("memory_tombstones", "workspace_id", "workspaces")]
        parts = ["(SELECT COUNT(*) FROM %s c WHERE NOT EXISTS (SELECT 1 FROM %s p WHERE p.id = c.%s))"
                 % (child, parent, col) for child, col, parent in links]
        row = self.query("SELECT " + ", ".join(parts))[0]
        return {"%s.%s" % (child, col): int(v) for (child, col, _), v in zip(links, row)
                if int(v) != 0}

    # -- rows no endpoint creates yet
    def bump_counters(self, wid, conversations=0, memories=0, embeddings=0, active=0):
        # a memory change also moves the workspace's generation (vector
        # index); every change moves the change stamps (conditional GETs)
        return ("UPDATE workspaces SET conversation_count = conversation_count + %d,"
                " active_conversation_count = active_conversation_count + %d,"
                " memory_count = memory_count + %d, embedding_count = embedding_count + %d,"
                " generation = generation + %d, stamp_convs = stamp_convs + 1,"
                " stamp_mems = stamp_mems + 1 WHERE id = %s"
                % (conversations, active, memories, embeddings, 1 if memories else 0,
                   self.lit(wid)))

    def conversation_sql(self, wid, cid=None, status="active", title="Seeded", ts=None,
                         counters=True):
        cid = cid or "conv-" + hex12()
        ts = now_us() if ts is None else ts
        sql = ("INSERT INTO conversations (id, workspace_id, title, model_id, status, created_at,"
               " updated_at) VALUES (%s, %s, %s, 'model-echo', %s, %d, %d)"
               % (self.lit(cid), self.lit(wid), self.lit(title), self.lit(status), ts, ts))
        if counters:
            sql += ";\n" + self.bump_counters(wid, conversations=1,
                                              active=1 if status == "active" else 0)
        return cid, sql

    def message_sql(self, wid, cid, ts=None, role="user", content="hello", mid=None,
                    pinned=False, metadata="{}"):
        mid = mid or "msg-" + hex12()
        ts = now_us() if ts is None else ts
        # counted per minute as the server counts them (service stats)
        return mid, ("INSERT INTO messages (id, conversation_id, workspace_id, role, content,"
                     " is_pinned, metadata, timestamp) VALUES (%s, %s, %s, %s, %s, %s, %s, %d);\n"
                     "INSERT INTO message_minutes (workspace_id, minute, n) VALUES (%s, %d, 1)"
                     " ON CONFLICT (workspace_id, minute) DO UPDATE SET n = message_minutes.n + 1;\n"
                     % (self.lit(mid), self.lit(cid), self.lit(wid), self.lit(role),
                        self.lit(content), self.lit(pinned), self.lit(metadata), ts,
                        self.lit(wid), ts // 60000000) + self.stamp(wid, "stamp_convs"))

    def stamp(self, wid, column, table="workspaces"):
        """Moves a change stamp as the server's writes do, so answers kept
        under the old ETags are not served for rows written here."""
        return "UPDATE %s SET %s = %s + 1 WHERE id = %s" % (table, column, column, self.lit(wid))

    def memory_sql(self, wid, embedded=True, title="Seeded memory", content="seeded content",
                   tags=(), ts=None, mid=None, counters=True):
        mid = mid or "memory-" + hex12()
        ts = now_us() if ts is None else ts
        vec = bytes(4 * 384) if embedded else None
        # change_seq: the generation the counters' bump below moves to, as
        # the server records it (vector indexes refresh by it)
        sql = ("INSERT INTO memories (id, workspace_id, title, content, snippet, tags, metadata,"
               " embedding, embedding_model, embedding_dim, version, created_at, updated_at,"
               " change_seq) VALUES (%s, %s, %s, %s, %s, %s, '{}', %s, %s, %s, 1, %d, %d,"
               " (SELECT generation + %d FROM workspaces WHERE id = %s))"
               % (self.lit(mid), self.lit(wid), self.lit(title), self.lit(content),
                  self.lit(content[:150]), self.lit(json.dumps(list(tags))), self.lit(vec),
                  self.lit("test" if embedded else None), self.lit(384 if embedded else None),
                  ts, ts, 1 if counters else 0, self.lit(wid)))
        for tag in tags:
            sql += ";\nINSERT INTO memory_tags (memory_id, tag) VALUES (%s, %s)" % (
                self.lit(mid), self.lit(tag))
        if counters:
            sql += ";\n" + self.bump_counters(wid, memories=1, embeddings=1 if embedded else 0)
        return mid, sql

    def injection_sql(self, cid, mid, ts=None):
        ts = now_us() if ts is None else ts
        return ("INSERT INTO conversation_memories (conversation_id, memory_id, is_active,"
                " injected_at) VALUES (%s, %s, 1, %d);\n" % (self.lit(cid), self.lit(mid), ts)
                + "UPDATE workspaces SET stamp_convs = stamp_convs + 1 WHERE id ="
                  " (SELECT workspace_id FROM conversations WHERE id = %s)" % self.lit(cid))

    def activity_sql(self, wid, ts, type_="memory_created", message="Seeded activity",
                     metadata="{}", aid=None):
        aid = aid or "activity-" + hex12()
        return aid, ("INSERT INTO activities (id, workspace_id, type, description, metadata,"
                     " timestamp) VALUES (%s, %s, %s, %s, %s, %d);\n"
                     % (self.lit(aid), self.lit(wid), self.lit(type_), self.lit(message),
                        self.lit(metadata), ts) + self.stamp(wid, "stamp_acts"))

    def snapshot_sql(self, wid, value, ts, sid=None):
        sid = sid or "load-" + hex12()
        return sid, ("INSERT INTO load_snapshots (id, workspace_id, value, timestamp)"
                     " VALUES (%s, %s, %d, %d)" % (self.lit(sid), self.lit(wid), value, ts))

    def integration_sql(self, user_id, provider="openai", iid=None, ts=None):
        iid = iid or "int-" + hex12()
        ts = now_us() if ts is None else ts
        # api_key holds ciphertext in real rows; any text will do for export tests.
        return iid, ("INSERT INTO integrations (id, user_id, provider, model_id, model_name,"
                     " api_key, status, last_tested, error_message, created_at, updated_at)"
                     " VALUES (%s, %s, %s, NULL, NULL, %s, 'disconnected', NULL, NULL, %d, %d);\n"
                     % (self.lit(iid), self.lit(user_id), self.lit(provider),
                        self.lit("gAAAAA-not-a-real-key-" + uuid.uuid4().hex), ts, ts)
                     + self.stamp(user_id, "stamp_integrations", table="users"))


class _Psql:
    """One long-lived psql process (a fresh psql per statement costs ~0.1 s):
    statements go to its stdin, each batch followed by an echo marker; rows
    come back unaligned, tab-separated; any ERROR line fails the batch."""

    def __init__(self, url):
        import threading
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["psql", url, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=0"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1)
        self.n = 0
        self.run("SET client_min_messages = warning")

    def run(self, sql):
        with self.lock:
            self.n += 1
            marker = "__chimera_end_%d__" % self.n
            sql = sql.strip()
            if not sql.endswith(";"):
                sql += ";"
            self.proc.stdin.write(sql + "\n\\echo " + marker + "\n")
            self.proc.stdin.flush()
            rows, errors = [], []
            while True:
                line = self.proc.stdout.readline()
                if line == "":
                    raise AssertionError("psql exited (%s); output so far: %s\n%s"
                                         % (self.proc.poll(), rows + errors, sql[:2000]))
                line = line.rstrip("\n")
                if line == marker:
                    break
                if line.startswith("psql:") or line.startswith("ERROR:"):
                    errors.append(line)
                else:
                    rows.append(line)
            if errors:
                # leave no transaction open behind a failed batch
                self.proc.stdin.write("ROLLBACK;\n\\echo " + marker + "r\n")
                self.proc.stdin.flush()
                while self.proc.stdout.readline().rstrip("\n") != marker + "r":
                    pass
                raise AssertionError("psql: %s\n%s" % ("\n".join(errors + rows), sql[:2000]))
            return rows

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


_PSQL_SESSIONS = {}


def _psql_session(url):
    s = _PSQL_SESSIONS.get(url)
    if s is None or s.proc.poll() is not None:
        s = _PSQL_SESSIONS[url] = _Psql(url)
    return s


def close_databases():
    for s in _PSQL_SESSIONS.values():
        s.close()
    _PSQL_SESSIONS.clear()


def ts_us(s):
    """A response timestamp as integer epoch microseconds (exact)."""
    import datetime
    dt = parse_ts(s)
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (dt - epoch) // datetime.timedelta(microseconds=1)


# ---------------------------------------------------------------- workspaces and teams

class User:
    """A registered user: token, id, email, name, password."""

    def __init__(self, api, name=None):
        d = register_full(api, name=name or "User " + uuid.uuid4().hex[:8])
        self.token = d["token"]
        self.refresh = d["refresh"]
        self.user = d["user"]
        self.id = d["user"]["id"]
        self.email = d["email"]
        self.name = d["user"]["name"]
        self.password = d["password"]

    def __repr__(self):
        return "User(%s)" % self.name


def create_workspace(api, user, name=None, description=_MISSING):
    body = {"name": name or "WS " + uuid.uuid4().hex[:8]}
    if description is not _MISSING:
        body["description"] = description
    return ok_data(api.post("/workspaces", body, token=user.token), 201)


def invite(api, inviter, wid, invitee, role=None):
    body = {"email": invitee.email}
    if role is not None:
        body["role"] = role
    return ok_data(api.post("/workspaces/%s/team/invite" % wid, body, token=inviter.token), 201)


def accept(api, invitee, inv_id):
    return ok_data(api.post("/invitations/%s/accept" % inv_id, token=invitee.token))


def add_member(api, inviter, wid, member, role="researcher"):
    """Invites and accepts: member joins wid with role."""
    inv = invite(api, inviter, wid, member, role)
    got = accept(api, member, inv["id"])
    assert got["workspaceId"] == wid
    return inv


def team(api, user, wid):
    return ok_data(api.get("/workspaces/%s/team" % wid, token=user.token))["members"]


def delete_workspace(api, owner, wid):
    return ok_data(api.delete("/workspaces/%s" % wid, token=owner.token))


# ---------------------------------------------------------------- workspace shapes

def id_re(prefix):
    return re.compile(r"^%s-[0-9a-f]{12}$" % prefix)


WS_ID_RE = id_re("workspace")
TM_ID_RE = id_re("tm")
INV_ID_RE = id_re("inv")
ACT_ID_RE = id_re("activity")
WORKSPACE_KEYS = {"id", "name", "description", "ownerId", "members", "stats", "createdAt",
                  "updatedAt"}
MEMBER_KEYS = {"id", "userId", "workspaceId", "role", "status", "joinedAt", "user"}
STATS_KEYS = {"totalMemories", "totalEmbeddings", "totalConversations", "systemLoad",
              "lastActivity"}
ACTIVITY_KEYS = {"id", "type", "message", "timestamp", "metadata"}
INVITATION_KEYS = {"id", "workspaceId", "workspaceName", "inviterName", "inviterEmail",
                   "status", "createdAt"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_stats(s):
    assert isinstance(s, dict) and set(s) == STATS_KEYS, s
    for k in ("totalMemories", "totalEmbeddings", "totalConversations", "systemLoad"):
        assert is_int(s[k]) and s[k] >= 0, s
    assert s["systemLoad"] <= 100, s
    parse_ts(s["lastActivity"])
    return s


def check_member(m, wid=None):
    assert isinstance(m, dict) and set(m) == MEMBER_KEYS, m
    assert TM_ID_RE.match(m["id"]), m
    assert UUID4_RE.match(m["userId"]), m
    assert m["role"] in ("admin", "researcher", "observer"), m
    assert m["status"] in ("online", "away", "offline"), m
    parse_ts(m["joinedAt"])
    assert set(m["user"]) == {"id", "name", "email"}, m
    assert m["user"]["id"] == m["userId"], m
    if wid is not None:
        assert m["workspaceId"] == wid, m
    return m


def check_workspace(w):
    assert isinstance(w, dict) and set(w) == WORKSPACE_KEYS, w
    assert WS_ID_RE.match(w["id"]), w
    assert isinstance(w["name"], str) and w["name"], w
    assert w["description"] is None or isinstance(w["description"], str), w
    assert UUID4_RE.match(w["ownerId"]), w
    assert isinstance(w["members"], list), w
    for m in w["members"]:
        check_member(m, w["id"])
    check_stats(w["stats"])
    assert parse_ts(w["createdAt"]) <= parse_ts(w["updatedAt"]), w
    return w


def check_activity(a):
    assert isinstance(a, dict) and set(a) == ACTIVITY_KEYS, a
    assert ACT_ID_RE.match(a["id"]), a
    assert isinstance(a["type"], str) and isinstance(a["message"], str), a
    assert isinstance(a["metadata"], dict), a
    parse_ts(a["timestamp"])
    return a


def check_invitation(i):
    # "role" (D6) is the one key beyond API.md §4's Invitation
    assert isinstance(i, dict) and INVITATION_KEYS <= set(i) <= INVITATION_KEYS | {"role"}, i
    assert INV_ID_RE.match(i["id"]), i
    assert WS_ID_RE.match(i["workspaceId"]), i
    assert i["status"] == "pending", i
    parse_ts(i["createdAt"])
    return i
