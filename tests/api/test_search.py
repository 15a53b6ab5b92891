"""Semantic memory search, POST /memories/search (API.md §8.1 as §0 D2
decides): cosine similarity between the query's vector and every memory of
the workspace (or of every workspace the caller can access, never others'),
scores descending, top_k 1..100 (default 5), a blank query lists the newest
memories with score 0; field errors; and the vector index staying
consistent with every change — also across two chimerad processes sharing
one database (the per-workspace generation counter).

Scores are checked against the returned embeddings: a query equal to a
memory's "title\\ncontent" has that memory's vector (the memory is embedded
from exactly that text, and the line break is a word separator), so every
result's score must be the dot product of its embedding with that memory's
embedding, up to the 4-decimal rounding of the returned vectors."""
import time
import uuid

import pytest

import chimera_api as ca
from chimera_api import Server, add_member, assert_error, error_of, ok_data
from memory_helpers import (
    ACCESS_DENIED, BLANK, EMBEDDER, NOT_INT, NOT_STRING, NULL, REQUIRED, VEC_TOL,
    WS_NOT_FOUND, check_index, check_search, create_memory, delete_memory, dot, index_status,
    json_bytes, raw_post, reembed, result_matches_memory, search, search_ids, search_r,
    update_memory, workspace,
)


@pytest.fixture(scope="module")
def users(api):
    """alice (searches), bob and carol (own shared workspaces), dave (outsider)."""
    return [ca.User(api, name=n) for n in ("Search Alice", "Search Bob", "Search Carol",
                                            "Search Dave")]


def query_of(m):
    return m["title"] + "\n" + m["content"]


def assert_scores_are_cosines(results, by_id, ref):
    """Each score equals the dot product of the memory's embedding with ref."""
    for r in results:
        want = dot(by_id[r["id"]]["embedding"], ref)
        assert abs(r["score"] - want) < VEC_TOL, (r["id"], r["score"], want)


TOPICS = [
    ("Photosynthesis", "plants convert sunlight water and carbon dioxide into glucose"),
    ("Volcanoes", "magma rises through the crust and erupts as lava"),
    ("Sourdough", "a fermented starter of flour and water leavens the bread"),
    ("Neural networks", "layers of weighted sums followed by nonlinear activations"),
    ("Tides", "the moon's gravity pulls the oceans and makes tides"),
    ("Espresso", "hot water forced through finely ground coffee"),
    ("Glaciers", "compacted snow flows slowly downhill as ice"),
    ("Bread baking", "flour water salt and yeast make a simple bread dough"),
]


@pytest.fixture(scope="module")
def topic_ws(api, users):
    alice = users[0]
    wid = workspace(api, alice)
    mems = [create_memory(api, alice, wid, t, c, tags=["topic", str(i)])
            for i, (t, c) in enumerate(TOPICS)]
    return wid, mems


# ------------------------------------------------------------------ ranking

def test_exact_text_ranks_first_with_cosine_scores(api, users, topic_ws):
    alice = users[0]
    wid, mems = topic_ws
    by_id = {m["id"]: m for m in mems}
    for m in mems:
        d = search(api, alice, query_of(m), wid, top_k=100)
        res = d["results"]
        assert d["pendingEmbeddings"] == 0 and d["embedder"] == EMBEDDER
        assert res[0]["id"] == m["id"], (m["title"], res[0])
        assert abs(res[0]["score"] - 1.0) < 1e-4, res[0]
        # every memory of the workspace is ranked, by cosine similarity
        assert {r["id"] for r in res} == set(by_id)
        assert_scores_are_cosines(res, by_id, m["embedding"])
        for r in res:
            result_matches_memory(r, by_id[r["id"]])


def test_related_text_ranks_above_unrelated(api, users, topic_ws):
    alice = users[0]
    wid, mems = topic_ws
    res = search(api, alice, "bread flour water", wid, top_k=100)["results"]
    top2 = {r["title"] for r in res[:2]}
    assert top2 == {"Sourdough", "Bread baking"}, [(r["title"], r["score"]) for r in res]
    assert res[0]["score"] > res[-1]["score"]
    res = search(api, alice, "lava and magma", wid, top_k=3)["results"]
    assert res[0]["title"] == "Volcanoes"


def test_top_k(api, users, topic_ws):
    alice = users[0]
    wid, mems = topic_ws
    full = search(api, alice, "water", wid, top_k=100)["results"]
    assert len(full) == len(mems)
    # default 5: the first five of the full ranking
    d = search(api, alice, "water", wid)
    assert [r["id"] for r in d["results"]] == [r["id"] for r in full[:5]]
    assert d["total"] == 5
    for k in (1, 3, 8):
        got = search(api, alice, "water", wid, top_k=k)["results"]
        assert [r["score"] for r in got] == [r["score"] for r in full[:k]], k
    # DRF IntegerField: numeric strings and integral floats are integers
    for k in ("2", " 4 ", 3.0):
        got = ok_data(search_r(api, alice, "water", wid, top_k=k))
        check_search(got, int(float(k)))
        assert len(got["results"]) == int(float(k)), k


@pytest.mark.parametrize("top_k,msg", [
    (0, "Ensure this value is greater than or equal to 1."),
    (-3, "Ensure this value is greater than or equal to 1."),
    (101, "Ensure this value is less than or equal to 100."),
    (10 ** 12, "Ensure this value is less than or equal to 100."),
    ("x", NOT_INT),
    ("", NOT_INT),
    (1.5, NOT_INT),
    (True, NOT_INT),
    ([5], NOT_INT),
    (None, NULL),
])
def test_top_k_validation(api, users, topic_ws, top_k, msg):
    alice = users[0]
    wid, _ = topic_ws
    r = api.post("/memories/search", {"query": "water", "workspaceId": wid, "top_k": top_k},
                 token=alice.token)
    assert error_of(r, 400) == {"top_k": [msg]}


@pytest.mark.parametrize("body,errors", [
    ({}, {"query": [REQUIRED]}),
    ({"query": None}, {"query": [NULL]}),
    ({"query": ["a"]}, {"query": [NOT_STRING]}),
    ({"query": {"q": 1}}, {"query": [NOT_STRING]}),
    ({"query": "x", "workspaceId": ""}, {"workspaceId": [BLANK]}),
    ({"query": "x", "workspaceId": None}, {"workspaceId": [NULL]}),
    ({"top_k": 0}, {"query": [REQUIRED],
                    "top_k": ["Ensure this value is greater than or equal to 1."]}),
])
def test_search_validation(api, users, body, errors):
    r = api.post("/memories/search", body, token=users[0].token)
    assert error_of(r, 400) == errors


def test_search_malformed_bodies(api, users):
    alice = users[0]
    for raw in (b'{"query": "\xff"}', b'{"query": ', b'not json'):
        r = api.post("/memories/search", token=alice.token, data=raw,
                     headers={"Content-Type": "application/json"})
        err = error_of(r, 400)
        assert isinstance(err, str) and err.startswith("JSON parse error - "), err
    status, doc = raw_post(api, "/memories/search", json_bytes({"query": "q" * (1 << 20)}),
                           token=alice.token)
    assert status == 413 and doc == {"ok": False, "data": None, "error": "Request body too large"}
    r = api.post("/memories/search", ["query"], token=alice.token)
    assert error_of(r, 400) == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}


def test_search_workspace_errors(api, users):
    alice, bob = users[0], users[1]
    bobs = workspace(api, bob)
    create_memory(api, bob, bobs, "Bob private", "private plans")
    assert_error(search_r(api, alice, "plans", "workspace-000000000000"), 404, WS_NOT_FOUND)
    assert_error(search_r(api, alice, "plans", "nonsense"), 404, WS_NOT_FOUND)
    assert_error(search_r(api, alice, "plans", bobs), 403, ACCESS_DENIED)
    assert_error(search_r(api, alice, "", bobs), 403, ACCESS_DENIED)
    # lookup and membership before validating the rest of the body
    assert_error(search_r(api, alice, "plans", bobs, top_k=1), 403, ACCESS_DENIED)


def test_observer_may_search(api, users):
    bob, carol = users[1], users[2]
    wid = workspace(api, bob)
    add_member(api, bob, wid, carol, "observer")
    m = create_memory(api, bob, wid, "Observed", "observers can read and search")
    assert search_ids(api, carol, query_of(m), wid)[0] == m["id"]


def test_content_cut_at_500_code_points(api, users):
    alice = users[0]
    wid = workspace(api, alice)
    long = "\U0001F600 word " * 200           # 1200 code points
    m = create_memory(api, alice, wid, "Long one", long)
    r = search(api, alice, "Long one", wid)["results"][0]
    assert r["id"] == m["id"]
    assert r["content"] == m["content"][:500] and len(r["content"]) == 500
    assert r["snippet"] == m["snippet"]
    short = create_memory(api, alice, wid, "Short one", "x" * 500)
    r = [x for x in search(api, alice, "Short one", wid, top_k=10)["results"]
         if x["id"] == short["id"]][0]
    assert r["content"] == "x" * 500


def test_blank_query_lists_newest(api, users):
    alice = users[0]
    wid = workspace(api, alice)
    mems = []
    for i in range(7):
        mems.append(create_memory(api, alice, wid, "Recent %d" % i, "body %d" % i))
        time.sleep(0.002)
    newest = [m["id"] for m in reversed(mems)]
    for q in ("", "   ", "\n\t\u3000"):
        d = search(api, alice, q, wid)
        assert [r["id"] for r in d["results"]] == newest[:5], q
        assert all(r["score"] == 0 for r in d["results"])
        assert [r["id"] for r in search(api, alice, q, wid, top_k=100)["results"]] == newest
        assert [r["id"] for r in search(api, alice, q, wid, top_k=2)["results"]] == newest[:2]
    # updatedAt, not createdAt, orders them
    update_memory(api, alice, mems[0]["id"], {"content": "touched"})
    time.sleep(0.002)
    reembed(api, alice, mems[2]["id"])
    want = [mems[2]["id"], mems[0]["id"]] + [i for i in newest
                                             if i not in (mems[0]["id"], mems[2]["id"])]
    assert [r["id"] for r in search(api, alice, "", wid, top_k=100)["results"]] == want
    # an empty workspace has no results
    assert search(api, alice, "", workspace(api, alice))["results"] == []
    assert search(api, alice, "anything", workspace(api, alice))["results"] == []


def test_featureless_memory_scores_zero(api, users):
    alice = users[0]
    wid = workspace(api, alice)
    blank = create_memory(api, alice, wid, "!!!", "???")
    assert set(blank["embedding"]) == {0.0}
    word = create_memory(api, alice, wid, "Words", "real words here")
    res = search(api, alice, "real words", wid, top_k=10)["results"]
    assert res[0]["id"] == word["id"]
    assert [r["score"] for r in res if r["id"] == blank["id"]] in ([], [0.0])


def test_every_memory_is_searched(api, users):
    """No 100-memory window (D2): the oldest of 300 memories is still found
    when it is the relevant one."""
    alice = users[0]
    wid = workspace(api, alice)
    target = create_memory(api, alice, wid, "Zygomorphic quasar",
                           "the xylophone quasar observatory log")
    for i in range(299):
        create_memory(api, alice, wid, "Filler %d" % i,
                      "routine status report number %d about nothing special" % i)
    assert ca.ok_data(api.get("/workspaces/" + wid, token=alice.token))["stats"][
        "totalMemories"] == 300
    d = search(api, alice, "zygomorphic xylophone quasar", wid, top_k=1)
    assert [r["id"] for r in d["results"]] == [target["id"]]
    assert d["results"][0]["score"] > 0.3
    d = search(api, alice, query_of(target), wid, top_k=100)
    assert d["results"][0]["id"] == target["id"] and len(d["results"]) == 100
    # and across workspaces too
    assert search_ids(api, alice, "zygomorphic xylophone quasar", None, top_k=1) == [target["id"]]
    # the blank query lists the newest, which the target is not
    assert target["id"] not in search_ids(api, alice, "", wid, top_k=100)


# ------------------------------------------------------------------ scope

def test_scope_without_workspace(api, users):
    """Without workspaceId: every workspace the caller can access (own, member,
    observer), never anyone else's — even a near-identical memory."""
    alice, bob, carol, dave = users
    tag = uuid.uuid4().hex[:8]
    text = "Nightingale launch sequence %s" % tag
    a1, a2 = workspace(api, alice), workspace(api, alice)
    b = workspace(api, bob)
    add_member(api, bob, b, alice, "researcher")
    c = workspace(api, carol)
    add_member(api, carol, c, alice, "observer")
    d = workspace(api, dave)
    mine = [create_memory(api, alice, a1, "Alpha", text + " alpha"),
            create_memory(api, alice, a2, "Beta", text + " beta"),
            create_memory(api, bob, b, "Gamma", text + " gamma"),
            create_memory(api, carol, c, "Delta", text + " delta")]
    # dave's memories: one identical to alice's best match, one newer than all
    foreign = [create_memory(api, dave, d, "Alpha", text + " alpha"),
               create_memory(api, dave, d, "Secret", text + " secret " + tag)]
    foreign_ids = {m["id"] for m in foreign}
    got = search(api, alice, "Alpha\n" + text + " alpha", None, top_k=100)["results"]
    ids = [r["id"] for r in got]
    assert not foreign_ids & set(ids), got
    assert ids[0] == mine[0]["id"] and abs(got[0]["score"] - 1.0) < 1e-4
    assert {m["id"] for m in mine} <= set(ids)
    accessible = {w["id"] for w in ok_data(api.get("/workspaces", token=alice.token))["workspaces"]}
    assert {a1, a2, b, c} <= accessible and d not in accessible
    assert {r["workspace_id"] for r in got} <= accessible
    # blank query across workspaces: newest first, still only accessible ones
    blank = search_ids(api, alice, "", None, top_k=100)
    assert not foreign_ids & set(blank)
    assert mine[3]["id"] in blank
    # dave, the other way round
    dres = search_ids(api, dave, "Alpha\n" + text + " alpha", None, top_k=100)
    assert set(dres) == foreign_ids
    assert dres[0] == foreign[0]["id"]
    assert not {m["id"] for m in mine} & set(dres)
    # leaving bob's workspace removes its memories from alice's results
    ok_data(api.delete("/workspaces/%s/team/%s" % (b, alice.id), token=alice.token))
    ids = search_ids(api, alice, text + " gamma", None, top_k=100)
    assert mine[2]["id"] not in ids and mine[0]["id"] in ids
    # bob still finds it
    assert search_ids(api, bob, "Gamma\n" + text + " gamma", None, top_k=1) == [mine[2]["id"]]


def test_user_without_workspaces(api):
    lonely = ca.User(api, name="Lonely Searcher")
    d = search(api, lonely, "anything at all", None, top_k=100)
    assert d["results"] == [] and d["total"] == 0
    assert search(api, lonely, "", None)["results"] == []


# ------------------------------------------------------------------ index consistency

def lifecycle(api_w, api_r, user, check_generation=None):
    """Every kind of change made through api_w is visible at once to searches
    through api_r (which may be another process on the same database). Before
    each change api_r searches, so its index is loaded at the old generation."""
    wid = workspace(api_w, user)
    tag = uuid.uuid4().hex[:6]

    def ranked(q, top_k=100):
        return search(api_r, user, q, wid, top_k)["results"]

    def gen():
        if check_generation is None:
            return None
        ws = [w for w in index_status(api_r, user)["workspaces"] if w["workspace_id"] == wid]
        return ws[0]["generation"] if ws else None

    assert ranked("anything") == []
    g0 = gen()
    m1 = create_memory(api_w, user, wid, "Harbor " + tag, "ferries cross the harbor at dawn")
    res = ranked(query_of(m1))
    assert [r["id"] for r in res] == [m1["id"]] and abs(res[0]["score"] - 1) < 1e-4
    g1 = gen()
    m2 = create_memory(api_w, user, wid, "Orchard " + tag, "apple trees bloom in spring")
    assert ranked(query_of(m2))[0]["id"] == m2["id"]
    assert {r["id"] for r in ranked("x")} == {m1["id"], m2["id"]}
    # update content: the new text finds it with score 1, the old text no longer does
    old_q = query_of(m1)
    u1 = update_memory(api_w, user, m1["id"], {"content": "cargo ships unload containers"})
    res = ranked(query_of(u1))
    assert res[0]["id"] == m1["id"] and abs(res[0]["score"] - 1) < 1e-4
    assert_scores_are_cosines(res, {m1["id"]: u1, m2["id"]: m2}, u1["embedding"])
    old = [r for r in ranked(old_q) if r["id"] == m1["id"]][0]
    assert old["score"] < 0.9
    # update title only
    u2 = update_memory(api_w, user, m2["id"], {"title": "Vineyard " + tag})
    res = ranked(query_of(u2))
    assert res[0]["id"] == m2["id"] and abs(res[0]["score"] - 1) < 1e-4
    assert res[0]["title"] == u2["title"]
    # tags / metadata / empty updates change no vector but results show new fields
    u3 = update_memory(api_w, user, m2["id"], {"tags": ["fresh"]})
    res = ranked(query_of(u3))
    assert res[0]["id"] == m2["id"] and res[0]["tags"] == ["fresh"]
    # re-embed keeps it findable with the same score
    reembed(api_w, user, m1["id"])
    res = ranked(query_of(u1))
    assert res[0]["id"] == m1["id"] and abs(res[0]["score"] - 1) < 1e-4
    # delete: gone at once
    ranked(query_of(u1))
    delete_memory(api_w, user, m1["id"])
    assert [r["id"] for r in ranked(query_of(u1))] == [m2["id"]]
    assert m1["id"] not in search_ids(api_r, user, query_of(u1), None, top_k=100)
    m3 = create_memory(api_w, user, wid, "Harbor " + tag, "ferries cross the harbor at dawn")
    assert ranked(query_of(m3))[0]["id"] == m3["id"]
    if check_generation is not None:
        g_end = gen()
        assert g0 is not None and g0 < g1 < g_end, (g0, g1, g_end)
        st = index_status(api_r, user)
        ws = [w for w in st["workspaces"] if w["workspace_id"] == wid][0]
        assert ws["vectors"] == 2 and ws["pendingEmbeddings"] == 0
    # workspace delete: its memories leave every search
    ids_before = search_ids(api_r, user, query_of(m3), None, top_k=100)
    assert m3["id"] in ids_before
    ca.delete_workspace(api_w, user, wid)
    assert_error(search_r(api_r, user, "harbor", wid), 404, WS_NOT_FOUND)
    ids = search_ids(api_r, user, query_of(m3), None, top_k=100)
    assert m3["id"] not in ids and m2["id"] not in ids
    if check_generation is not None:
        assert wid not in [w["workspace_id"] for w in index_status(api_r, user)["workspaces"]]


def test_index_consistency_one_server(api, users):
    lifecycle(api, api, users[0], check_generation=True)


def test_index_consistency_rebuild_between(api, users):
    """A rebuild in the middle of changes neither loses nor resurrects anything."""
    alice = users[0]
    wid = workspace(api, alice)
    a = create_memory(api, alice, wid, "Kept", "lighthouse keeper journal")
    b = create_memory(api, alice, wid, "Dropped", "lighthouse lamp maintenance")
    search(api, alice, "lighthouse", wid)
    delete_memory(api, alice, b["id"])
    d = ok_data(api.post("/mcp/index/rebuild", token=alice.token))
    check_index(d)
    assert d["message"] == "Index rebuilt successfully"
    assert search_ids(api, alice, "lighthouse", wid) == [a["id"]]


@pytest.fixture(scope="module")
def second_server(server):
    """Another chimerad on the same database with the same keys (tokens made by
    one are valid on the other)."""
    s = Server({"DATABASE_URL": server.database_url()}, name="search-b").start()
    yield s
    s.stop()


def test_two_servers_never_stale(api, users, server, second_server):
    """Changes through server A, searches through server B: B reloads a
    workspace's vectors whenever the workspace's generation moved."""
    api_b = ca.Api(second_server)
    alice = users[0]
    lifecycle(api, api_b, alice, check_generation=True)
    # and the other way round
    lifecycle(api_b, api, alice, check_generation=True)


def test_two_servers_interleaved(api, users, second_server):
    """Many small changes alternating between the servers; after each, both
    servers rank exactly the live memories."""
    api_b = ca.Api(second_server)
    alice = users[0]
    wid = workspace(api, alice)
    live = {}
    servers = [api, api_b]
    for step in range(24):
        w = servers[step % 2]
        kind = step % 4
        if kind in (0, 1) or not live:
            m = create_memory(w, alice, wid, "Step %d" % step, "interleaved change %d" % step)
            live[m["id"]] = m
        elif kind == 2:
            mid = sorted(live)[0]
            live[mid] = update_memory(w, alice, mid, {"content": "rewritten at %d" % step})
        else:
            mid = sorted(live)[-1]
            delete_memory(w, alice, mid)
            del live[mid]
        for reader in servers:
            for m in live.values():
                res = search(reader, alice, query_of(m), wid, top_k=100)["results"]
                assert {r["id"] for r in res} == set(live), step
                assert res[0]["id"] == m["id"] and abs(res[0]["score"] - 1) < 1e-4, step
                assert_scores_are_cosines(res, live, m["embedding"])
    # both servers report the same generation and vector count
    ga = [w for w in index_status(api, alice)["workspaces"] if w["workspace_id"] == wid][0]
    gb = [w for w in index_status(api_b, alice)["workspaces"] if w["workspace_id"] == wid][0]
    assert ga["generation"] == gb["generation"] and ga["vectors"] == gb["vectors"] == len(live)


def test_two_servers_incremental_refresh(api, users, second_server):
    """A workspace big enough that a refresh loads only what changed: after
    each kind of change through one server, the other ranks exactly the live
    memories (order and scores as a full rebuild gives them) and reports the
    same generation, vector count and pending count as a rebuild."""
    api_b = ca.Api(second_server)
    alice = users[0]
    wid = workspace(api, alice)
    tag = uuid.uuid4().hex[:6]
    live = {}
    for i in range(40):
        m = create_memory(api, alice, wid, "Base %d %s" % (i, tag),
                          "baseline record %d about harbors and orchards" % i)
        live[m["id"]] = m

    def ranked(server, q):
        return search(server, alice, q, wid, top_k=100)["results"]

    def status(server):
        return [w for w in index_status(server, alice)["workspaces"]
                if w["workspace_id"] == wid][0]

    def agree(q):
        """Both servers answer q identically, with only live memories, and
        exactly as after a rebuild."""
        a, b = ranked(api, q), ranked(api_b, q)
        assert [(r["id"], r["score"]) for r in a] == [(r["id"], r["score"]) for r in b]
        assert {r["id"] for r in a} == set(live)
        sa, sb = status(api), status(api_b)
        assert (sa["generation"], sa["vectors"], sa["pendingEmbeddings"]) == \
               (sb["generation"], sb["vectors"], sb["pendingEmbeddings"])
        assert sa["vectors"] == len(live) and sa["pendingEmbeddings"] == 0
        ok_data(api_b.post("/mcp/index/rebuild", token=alice.token))
        assert [(r["id"], r["score"]) for r in ranked(api_b, q)] == \
               [(r["id"], r["score"]) for r in b]
        return a

    q = "baseline record about harbors"
    agree(q)
    writers = [api, api_b]
    for step in range(8):
        w = writers[step % 2]
        mid = sorted(live)[step]
        kind = step % 4
        if kind == 0:       # a new memory, made the best match
            m = create_memory(w, alice, wid, "Fresh %d %s" % (step, tag),
                              "baseline record about harbors %d" % step)
            live[m["id"]] = m
            target = m
        elif kind == 1:     # a new vector in place
            target = live[mid] = update_memory(w, alice, mid, {
                "content": "baseline record about harbors rewritten %d" % step})
        elif kind == 2:     # no vector change
            target = live[mid] = update_memory(w, alice, mid, {"tags": ["t%d" % step]})
        else:               # a deletion (the other server must not keep it)
            delete_memory(w, alice, mid)
            del live[mid]
            target = None
        # both servers searched before the change, so both refresh now
        res = agree(q)
        if target is not None:
            exact = ranked(api_b, query_of(target))
            assert exact[0]["id"] == target["id"] and abs(exact[0]["score"] - 1) < 1e-4
            assert_scores_are_cosines(exact, live, target["embedding"])
        assert all(r["id"] in live for r in res)
