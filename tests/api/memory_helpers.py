"""Shared helpers for the memory-bank tests (test_memories, test_search,
test_mcp, test_properties_memories): request wrappers for API.md §5.6 / §8.1 /
§10 (D1, D2, D8, D13), shape checks for Memory and search results, and
reference implementations of what the contract fixes exactly (snippet, MCP
default title, Python-style trimming, vector arithmetic on the returned
embeddings).

Only stdlib + requests + pytest (+ hypothesis strategies)."""
import json
import math
import time

from hypothesis import strategies as st

import chimera_api as ca
from chimera_api import ok_data

MEMORY_KEYS = {"id", "workspaceId", "title", "content", "snippet", "tags", "embedding",
               "metadata", "version", "createdAt", "updatedAt"}
RESULT_KEYS = {"id", "title", "content", "snippet", "score", "tags", "workspace_id",
               "created_at"}
SEARCH_KEYS = {"results", "total", "embedder", "pendingEmbeddings"}
INDEX_KEYS = {"embedder", "dimension", "vectors", "pendingEmbeddings", "bytes", "workspaces",
              "cache"}
INDEX_CACHE_KEYS = {"budget", "bytes", "workspaces", "hits", "misses", "deltaLoads", "evictions",
                    "searches", "candidates"}
INDEX_WS_KEYS = {"workspace_id", "vectors", "pendingEmbeddings", "generation", "bytes"}

MEM_ID_RE = ca.id_re("memory")
EMBEDDER = "hash-v1"
DIM = 384
EMBEDDING_MODEL = "hash-v1/384"

MEM_NOT_FOUND = "Memory not found"
WS_NOT_FOUND = "Workspace not found"
CONV_NOT_FOUND = "Conversation not found"
ACCESS_DENIED = "Access denied"
READ_ONLY = "Observers have read-only access"
REQUIRED = "This field is required."
BLANK = "This field may not be blank."
NULL = "This field may not be null."
NOT_STRING = "Not a valid string."
NOT_INT = "A valid integer is required."

# rounding each of 384 components to 4 decimals moves a norm or a dot product
# of unit vectors by at most sqrt(384) * 5e-5 * 2 ~ 2e-3
VEC_TOL = 2.5e-3

# Arbitrary text: any code point but surrogates (not encodable) and NUL
# (jansson refuses \u0000 unless told otherwise).
TEXT_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
# Python's str.isspace() characters: what the server trims (DRF's strip()).
PY_WS = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004" \
        "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def padded(core):
    """core with up to 3 trimmable characters on either side."""
    pad = st.text(alphabet=st.sampled_from(PY_WS), max_size=3)
    return st.builds(lambda a, c, b: a + c + b, pad, core, pad)


def nonblank(min_size=1, max_size=200, alphabet=TEXT_CHARS):
    return st.text(alphabet, min_size=min_size, max_size=max_size).filter(lambda s: s.strip())


# ------------------------------------------------------------------ references

def snippet_of(content):
    """§3.8: the first 150 code points, plus "..." when the content is longer."""
    return content[:150] + ("..." if len(content) > 150 else "")


def mcp_title(text):
    """§10 (65): the first 50 code points of text, plus "..." when longer."""
    return text[:50] + ("..." if len(text) > 50 else "")


def is_letter(ch):
    """Word characters of the built-in hash-v1 embedder (documented in
    src/embed/hash.c): ASCII alphanumerics and every code point >= 0x80
    except C1 controls / Latin-1 punctuation, x and ÷, U+1680, U+FEFF,
    U+FFFD and the punctuation blocks U+2000-U+206F and U+3000-U+303F.
    Text without any such character has no features: its vector is all
    zeros (the one case where no unit vector can be made)."""
    c = ord(ch)
    if c < 0x80:
        return ch.isascii() and ch.isalnum()
    if c < 0xC0:
        return c in (0xAA, 0xB5, 0xBA)
    if c in (0xD7, 0xF7, 0x1680, 0xFEFF, 0xFFFD):
        return False
    if 0x2000 <= c <= 0x206F or 0x3000 <= c <= 0x303F:
        return False
    return True


def has_features(text):
    return any(is_letter(ch) for ch in text)


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def norm(v):
    return math.sqrt(dot(v, v))


# ------------------------------------------------------------------ shapes

def check_embedding(vec, text=None):
    """384 numbers, each rounded to 4 decimals, unit L2 norm within rounding
    (all zeros only for text with no word characters)."""
    assert isinstance(vec, list) and len(vec) == DIM, (type(vec), vec and len(vec))
    for x in vec:
        assert isinstance(x, (int, float)) and not isinstance(x, bool), x
        assert -1.0 <= x <= 1.0, x
        assert abs(x * 10000 - round(x * 10000)) < 1e-6, x
    n = norm(vec)
    if text is not None and not has_features(text):
        assert n == 0.0, (text, n)
    else:
        assert abs(n - 1.0) < VEC_TOL, (n, text)
    return vec


def check_memory(m, wid=None, title=None, content=None, tags=None, version=None):
    """A Memory object (§4 with D1). Optional expectations are compared exactly."""
    assert isinstance(m, dict) and set(m) == MEMORY_KEYS, m if not isinstance(m, dict) else set(m)
    assert MEM_ID_RE.match(m["id"]), m["id"]
    assert ca.WS_ID_RE.match(m["workspaceId"]), m["workspaceId"]
    for k in ("title", "content", "snippet"):
        assert isinstance(m[k], str), (k, m[k])
    assert m["title"] and m["content"], m
    assert m["snippet"] == snippet_of(m["content"]), (m["snippet"], m["content"])
    assert isinstance(m["tags"], list) and all(isinstance(t, str) for t in m["tags"]), m["tags"]
    check_embedding(m["embedding"], m["title"] + "\n" + m["content"])
    assert isinstance(m["metadata"], dict), m["metadata"]
    assert m["metadata"].get("embeddingModel") == EMBEDDING_MODEL, m["metadata"]
    assert m["metadata"].get("embedding_model") == EMBEDDING_MODEL, m["metadata"]
    assert ca.is_int(m["version"]) and m["version"] >= 1, m["version"]
    assert ca.parse_ts(m["createdAt"]) <= ca.parse_ts(m["updatedAt"]), m
    if wid is not None:
        assert m["workspaceId"] == wid, (m["workspaceId"], wid)
    if title is not None:
        assert m["title"] == title, (m["title"], title)
    if content is not None:
        assert m["content"] == content, (m["content"], content)
    if tags is not None:
        assert m["tags"] == tags, (m["tags"], tags)
    if version is not None:
        assert m["version"] == version, (m["version"], version)
    return m


def user_metadata(m):
    """metadata without the server-written embedder keys."""
    return {k: v for k, v in m["metadata"].items()
            if k not in ("embeddingModel", "embedding_model")}


def check_result(r):
    """One search result (§8.1)."""
    assert isinstance(r, dict) and set(r) == RESULT_KEYS, r
    assert MEM_ID_RE.match(r["id"]), r
    assert ca.WS_ID_RE.match(r["workspace_id"]), r
    assert isinstance(r["score"], (int, float)) and not isinstance(r["score"], bool), r
    assert -1.0 - 1e-3 <= r["score"] <= 1.0 + 1e-3, r
    assert isinstance(r["tags"], list), r
    ca.parse_ts(r["created_at"])
    return r


def check_search(d, top_k=5):
    """A search answer: results ranked by score (non-increasing), at most top_k."""
    assert isinstance(d, dict) and set(d) == SEARCH_KEYS, d
    assert d["embedder"] == EMBEDDER, d
    assert ca.is_int(d["pendingEmbeddings"]) and d["pendingEmbeddings"] >= 0, d
    assert isinstance(d["results"], list), d
    assert d["total"] == len(d["results"]) <= top_k, (d["total"], len(d["results"]), top_k)
    for r in d["results"]:
        check_result(r)
    scores = [r["score"] for r in d["results"]]
    assert all(a >= b for a, b in zip(scores, scores[1:])), scores
    ids = [r["id"] for r in d["results"]]
    assert len(ids) == len(set(ids)), ids
    return d


def result_matches_memory(r, m):
    """A search result carries the memory's fields (content cut at 500 code points)."""
    assert r["id"] == m["id"], (r["id"], m["id"])
    assert r["title"] == m["title"], r
    assert r["content"] == m["content"][:500], r
    assert r["snippet"] == m["snippet"], r
    assert r["tags"] == m["tags"], r
    assert r["workspace_id"] == m["workspaceId"], r
    assert ca.parse_ts(r["created_at"]) == ca.parse_ts(m["createdAt"]), r


# ------------------------------------------------------------------ requests

def mem_path(wid):
    return "/workspaces/%s/memories" % wid


def create_memory_r(api, user, wid, title="Title", content="Content", **extra):
    body = {"title": title, "content": content}
    body.update(extra)
    return api.post(mem_path(wid), body, token=user.token)


def create_memory(api, user, wid, title="Title", content="Content", **extra):
    """POST a memory (extra: tags, metadata, anything); returns the checked Memory."""
    return check_memory(ok_data(create_memory_r(api, user, wid, title, content, **extra), 201),
                        wid=wid)


def get_memory(api, user, mid):
    return check_memory(ok_data(api.get("/memories/" + mid, token=user.token)))


def update_memory(api, user, mid, body):
    return check_memory(ok_data(api.put("/memories/" + mid, body, token=user.token)))


def reembed(api, user, mid):
    return check_memory(ok_data(api.post("/memories/%s/re-embed" % mid, token=user.token)))


def delete_memory(api, user, mid):
    d = ok_data(api.delete("/memories/" + mid, token=user.token))
    assert d == {"message": "Memory deleted successfully"}, d
    return d


def list_memories(api, user, wid, **params):
    """GET the memory list; returns (memories, total)."""
    r = api.get(mem_path(wid), token=user.token, params=params or None)
    d = ok_data(r)
    assert set(d) == {"memories", "total"}, d
    for m in d["memories"]:
        check_memory(m, wid=wid)
    assert ca.is_int(d["total"]) and d["total"] >= len(d["memories"]), d
    if "limit" not in params and "offset" not in params:
        assert d["total"] == len(d["memories"]), d
    return d["memories"], d["total"]


def memory_count(api, user, wid):
    """The workspace's memory count: the list's total, cross-checked with the
    embedded stats."""
    total = ok_data(api.get(mem_path(wid), token=user.token, params={"limit": 1}))["total"]
    assert ws_stats(api, user, wid)["totalMemories"] == total, total
    return total


def search_r(api, user, query, wid=None, top_k=None, **extra):
    body = {"query": query}
    if wid is not None:
        body["workspaceId"] = wid
    if top_k is not None:
        body["top_k"] = top_k
    body.update(extra)
    return api.post("/memories/search", body, token=user.token)


def search(api, user, query, wid=None, top_k=None):
    d = ok_data(search_r(api, user, query, wid, top_k))
    return check_search(d, 5 if top_k is None else top_k)


def search_ids(api, user, query, wid=None, top_k=100):
    return [r["id"] for r in search(api, user, query, wid, top_k)["results"]]


def create_conversation(api, user, wid):
    return ok_data(api.post("/workspaces/%s/conversations" % wid, {"modelId": "model-echo"},
                            token=user.token), 201)


def inject(api, user, cid, mid):
    d = ok_data(api.post("/conversations/%s/inject-memory" % cid, {"memoryId": mid},
                         token=user.token))
    assert d == {"message": "Memory injected successfully"}, d


def injected(api, user, cid):
    c = ok_data(api.get("/conversations/" + cid, token=user.token))
    return [i["id"] for i in c["injectedMemories"]]


def workspace(api, user):
    return ca.create_workspace(api, user)["id"]


def ws_stats(api, user, wid):
    return ok_data(api.get("/workspaces/" + wid, token=user.token))["stats"]


def activities(api, user, wid):
    return ok_data(api.get("/workspaces/%s/activity" % wid, token=user.token,
                           params={"limit": 100}))["activities"]


def index_status(api, user):
    d = ok_data(api.get("/mcp/index/status", token=user.token))
    check_index(d)
    return d


def check_index(d):
    assert INDEX_KEYS <= set(d) <= INDEX_KEYS | {"message"}, d
    assert d["embedder"] == EMBEDDER and d["dimension"] == DIM, d
    assert isinstance(d["workspaces"], list), d
    for w in d["workspaces"]:
        assert set(w) == INDEX_WS_KEYS, w
        for k in ("vectors", "pendingEmbeddings", "generation", "bytes"):
            assert ca.is_int(w[k]) and w[k] >= 0, w
    for k in ("vectors", "pendingEmbeddings", "bytes"):
        assert ca.is_int(d[k]) and d[k] == sum(w[k] for w in d["workspaces"]), (k, d)
    assert set(d["cache"]) == INDEX_CACHE_KEYS, d["cache"]
    assert all(ca.is_int(v) and v >= 0 for v in d["cache"].values()), d["cache"]
    return d


# ------------------------------------------------------------------ raw HTTP

def raw_post(api, path, body, token=None, content_type="application/json", timeout=15.0):
    """POSTs raw bytes (chunked into the socket; the server may answer early)
    and returns (status, parsed JSON body or None)."""
    head = ("POST /api%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
            "Content-Length: %d\r\nConnection: close\r\n" % (path, content_type, len(body)))
    if token:
        head += "Authorization: Bearer %s\r\n" % token
    head += "\r\n"
    chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]
    status, headers, data = ca.raw_http(api.port, head.encode(), timeout=timeout,
                                        send_chunks=chunks)
    doc = None
    if data:
        try:
            doc = json.loads(data.decode("utf-8"))
        except ValueError:
            doc = None
    return status, doc


def wait_for(pred, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def json_bytes(obj):
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")

