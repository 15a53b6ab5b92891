"""POST /memories/search and /mcp/search "mode": "vector" (the default, D2),
"keyword" (BM25 over title and content: only memories holding every query
term, util/terms.c's tokenisation, exact tokens such as INC-48213) and
"hybrid" (reciprocal-rank fusion of the two, at most two results per
source document). Fixtures where the vector ranking misses and keyword and
hybrid find; each node's keyword index kept coherent with create, update
and delete (its own, another server's on the same database, rows written
straight into the database); a Hypothesis property: keyword results are
exactly the memories holding all the query's terms (a Python model of the
tokeniser). Runs on both engines (scripts/run-api.sh)."""
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chimera_api as ca
from chimera_api import Server, ok_data
from memory_helpers import (
    BLANK, NULL, check_search, create_memory, delete_memory, search_r, update_memory, workspace,
)

PROPERTY = settings(max_examples=int(os.environ.get("CHIMERA_PROPERTY_EXAMPLES", "100")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

MODES = ("vector", "keyword", "hybrid")


def msearch(api, user, query, wid=None, top_k=None, mode=None):
    extra = {} if mode is None else {"mode": mode}
    d = check_search(ok_data(search_r(api, user, query, wid, top_k, **extra)),
                     5 if top_k is None else top_k)
    for r in d["results"]:
        assert 0.0 <= r["score"] <= 1.0 or mode in (None, "vector"), r
    return d


def ids(api, user, query, wid=None, top_k=100, mode=None):
    return [r["id"] for r in msearch(api, user, query, wid, top_k, mode)["results"]]


# ------------------------------------------------------------ the tokeniser, modelled

STOP = set("""the a an is are was were be been being have has had do does did will would could
should may might must shall can to of in for on with at by from as into through during before
after above below between under again further then once here there when where why how all each
few more most other some such no nor not only own same so than too very just and but if or
because until while this that these those it its i me my we our you your he him his she her
they them their""".split())
CONNECTORS = "-_.@/:"


def _word_char(c):
    return ord(c) >= 0x80 or ("0" <= c <= "9") or ("a" <= c.lower() <= "z" and c.isascii())


def _lower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def _cut(s):
    b = s.encode()
    if len(b) <= 64:
        return s
    return b[:64].decode(errors="ignore")


def terms(text):
    """The set of terms src/util/terms.c makes of text."""
    out, i, n = set(), 0, len(text)
    while i < n:
        if not _word_char(text[i]):
            i += 1
            continue
        j = i
        while j < n and (_word_char(text[j]) or
                         (text[j] in CONNECTORS and j + 1 < n and _word_char(text[j + 1]))):
            j += 1
        word = text[i:j]
        parts = re.split("[" + re.escape(CONNECTORS) + "]", word)
        for p in parts:
            t = _cut(_lower(p))
            if t and t not in STOP:
                out.add(t)
        if len(parts) > 1:
            out.add(_cut(_lower(word)))
        i = j
    return out


def holds_all(m, query):
    q = terms(query)
    return bool(q) and q <= terms(m["title"] + " " + m["content"])


# ------------------------------------------------------------ validation

@pytest.mark.parametrize("value,message", [
    ("fuzzy", '"fuzzy" is not a valid choice.'),
    ("", BLANK),
    ("Keyword", '"Keyword" is not a valid choice.'),
    (5, '"5" is not a valid choice.'),
    (None, NULL),
])
def test_mode_must_be_one_of_three(api, pool, value, message):
    u = pool(4)[0]
    wid = workspace(api, u)
    for path, body in (("/memories/search", {"query": "x", "workspaceId": wid, "mode": value}),
                       ("/mcp/search", {"query": "x", "workspace_id": wid, "mode": value})):
        r = api.post(path, body, token=u.token)
        assert ca.error_of(r, 400) == {"mode": [message]}, (path, r.text)


def test_mode_errors_come_with_the_other_field_errors(api, pool):
    r = search_r(api, pool(4)[0], "", mode="nope", top_k=0)
    err = ca.error_of(r, 400)
    assert err["mode"] == ['"nope" is not a valid choice.'] and "top_k" in err, err


def test_default_mode_is_vector(api, pool):
    u = pool(4)[0]
    wid = workspace(api, u)
    for i in range(4):
        create_memory(api, u, wid, "Note %d" % i, "harbour crane number %d lifts steel" % i)
    assert ids(api, u, "harbour crane", wid) == ids(api, u, "harbour crane", wid, mode="vector")


def test_blank_query_lists_newest_in_every_mode(api, pool):
    u = pool(4)[0]
    wid = workspace(api, u)
    made = [create_memory(api, u, wid, "N%d" % i, "text %d" % i)["id"] for i in range(3)]
    for mode in MODES:
        d = msearch(api, u, "   ", wid, 10, mode)
        assert [r["id"] for r in d["results"]] == made[::-1]
        assert all(r["score"] == 0 for r in d["results"])


# ------------------------------------------------------------ vector misses, keyword finds

FILLER = ("The quarterly operations review covered capacity planning, vendor contracts, "
          "on-call rotations, the migration of the billing service, hiring for the platform "
          "team, budget forecasts for the next two quarters and the retirement of legacy "
          "dashboards. ")

NEEDLES = [
    # (query, the long memory holding it once, short distractors that look alike)
    ("INC-48213", "Incident follow-up: INC-48213 caused the outage of the EU gateway.",
     ["Ticket INC-48231 closed", "Ticket INC-48123 reopened", "Ticket INC-84213 pending",
      "INC-4821 duplicate", "Ticket INC-48312 assigned"]),
    ("7731942", "Purchase order 7731942 was approved by finance after the audit.",
     ["Order 7731924 shipped", "Order 7739142 shipped", "Order 7713942 shipped",
      "Order 1773942 shipped", "Order 7731492 shipped"]),
    ("Wojciechowski", "The contract was countersigned by Wojciechowski on Friday.",
     ["Wojciech signed", "Wojcik signed", "Chowski signed", "Wojciechowska signed",
      "Wojciechow signed"]),
]


@pytest.fixture(scope="module")
def needles(api, pool):
    u = pool(4)[1]
    wid = workspace(api, u)
    out = []
    for query, line, distractors in NEEDLES:
        m = create_memory(api, u, wid, "Quarterly review notes", FILLER * 3 + line + " " + FILLER)
        for t in distractors:
            create_memory(api, u, wid, t, t)
        out.append((query, m))
    return u, wid, out


@pytest.mark.parametrize("i", range(len(NEEDLES)))
def test_exact_tokens_vector_misses_keyword_and_hybrid_find(api, needles, i):
    u, wid, found = needles
    query, m = found[i]
    assert m["id"] not in ids(api, u, query, wid, top_k=3, mode="vector")
    kw = msearch(api, u, query, wid, 3, "keyword")["results"]
    assert [r["id"] for r in kw] == [m["id"]], kw
    assert 0 < kw[0]["score"] < 1
    assert m["id"] in ids(api, u, query, wid, top_k=3, mode="hybrid")
    # the legacy route takes the same modes
    d = ok_data(api.post("/mcp/search", {"query": query, "workspace_id": wid, "top_k": 3,
                                         "mode": "keyword"}, token=u.token))
    assert [r["id"] for r in d["results"]] == [m["id"]]


def test_compound_tokens_match_whole_and_in_parts(api, needles):
    u, wid, found = needles
    m = found[0][1]
    for q in ("inc-48213", "48213", "INC 48213", "gateway 48213"):
        assert m["id"] in ids(api, u, q, wid, mode="keyword"), q
    assert ids(api, u, "INC-48213 nonexistentword", wid, mode="keyword") == []
    assert ids(api, u, "the of and", wid, mode="keyword") == []      # only stop words


def test_keyword_ranks_by_bm25(api, pool):
    u = pool(4)[1]
    wid = workspace(api, u)
    once = create_memory(api, u, wid, "Plain", "zephyr appears once among other words here")
    thrice = create_memory(api, u, wid, "Plain", "zephyr zephyr zephyr and little else")
    titled = create_memory(api, u, wid, "Zephyr", "a note whose title names it")
    res = msearch(api, u, "zephyr", wid, 10, "keyword")["results"]
    order = [r["id"] for r in res]
    assert set(order) == {once["id"], thrice["id"], titled["id"]}
    assert order.index(thrice["id"]) < order.index(once["id"])
    assert order.index(titled["id"]) < order.index(once["id"])
    assert all(0 < r["score"] < 1 for r in res)


def test_hybrid_caps_results_per_source_document(api, pool):
    u = pool(4)[1]
    wid = workspace(api, u)
    src = {"source_url": "https://example.com/handbook", "source_type": "webpage"}
    same = [create_memory(api, u, wid, "Handbook part %d" % i,
                          "kestrel deployment procedure step %d" % i, metadata=src)["id"]
            for i in range(5)]
    other = [create_memory(api, u, wid, "Other %d" % i, "kestrel deployment notes %d" % i)["id"]
             for i in range(3)]
    files = [create_memory(api, u, wid, "File part %d" % i, "kestrel deployment page %d" % i,
                           metadata={"source_type": "file", "original_filename": "k.pdf"})["id"]
             for i in range(3)]
    res = ids(api, u, "kestrel deployment", wid, top_k=10, mode="hybrid")
    assert len([x for x in res if x in same]) == 2, res
    assert len([x for x in res if x in files]) == 2, res
    assert set(other) <= set(res)
    # keyword and vector modes do not cap
    assert len([x for x in ids(api, u, "kestrel deployment", wid, 20, "keyword")
                if x in same]) == 5


def test_keyword_across_workspaces_keeps_the_best_top_k(api):
    """Without workspaceId every workspace gives its best top_k; the answer
    is the best top_k of them all, by score, whichever workspace holds them."""
    u = ca.User(api, name="Keyword Many")
    w1, w2 = workspace(api, u), workspace(api, u)
    strong = create_memory(api, u, w2, "Ocelot", "ocelot ocelot ocelot sightings")
    weak = [create_memory(api, u, w, "Notes %d" % i,
                          "ocelot seen once among many other unrelated words number %d" % i)
            for i, w in enumerate((w1, w1, w1, w2, w2))]
    for mode in ("keyword", "hybrid"):
        got = ids(api, u, "ocelot", None, 2, mode)
        assert len(got) == 2 and got[0] == strong["id"], (mode, got)
    allk = ids(api, u, "ocelot", None, 10, "keyword")
    assert set(allk) == {strong["id"]} | {m["id"] for m in weak}
    assert ids(api, u, "ocelot", None, 3, "keyword") == allk[:3]


def test_hybrid_sources_without_a_usable_key_are_not_capped(api, pool):
    """A memory is its own source when its source_url is empty, or it is a
    "file" without original_filename, or it names a file but is no "file":
    such memories are never capped together."""
    u = pool(4)[1]
    wid = workspace(api, u)
    shapes = [{"source_url": "", "source_type": "webpage"},
              {"source_type": "file"},
              {"source_type": "webpage", "original_filename": "k.pdf"},
              {"source_url": 5, "source_type": 7, "original_filename": ["x"]}]
    made = {i: [create_memory(api, u, wid, "Marmot part %d" % j,
                              "marmot burrow survey section %d" % j, metadata=md)["id"]
                for j in range(3)]
            for i, md in enumerate(shapes)}
    res = ids(api, u, "marmot burrow survey", wid, top_k=20, mode="hybrid")
    for i, group in made.items():
        assert set(group) <= set(res), (shapes[i], res)


def test_keyword_across_accessible_workspaces_only(api, pool):
    a, b = pool(4)[2], pool(4)[3]
    wa, wb = workspace(api, a), workspace(api, b)
    mine = create_memory(api, a, wa, "Mine", "quokka census data")
    theirs = create_memory(api, b, wb, "Theirs", "quokka census data")
    for mode in ("keyword", "hybrid"):
        got = ids(api, a, "quokka census", None, 10, mode)
        assert mine["id"] in got and theirs["id"] not in got, (mode, got)


# ------------------------------------------------------------ coherence with writes

def test_keyword_index_follows_update_and_delete(api, pool):
    u = pool(4)[2]
    wid = workspace(api, u)
    m = create_memory(api, u, wid, "Lighthouse", "beacon maintenance INC-1001")
    assert ids(api, u, "INC-1001", wid, mode="keyword") == [m["id"]]
    update_memory(api, u, m["id"], {"content": "beacon maintenance INC-2002"})
    assert ids(api, u, "INC-1001", wid, mode="keyword") == []
    assert ids(api, u, "INC-2002", wid, mode="keyword") == [m["id"]]
    update_memory(api, u, m["id"], {"title": "Foghorn"})
    assert ids(api, u, "lighthouse", wid, mode="keyword") == []
    assert ids(api, u, "foghorn INC-2002", wid, mode="keyword") == [m["id"]]
    update_memory(api, u, m["id"], {"tags": ["x"]})                 # no text change
    assert ids(api, u, "foghorn", wid, mode="keyword") == [m["id"]]
    delete_memory(api, u, m["id"])
    for mode in MODES:
        assert m["id"] not in ids(api, u, "foghorn INC-2002", wid, mode=mode)


def test_writes_made_outside_this_server_are_seen(api, pool, db):
    """Rows written straight into the database (as another node or a restore
    would): a new memory with the generation bumped is picked up by the
    delta refresh; a deletion without a tombstone leaves the cached count
    disagreeing with the workspace's counter, which reloads in full."""
    u = pool(4)[2]
    wid = workspace(api, u)
    create_memory(api, u, wid, "Live", "written through the server marmot")
    assert len(ids(api, u, "marmot", wid, mode="keyword")) == 1     # index cached
    mid, sql = db.memory_sql(wid, title="Seeded", content="archived ticket INC-777 marmot")
    db.execute(sql)
    assert ids(api, u, "INC-777", wid, mode="keyword") == [mid]
    assert len(ids(api, u, "marmot", wid, mode="keyword")) == 2
    db.execute("DELETE FROM memories WHERE id = %s;\n" % db.lit(mid) +
               db.bump_counters(wid, memories=-1, embeddings=-1))
    assert ids(api, u, "INC-777", wid, mode="keyword") == []
    assert len(ids(api, u, "marmot", wid, mode="keyword")) == 1


@pytest.fixture(scope="module")
def second_server(server):
    """Another chimerad on the same database and keys (tokens are valid on both)."""
    s = Server({"DATABASE_URL": server.database_url()}, name="keyword-b").start()
    yield s
    s.stop()


def test_two_servers_keyword_never_stale(api, pool, second_server):
    """Writes through one server, keyword searches through both, alternating:
    each node's cached index follows every create, update and delete."""
    api_b = ca.Api(second_server)
    u = pool(4)[2]
    wid = workspace(api, u)
    servers, live = [api, api_b], {}
    for step in range(16):
        w = servers[step % 2]
        kind = step % 4
        if kind in (0, 1) or not live:
            m = create_memory(w, u, wid, "Step %d" % step, "walrus change K%d" % step)
            live[m["id"]] = "K%d" % step
        elif kind == 2:
            mid = sorted(live)[0]
            update_memory(w, u, mid, {"content": "walrus rewritten R%d" % step})
            live[mid] = "R%d" % step
        else:
            mid = sorted(live)[-1]
            delete_memory(w, u, mid)
            del live[mid]
        for reader in servers:
            assert set(ids(reader, u, "walrus", wid, mode="keyword")) == set(live), step
            for mid, token in live.items():
                assert ids(reader, u, "walrus " + token, wid, mode="keyword") == [mid], step


def test_small_keyword_cache_stays_correct():
    """CHIMERA_KEYWORD_INDEX_MEMORY=1 (MiB): workspaces of ~4,000 distinct
    terms each cannot all stay cached; searching them round-robin twice
    (evictions and reloads, a change in between) still finds exactly the
    right memory every time."""
    with Server({"CHIMERA_KEYWORD_INDEX_MEMORY": "1"}, name="kw-cache") as server:
        server.start()
        api = ca.Api(server)
        u = ca.User(api, name="Cache")
        spaces = []
        for w in range(6):
            wid = workspace(api, u)
            words = " ".join("w%dterm%d" % (w, i) for i in range(4000))
            m = create_memory(api, u, wid, "Big %d" % w, words + " okapi%d" % w)
            spaces.append((wid, m["id"]))
        for rnd in range(2):
            for w, (wid, mid) in enumerate(spaces):
                q = "okapi%d w%dterm3999" % (w, w) if rnd == 0 or w else "okapi0 big"
                assert ids(api, u, q, wid, mode="keyword") == [mid]
                assert ids(api, u, "okapi%d" % ((w + 1) % 6), wid, mode="keyword") == []
            update_memory(api, u, spaces[0][1], {"content": "okapi0 replaced"})
        assert ids(api, u, "w0term5", spaces[0][0], mode="keyword") == []


# ------------------------------------------------------------ property

VOCAB = ["alpha", "Beta", "GAMMA", "INC-48213", "48213", "inc", "v1.2", "the", "of", "zeta_eta",
         "Ölfeld", "x", "ops@example.com", "example", "Delta", "delta"]
SEPS = [" ", ", ", ". ", "-", "\n", " / "]

texts = st.lists(st.tuples(st.sampled_from(VOCAB), st.sampled_from(SEPS)), min_size=1,
                 max_size=8).map(lambda ws: "".join(w + s for w, s in ws).strip() or "alpha")
queries = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=3).map(" ".join)


@pytest.fixture(scope="module")
def prop_ws(api, pool):
    return pool(4)[3], workspace(api, pool(4)[3])


@PROPERTY
@given(docs=st.lists(st.tuples(texts, texts), min_size=1, max_size=4), query=queries)
def test_keyword_results_are_exactly_the_memories_holding_all_terms(api, prop_ws, docs, query):
    u, wid = prop_ws
    made = [create_memory(api, u, wid, t, c) for t, c in docs]
    try:
        got = msearch(api, u, query, wid, 100, "keyword")["results"]
        want = {m["id"] for m in made if holds_all(m, query)}
        assert {r["id"] for r in got} == want, (query, [(m["title"], m["content"]) for m in made])
        assert all(0 < r["score"] < 1 for r in got)
        hy = msearch(api, u, query, wid, 100, "hybrid")["results"]
        assert want <= {r["id"] for r in hy}
    finally:
        for m in made:
            delete_memory(api, u, m["id"])
    assert msearch(api, u, query, wid, 100, "keyword")["results"] == []
