"""Fault injection, against the test build of `make faults`
(-DCHIMERA_FAULTS, ASan + UBSan; src/util/fault.h). Each step of the API
journeys — register, workspace, memory create/update/delete, file import,
chat with the echo model and with a fake provider, export, account deletion;
also sign-in, refresh, logout, the polled reads, search, closing and
deleting a conversation, deleting a workspace —
is sent once per N with `X-Chimera-Fault: KIND:N` (the Nth database step,
COMMIT, outbound transfer, allocation or — on SQLite — disk write of that
request fails) until a run in which the fault no longer fires, which must
then succeed; `chimerad backup` likewise under CHIMERA_FAULT. Every injected
fault must give a clean answer (the envelope, with a 5xx or the step's
success, and what the OpenAPI document says; a streamed export may be cut
off instead), leave the server up, and
leave the database consistent: workspace and conversation counters match
their rows, every memory has its vector or `metadata.embeddingError`, a user
message lacks its reply only when the server answered that send with a
failure carrying it, and a deleted account leaves no row behind. The server's
ASan/UBSan/LeakSanitizer reports fail the test when it stops.

In any other build the header does nothing (checked below), and the journeys
are skipped."""
import itertools
import os
import signal
import sqlite3
import subprocess
import time

import pytest
import requests

import chimera_api as ca
import openapi_check
from chat_helpers import FakeLLM
from chimera_api import Api, Server, User, ok_data

# FAULT_KINDS="alloc" runs one kind. file_write fails SQLite's own writes:
# PostgreSQL writes in its own server, where the kind has nothing to fail.
KINDS = os.environ.get("FAULT_KINDS", "db_step db_commit xfer alloc file_write").split()
ON_SQLITE = os.environ.get("CHIMERA_TEST_DATABASE_URL", "") in ("", "sqlite")
# Set by `make faults` and `make coverage`, whose binaries are test builds.
FAULT_BUILD = os.environ.get("CHIMERA_FAULT_BUILD") == "1"
MAX_N = 5000                # a request with more events than this is a finding too


def fault_header(server, spec):
    r = requests.get(server.base + "/api/health", headers={"X-Chimera-Fault": spec}, timeout=30)
    assert r.status_code == 200, r.text
    return r.headers.get("X-Chimera-Fault-Fired")


def test_fault_header_only_in_the_fault_build():
    with Server(name="fault-probe") as server:
        assert (fault_header(server, "db_step:1000") is not None) == FAULT_BUILD


class Journey:
    """State of one user's journey and what the consistency check must allow."""

    def __init__(self, server, fake):
        self.server, self.fake = server, fake
        self.api = Api(server)
        self.user = User(self.api)
        self.wid = ca.create_workspace(self.api, self.user)["id"]
        self.echo = self.conv("model-echo")
        ok_data(self.api.post("/integrations", {"provider": "openai", "apiKey": "sk-" + "f" * 40},
                              token=self.user.token), 201)
        self.gpt = self.conv("model-gpt-4o")
        self.lonely = 0         # sends answered as failures that kept the user message
        self.mem = self.memory("first")

    def conv(self, model):
        return ok_data(self.api.post("/workspaces/%s/conversations" % self.wid,
                                     {"modelId": model}, token=self.user.token), 201)["id"]

    def memory(self, text):
        return ok_data(self.api.post("/workspaces/%s/memories" % self.wid,
                                     {"title": text, "content": text + " about faults"},
                                     token=self.user.token), 201)["id"]

    def call(self, method, path, fault, **kw):
        headers = {"X-Chimera-Fault": fault, "Authorization": "Bearer " + self.user.token}
        return requests.request(method, self.server.base + "/api" + path, headers=headers,
                                timeout=60, **kw)


# ---------------------------------------------------------------- the steps
# Each step: prepare(journey) runs without faults and returns what act needs;
# act(journey, arg, fault) sends the one request under test.

def register(j, arg, fault):
    return requests.post(j.server.base + "/api/auth/register", timeout=60,
                         headers={"X-Chimera-Fault": fault},
                         json={"name": "F", "email": ca.unique_email("fault"),
                               "password": "fault-pass-123"})


def workspace(j, arg, fault):
    return j.call("POST", "/workspaces", fault, json={"name": "faulty"})


def memory_create(j, arg, fault):
    return j.call("POST", "/workspaces/%s/memories" % j.wid, fault,
                  json={"title": "t", "content": "created under a fault", "tags": ["a", "b"]})


def memory_update(j, arg, fault):
    return j.call("PUT", "/memories/" + j.mem, fault,
                  json={"content": "updated under " + fault, "tags": ["c"]})


def memory_delete(j, arg, fault):
    return j.call("DELETE", "/memories/" + arg, fault)


def import_file(j, arg, fault):
    return j.call("POST", "/workspaces/%s/memories/import-file" % j.wid, fault,
                  files={"file": ("notes.txt", b"Imported notes about fault injection.\n" * 20,
                                  "text/plain")})


def chat_echo(j, arg, fault):
    return j.call("POST", "/conversations/%s/messages" % j.echo, fault,
                  json={"content": "echo under " + fault, "getAiResponse": True})


def chat_provider(j, arg, fault):
    return j.call("POST", "/conversations/%s/messages" % j.gpt, fault,
                  json={"content": "provider under " + fault, "getAiResponse": True})


def exporter(j):
    """A user of its own with a little of everything, made once: the export's
    events do not grow with what the other steps left behind."""
    if not hasattr(j, "exporter"):
        u = User(j.api)
        wid = ca.create_workspace(j.api, u)["id"]
        for i in range(2):
            ok_data(j.api.post("/workspaces/%s/memories" % wid,
                               {"title": "kept %d" % i, "content": "exported %d" % i,
                                "tags": ["x"]}, token=u.token), 201)
        cid = ok_data(j.api.post("/workspaces/%s/conversations" % wid, {"modelId": "model-echo"},
                                 token=u.token), 201)["id"]
        ok_data(j.api.post("/conversations/%s/messages" % cid,
                           {"content": "hello", "getAiResponse": True}, token=u.token), 201)
        ok_data(j.api.post("/integrations", {"provider": "openai", "apiKey": "sk-" + "e" * 40},
                           token=u.token), 201)
        j.exporter = u
    return j.exporter


def export(j, arg, fault):
    headers = {"X-Chimera-Fault": fault, "Authorization": "Bearer " + arg.token}
    return requests.get(j.server.base + "/api/export", headers=headers, timeout=60)


def account_delete(j, arg, fault):
    headers = {"X-Chimera-Fault": fault, "Authorization": "Bearer " + arg.token}
    return requests.delete(j.server.base + "/api/account", headers=headers, timeout=60)


# ---- the frontend's other calls: sign-in, polling, closing, deleting

def login(j, arg, fault):
    return requests.post(j.server.base + "/api/auth/login", timeout=60,
                         headers={"X-Chimera-Fault": fault},
                         json={"email": j.user.email, "password": j.user.password})


def fresh_login(j):
    """A login of its own (token, refresh) for a step that spends it."""
    d = ok_data(ca.login(j.api, j.user.email, j.user.password))
    return d["token"], d["refresh"]


def refresh(j, arg, fault):
    return requests.post(j.server.base + "/api/auth/refresh", timeout=60,
                         headers={"X-Chimera-Fault": fault}, json={"refresh": arg[1]})


def logout(j, arg, fault):
    return requests.post(j.server.base + "/api/auth/logout", timeout=60,
                         headers={"X-Chimera-Fault": fault, "Authorization": "Bearer " + arg[0]})


def profile_update(j, arg, fault):
    return j.call("PUT", "/auth/profile/update", fault, json={"name": "Renamed " + fault})


def getter(path):
    """A polled GET of the journey's own things (path formatted with j)."""
    def act(j, arg, fault):
        return j.call("GET", path.format(j=j), fault)
    return act


def searcher(query, mode=None):
    def act(j, arg, fault):
        body = {"query": query, "workspaceId": j.wid, "top_k": 5}
        if mode:
            body["mode"] = mode
        return j.call("POST", "/memories/search", fault, json=body)
    return act


def talked(j):
    """A conversation with one exchange, for a step that ends it."""
    cid = j.conv("model-echo")
    ok_data(j.api.post("/conversations/%s/messages" % cid,
                       {"content": "about to end", "getAiResponse": True},
                       token=j.user.token), 201)
    return cid


def close(j, arg, fault):
    return j.call("POST", "/conversations/%s/close" % arg, fault)


def conversation_delete(j, arg, fault):
    return j.call("DELETE", "/conversations/" + arg, fault)


def full_workspace(j, user=None):
    """A workspace with a memory and a conversation, the journey user's or user's."""
    token = (user or j.user).token
    wid = ca.create_workspace(j.api, user or j.user)["id"]
    ok_data(j.api.post("/workspaces/%s/memories" % wid, {"title": "m", "content": "gone soon"},
                       token=token), 201)
    cid = ok_data(j.api.post("/workspaces/%s/conversations" % wid, {"modelId": "model-echo"},
                             token=token), 201)["id"]
    ok_data(j.api.post("/conversations/%s/messages" % cid, {"content": "hi",
                                                           "getAiResponse": True},
                       token=token), 201)
    return wid


def cleaner(j):
    """A user of its own with a full workspace: the cleanup deletes every
    workspace its caller owns."""
    u = User(j.api)
    full_workspace(j, u)
    return u


def cleanup(j, arg, fault):
    headers = {"X-Chimera-Fault": fault, "Authorization": "Bearer " + arg.token}
    return requests.post(j.server.base + "/api/settings/cleanup", headers=headers, timeout=60)


def workspace_delete(j, arg, fault):
    return j.call("DELETE", "/workspaces/" + arg, fault)


def uninjected(j):
    """The journey's memory not injected into the echo conversation."""
    j.api.delete("/conversations/%s/inject-memory/%s" % (j.echo, j.mem), token=j.user.token)
    return j.mem


def inject(j, arg, fault):
    return j.call("POST", "/conversations/%s/inject-memory" % j.echo, fault,
                  json={"memoryId": arg})


def injected(j):
    r = j.api.post("/conversations/%s/inject-memory" % j.echo, {"memoryId": j.mem},
                   token=j.user.token)
    assert r.status_code in (201, 200, 400), r.text     # 400: already injected
    return j.mem


def inject_toggle(j, arg, fault):
    return j.call("PUT", "/conversations/%s/inject-memory/%s/toggle" % (j.echo, arg), fault)


def inject_remove(j, arg, fault):
    return j.call("DELETE", "/conversations/%s/inject-memory/%s" % (j.echo, arg), fault)


def integration_id(j):
    return ok_data(j.api.get("/integrations", token=j.user.token))["integrations"][0]["id"]


def integration_test(j, arg, fault):
    return j.call("POST", "/integrations/%s/test" % arg, fault)


def integration_update(j, arg, fault):
    return j.call("PUT", "/integrations/" + arg, fault, json={"apiKey": "sk-" + "g" * 40})


def invitee(j):
    """A user invited into the journey's workspace: (user, invitation id)."""
    u = User(j.api)
    inv = ca.invite(j.api, j.user, j.wid, u)
    return u, inv["id"]


def invite(j, arg, fault):
    return j.call("POST", "/workspaces/%s/team/invite" % j.wid, fault, json={"email": arg.email})


def accept(j, arg, fault):
    headers = {"X-Chimera-Fault": fault, "Authorization": "Bearer " + arg[0].token}
    return requests.post(j.server.base + "/api/invitations/%s/accept" % arg[1], timeout=60,
                         headers=headers)


def sender(method, path, body=None):
    """A request of the journey's own (path and string values formatted with j)."""
    def act(j, arg, fault):
        sent = {k: v.format(j=j) if isinstance(v, str) else v for k, v in body.items()} \
            if body is not None else None
        return j.call(method, path.format(j=j), fault, json=sent)
    return act


STEPS = [
    ("register", None, register),
    ("workspace", None, workspace),
    ("memory_create", None, memory_create),
    ("memory_update", None, memory_update),
    ("memory_delete", lambda j: j.memory("doomed"), memory_delete),
    ("import_file", None, import_file),
    ("chat_echo", None, chat_echo),
    ("chat_provider", None, chat_provider),
    ("export", exporter, export),
    ("account_delete", lambda j: User(j.api), account_delete),
    ("login", None, login),
    ("refresh", fresh_login, refresh),
    ("logout", fresh_login, logout),
    ("profile_update", None, profile_update),
    ("workspace_list", None, getter("/workspaces")),
    ("workspace_get", None, getter("/workspaces/{j.wid}")),
    ("workspace_stats", None, getter("/workspaces/{j.wid}/stats")),
    ("dashboard", None, getter("/workspaces/{j.wid}/dashboard")),
    ("activity", None, getter("/workspaces/{j.wid}/activity")),
    ("neural_load", None, getter("/workspaces/{j.wid}/neural-load")),
    ("team", None, getter("/workspaces/{j.wid}/team")),
    ("conversation_list", None, getter("/workspaces/{j.wid}/conversations")),
    ("conversation_get", None, getter("/conversations/{j.echo}")),
    ("memory_list", None, getter("/workspaces/{j.wid}/memories")),
    ("memory_get", None, getter("/memories/{j.mem}")),
    ("search", None, searcher("faults")),
    ("search_hybrid", None, searcher("faults", "hybrid")),
    ("search_keyword", None, searcher("faults", "keyword")),
    ("search_recent", None, searcher("")),
    ("settings", None, getter("/settings")),
    ("integrations", None, getter("/integrations")),
    ("close", talked, close),
    ("conversation_delete", talked, conversation_delete),
    ("workspace_delete", full_workspace, workspace_delete),
    ("inject", uninjected, inject),
    ("inject_toggle", injected, inject_toggle),
    ("inject_remove", injected, inject_remove),
    ("integration_test", integration_id, integration_test),
    ("integration_update", integration_id, integration_update),
    ("invite", lambda j: User(j.api), invite),
    ("accept", invitee, accept),
    ("reembed", None, sender("POST", "/memories/{j.mem}/re-embed")),
    ("record_load", None, sender("POST", "/workspaces/{j.wid}/record-load")),
    ("mcp_remember", None, sender("POST", "/mcp/remember",
                                    {"text": "remembered under a fault", "workspace_id": "{j.wid}"})),
    ("mcp_inject", None, sender("POST", "/mcp/inject", {"workspace_id": "{j.wid}"})),
    ("mcp_list", None, getter("/mcp/listMemories?conversation_id={j.echo}")),
    ("settings_profile", None, sender("PUT", "/settings/profile", {"name": "Faulty Name"})),
    ("retention", None, sender("PUT", "/settings/memory-retention",
                                 {"autoStore": True, "retentionPeriod": "indefinite-forever"})),
    ("cleanup", cleaner, cleanup),
]
# Steps that write: a COMMIT (and on SQLite a disk write) must be among
# their faults. The export and the polled reads only read.
WRITES = {"register", "workspace", "memory_create", "memory_update", "memory_delete",
          "import_file", "chat_echo", "chat_provider", "account_delete", "login", "refresh",
          "logout", "profile_update", "close", "conversation_delete", "workspace_delete",
          "inject", "inject_toggle", "inject_remove", "integration_update", "invite", "accept",
          "reembed", "record_load", "mcp_remember", "settings_profile", "retention"}


# ---------------------------------------------------------------- the checks

def consistent(db, j):
    """The journey's own rows (the database may hold other tests' rows,
    some written around the server on purpose)."""
    q = db.scalar
    mine = "w.owner_id = '%s'" % j.user.id
    bad = q("SELECT COUNT(*) FROM workspaces w WHERE " + mine + " AND (memory_count !="
            " (SELECT COUNT(*) FROM memories m WHERE m.workspace_id = w.id)"
            " OR embedding_count != (SELECT COUNT(*) FROM memories m WHERE m.workspace_id = w.id"
            " AND m.embedding IS NOT NULL)"
            " OR conversation_count != (SELECT COUNT(*) FROM conversations c"
            " WHERE c.workspace_id = w.id))")
    assert bad == 0, "workspace counters off"
    assert q("SELECT COUNT(*) FROM conversations c JOIN workspaces w ON w.id = c.workspace_id"
             " WHERE " + mine + " AND message_count !="
             " (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)") == 0, \
        "conversation message_count off"
    assert q("SELECT COUNT(*) FROM memories m JOIN workspaces w ON w.id = m.workspace_id"
             " WHERE " + mine + " AND m.embedding IS NULL"
             " AND m.metadata NOT LIKE '%embeddingError%'") == 0, "memory without vector or error"
    convs = "('%s', '%s')" % (j.echo, j.gpt)
    users = q("SELECT COUNT(*) FROM messages WHERE role = 'user' AND conversation_id IN " + convs)
    replies = q("SELECT COUNT(*) FROM messages WHERE role = 'assistant'"
                " AND conversation_id IN " + convs)
    assert users - replies == j.lonely, "a message without its reply (%d, %d, %d allowed)" % (
        users, replies, j.lonely)


def gone(db, uid):
    for table, col in [("users", "id"), ("tokens", "user_id"), ("workspaces", "owner_id"),
                       ("team_members", "user_id"), ("integrations", "user_id")]:
        assert db.scalar("SELECT COUNT(*) FROM %s WHERE %s = '%s'" % (table, col, uid)) == 0, table


def clean_answer(server, name, r, fired):
    """The envelope; a fired fault gives a 5xx, or the step's own success when
    the fault hit something the step could do without. Every answer (but a
    streamed export's body) must also be what the OpenAPI document says: a
    success is never sent with a field or an item missing."""
    if name == "export" and r.status_code == 200:
        return
    openapi_check.check(server.base, r.request.method, r.request.path_url, r)
    body = r.json()
    assert isinstance(body, dict) and set(body) == ca.ENVELOPE_KEYS, body
    if r.status_code < 300:
        assert body["ok"] is True, body
        return
    assert body["ok"] is False and body["error"], body
    assert fired, "failed without a fault: %s %s" % (r.status_code, body)
    assert r.status_code in (500, 502, 503), "%s under a fault: %s" % (r.status_code, body)


def drive(j, db, name, prepare, act, kind):
    fired_any = 0
    for n in itertools.count(1):
        assert n <= MAX_N, "%s: still failing at %s:%d" % (name, kind, n)
        arg = prepare(j) if prepare else None
        r = None
        try:
            r = act(j, arg, "%s:%d" % (kind, n))
            fired = r.headers.get("X-Chimera-Fault-Fired") == "1"
            clean_answer(j.server, name, r, fired)
            if name == "export" and r.status_code == 200:
                r.json()                    # complete, or cut off (below)
        except (requests.exceptions.ChunkedEncodingError, ValueError):
            assert name == "export", "%s: broken answer under %s:%d" % (name, kind, n)
            fired = True
        finally:
            fault_header(j.server, "none:0")     # a fault that did not fire stays armed
        if r is not None and fired and r.status_code >= 500 and name.startswith("chat"):
            data = r.json().get("data")
            if data and data.get("userMessage"):
                j.lonely += 1
        assert ca.health_ok(j.api), "%s: server down after %s:%d" % (name, kind, n)
        consistent(db, j)
        if name == "account_delete" and r is not None and r.status_code == 200:
            gone(db, arg.id)
        if not fired:
            assert r is not None and r.status_code < 300, (name, kind, n, r.status_code, r.text[:300])
            return fired_any
        fired_any += 1


@pytest.fixture(scope="module")
def journey():
    if not FAULT_BUILD:
        pytest.skip("fault injection needs the test build (make faults)")
    fake = FakeLLM()
    server = None
    try:
        server = Server({"CHIMERA_OPENAI_BASE_URL": fake.base + "/v1"}, name="faults").start()
        yield Journey(server, fake)
    finally:
        try:
            if server:
                server.stop()       # raises on a sanitizer report: the fake still stops
        finally:
            fake.stop()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name,prepare,act", STEPS, ids=[s[0] for s in STEPS])
def test_every_fault_answers_cleanly(journey, name, prepare, act, kind):
    if kind == "file_write" and not ON_SQLITE:
        pytest.skip("the PostgreSQL server writes its own files")
    db = journey.server.db()
    fired = drive(journey, db, name, prepare, act, kind)
    # the faults were really there: every step reads the database, the
    # writing steps write to it, and the provider chat and the integration
    # test make an outbound call
    must = {"db_step": True, "db_commit": name in WRITES, "xfer": name in ("chat_provider", "integration_test"),
            "alloc": True, "file_write": name in WRITES}
    if must[kind]:
        assert fired > 0, "%s: no %s fault ever fired" % (name, kind)
    print("%s %s: %d faults injected" % (name, kind, fired))


def test_backup_under_every_disk_fault(tmp_path):
    """`chimerad backup` with its Nth disk write failing: each run fails
    with a message and exit status 1, leaves neither the copy nor a
    temporary behind, until the run the fault no longer reaches, whose copy
    is whole."""
    if not FAULT_BUILD:
        pytest.skip("fault injection needs the test build (make faults)")
    if not ON_SQLITE:
        pytest.skip("a PostgreSQL database is copied by pg_dump")
    with Server(name="faults-backup") as server:
        api = Api(server)
        user = User(api)
        wid = ca.create_workspace(api, user)["id"]
        for i in range(20):
            ok_data(api.post("/workspaces/%s/memories" % wid,
                             {"title": "m%d" % i, "content": "kept in every copy %d" % i},
                             token=user.token), 201)
        failed = 0
        for n in itertools.count(1):
            assert n <= MAX_N, "backup still failing at file_write:%d" % n
            target = tmp_path / ("copy-%d.db" % n)
            env = dict(os.environ)
            env.update(ca.DEFAULT_ENV)
            env.update({"DATABASE_URL": server.database_url(), "CHIMERA_FAULT": "file_write:%d" % n,
                        "CHIMERA_DATA_DIR": str(tmp_path / ("data-%d" % n))})
            p = subprocess.run([ca.BIN, "backup", str(target)], env=env, capture_output=True,
                               text=True, timeout=120)
            for marker in ca.SANITIZER_MARKERS:
                assert marker not in p.stderr, p.stderr[-3000:]
            assert sorted(f.name for f in tmp_path.iterdir()
                          if f.name.startswith("copy-%d.db" % n) and f.name != target.name) == [], \
                "a temporary left behind"
            if p.returncode == 0:
                break
            failed += 1
            assert p.returncode == 1 and p.stderr.strip(), (p.returncode, p.stderr)
            assert not target.exists(), "a failed backup left %s" % target
        con = sqlite3.connect("file:%s?immutable=1" % target, uri=True)
        try:
            assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert con.execute("SELECT COUNT(*) FROM memories").fetchone()[0] == 20
        finally:
            con.close()
        assert failed > 0, "no file_write fault ever fired"
        print("backup file_write: %d faults injected" % failed)


@pytest.mark.parametrize("kind", ["alloc", "file_write"])
def test_startup_under_every_fault(tmp_path, kind):
    """`chimerad serve` with the Nth event of kind failing during start-up
    (CHIMERA_FAULT; the first request disarms it), on one SQLite database
    for every N: each run either stops with status 1 and a message, or
    starts — and the run the fault no longer reaches starts and serves, its
    migrations whole, however many earlier starts stopped half-way."""
    if not FAULT_BUILD:
        pytest.skip("fault injection needs the test build (make faults)")
    if not ON_SQLITE:
        pytest.skip("start-up faults are driven on SQLite")
    url = "sqlite:///" + str(tmp_path / "start.db")
    stopped = 0
    for n in itertools.count(1):
        assert n <= MAX_N, "start-up still failing at %s:%d" % (kind, n)
        env = dict(os.environ)
        env.update(ca.DEFAULT_ENV)
        port = ca.free_port()
        env.update({"DATABASE_URL": url, "CHIMERA_FAULT": "%s:%d" % (kind, n),
                    "CHIMERA_PORT": str(port), "CHIMERA_DATA_DIR": str(tmp_path / "data")})
        err = open(tmp_path / "stderr.log", "w+b")
        proc = subprocess.Popen([ca.BIN, "serve"], env=env, stdout=subprocess.DEVNULL,
                                stderr=err, stdin=subprocess.DEVNULL)
        up = False
        try:
            for _ in range(600):        # 60 s: a hang guard, start-up takes well under 1 s
                if proc.poll() is not None:
                    break
                try:
                    up = requests.get("http://127.0.0.1:%d/api/health" % port,
                                      timeout=5).status_code == 200
                except requests.exceptions.ConnectionError:
                    pass
                if up:
                    break
                time.sleep(0.1)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
            err.seek(0)
            log = err.read().decode("utf-8", "replace")
            err.close()
        for marker in ca.SANITIZER_MARKERS:
            assert marker not in log, log[-3000:]
        if up:
            assert proc.returncode == 0, log[-2000:]
            if "went on past the fault" not in log:
                break
            continue
        stopped += 1
        assert proc.returncode == 1, (kind, n, proc.returncode, log[-2000:])
        assert log.strip(), "%s:%d stopped start-up without a word" % (kind, n)
    db = ca.Database(url)
    steps = {f.split("_")[0] for f in os.listdir(os.path.join(
        os.path.dirname(__file__), "..", "..", "src", "db", "migrations")) if f.endswith(".sql")}
    assert db.scalar("SELECT COUNT(*) FROM schema_version") == len(steps), \
        "migrations not whole after the interrupted starts"
    assert stopped > 0, "no %s fault ever stopped start-up" % kind
    print("start-up %s: %d stops" % (kind, stopped))
