"""Conditional GETs under random writes (conditional requests and
constant-cost stats): after every write of a random sequence, every GET
the frontend polls is fetched again by two members; whenever its body
changed, its ETag must have changed, a request carrying the old ETag must
get the new body (never a 304), and one carrying the current ETag a 304
with no body. Two users never share an ETag. After every sequence the
service stats equal what COUNT(*) over the tables gives, also after writes
that ran concurrently. Both engines (the suite runs once per engine)."""
import os
import random
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chimera_api import User, add_member, create_workspace, invite, now_us, ok_data

PROPERTY = settings(max_examples=int(os.environ.get("CHIMERA_PROPERTY_EXAMPLES", "100")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


class World:
    """Three users: owner A, member B (both poll), outsider C (invited,
    accepts, declines, is removed); one workspace W the writes go to."""

    def __init__(self, api):
        self.api = api
        self.a, self.b, self.c = (User(api, name="Poll %s" % n) for n in "ABC")
        self.wid = create_workspace(api, self.a, name="Polled")["id"]
        add_member(api, self.a, self.wid, self.b)
        self.convs, self.mems, self.msgs, self.ints = [], [], [], []
        self.inv = None
        self.other_ws = []
        self.b_invited = set()

    def call(self, method, path, body=None, user=None, expect=(200, 201)):
        user = user or self.a
        kw = {"token": user.token}
        if body is not None:
            kw["json_body"] = body
        r = self.api.request(method, path, **kw)
        assert r.status_code in expect, (method, path, r.status_code, r.text)
        return r.json()["data"] if r.content else None

    def polled(self, user):
        w = self.wid
        paths = ["/workspaces", "/workspaces/%s" % w, "/workspaces/%s/team" % w,
                 "/workspaces/%s/conversations" % w, "/workspaces/%s/memories" % w,
                 "/workspaces/%s/activity" % w, "/workspaces/%s/stats" % w,
                 "/invitations", "/auth/profile", "/settings", "/integrations"]
        paths += ["/conversations/%s" % c for c in self.convs[:3]]
        paths += ["/memories/%s" % m for m in self.mems[:3]]
        return [(user, p) for p in paths]

    def snapshot(self):
        """Every polled answer; each also compared with one built afresh (a
        query argument no handler reads gives another ETag, so the node's
        answer cache cannot serve it): a kept answer is never stale."""
        snap = {}
        self.fresh = getattr(self, "fresh", 0) + 1
        for user, path in self.polled(self.a) + self.polled(self.b):
            r = self.api.get(path, token=user.token)
            assert r.status_code == 200, (path, r.status_code, r.text)
            fresh = self.api.get(path + "?fresh=%d" % self.fresh, token=user.token)
            assert fresh.content == r.content, ("kept answer differs from a fresh one", path)
            etag = r.headers.get("ETag")
            assert etag and etag.startswith('"') and etag.endswith('"'), (path, etag)
            assert r.headers.get("Cache-Control") == "private, no-cache", path
            snap[(user.id, path)] = (etag, r.content)
        return snap


def pick(rnd, items):
    return rnd.choice(items) if items else None


def apply(world, op, rnd):
    """Runs write op (a name) with choices drawn from rnd; ops that find
    nothing to act on do nothing."""
    w, A, B, C = world.wid, world.a, world.b, world.c
    call = world.call
    if op == "memory_create":
        m = call("POST", "/workspaces/%s/memories" % w,
                 {"title": "M%d" % rnd.randrange(99), "content": "text %d" % rnd.randrange(99),
                  "tags": ["t%d" % rnd.randrange(3)]})
        world.mems.insert(0, m["id"])
    elif op == "memory_update" and world.mems:
        call("PUT", "/memories/%s" % pick(rnd, world.mems), {"title": "U%d" % rnd.randrange(99)},
             user=B)
    elif op == "memory_delete" and world.mems:
        m = pick(rnd, world.mems)
        call("DELETE", "/memories/%s" % m)
        world.mems.remove(m)
    elif op == "conv_create":
        c = call("POST", "/workspaces/%s/conversations" % w,
                 {"title": "C%d" % rnd.randrange(99), "modelId": "model-echo"}, user=B)
        world.convs.insert(0, c["id"])
    elif op == "conv_rename" and world.convs:
        call("PUT", "/conversations/%s" % pick(rnd, world.convs), {"title": "R%d" % rnd.randrange(99)})
    elif op == "conv_status" and world.convs:
        call("PUT", "/conversations/%s" % pick(rnd, world.convs),
             {"status": rnd.choice(["active", "completed", "archived"])})
    elif op == "conv_delete" and world.convs:
        c = pick(rnd, world.convs)
        call("DELETE", "/conversations/%s" % c)
        world.convs.remove(c)
        world.msgs = [(cc, m) for cc, m in world.msgs if cc != c]
    elif op == "send" and world.convs:
        c = pick(rnd, world.convs)
        d = call("POST", "/conversations/%s/messages" % c,
                 {"content": "hi %d" % rnd.randrange(99), "getAiResponse": rnd.random() < 0.5})
        world.msgs.append((c, d["userMessage"]["id"]))
    elif op == "pin" and world.msgs:
        c, m = pick(rnd, world.msgs)
        call("PUT", "/conversations/%s/messages/%s" % (c, m), {"isPinned": rnd.random() < 0.5})
    elif op == "msg_delete" and world.msgs:
        c, m = pick(rnd, world.msgs)
        call("DELETE", "/conversations/%s/messages/%s" % (c, m))
        world.msgs.remove((c, m))
    elif op == "inject" and world.convs and world.mems:
        call("POST", "/conversations/%s/inject-memory" % pick(rnd, world.convs),
             {"memoryId": pick(rnd, world.mems)})
    elif op == "toggle" and world.convs and world.mems:
        call("PUT", "/conversations/%s/inject-memory/%s/toggle"
             % (pick(rnd, world.convs), pick(rnd, world.mems)), expect=(200, 404))
    elif op == "uninject" and world.convs and world.mems:
        call("DELETE", "/conversations/%s/inject-memory/%s"
             % (pick(rnd, world.convs), pick(rnd, world.mems)), expect=(200, 404))
    elif op == "close" and world.convs:
        d = call("POST", "/conversations/%s/close" % pick(rnd, world.convs))
        if d["memory"]:
            world.mems.insert(0, d["memory"]["id"])
    elif op == "reopen" and world.convs:
        call("POST", "/conversations/%s/reopen" % pick(rnd, world.convs))
    elif op == "ws_update":
        call("PUT", "/workspaces/%s" % w, rnd.choice([{"name": "N%d" % rnd.randrange(99)},
                                                     {"description": "D%d" % rnd.randrange(99)}]))
    elif op == "invite_c" and world.inv is None:
        world.inv = invite(world.api, A, w, C, rnd.choice(["researcher", "observer"]))["id"]
    elif op == "invite_b" and set(world.other_ws) - world.b_invited:
        # B's inbox: an invitation to another workspace
        o = pick(rnd, sorted(set(world.other_ws) - world.b_invited))
        invite(world.api, A, o, B)
        world.b_invited.add(o)
    elif op == "accept_c" and world.inv and world.inv != "accepted":
        call("POST", "/invitations/%s/accept" % world.inv, user=C)
        world.inv = "accepted"
    elif op == "decline_c" and world.inv and world.inv != "accepted":
        call("POST", "/invitations/%s/decline" % world.inv, user=C)
        world.inv = None
    elif op == "remove_c" and world.inv == "accepted":
        call("DELETE", "/workspaces/%s/team/%s" % (w, C.id))
        world.inv = None
    elif op == "role_b":
        call("PUT", "/workspaces/%s/team/%s/role" % (w, B.id),
             {"role": rnd.choice(["admin", "researcher"])})
    elif op == "status_b":
        call("PUT", "/workspaces/%s/team/%s/status" % (w, B.id),
             {"status": rnd.choice(["online", "away", "offline"])}, user=B)
    elif op == "profile":
        u = rnd.choice([A, B])
        call("PUT", "/settings/profile", {"name": "Name %d" % rnd.randrange(99)}, user=u)
    elif op == "retention":
        call("PUT", "/settings/memory-retention", {"autoStore": rnd.random() < 0.5}, user=B)
    elif op == "integration_add":
        free = [p for p in ("openai", "anthropic") if p not in dict(world.ints)]
        if free:
            p = rnd.choice(free)
            d = call("POST", "/integrations", {"provider": p,
                                               "apiKey": "sk-test-%d" % rnd.randrange(10**6)})
            world.ints.append((p, d["id"]))
    elif op == "integration_delete" and world.ints:
        p, i = pick(rnd, world.ints)
        call("DELETE", "/integrations/%s" % i)
        world.ints.remove((p, i))
    elif op == "other_ws_create":
        world.other_ws.append(create_workspace(world.api, A, name="Other")["id"])
    elif op == "other_ws_delete" and world.other_ws:
        o = pick(rnd, world.other_ws)
        call("DELETE", "/workspaces/%s" % o)
        world.other_ws.remove(o)
    elif op == "record_load":
        call("POST", "/workspaces/%s/record-load" % w, user=B)


OPS = ["memory_create", "memory_update", "memory_delete", "conv_create", "conv_rename",
       "conv_status", "conv_delete", "send", "pin", "msg_delete", "inject", "toggle", "uninject",
       "close", "reopen", "ws_update", "invite_c", "invite_b", "accept_c", "decline_c",
       "remove_c", "role_b", "status_b", "profile", "retention", "integration_add",
       "integration_delete", "other_ws_create", "other_ws_delete", "record_load"]


@pytest.fixture(scope="module")
def world(api):
    return World(api)


def check_conditional(world, before, after, op=None):
    for key, (etag, body) in after.items():
        user_id, path = key
        user = world.a if user_id == world.a.id else world.b
        old = before.get(key)
        if old is not None and old[1] != body:
            assert old[0] != etag, ("body changed, ETag did not", op, key, old[1], body)
            r = world.api.get(path, token=user.token, headers={"If-None-Match": old[0]})
            assert r.status_code == 200 and r.headers["ETag"] == etag, (path, r.status_code)
        r = world.api.get(path, token=user.token, headers={"If-None-Match": etag})
        if r.status_code == 200:
            # only answers that moved since the snapshot (none of these do unless written)
            raise AssertionError(("current ETag not answered 304", path, r.text[:200]))
        assert r.status_code == 304 and r.content == b"", (path, r.status_code)
        assert r.headers["ETag"] == etag
    for path in {p for _, p in after}:
        assert after[(world.a.id, path)][0] != after[(world.b.id, path)][0], path


@PROPERTY
@given(ops=st.lists(st.sampled_from(OPS), min_size=1, max_size=3), seed=st.integers(0, 2**31))
def test_every_write_moves_the_etag_of_what_it_changes(world, ops, seed):
    rnd = random.Random(seed)
    before = world.snapshot()
    for op in ops:
        apply(world, op, rnd)
        after = world.snapshot()
        check_conditional(world, before, after, op)
        before = after


# ------------------------------------------------------------ constant-cost stats

HOUR_US = 3600 * 1000000


def counted(db, wid):
    """The service stats of API.md §7.2 recomputed with COUNT(*)."""
    q = lambda sql: int(db.scalar(sql))  # noqa: E731
    lit = db.lit(wid)
    mems = q("SELECT COUNT(*) FROM memories WHERE workspace_id = %s" % lit)
    embs = q("SELECT COUNT(*) FROM memories WHERE workspace_id = %s AND embedding IS NOT NULL"
             % lit)
    convs = q("SELECT COUNT(*) FROM conversations WHERE workspace_id = %s" % lit)
    active = q("SELECT COUNT(*) FROM conversations WHERE workspace_id = %s AND status = 'active'"
               % lit)
    recent = q("SELECT COUNT(*) FROM messages WHERE workspace_id = %s AND timestamp >= %d"
               % (lit, now_us() - HOUR_US + 5 * 1000000))   # 5 s slack for the call below
    return mems, embs, convs, active, recent


CONCURRENT_SAFE = {"memory_create", "conv_create", "send", "conv_status", "close", "reopen"}


@PROPERTY
@given(ops=st.lists(st.sampled_from(["memory_create", "memory_delete", "conv_create",
                                     "conv_status", "conv_delete", "send", "msg_delete",
                                     "close", "reopen"]), min_size=1, max_size=6),
       concurrent=st.booleans(), seed=st.integers(0, 2**31))
def test_stats_counters_equal_counts(world, db, ops, concurrent, seed):
    rnd = random.Random(seed)
    if concurrent:
        # writes that never remove what another thread may pick, at once
        ops = [op for op in ops if op in CONCURRENT_SAFE] or ["send"]
        if not world.convs:
            apply(world, "conv_create", rnd)
        errors = []

        def run(op, s):
            try:
                apply(world, op, random.Random(s))
            except AssertionError as e:
                errors.append(e)
        threads = [threading.Thread(target=run, args=(op, rnd.randrange(2**31))) for op in ops]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
    else:
        for op in ops:
            apply(world, op, rnd)
    s = ok_data(world.api.get("/workspaces/%s/stats" % world.wid, token=world.a.token))
    ws = ok_data(world.api.get("/workspaces/%s" % world.wid, token=world.a.token))["stats"]
    mems, embs, convs, active, recent = counted(db, world.wid)
    assert (s["totalMemories"], s["totalConversations"]) == (mems, convs)
    assert s["totalEmbeddings"] == embs
    assert (ws["totalMemories"], ws["totalConversations"]) == (mems, convs)
    # systemLoad = min(100, 10 × active + messages of the last hour)
    assert s["systemLoad"] == min(100, 10 * active + recent), (s, active, recent)
    assert int(db.scalar("SELECT active_conversation_count FROM workspaces WHERE id = %s"
                         % db.lit(world.wid))) == active
