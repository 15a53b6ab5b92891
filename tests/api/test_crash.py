"""Crash safety (issue 16): chimerad killed with SIGKILL while writers run —
memory creates and updates, chat sends with the echo model — then started
again on the same database. Every write the server acknowledged is there with
what was acknowledged, and nothing is half-written: every user message has
its reply, every memory its vector, the workspace and conversation counters
match their rows. Several rounds, on whichever engine the suite runs on."""
import os
import random
import tempfile
import threading
import time

import pytest
import requests

from chimera_api import Api, Server, User, base_tmp, create_workspace, ok_data

ROUNDS = 3
WRITERS = 4
ACKS_BEFORE_KILL = 24       # writes acknowledged in a round before the kill may come
HANG_S = 60                 # only against a hang


class Writer(threading.Thread):
    """Writes until the server is gone, recording what was acknowledged."""

    def __init__(self, base, token, wid, cid, tag):
        super().__init__(daemon=True)
        self.base, self.token, self.wid, self.cid, self.tag = base, token, wid, cid, tag
        self.session = requests.Session()
        self.memories = {}          # id -> (content, version) acknowledged last
        self.sends = []             # user message contents acknowledged with a reply
        self.acks = 0
        self.unexpected = []        # answers that were neither a success nor a lost connection
        self.stop = threading.Event()

    def call(self, method, path, body):
        try:
            r = self.session.request(method, self.base + "/api" + path, json=body, timeout=HANG_S,
                                     headers={"Authorization": "Bearer " + self.token})
        except requests.RequestException:
            self.stop.set()         # the server was killed: nothing was acknowledged
            return None
        if r.status_code >= 300:
            self.unexpected.append((method, path, r.status_code, r.text[:300]))
            self.stop.set()
            return None
        return r.json()["data"]

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            text = "<%s-%d> %s" % (self.tag, i, "lorem ipsum dolor " * (1 + i % 5))
            if i % 3 == 1:
                d = self.call("POST", "/workspaces/%s/memories" % self.wid,
                              {"title": "m %s-%d" % (self.tag, i), "content": text})
                if d:
                    self.memories[d["id"]] = (d["content"], d["version"])
            elif i % 3 == 2 and self.memories:
                mid = random.choice(list(self.memories))
                d = self.call("PUT", "/memories/" + mid, {"content": text})
                if d:
                    self.memories[mid] = (d["content"], d["version"])
            else:
                d = self.call("POST", "/conversations/%s/messages" % self.cid,
                              {"content": text, "getAiResponse": True})
                if d:
                    self.sends.append(d["userMessage"]["content"])
            self.acks += d is not None


def db_env():
    """A database that outlives one server (SQLite: a file of this test's own)."""
    url = os.environ.get("CHIMERA_TEST_DATABASE_URL", "")
    if url in ("", "sqlite"):
        d = tempfile.mkdtemp(prefix="crash-", dir=base_tmp())
        return {"DATABASE_URL": "sqlite:///" + os.path.join(d, "chimera.db")}
    return {}


def kill(server):
    server.proc.kill()
    server.proc.wait(timeout=HANG_S)
    server.stop(check=False)        # closes its logs; the SIGKILL is the point here
    server.died_early = False       # so the session's last check does not count it
    log = server.read_log()
    for marker in ("ERROR: AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert marker not in log, log[-3000:]


def check_consistent(db, wid, cid):
    """Nothing half-written: counters match rows, replies follow their messages,
    every memory has a vector (the hashing embedder never fails)."""
    q = db.scalar
    w = "workspace_id = '%s'" % wid
    assert q("SELECT memory_count FROM workspaces WHERE id = '%s'" % wid) == \
        q("SELECT COUNT(*) FROM memories WHERE " + w)
    assert q("SELECT embedding_count FROM workspaces WHERE id = '%s'" % wid) == \
        q("SELECT COUNT(*) FROM memories WHERE embedding IS NOT NULL AND " + w)
    assert q("SELECT COUNT(*) FROM memories WHERE embedding IS NULL AND " + w) == 0
    assert q("SELECT message_count FROM conversations WHERE id = '%s'" % cid) == \
        q("SELECT COUNT(*) FROM messages WHERE conversation_id = '%s'" % cid)
    assert q("SELECT COUNT(*) FROM messages WHERE role = 'user' AND conversation_id = '%s'"
             % cid) == q("SELECT COUNT(*) FROM messages WHERE role = 'assistant'"
                         " AND conversation_id = '%s'" % cid)


def check_acknowledged(api, user, wid, cid, writers):
    """Every acknowledged write survived, with what was acknowledged (or a later
    acknowledged-or-not version of the same memory)."""
    mems = {m["id"]: m for m in ok_data(api.get("/workspaces/%s/memories" % wid,
                                                token=user.token))["memories"]}
    conv = ok_data(api.get("/conversations/" + cid, token=user.token))
    contents = [m["content"] for m in conv["messages"] if m["role"] == "user"]
    replies = [m["content"] for m in conv["messages"] if m["role"] == "assistant"]
    for text in contents:       # the echo model's reply quotes the message; tags are unique
        tag = text.split(">")[0] + ">"
        assert sum(tag in c for c in replies) == 1, "no single reply to %r" % text
    for w in writers:
        for mid, (content, version) in w.memories.items():
            assert mid in mems, "acknowledged memory %s lost" % mid
            got = mems[mid]
            assert got["version"] >= version, (mid, got["version"], version)
            if got["version"] == version:
                assert got["content"] == content, mid
        for text in w.sends:
            assert text in contents, "acknowledged message lost: %r" % text


def test_sigkill_under_writers_loses_nothing_acknowledged():
    env = db_env()
    server = Server(env, name="crash0").start()
    api = Api(server)
    user = User(api)
    wid = create_workspace(api, user)["id"]
    cid = ok_data(api.post("/workspaces/%s/conversations" % wid, {"modelId": "model-echo"},
                           token=user.token), 201)["id"]
    everyone = []
    try:
        for rnd in range(ROUNDS):
            writers = [Writer(server.base, user.token, wid, cid, "r%dw%d" % (rnd, k))
                       for k in range(WRITERS)]
            for w in writers:
                w.start()
            deadline = time.monotonic() + HANG_S
            while sum(w.acks for w in writers) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(random.uniform(0, 0.2))      # anywhere in the middle of a write
            kill(server)
            for w in writers:
                w.stop.set()
                w.join(HANG_S)
            assert not any(w.unexpected for w in writers), [w.unexpected for w in writers]
            assert sum(w.acks for w in writers) >= ACKS_BEFORE_KILL
            everyone += writers
            server = Server(env, name="crash%d" % (rnd + 1)).start()
            api = Api(server)
            check_consistent(server.db(), wid, cid)
            check_acknowledged(api, user, wid, cid, everyone)
    finally:
        server.stop()
