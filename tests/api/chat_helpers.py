"""Shared helpers for the conversation, message, integration and provider
tests (test_conversations, test_messages, test_integrations,
test_chat_providers, test_properties_chat).

* `FakeLLM`: runs tests/fakes/fake_llm.py (fake OpenAI / DeepSeek / Groq /
  Anthropic / Gemini endpoints that record every call) and drives it through
  its control endpoints.
* `ChatEnv`: a fake plus a chimerad whose provider base URLs point at it and
  whose ENCRYPTION_KEY is a Fernet key generated here, so stored API keys can
  be decrypted by the tests. `chat` is a module-scoped fixture: a module that
  does `from chat_helpers import chat` gets its own fake and server.
* Reference implementations of what API.md specifies exactly: the system
  prompt (D3), the echo reply (§6.4), key masking (§12), the title-casing of
  display names (§6.1), close-summary tags (§8.5), Fernet token checks (D9).

Only stdlib + requests + pytest (+ `cryptography` when installed, to decrypt
Fernet tokens; without it the token's HMAC is still verified)."""
import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

import chimera_api as ca
from chimera_api import Api, Server, User, ok_data

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_SCRIPT = os.path.abspath(os.path.join(HERE, "..", "fakes", "fake_llm.py"))

PROVIDERS = ("openai", "anthropic", "google", "deepseek", "groq")

# A model id (conversation modelId) that resolves to each provider (§6.2),
# with the upstream model name the provider must receive.
MODEL_FOR = {
    "openai": ("model-gpt-4o", "gpt-4o"),
    "anthropic": ("model-claude-3.5-sonnet", "claude-3-5-sonnet-20241022"),
    "google": ("model-gemini-2.0-flash", "gemini-2.0-flash"),
    "deepseek": ("model-deepseek-chat", "deepseek-chat"),
    "groq": ("model-llama-3.3-70b-versatile", "llama-3.3-70b-versatile"),
}

SYSTEM_BASE = "You are a helpful AI assistant in the Chimera Protocol system."
ECHO_TAIL = "\n\nThis is a demo response. Connect an LLM provider to get real AI responses."

ACCESS_DENIED = "Access denied"
READ_ONLY = "Observers have read-only access"
CONV_NOT_FOUND = "Conversation not found"

CONV_ID_RE = ca.id_re("conv")
MSG_ID_RE = ca.id_re("msg")
MEM_ID_RE = ca.id_re("memory")
INT_ID_RE = ca.id_re("int")

CONVERSATION_KEYS = {"id", "workspaceId", "title", "modelId", "messages", "injectedMemories",
                     "status", "createdAt", "updatedAt"}
# §4 plus the recommended `updatedAt` and `injectedMemories`
LIST_ITEM_KEYS = {"id", "workspaceId", "title", "modelId", "status", "messageCount",
                  "lastUpdated", "createdAt", "updatedAt", "injectedMemories"}
MESSAGE_KEYS = {"id", "conversationId", "role", "content", "timestamp", "isPinned", "metadata"}
# §4 Integration plus `userId` and `createdAt` (API.md §4 "Ours adds")
INTEGRATION_KEYS = {"id", "userId", "provider", "modelId", "modelName", "apiKey", "status",
                    "lastTested", "errorMessage", "createdAt"}
MODEL_KEYS = {"id", "provider", "name", "displayName", "brainRegion", "status", "position"}

# §6.1: (default name, brain region, position)
CATALOGUE = {
    "openai": ("gpt-4o", "Left Cortex",
               (-1.7926077716418671, 0.7967145651741632, 0.995893206467704)),
    "anthropic": ("claude-3.5-sonnet", "Right Cortex",
                  (1.7926077716418671, 0.7967145651741632, 0.995893206467704)),
    "google": ("gemini-2.0-flash", "Occipital", (0.0, -1.2203404316955044, 1.8305106475432567)),
    "deepseek": ("deepseek-chat", "Frontal Lobe", (0.0, 1.8305106475432567, 1.2203404316955044)),
    "groq": ("llama-3.3-70b-versatile", "Temporal",
             (-1.5141438435457077, -0.5047146145152359, 1.5141438435457077)),
    "echo": ("echo", "Cerebellum", (0.0, 0.0, 2.2)),
}


# ------------------------------------------------------------------ the fake provider

class FakeLLM:
    """One fake_llm.py process (started here, stopped by its own pid)."""

    def __init__(self):
        # fake_llm.py as is, with Nagle's algorithm off: its handler writes the headers
        # and the body of an answer separately, and on a kept-alive connection the body
        # then waits for the client's delayed ACK (~40 ms per provider call)
        boot = ("import sys; sys.argv = [%r, '0']; sys.path.insert(0, %r); import fake_llm; "
                "fake_llm.Handler.disable_nagle_algorithm = True; fake_llm.main()"
                % (FAKE_SCRIPT, os.path.dirname(FAKE_SCRIPT)))
        self.proc = subprocess.Popen([sys.executable, "-u", "-B", "-c", boot],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"^PORT (\d+)$", line.strip())
        if not m:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("fake_llm.py did not print its port: %r" % line)
        self.port = int(m.group(1))
        self.base = "http://127.0.0.1:%d" % self.port
        # the rest of stdout is never read: keep the pipe drained
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        try:
            for _ in self.proc.stdout:
                pass
        except (OSError, ValueError):
            pass

    def requests(self):
        r = requests.get(self.base + "/_requests", timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def reset(self):
        assert requests.post(self.base + "/_reset", timeout=10).status_code == 200

    def config(self, mode="ok", delay_ms=0, reply=None, status=None, dim=None,
               stream_delay_ms=0, stream_pause_ms=0, body=None):
        r = requests.post(self.base + "/_config", json={"mode": mode, "delay_ms": delay_ms,
                                                        "reply": reply, "status": status,
                                                        "dim": dim,
                                                        "stream_delay_ms": stream_delay_ms,
                                                        "stream_pause_ms": stream_pause_ms,
                                                        "body": body},
                          timeout=10)
        assert r.status_code == 200, r.text

    def chat_calls(self):
        """Recorded chat-completion calls (not connection tests)."""
        return [c for c in self.requests() if is_chat_call(c)]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            self.proc.stdout.close()
        except OSError:
            pass


def is_chat_call(c):
    if c["method"] != "POST":
        return False
    p = c["path"]
    if p.endswith("/chat/completions") or p.endswith("enerateContent"):  # (stream)Generate
        return True
    return p == "/v1/messages" and not _is_anthropic_test(c)


def _is_anthropic_test(call):
    b = call.get("body")
    return isinstance(b, dict) and b.get("max_tokens") == 1 and b.get("messages") == [
        {"role": "user", "content": "test"}]


def new_fernet_key():
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def provider_env(fake):
    p = fake.port
    return {
        "CHIMERA_OPENAI_BASE_URL": "http://127.0.0.1:%d/v1" % p,
        "CHIMERA_DEEPSEEK_BASE_URL": "http://127.0.0.1:%d" % p,
        "CHIMERA_GROQ_BASE_URL": "http://127.0.0.1:%d/openai/v1" % p,
        "CHIMERA_ANTHROPIC_BASE_URL": "http://127.0.0.1:%d/v1" % p,
        "CHIMERA_GOOGLE_BASE_URL": "http://127.0.0.1:%d" % p,
    }


class ChatEnv:
    """A fake provider and a chimerad wired to it (plus extra servers on demand)."""

    def __init__(self, name="chat", **extra_env):
        self.fake = FakeLLM()
        self.fernet_key = new_fernet_key()
        self.servers = []
        try:
            self.server = self.start_server(name=name, **extra_env)
        except BaseException:
            self.fake.stop()
            raise
        self.api = Api(self.server)
        self.db = self.server.db()

    def env(self, **extra):
        e = provider_env(self.fake)
        e["ENCRYPTION_KEY"] = self.fernet_key
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def start_server(self, name="chat-extra", **extra_env):
        s = Server(self.env(**extra_env), name=name).start()
        self.servers.append(s)
        return s

    def user(self, name=None):
        return User(self.api, name=name)

    def close(self):
        problems = []
        for s in self.servers:
            if s.proc is not None and not s._err.closed:
                s.stop(check=False)
                problems += s.problems()
        self.fake.stop()
        assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="module")
def chat():
    """A fake provider + a chimerad wired to it, for the whole test module."""
    env = ChatEnv()
    yield env
    env.close()


@pytest.fixture
def fake(chat):
    """The module's fake provider, reset before and after the test."""
    chat.fake.reset()
    yield chat.fake
    chat.fake.reset()


# ------------------------------------------------------------------ API shortcuts

def workspace(api, user):
    return ca.create_workspace(api, user)["id"]


def create_conversation(api, user, wid, model_id="model-echo", title=None, status=201):
    body = {"modelId": model_id}
    if title is not None:
        body["title"] = title
    return ok_data(api.post("/workspaces/%s/conversations" % wid, body, token=user.token), status)


def get_conversation(api, user, cid):
    return check_conversation(ok_data(api.get("/conversations/" + cid, token=user.token)))


def list_conversations(api, user, wid):
    d = ok_data(api.get("/workspaces/%s/conversations" % wid, token=user.token))
    assert set(d) == {"conversations", "total"}, d
    assert d["total"] == len(d["conversations"]), d
    for c in d["conversations"]:
        check_list_item(c)
    return d["conversations"]


def send(api, user, cid, content, ai=True, **extra):
    body = {"content": content}
    if ai is not None:
        body["getAiResponse"] = ai
    body.update(extra)
    return api.post("/conversations/%s/messages" % cid, body, token=user.token)


def send_ok(api, user, cid, content, ai=True):
    d = ok_data(send(api, user, cid, content, ai), 201)
    if ai:
        assert set(d) == {"userMessage", "assistantMessage"}, d
        check_message(d["assistantMessage"], cid)
    else:
        assert set(d) == {"userMessage"}, d
    check_message(d["userMessage"], cid)
    return d


def send_failure(r, status, cid=None):
    """A failed send (§1.2 exception): ok false, data {userMessage}, string error."""
    assert r.status_code == status, (r.status_code, r.text[:2000])
    assert r.headers.get("Content-Type", "").split(";")[0].strip() == "application/json"
    body = r.json()
    assert isinstance(body, dict) and set(body) == ca.ENVELOPE_KEYS, body
    assert body["ok"] is False, body
    assert isinstance(body["error"], str) and body["error"], body
    assert isinstance(body["data"], dict) and set(body["data"]) == {"userMessage"}, body
    u = check_message(body["data"]["userMessage"], cid)
    assert u["role"] == "user", u
    return body


def create_memory(api, user, wid, title, content, tags=None):
    body = {"title": title, "content": content}
    if tags is not None:
        body["tags"] = tags
    return ok_data(api.post("/workspaces/%s/memories" % wid, body, token=user.token), 201)


def inject(api, user, cid, mid):
    d = ok_data(api.post("/conversations/%s/inject-memory" % cid, {"memoryId": mid},
                         token=user.token))
    assert d == {"message": "Memory injected successfully"}, d
    return d


def toggle(api, user, cid, mid):
    d = ok_data(api.put("/conversations/%s/inject-memory/%s/toggle" % (cid, mid),
                        token=user.token))
    assert set(d) == {"memoryId", "isActive", "message"}, d
    assert d["memoryId"] == mid, d
    assert d["message"] == ("Memory activated" if d["isActive"] else "Memory paused"), d
    return d


def pin(api, user, cid, mid, value):
    return check_message(ok_data(api.put("/conversations/%s/messages/%s" % (cid, mid),
                                         {"isPinned": value}, token=user.token)), cid)


def create_integration(api, user, provider, key=None, status=201, **extra):
    key = key or new_key()
    body = {"provider": provider, "apiKey": key}
    body.update(extra)
    r = api.post("/integrations", body, token=user.token)
    if status != 201:
        return r
    d = check_integration(ok_data(r, 201), key)
    return d


def new_key(prefix="sk-test-"):
    """A distinctive plain API key (noted for the whole-session log scan)."""
    k = prefix + uuid.uuid4().hex + uuid.uuid4().hex[:8]
    ca.SECRETS.add(k)
    return k


# ------------------------------------------------------------------ shapes

def check_message(m, cid=None):
    assert isinstance(m, dict) and set(m) == MESSAGE_KEYS, m
    assert MSG_ID_RE.match(m["id"]), m
    if cid is not None:
        assert m["conversationId"] == cid, m
    assert m["role"] in ("user", "assistant", "system"), m
    assert isinstance(m["content"], str), m
    assert isinstance(m["isPinned"], bool), m
    assert isinstance(m["metadata"], dict), m
    ca.parse_ts(m["timestamp"])
    if m["role"] == "user":
        assert m["metadata"] == {}, m
    return m


def check_conversation(c):
    assert isinstance(c, dict) and set(c) == CONVERSATION_KEYS, c
    assert CONV_ID_RE.match(c["id"]), c
    assert ca.WS_ID_RE.match(c["workspaceId"]), c
    assert isinstance(c["title"], str) and c["title"], c
    assert isinstance(c["modelId"], str) and c["modelId"], c
    assert c["status"] in ("active", "completed", "archived"), c
    assert ca.parse_ts(c["createdAt"]) <= ca.parse_ts(c["updatedAt"]), c
    for m in c["messages"]:
        check_message(m, c["id"])
    stamps = [ca.ts_us(m["timestamp"]) for m in c["messages"]]
    assert stamps == sorted(stamps), "messages must be oldest first: %s" % c["messages"]
    assert isinstance(c["injectedMemories"], list), c
    for i in c["injectedMemories"]:
        assert set(i) == {"id", "isActive"}, i
        assert MEM_ID_RE.match(i["id"]) and isinstance(i["isActive"], bool), i
    ids = [i["id"] for i in c["injectedMemories"]]
    assert len(ids) == len(set(ids)), "duplicate injections: %s" % ids
    return c


def check_list_item(c):
    assert isinstance(c, dict) and set(c) == LIST_ITEM_KEYS, c
    assert CONV_ID_RE.match(c["id"]), c
    assert ca.is_int(c["messageCount"]) and c["messageCount"] >= 0, c
    assert c["status"] in ("active", "completed", "archived"), c
    assert c["lastUpdated"] == c["updatedAt"], c
    assert ca.parse_ts(c["createdAt"]) <= ca.parse_ts(c["updatedAt"]), c
    for i in c["injectedMemories"]:
        assert set(i) == {"id", "isActive"}, i
    return c


def mask(key):
    """§12: first 3 + '...' + last 3 characters; '***' below 6 characters."""
    return "***" if len(key) < 6 else key[:3] + "..." + key[-3:]


def check_integration(i, key=None):
    assert isinstance(i, dict) and set(i) == INTEGRATION_KEYS, i
    assert INT_ID_RE.match(i["id"]), i
    assert ca.UUID4_RE.match(i["userId"]), i
    assert i["provider"] in PROVIDERS, i
    assert i["status"] in ("connected", "error", "disconnected"), i
    assert i["modelId"] is None or isinstance(i["modelId"], str), i
    assert i["modelName"] is None or isinstance(i["modelName"], str), i
    assert i["errorMessage"] is None or isinstance(i["errorMessage"], str), i
    if i["lastTested"] is not None:
        ca.parse_ts(i["lastTested"])
    ca.parse_ts(i["createdAt"])
    if i["status"] == "connected":
        assert i["errorMessage"] is None, i
    if key is not None:
        assert i["apiKey"] == mask(key.strip()), (i["apiKey"], key)
        assert_no_key(i, key)
    return i


def strings_in(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from strings_in(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings_in(v)


# Values whose format is fixed by the server (ids, timestamps, enumerations):
# an arbitrary key might occur inside them by accident, which is no leak.
_FIXED_VALUE = re.compile(r"^(%s|%s|[a-z]+-[0-9a-f]{12})$" % (ca.UUID4_RE.pattern[1:-1],
                                                             ca.TS_RE.pattern[1:-1]))
_FIXED_WORDS = {"connected", "disconnected", "error", "Connection test successful",
                "Invalid API key"} | set(PROVIDERS)


def assert_no_key(obj, key):
    """No string of a parsed response contains the plain key (or its trimmed form)."""
    for k in {key, key.strip()}:
        if len(k) < 7:          # a mask "abc...xyz" holds 6 of its characters
            continue
        for s in strings_in(obj):
            if _FIXED_VALUE.match(s) or s in _FIXED_WORDS or s in INTEGRATION_KEYS:
                continue
            assert k not in s, "plain key leaked in %r" % obj


# ------------------------------------------------------------------ reference formulas

def system_text(memories):
    """D3: the system prompt for the active injected memories (title, content), in order."""
    s = SYSTEM_BASE
    if memories:
        s += "\n\n=== Injected Context ===\n"
        for title, content in memories:
            s += "\n[%s]\n%s\n" % (title, content[:4000])
        s += "\n=== End Context ===\n"
    return s


def echo_reply(text):
    return "[Echo Mode] Received: " + text + ECHO_TAIL


def python_title(s):
    """§6.1: Python's str.title() (a letter after a non-letter upper-cased, others lower)."""
    return s.title()


def display_name(name):
    return python_title(name.replace("-", " "))


KEYWORD_TAGS = [
    ("preference", ("prefer", "like", "love", "favorite")),
    ("project", ("building", "working", "developing", "creating")),
    ("programming", ("python", "javascript", "java", "code", "programming")),
    ("design", ("design", "ui", "ux", "interface", "layout")),
    ("backend", ("api", "backend", "server", "database")),
    ("frontend", ("frontend", "react", "vue", "angular")),
    ("team", ("team", "colleague", "member", "collaborate")),
    ("important", ("important", "critical", "must", "required")),
]


def summary_tags(content):
    low = content.lower()
    tags = [t for t, words in KEYWORD_TAGS if any(w in low for w in words)]
    return (tags or ["general"]) + ["conversation-summary", "auto-generated"]


def summary_content(messages):
    return "\n\n".join(("User: " if m["role"] == "user" else "Assistant: ") + m["content"]
                       for m in messages)


def snippet(content):
    return content[:150] + ("..." if len(content) > 150 else "")


# ------------------------------------------------------------------ Fernet (D9)

def fernet_parts(token):
    """(version, timestamp, iv, ciphertext, mac) of a Fernet token; asserts the format."""
    assert isinstance(token, str) and re.match(r"^[A-Za-z0-9_-]+=*$", token), token
    raw = base64.urlsafe_b64decode(token.encode())
    assert len(raw) >= 73, len(raw)
    assert raw[0] == 0x80, raw[0]
    assert (len(raw) - 57) % 16 == 0, len(raw)
    return raw[0], int.from_bytes(raw[1:9], "big"), raw[9:25], raw[25:-32], raw[-32:]


def fernet_decrypt(token, key_b64):
    """Verifies the HMAC with the key and returns the plaintext (bytes), or None when
    the `cryptography` module is missing (the HMAC check is done either way)."""
    _v, ts, _iv, _ct, mac = fernet_parts(token)
    key = base64.urlsafe_b64decode(key_b64.encode())
    raw = base64.urlsafe_b64decode(token.encode())
    want = hmac.new(key[:16], raw[:-32], hashlib.sha256).digest()
    assert hmac.compare_digest(want, mac), "Fernet HMAC does not verify with ENCRYPTION_KEY"
    assert abs(ts - time.time()) < 24 * 3600, ts
    try:
        from cryptography.fernet import Fernet
    except ImportError:
        return None
    return Fernet(key_b64.encode()).decrypt(token.encode())


def stored_key(db, iid):
    rows = db.query("SELECT api_key FROM integrations WHERE id = %s" % db.lit(iid))
    assert len(rows) == 1, rows
    return rows[0][0]


def ts_within(ts, t0, t1, slack=2.0):
    v = ca.parse_ts(ts).timestamp()
    assert t0 - slack <= v <= t1 + slack, (ts, t0, t1)
    return v
