"""Legacy / MCP endpoints as §0 D8 decides (API.md §10): authenticated and
scoped to the caller's workspaces. GET /models, POST /chat (410),
POST /mcp/remember, /mcp/batch-remember, /mcp/search (the same semantic
search as POST /memories/search), /mcp/inject, GET /mcp/listMemories,
GET /mcp/index/status and POST /mcp/index/rebuild (the real vector index)."""
import time
import uuid

import pytest

import chimera_api as ca
from chimera_api import add_member, assert_error, error_of, ok_data
from memory_helpers import (
    ACCESS_DENIED, CONV_NOT_FOUND, DIM, READ_ONLY, WS_NOT_FOUND, check_index, check_memory,
    create_conversation, create_memory, delete_memory, get_memory, index_status, inject,
    mcp_title, memory_count, search, user_metadata, workspace,
)

REMEMBER_KEYS = {"id", "title", "status", "workspace_id", "created_at"}
INJECT_KEYS = {"injected_context", "memory_count", "memories"}
INJECT_ITEM_KEYS = {"id", "title", "content", "tags", "created_at"}


@pytest.fixture(scope="module")
def users(api):
    """owner, researcher, observer, outsider."""
    return [ca.User(api, name=n) for n in ("MCP Owner", "MCP Researcher", "MCP Observer",
                                            "MCP Outsider")]


@pytest.fixture(scope="module")
def team_ws(api, users):
    owner, researcher, observer, _ = users
    wid = workspace(api, owner)
    add_member(api, owner, wid, researcher, "researcher")
    add_member(api, owner, wid, observer, "observer")
    return wid


def fresh_user(api, name="MCP Fresh"):
    return ca.User(api, name=name)


def remember(api, user, body, status=201):
    d = ok_data(api.post("/mcp/remember", body, token=user.token), status)
    assert set(d) == REMEMBER_KEYS, d
    assert d["status"] == "saved"
    ca.parse_ts(d["created_at"])
    return d


def touch_workspace(api, user, wid):
    """PUT the workspace so it becomes the caller's most recently updated one."""
    time.sleep(0.002)
    ok_data(api.put("/workspaces/" + wid, {"name": "Touched " + uuid.uuid4().hex[:6]},
                    token=user.token))


# ------------------------------------------------------------------ models, chat, auth

def test_models_table(api, users):
    d = ok_data(api.get("/models", token=users[0].token))
    assert set(d) == {"models", "total"}
    models = d["models"]
    assert isinstance(models, dict) and d["total"] == len(models) > 0
    assert set(models.values()) <= {"openai", "anthropic", "google", "deepseek", "groq", "echo"}
    for name, provider in (("gpt-4o", "openai"), ("claude-3.5-sonnet", "anthropic"),
                           ("gemini-2.0-flash", "google"), ("deepseek-chat", "deepseek"),
                           ("llama-3.3-70b-versatile", "groq")):
        assert models.get(name) == provider, (name, models)


def test_chat_gone(api, users):
    for body in ({}, {"conversation_id": "conv-000000000000", "message": "hi"}):
        r = api.post("/chat", body, token=users[0].token)
        err = error_of(r, 410)
        assert isinstance(err, str) and "/conversations/" in err and "messages" in err, err


@pytest.mark.parametrize("method,path", [
    ("GET", "/models"), ("POST", "/mcp/remember"), ("POST", "/mcp/batch-remember"),
    ("POST", "/mcp/search"), ("POST", "/mcp/inject"),
    ("GET", "/mcp/listMemories?conversation_id=conv-000000000000"),
    ("GET", "/mcp/index/status"), ("POST", "/mcp/index/rebuild"),
])
def test_authentication_required(api, method, path):
    body = {"text": "x", "memories": [{"text": "x"}], "query": "x"}
    r = api.request(method, path, json_body=body)
    assert_error(r, 401, "Authentication credentials were not provided.")
    r = api.request(method, path, json_body=body, token="not-a-token")
    assert error_of(r, 401)


# ------------------------------------------------------------------ remember

def test_remember_defaults_to_most_recently_updated_workspace(api):
    u = fresh_user(api)
    assert_error(api.post("/mcp/remember", {"text": "nowhere to go"}, token=u.token), 400,
                 "No workspace available")
    w1 = workspace(api, u)
    time.sleep(0.002)
    w2 = workspace(api, u)
    d = remember(api, u, {"text": "goes to the newest workspace"})
    assert d["workspace_id"] == w2
    touch_workspace(api, u, w1)
    d = remember(api, u, {"text": "goes to the touched workspace"})
    assert d["workspace_id"] == w1
    assert memory_count(api, u, w1) == 1 and memory_count(api, u, w2) == 1


def test_remember_stores_a_memory(api, users, team_ws):
    owner = users[0]
    before = memory_count(api, owner, team_ws)
    d = remember(api, owner, {"text": "The launch window opens on Tuesday.",
                              "workspace_id": team_ws, "title": "Launch",
                              "tags": ["ops", "launch"], "metadata": {"source": "mcp", "n": 1}})
    m = get_memory(api, owner, d["id"])
    check_memory(m, wid=team_ws, title="Launch", content="The launch window opens on Tuesday.",
                 tags=["ops", "launch"], version=1)
    assert user_metadata(m) == {"source": "mcp", "n": 1}
    assert d["title"] == "Launch" and d["workspace_id"] == team_ws
    assert ca.parse_ts(d["created_at"]) == ca.parse_ts(m["createdAt"])
    assert memory_count(api, owner, team_ws) == before + 1
    # findable by search at once
    res = search(api, owner, m["title"] + "\n" + m["content"], team_ws, top_k=1)["results"]
    assert res[0]["id"] == d["id"]
    # a researcher may remember too
    r = remember(api, users[1], {"text": "researcher note", "workspace_id": team_ws})
    assert get_memory(api, users[1], r["id"])["content"] == "researcher note"


@pytest.mark.parametrize("text", [
    "short", "x" * 50, "y" * 51, "z" * 200, "\U0001F600" * 50, "\U0001F600" * 51,
    "é" * 49 + "\U0001F600\U0001F601", "Line one\nline two " * 5,
])
def test_remember_default_title(api, users, team_ws, text):
    owner = users[0]
    d = remember(api, owner, {"text": text, "workspace_id": team_ws})
    assert d["title"] == mcp_title(text)
    m = get_memory(api, owner, d["id"])
    assert m["title"] == mcp_title(text) and m["content"] == text


def test_remember_errors(api, users, team_ws):
    owner, _, observer, outsider = users
    foreign = workspace(api, outsider)
    before = memory_count(api, owner, team_ws)
    for body in ({}, {"text": ""}, {"text": None}, {"text": 5}, {"text": ["a"]},
                 {"title": "no text", "workspace_id": team_ws}):
        assert_error(api.post("/mcp/remember", body, token=owner.token), 400, "text required")
    assert_error(api.post("/mcp/remember", {"text": "x", "workspace_id": "workspace-000000000000"},
                          token=owner.token), 404, WS_NOT_FOUND)
    assert_error(api.post("/mcp/remember", {"text": "x", "workspace_id": foreign},
                          token=owner.token), 403, ACCESS_DENIED)
    assert_error(api.post("/mcp/remember", {"text": "x", "workspace_id": team_ws},
                          token=observer.token), 403, READ_ONLY)
    assert_error(api.post("/mcp/remember", {"text": "x", "workspace_id": team_ws},
                          token=outsider.token), 403, ACCESS_DENIED)
    r = api.post("/mcp/remember", token=owner.token, data=b'{"text": "\xff"}',
                 headers={"Content-Type": "application/json"})
    assert error_of(r, 400).startswith("JSON parse error - ")
    assert memory_count(api, owner, team_ws) == before
    assert memory_count(api, outsider, foreign) == 0


def test_remember_keeps_only_usable_tags_and_object_metadata(api, users, team_ws):
    """Tags that are not non-empty strings are dropped; metadata that is not
    an object is not stored."""
    owner = users[0]
    d = remember(api, owner, {"text": "tag cleaning", "workspace_id": team_ws,
                              "tags": ["kept", "", 5, None, ["x"], {"a": 1}, "also kept"],
                              "metadata": ["not", "an", "object"]})
    m = get_memory(api, owner, d["id"])
    assert m["tags"] == ["kept", "also kept"], m["tags"]
    assert user_metadata(m) == {}
    d = remember(api, owner, {"text": "tags not a list", "workspace_id": team_ws,
                              "tags": "kept?", "metadata": "text"})
    m = get_memory(api, owner, d["id"])
    assert m["tags"] == [] and user_metadata(m) == {}


@pytest.mark.parametrize("body", [{"text": "body text", "title": "T" * 256},
                                  {"text": "body text", "title": "   "},
                                  {"text": " \t\n "}],
                         ids=["title-256-chars", "title-blank", "text-blank"])
def test_remember_memory_rules(api, users, team_ws, body):
    """A remembered memory obeys the Memory invariants: either the request is
    refused (400, nothing stored) or the stored title is non-blank and at most
    255 characters and the content is non-blank."""
    owner = users[0]
    before = memory_count(api, owner, team_ws)
    r = api.post("/mcp/remember", dict(body, workspace_id=team_ws), token=owner.token)
    if r.status_code == 400:
        assert memory_count(api, owner, team_ws) == before
        return
    d = ok_data(r, 201)
    m = ok_data(api.get("/memories/" + d["id"], token=owner.token))
    assert m["title"].strip() and len(m["title"]) <= 255, m["title"]
    assert m["content"].strip(), m["content"]


# ------------------------------------------------------------------ batch-remember

def test_batch_remember(api, users, team_ws):
    owner = users[0]
    before = memory_count(api, owner, team_ws)
    items = [{"text": "first batch item"},
             {"text": "second batch item", "title": "Second", "tags": ["b"]},
             {"text": "third " * 20, "metadata": {"k": "v"}}]
    d = ok_data(api.post("/mcp/batch-remember", {"memories": items, "workspace_id": team_ws},
                         token=owner.token), 201)
    assert set(d) == {"created", "memories"} and d["created"] == 3
    assert [set(x) for x in d["memories"]] == [{"id", "title", "status"}] * 3
    assert [x["status"] for x in d["memories"]] == ["saved"] * 3
    assert [x["title"] for x in d["memories"]] == ["first batch item", "Second",
                                                   mcp_title("third " * 20)]
    mems = [get_memory(api, owner, x["id"]) for x in d["memories"]]
    assert [m["content"] for m in mems] == [i["text"] for i in items]
    assert all(m["workspaceId"] == team_ws for m in mems)
    assert mems[1]["tags"] == ["b"] and user_metadata(mems[2]) == {"k": "v"}
    assert memory_count(api, owner, team_ws) == before + 3


def test_batch_remember_empty_and_default_workspace(api):
    u = fresh_user(api)
    # nothing to store needs no workspace
    d = ok_data(api.post("/mcp/batch-remember", {"memories": []}, token=u.token), 201)
    assert d == {"created": 0, "memories": []}
    assert_error(api.post("/mcp/batch-remember", {"memories": [{"text": "x"}]}, token=u.token),
                 400, "No workspace available")
    w1 = workspace(api, u)
    time.sleep(0.002)
    w2 = workspace(api, u)
    touch_workspace(api, u, w1)
    d = ok_data(api.post("/mcp/batch-remember", {"memories": [{"text": "a"}, {"text": "b"}]},
                         token=u.token), 201)
    assert d["created"] == 2
    assert memory_count(api, u, w1) == 2 and memory_count(api, u, w2) == 0


def test_batch_remember_errors(api, users, team_ws):
    owner, _, observer, outsider = users
    before = memory_count(api, owner, team_ws)
    for body in ({}, {"memories": None}, {"memories": "x"}, {"memories": {"text": "x"}},
                 {"memories": 5}):
        assert_error(api.post("/mcp/batch-remember", body, token=owner.token), 400,
                     "memories array required")
    # one bad item: nothing at all is stored
    for bad in ({"title": "no text"}, {"text": ""}, "just a string", None, {"text": 3}):
        r = api.post("/mcp/batch-remember",
                     {"memories": [{"text": "fine"}, bad], "workspace_id": team_ws},
                     token=owner.token)
        err = error_of(r, 400)
        assert isinstance(err, str) and "text required" in err, err
    assert_error(api.post("/mcp/batch-remember",
                          {"memories": [{"text": "x"}], "workspace_id": team_ws},
                          token=observer.token), 403, READ_ONLY)
    assert_error(api.post("/mcp/batch-remember",
                          {"memories": [{"text": "x"}], "workspace_id": team_ws},
                          token=outsider.token), 403, ACCESS_DENIED)
    assert_error(api.post("/mcp/batch-remember",
                          {"memories": [{"text": "x"}], "workspace_id": "workspace-000000000000"},
                          token=owner.token), 404, WS_NOT_FOUND)
    assert memory_count(api, owner, team_ws) == before


# ------------------------------------------------------------------ search

def test_mcp_search_equals_memory_search(api, users, team_ws):
    owner, researcher = users[0], users[1]
    for i, (t, c) in enumerate([("Rivers", "rivers carry sediment to the sea"),
                                ("Deltas", "sediment builds deltas at river mouths"),
                                ("Mountains", "tectonic plates push mountains up")]):
        create_memory(api, owner, team_ws, t, c)
    for user in (owner, researcher):
        for query, top_k in (("river sediment", None), ("mountains", 2), ("sea", 100),
                             ("   ", 3), ("Rivers\nrivers carry sediment to the sea", 1)):
            mcp_body = {"query": query, "workspace_id": team_ws}
            body = {"query": query, "workspaceId": team_ws}
            if top_k is not None:
                mcp_body["top_k"] = body["top_k"] = top_k
            a = ok_data(api.post("/mcp/search", mcp_body, token=user.token))
            b = ok_data(api.post("/memories/search", body, token=user.token))
            assert a == b, query
            # and across every accessible workspace
            del mcp_body["workspace_id"], body["workspaceId"]
            a = ok_data(api.post("/mcp/search", mcp_body, token=user.token))
            b = ok_data(api.post("/memories/search", body, token=user.token))
            assert a == b, query


def test_mcp_search_errors(api, users, team_ws):
    owner, outsider = users[0], users[3]
    for body in ({}, {"query": ""}, {"query": None}, {"query": 5}):
        assert_error(api.post("/mcp/search", body, token=owner.token), 400, "query required")
    assert_error(api.post("/mcp/search", {"query": "x", "workspace_id": team_ws},
                          token=outsider.token), 403, ACCESS_DENIED)
    assert_error(api.post("/mcp/search", {"query": "x", "workspace_id": "workspace-000000000000"},
                          token=owner.token), 404, WS_NOT_FOUND)
    for k, msg in ((0, "Ensure this value is greater than or equal to 1."),
                   (101, "Ensure this value is less than or equal to 100.")):
        r = api.post("/mcp/search", {"query": "x", "top_k": k}, token=owner.token)
        assert error_of(r, 400) == {"top_k": [msg]}


# ------------------------------------------------------------------ inject

def check_inject(d, mems):
    """The inject answer for these memories (newest first)."""
    assert set(d) == INJECT_KEYS, d
    assert d["memory_count"] == len(mems) == len(d["memories"])
    for item, m in zip(d["memories"], mems):
        assert set(item) == INJECT_ITEM_KEYS, item
        assert item["id"] == m["id"] and item["title"] == m["title"]
        assert item["content"] == m["content"] and item["tags"] == m["tags"]
        assert ca.parse_ts(item["created_at"]) == ca.parse_ts(m["createdAt"])
    if mems:
        assert d["injected_context"] == "\n".join("- %s: %s" % (m["title"], m["content"])
                                                   for m in mems)
    else:
        assert d["injected_context"] == "No memories found."


def test_inject(api, users):
    owner, researcher, observer, outsider = users
    wid = workspace(api, owner)
    add_member(api, owner, wid, observer, "observer")
    empty = ok_data(api.post("/mcp/inject", {"workspace_id": wid}, token=owner.token))
    check_inject(empty, [])
    mems = []
    for i in range(12):
        mems.append(create_memory(api, owner, wid, "Fact %d" % i, "content of fact %d" % i,
                                  tags=["t%d" % i]))
        time.sleep(0.002)
    newest = list(reversed(mems))
    check_inject(ok_data(api.post("/mcp/inject", {"workspace_id": wid}, token=owner.token)),
                 newest[:10])
    check_inject(ok_data(api.post("/mcp/inject", {"workspace_id": wid, "max_memories": 3},
                                  token=owner.token)), newest[:3])
    check_inject(ok_data(api.post("/mcp/inject", {"workspace_id": wid, "max_memories": 100},
                                  token=owner.token)), newest)
    # reading: an observer may
    check_inject(ok_data(api.post("/mcp/inject", {"workspace_id": wid, "max_memories": 1},
                                  token=observer.token)), newest[:1])
    assert_error(api.post("/mcp/inject", {"workspace_id": wid}, token=outsider.token), 403,
                 ACCESS_DENIED)
    assert_error(api.post("/mcp/inject", {"workspace_id": "workspace-000000000000"},
                          token=owner.token), 404, WS_NOT_FOUND)
    for bad in (0, "x"):
        r = api.post("/mcp/inject", {"workspace_id": wid, "max_memories": bad}, token=owner.token)
        assert r.status_code == 400, r.text


def test_inject_default_workspace(api):
    u = fresh_user(api)
    assert_error(api.post("/mcp/inject", {}, token=u.token), 400, "No workspace available")
    w1 = workspace(api, u)
    m = create_memory(api, u, w1, "Only here", "in the first workspace")
    time.sleep(0.002)
    w2 = workspace(api, u)
    check_inject(ok_data(api.post("/mcp/inject", {}, token=u.token)), [])
    touch_workspace(api, u, w1)
    check_inject(ok_data(api.post("/mcp/inject", token=u.token)), [m])
    assert w2


# ------------------------------------------------------------------ listMemories

def test_list_memories_of_conversation(api, users, team_ws):
    owner, researcher, observer, outsider = users
    mems = [create_memory(api, owner, team_ws, "Listed %d" % i, "listed content %d" % i)
            for i in range(5)]
    c = create_conversation(api, owner, team_ws)
    order = [mems[3], mems[0], mems[4], mems[1]]
    for m in order:
        inject(api, researcher, c["id"], m["id"])
    inject(api, owner, c["id"], mems[3]["id"])          # idempotent

    def listing(user, **params):
        params["conversation_id"] = c["id"]
        d = ok_data(api.get("/mcp/listMemories", token=user.token, params=params))
        assert set(d) == {"memories", "total", "limit", "offset"}, d
        for m in d["memories"]:
            check_memory(m, wid=team_ws)
        return d

    d = listing(owner)
    assert [m["id"] for m in d["memories"]] == [m["id"] for m in order]
    assert d["memories"] == [get_memory(api, owner, m["id"]) for m in order]
    assert (d["total"], d["limit"], d["offset"]) == (4, 20, 0)
    d = listing(observer, limit=2, offset=1)
    assert [m["id"] for m in d["memories"]] == [m["id"] for m in order[1:3]]
    assert (d["total"], d["limit"], d["offset"]) == (4, 2, 1)
    d = listing(owner, offset=10)
    assert d["memories"] == [] and d["total"] == 4
    # an update shows in the listing; a delete removes the memory from it
    update = ok_data(api.put("/memories/" + order[0]["id"], {"content": "changed"},
                             token=owner.token))
    delete_memory(api, owner, order[1]["id"])
    d = listing(owner)
    assert [m["id"] for m in d["memories"]] == [order[0]["id"], order[2]["id"], order[3]["id"]]
    assert d["memories"][0]["content"] == "changed" == update["content"]
    assert d["total"] == 3
    # another conversation has its own list
    c2 = create_conversation(api, owner, team_ws)
    d = ok_data(api.get("/mcp/listMemories", token=owner.token,
                        params={"conversation_id": c2["id"]}))
    assert d["memories"] == [] and d["total"] == 0
    # out-of-range paging falls back to the defaults and bounds
    for params, want in (({"limit": 0}, (20, 0)), ({"limit": -3}, (20, 0)),
                         ({"limit": "abc"}, (20, 0)), ({"limit": 5000}, (1000, 0)),
                         ({"offset": -2}, (20, 0)), ({"limit": 1, "offset": 2}, (1, 2))):
        d = listing(owner, **params)
        assert (d["limit"], d["offset"]) == want, (params, d)
        assert [m["id"] for m in d["memories"]] == [
            m["id"] for m in ([order[0], order[2], order[3]][want[1]:want[1] + want[0]])]
    # errors
    for params in ({}, {"conversation_id": ""}):
        assert_error(api.get("/mcp/listMemories", token=owner.token, params=params), 400,
                     "conversation_id required")
    assert_error(api.get("/mcp/listMemories", token=owner.token,
                         params={"conversation_id": "conv-000000000000"}), 404, CONV_NOT_FOUND)
    assert_error(api.get("/mcp/listMemories", token=outsider.token,
                         params={"conversation_id": c["id"]}), 403, ACCESS_DENIED)


# ------------------------------------------------------------------ index

def ws_entry(d, wid):
    found = [w for w in d["workspaces"] if w["workspace_id"] == wid]
    assert len(found) == 1, (wid, d["workspaces"])
    return found[0]


def test_index_status_scope_and_counts(api, users):
    u = fresh_user(api, "Index User")
    other = fresh_user(api, "Index Other")
    d = index_status(api, u)
    assert d["workspaces"] == [] and d["vectors"] == 0 and d["pendingEmbeddings"] == 0
    w1, w2 = workspace(api, u), workspace(api, u)
    shared = workspace(api, other)
    add_member(api, other, shared, u, "observer")
    private = workspace(api, other)
    for i in range(3):
        create_memory(api, u, w1, "Index %d" % i, "indexed text %d" % i)
    create_memory(api, other, shared, "Shared", "shared text")
    create_memory(api, other, private, "Private", "private text")
    d = index_status(api, u)
    assert {w["workspace_id"] for w in d["workspaces"]} == {w1, w2, shared}
    assert [ws_entry(d, w)["vectors"] for w in (w1, w2, shared)] == [3, 0, 1]
    assert d["vectors"] == 4 and d["pendingEmbeddings"] == 0
    for w in d["workspaces"]:
        assert w["bytes"] >= w["vectors"] * DIM, w      # one int8 per dimension at least
    # changes move the generation and the counts
    g = ws_entry(d, w1)["generation"]
    m = create_memory(api, u, w1, "Index new", "one more")
    d2 = index_status(api, u)
    assert ws_entry(d2, w1)["vectors"] == 4 and ws_entry(d2, w1)["generation"] > g
    g = ws_entry(d2, w1)["generation"]
    ok_data(api.put("/memories/" + m["id"], {"content": "edited"}, token=u.token))
    d3 = index_status(api, u)
    assert ws_entry(d3, w1)["vectors"] == 4 and ws_entry(d3, w1)["generation"] > g
    g = ws_entry(d3, w1)["generation"]
    delete_memory(api, u, m["id"])
    d4 = index_status(api, u)
    assert ws_entry(d4, w1)["vectors"] == 3 and ws_entry(d4, w1)["generation"] > g
    # rebuild: same picture plus the message
    r = ok_data(api.post("/mcp/index/rebuild", token=u.token))
    check_index(r)
    assert r["message"] == "Index rebuilt successfully"
    def strip(x):
        return {k: v for k, v in x.items() if k not in ("message", "bytes", "workspaces",
                                                        "cache")}
    assert strip(r) == strip(d4)
    assert sorted((w["workspace_id"], w["vectors"], w["generation"]) for w in r["workspaces"]) == \
        sorted((w["workspace_id"], w["vectors"], w["generation"]) for w in d4["workspaces"])
    # the other user sees their own two workspaces only
    d = index_status(api, other)
    assert {w["workspace_id"] for w in d["workspaces"]} == {shared, private}
    # workspace deleted: gone from the status
    ca.delete_workspace(api, u, w2)
    assert w2 not in {w["workspace_id"] for w in index_status(api, u)["workspaces"]}


# ------------------------------------------------------------------ bodies of the wrong shape

MCP_POSTS = ["/mcp/remember", "/mcp/batch-remember", "/mcp/search", "/mcp/inject"]


@pytest.mark.parametrize("path", MCP_POSTS)
@pytest.mark.parametrize("raw,got", [(b'{"text": ', None), (b'["text", "x"]', "list"),
                                     (b'"just text"', "str")])
def test_bodies_that_are_no_json_object(api, users, path, raw, got):
    """Malformed JSON or JSON that is no object: 400 before anything is read
    or stored."""
    owner = users[0]
    wid = workspace(api, owner)
    r = api.post(path, token=owner.token, data=raw, headers={"Content-Type": "application/json"})
    err = error_of(r, 400)
    if got:
        assert err == {"non_field_errors": [
            "Invalid data. Expected a dictionary, but got %s." % got]}, err
    else:
        assert err.startswith("JSON parse error - "), err
    assert memory_count(api, owner, wid) == 0


@pytest.mark.parametrize("bad", [5, True, ["workspace-000000000000"], {"id": "x"}])
def test_workspace_id_of_the_wrong_type_is_refused(api, bad):
    """A workspace_id that is no string is a field error, never taken as
    absent (that would store to, or read, the caller's default workspace)."""
    u = fresh_user(api)
    wid = workspace(api, u)
    m = create_memory(api, u, wid, "Kept apart", "a memory of the default workspace")
    want = {"workspace_id": ["Not a valid string."]}
    for path, body in (("/mcp/remember", {"text": "where to?"}),
                       ("/mcp/batch-remember", {"memories": [{"text": "where to?"}]}),
                       ("/mcp/search", {"query": "default workspace"}),
                       ("/mcp/inject", {})):
        r = api.post(path, dict(body, workspace_id=bad), token=u.token)
        assert error_of(r, 400) == want, (path, r.text)
    assert memory_count(api, u, wid) == 1
    assert [x["id"] for x in search(api, u, "default workspace", wid)["results"]] == [m["id"]]


def test_empty_or_null_workspace_id_is_the_default(api):
    """workspace_id "" or null is absent: the caller's most recently updated
    workspace (remember, batch-remember, inject), every workspace (search)."""
    u = fresh_user(api)
    w1 = workspace(api, u)
    time.sleep(0.002)
    w2 = workspace(api, u)
    for absent in ("", None):
        d = remember(api, u, {"text": "empty id %r" % absent, "workspace_id": absent})
        assert d["workspace_id"] == w2
        b = ok_data(api.post("/mcp/batch-remember",
                             {"memories": [{"text": "batch %r" % absent}], "workspace_id": absent},
                             token=u.token), 201)
        assert b["created"] == 1
        assert get_memory(api, u, b["memories"][0]["id"])["workspaceId"] == w2
        d = ok_data(api.post("/mcp/inject", {"workspace_id": absent}, token=u.token))
        assert d["memory_count"] == len(d["memories"]) > 0
    assert memory_count(api, u, w2) == 4 and memory_count(api, u, w1) == 0
    other = create_memory(api, u, w1, "Elsewhere", "the first workspace holds this")
    for absent in ("", None):
        a = ok_data(api.post("/mcp/search", {"query": "first workspace", "workspace_id": absent,
                                             "top_k": 10}, token=u.token))
        b = ok_data(api.post("/memories/search", {"query": "first workspace", "top_k": 10},
                             token=u.token))
        assert a == b and other["id"] in [x["id"] for x in a["results"]], a
