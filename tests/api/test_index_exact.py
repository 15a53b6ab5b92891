"""The vector index answers exactly (POST /memories/search, §0 D2): after any
sequence of creates, updates and deletes, a search returns what a brute-force
float32 top-K over the stored vectors gives — same ids, same order (ties by
created_at, then id), bit-identical scores — computed here in Python from the
database itself, with the query's vector from `chimerad embed` and float32
arithmetic done as the server's vec_dot does it (eight lanes, combined in a
fixed order; Python doubles rounded to float32 after each step give float32's
own results). Also: a delete and an update made through another node are seen
by this node's next search without a full reload; a node with a small
CHIMERA_INDEX_MEMORY drops indexes and stays exact; a bad CHIMERA_INDEX_MEMORY
stops the start."""
import os
import struct
import subprocess
from array import array

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chimera_api as ca
from chimera_api import Server, ok_data
from memory_helpers import create_memory, delete_memory, index_status, update_memory, workspace

PROPERTY = settings(max_examples=int(os.environ.get("CHIMERA_PROPERTY_EXAMPLES", "100")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])

# Few words, so that texts repeat (exact ties) and overlap (near ties).
WORDS = ["harbor", "ferry", "apple", "orchard", "tide", "moon", "bread"]
QUERIES = ["harbor ferry", "apple", "moon tide bread", "orchard apple harbor", "ferry", "!!!"]


# ------------------------------------------------------------------ float32, as the server

def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def vec_dot(a, b):
    """src/embed/vec.c vec_dot in float32: eight accumulators, then
    ((0+4)+(1+5))+((2+6)+(3+7)), then the tail."""
    prods = array("f", [x * y for x, y in zip(a, b)])     # each product rounded once
    acc = [0.0] * 8
    n8 = len(a) - len(a) % 8
    for i in range(0, n8, 8):
        for j in range(8):
            acc[j] = f32(acc[j] + prods[i + j])
    s = f32(f32(f32(acc[0] + acc[4]) + f32(acc[1] + acc[5]))
            + f32(f32(acc[2] + acc[6]) + f32(acc[3] + acc[7])))
    for i in range(n8, len(a)):
        s = f32(s + prods[i])
    return s


def embed(texts):
    """The hash embedder's vectors of texts, from `chimerad embed` (9
    significant digits: exact for float32)."""
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    env.update({"CHIMERA_EMBEDDER": "hash", "CHIMERA_DATA_DIR": ca.base_tmp()})
    p = subprocess.run([ca.BIN, "embed"] + list(texts), env=env, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    import json
    return [array("f", json.loads(line)) for line in p.stdout.strip().split("\n")]


@pytest.fixture(scope="module")
def qvecs():
    return dict(zip(QUERIES, embed(QUERIES)))


def blob(v):
    if isinstance(v, str):                       # psql: bytea as \x hex
        v = bytes.fromhex(v[2:])
    return array("f", v)


def stored(db, wid):
    """(created_at, id, vector) of the workspace's memories with a hash-v1 vector."""
    rows = db.query("SELECT created_at, id, embedding FROM memories WHERE workspace_id = %s"
                    " AND embedding_model = 'hash-v1' AND embedding_dim = 384" % db.lit(wid))
    return [(int(c), i, blob(e)) for c, i, e in rows]


def brute_top_k(rows, q, k):
    """vec_topk over the rows in (created_at, id) order; scores as the API
    writes them (10 significant digits)."""
    scored = [(-vec_dot(q, v), c, i) for c, i, v in rows]
    return [(i, float("%.10g" % -s)) for s, c, i in sorted(scored)[:k]]


def assert_exact(api, user, db, wid, query, qvec, k):
    got = ok_data(api.post("/memories/search", {"query": query, "workspaceId": wid, "top_k": k},
                           token=user.token))["results"]
    want = brute_top_k(stored(db, wid), qvec, k)
    assert [(r["id"], r["score"]) for r in got] == want, (query, k)
    return got


# ------------------------------------------------------------------ property

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
ops = st.lists(st.one_of(
    st.tuples(st.just("create"), texts, texts),
    st.tuples(st.just("update"), st.integers(0, 50), texts),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("search"), st.sampled_from(QUERIES), st.integers(1, 8)),
), min_size=1, max_size=14)


@pytest.fixture(scope="module")
def owner(api):
    return ca.User(api, name="Exact Index Owner")


@PROPERTY
@given(ops=ops, final=st.sampled_from(QUERIES), k=st.integers(1, 12))
def test_search_equals_brute_force(api, db, owner, qvecs, ops, final, k):
    wid = workspace(api, owner)
    live = []
    try:
        for op in ops:
            if op[0] == "create":
                live.append(create_memory(api, owner, wid, op[1], op[2])["id"])
            elif op[0] == "update" and live:
                update_memory(api, owner, live[op[1] % len(live)], {"content": op[2]})
            elif op[0] == "delete" and live:
                delete_memory(api, owner, live.pop(op[1] % len(live)))
            elif op[0] == "search":
                assert_exact(api, owner, db, wid, op[1], qvecs[op[1]], op[2])
        got = assert_exact(api, owner, db, wid, final, qvecs[final], k)
        assert {r["id"] for r in got} <= set(live)
    finally:
        ca.delete_workspace(api, owner, wid)


# ------------------------------------------------------------------ two nodes

@pytest.fixture(scope="module")
def node_b(server):
    s = Server({"DATABASE_URL": server.database_url()}, name="index-b").start()
    yield ca.Api(s)
    s.stop()


def cache_of(api, user):
    return index_status(api, user)["cache"]


def test_other_nodes_delete_and_update_seen_by_a_delta(api, db, node_b, qvecs):
    user = ca.User(api, name="Two Node Index")
    wid = workspace(api, user)
    mems = [create_memory(api, user, wid, "Note %d" % i, " ".join(WORDS[i % 7:i % 7 + 2]))
            for i in range(30)]
    q = "harbor ferry"
    assert_exact(api, user, db, wid, q, qvecs[q], 10)
    assert_exact(node_b, user, db, wid, q, qvecs[q], 10)
    before = cache_of(api, user)
    top = assert_exact(api, user, db, wid, q, qvecs[q], 10)
    gone, changed = top[0]["id"], top[1]["id"]
    delete_memory(node_b, user, gone)
    update_memory(node_b, user, changed, {"content": "moon tide"})
    got = assert_exact(api, user, db, wid, q, qvecs[q], 30)
    assert gone not in {r["id"] for r in got}
    moved = [r for r in got if r["id"] == changed]
    assert moved and moved[0]["score"] < top[1]["score"]
    after = cache_of(api, user)
    assert after["misses"] == before["misses"], (before, after)       # no full reload
    assert after["deltaLoads"] > before["deltaLoads"], (before, after)
    assert len(got) == len(mems) - 1


# ------------------------------------------------------------------ a small budget

def test_small_budget_evicts_and_stays_exact(qvecs):
    srv = Server({"CHIMERA_INDEX_MEMORY": "1"}, name="index-small").start()
    try:
        api = ca.Api(srv)
        db = srv.db()
        user = ca.User(api, name="Small Budget")
        wids = [workspace(api, user) for _ in range(3)]
        for w in wids:          # ~0.44 MiB of index each: two fit in 1 MiB, not three
            for start in range(0, 800, 200):
                ok_data(api.post("/mcp/batch-remember", {"workspace_id": w, "memories": [
                    {"text": "%s %s number %d" % (WORDS[i % 7], WORDS[i % 5], i)}
                    for i in range(start, start + 200)]}, token=user.token), 201)
        q = "orchard apple harbor"
        for w in wids:
            assert_exact(api, user, db, w, q, qvecs[q], 10)
        cache = cache_of(api, user)
        assert cache["budget"] == 1 << 20
        assert cache["evictions"] >= 1 and cache["workspaces"] < 3, cache
        assert cache["bytes"] <= cache["budget"], cache
        misses = cache["misses"]
        for w in wids:                          # dropped ones load again, exactly
            assert_exact(api, user, db, w, q, qvecs[q], 25)
        assert cache_of(api, user)["misses"] > misses
    finally:
        srv.stop()


# ------------------------------------------------------------------ the setting

@pytest.mark.parametrize("value", ["abc", "0", "-5", "99999999999999999999999", "1.5",
                                   "2000000000", "64MiB"])
def test_bad_index_memory_stops_the_start(tmp_path, value):
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    env.update({"CHIMERA_DATA_DIR": str(tmp_path), "CHIMERA_PORT": str(ca.free_port()),
                "DATABASE_URL": "sqlite:///" + str(tmp_path / "x.db"),
                "CHIMERA_INDEX_MEMORY": value})
    p = subprocess.run([ca.BIN, "serve"], env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert ("CHIMERA_INDEX_MEMORY must be an integer in 1..1073741824 (got \"%s\")" % value
            in p.stderr), p.stderr
