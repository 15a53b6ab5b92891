"""The memory bank (API.md §3.8, §4 Memory, §5.6 endpoints 38-39 and 42-45,
§7.4, §0 D1, D6, D12, D13): create with validation, get, update (version +1
on every PUT, snippet and vector regenerated), re-embed, delete (injection
links go too), the list with search / sortBy / paging, activity and the
embedded stats, and who may do what.

Search (§8.1, D2) is in test_search.py, the legacy MCP endpoints in
test_mcp.py, the seed properties 15-20 in test_properties_memories.py."""
import time

import pytest

import chimera_api as ca
from chimera_api import add_member, assert_error, error_of, ok_data, parse_ts
from memory_helpers import (
    ACCESS_DENIED, BLANK, DIM, EMBEDDING_MODEL, MEM_NOT_FOUND, NOT_INT, NOT_STRING, NULL,
    READ_ONLY, REQUIRED, WS_NOT_FOUND, activities, check_memory, create_conversation,
    create_memory, create_memory_r, delete_memory, get_memory, inject, injected, json_bytes,
    list_memories, mem_path, memory_count, raw_post, reembed, search_ids, snippet_of,
    update_memory, user_metadata, workspace, ws_stats,
)


@pytest.fixture(scope="module")
def users(api):
    """owner, researcher, observer, outsider."""
    return [ca.User(api, name=n) for n in ("Mem Owner", "Mem Researcher", "Mem Observer",
                                            "Mem Outsider")]


@pytest.fixture(scope="module")
def team_ws(api, users):
    owner, researcher, observer, _ = users
    wid = workspace(api, owner)
    add_member(api, owner, wid, researcher, "researcher")
    add_member(api, owner, wid, observer, "observer")
    return wid


# ------------------------------------------------------------------ create

def test_create_shape_defaults_and_trimming(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    t0 = time.time()
    m = create_memory(api, owner, wid, "  Quarterly plan \n", "\t Ship the memory bank.  ")
    t1 = time.time()
    check_memory(m, wid=wid, title="Quarterly plan", content="Ship the memory bank.", tags=[],
                 version=1)
    assert m["snippet"] == "Ship the memory bank."
    assert user_metadata(m) == {}
    assert m["metadata"] == {"embeddingModel": EMBEDDING_MODEL, "embedding_model": EMBEDDING_MODEL}
    assert m["createdAt"] == m["updatedAt"]
    assert t0 - 2 <= parse_ts(m["createdAt"]).timestamp() <= t1 + 2
    assert len(m["embedding"]) == DIM
    # GET answers the same object
    assert get_memory(api, owner, m["id"]) == m
    # and the list holds it
    mems, total = list_memories(api, owner, wid)
    assert [x["id"] for x in mems] == [m["id"]] and total == 1
    assert mems[0] == m


def test_create_with_tags_and_metadata(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    meta = {"source": "manual", "nested": {"a": [1, 2.5, None, True], "b": "ü"}, "n": 3}
    m = create_memory(api, owner, wid, "Tagged", "Body", tags=[" alpha ", "beta", "ünï", "beta"],
                      metadata=meta)
    # tags are trimmed (DRF CharField child) and kept in order
    assert m["tags"] == ["alpha", "beta", "ünï", "beta"]
    assert user_metadata(m) == meta
    assert get_memory(api, owner, m["id"])["tags"] == m["tags"]


def test_create_limits_accepted(api, users):
    """255-character titles (counted in code points), 100 tags of 100 characters."""
    owner = users[0]
    wid = workspace(api, owner)
    tags = ["%03d" % i + "t" * 97 for i in range(100)]
    m = create_memory(api, owner, wid, "T" * 255, "c" * 5000, tags=tags)
    assert m["title"] == "T" * 255 and m["tags"] == tags
    assert m["snippet"] == "c" * 150 + "..."
    # multi-byte text (short enough for the activity message: see
    # test_long_non_ascii_title_activity for longer titles)
    m = create_memory(api, owner, wid, "€" * 90, "ü" * 150)
    assert m["title"] == "€" * 90 and m["snippet"] == "ü" * 150


def test_create_integer_strings_coerced(api, users):
    """DRF CharField: numbers are accepted and stored as their string form."""
    owner = users[0]
    wid = workspace(api, owner)
    m = create_memory(api, owner, wid, 123, 4.5, tags=[7])
    assert m["title"] == "123" and m["content"] == "4.5" and m["tags"] == ["7"]


def test_server_owned_fields_ignored(api, users):
    """D12: unknown fields are ignored and never set id, workspaceId, version,
    timestamps or snippet."""
    owner = users[0]
    wid = workspace(api, owner)
    other = workspace(api, owner)
    m = create_memory(api, owner, wid, "Owned", "fields", id="memory-000000000000",
                      workspaceId=other, version=42, createdAt="2001-01-01T00:00:00Z",
                      updatedAt="2001-01-01T00:00:00Z", snippet="fake", embedding=[1] * 384,
                      extra="ignored")
    assert m["id"] != "memory-000000000000" and m["workspaceId"] == wid
    assert m["version"] == 1 and m["snippet"] == "fields"
    assert parse_ts(m["createdAt"]).year > 2001
    assert m["embedding"] != [1] * 384
    assert memory_count(api, owner, other) == 0
    # metadata cannot forge the embedder either
    m2 = create_memory(api, owner, wid, "Forged", "meta",
                       metadata={"embeddingModel": "fake/3", "embedding_model": "fake/3", "k": 1})
    assert m2["metadata"]["embeddingModel"] == EMBEDDING_MODEL
    assert m2["metadata"]["embedding_model"] == EMBEDDING_MODEL
    assert m2["metadata"]["k"] == 1


MAX_TITLE = "Ensure this field has no more than 255 characters."
MAX_TAG = "Ensure this field has no more than 100 characters."

BAD_CREATE = [
    ({}, {"title": [REQUIRED], "content": [REQUIRED]}),
    ({"title": "t"}, {"content": [REQUIRED]}),
    ({"content": "c"}, {"title": [REQUIRED]}),
    ({"title": "", "content": "c"}, {"title": [BLANK]}),
    ({"title": " \t\u3000\n", "content": "c"}, {"title": [BLANK]}),
    ({"title": None, "content": "c"}, {"title": [NULL]}),
    ({"title": ["x"], "content": "c"}, {"title": [NOT_STRING]}),
    ({"title": {"x": 1}, "content": "c"}, {"title": [NOT_STRING]}),
    ({"title": True, "content": "c"}, {"title": [NOT_STRING]}),
    ({"title": "x" * 256, "content": "c"}, {"title": [MAX_TITLE]}),
    ({"title": "\U0001F600" * 256, "content": "c"}, {"title": [MAX_TITLE]}),
    ({"title": "t", "content": ""}, {"content": [BLANK]}),
    ({"title": "t", "content": "   \n\t "}, {"content": [BLANK]}),
    ({"title": "t", "content": None}, {"content": [NULL]}),
    ({"title": "t", "content": ["c"]}, {"content": [NOT_STRING]}),
    ({"title": "", "content": ""}, {"title": [BLANK], "content": [BLANK]}),
    ({"title": "t", "content": "c", "tags": "a,b"},
     {"tags": ['Expected a list of items but got type "str".']}),
    ({"title": "t", "content": "c", "tags": {"a": 1}},
     {"tags": ['Expected a list of items but got type "dict".']}),
    ({"title": "t", "content": "c", "tags": 5},
     {"tags": ['Expected a list of items but got type "int".']}),
    ({"title": "t", "content": "c", "tags": None}, {"tags": [NULL]}),
    ({"title": "t", "content": "c", "tags": ["a", ""]}, {"tags": {"1": [BLANK]}}),
    ({"title": "t", "content": "c", "tags": ["a", "  "]}, {"tags": {"1": [BLANK]}}),
    ({"title": "t", "content": "c", "tags": [None]}, {"tags": {"0": [NULL]}}),
    ({"title": "t", "content": "c", "tags": [True, {}, [], "ok"]},
     {"tags": {"0": [NOT_STRING], "1": [NOT_STRING], "2": [NOT_STRING]}}),
    ({"title": "t", "content": "c", "tags": ["ok", "x" * 101]}, {"tags": {"1": [MAX_TAG]}}),
    ({"title": "t", "content": "c", "tags": ["t%d" % i for i in range(101)]},
     {"tags": ["Ensure this field has no more than 100 elements."]}),
    ({"title": "t", "content": "c", "metadata": None}, {"metadata": [NULL]}),
    ({"title": "t", "content": "c", "metadata": []},
     {"metadata": ['Expected a dictionary of items but got type "list".']}),
    ({"title": "t", "content": "c", "metadata": "x"},
     {"metadata": ['Expected a dictionary of items but got type "str".']}),
    ({"title": "t" * 300, "content": " ", "tags": "x", "metadata": 1},
     {"title": [MAX_TITLE], "content": [BLANK],
      "tags": ['Expected a list of items but got type "str".'],
      "metadata": ['Expected a dictionary of items but got type "int".']}),
]


@pytest.mark.parametrize("body,errors", BAD_CREATE)
def test_create_validation(api, users, team_ws, body, errors):
    owner = users[0]
    before = memory_count(api, owner, team_ws)
    r = api.post(mem_path(team_ws), body, token=owner.token)
    assert error_of(r, 400) == errors
    assert memory_count(api, owner, team_ws) == before


@pytest.mark.parametrize("raw,prefix", [
    (b'{"title": "t", "content": "\xff\xfe"}', "JSON parse error - "),
    (b'{"title": "\xc3", "content": "c"}', "JSON parse error - "),
    (b'{"title": "t", "content": ', "JSON parse error - "),
    (b'{"title": "t" "content": "c"}', "JSON parse error - "),
])
def test_create_malformed_body(api, users, team_ws, raw, prefix):
    owner = users[0]
    before = memory_count(api, owner, team_ws)
    r = api.post(mem_path(team_ws), token=owner.token, data=raw,
                 headers={"Content-Type": "application/json"})
    err = error_of(r, 400)
    assert isinstance(err, str) and err.startswith(prefix), err
    assert memory_count(api, owner, team_ws) == before


def test_create_non_object_body(api, users, team_ws):
    owner = users[0]
    before = memory_count(api, owner, team_ws)
    r = api.post(mem_path(team_ws), ["title", "content"], token=owner.token)
    assert error_of(r, 400) == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}
    assert memory_count(api, owner, team_ws) == before


def test_create_huge_body_413(api, users, team_ws):
    """More than 1 MiB of body → 413, nothing stored; exactly at the limit is fine."""
    owner = users[0]
    before = memory_count(api, owner, team_ws)
    body = json_bytes({"title": "Huge", "content": "x" * (1 << 20)})
    status, doc = raw_post(api, mem_path(team_ws), body, token=owner.token)
    assert status == 413, (status, doc)
    assert doc == {"ok": False, "data": None, "error": "Request body too large"}
    assert memory_count(api, owner, team_ws) == before
    # just under 1 MiB of JSON is accepted
    base = json_bytes({"title": "Big", "content": ""})
    body = json_bytes({"title": "Big", "content": "y" * ((1 << 20) - len(base))})
    assert len(body) == 1 << 20
    status, doc = raw_post(api, mem_path(team_ws), body, token=owner.token)
    assert status == 201, (status, str(doc)[:300])
    m = check_memory(doc["data"], wid=team_ws)
    assert len(m["content"]) == (1 << 20) - len(base)
    assert memory_count(api, owner, team_ws) == before + 1
    # an update over the limit changes nothing
    body = json_bytes({"content": "z" * ((1 << 20) + 10)})
    head = ("PUT /api/memories/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
            "\r\nContent-Length: %d\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n"
            % (m["id"], len(body), owner.token)).encode()
    status, _, _ = ca.raw_http(api.port, head, timeout=15,
                               send_chunks=[body[i:i + 65536] for i in range(0, len(body), 65536)])
    assert status == 413
    assert get_memory(api, owner, m["id"]) == m
    delete_memory(api, owner, m["id"])


def test_snippet_never_cuts_utf8(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    cases = ["\U0001F600" * 151, "\U0001F600" * 150, "é" * 149 + "\U0001F600\U0001F601",
             "a" * 149 + "€€", "x" * 150, "x" * 151, "ǅ" + "\u0301" * 200]
    for content in cases:
        m = create_memory(api, owner, wid, "Snip", content)
        assert m["snippet"] == snippet_of(content), (content[:10], m["snippet"][-10:])


def test_create_activity_and_stats(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    s0 = ws_stats(api, owner, wid)
    assert s0["totalMemories"] == 0 and s0["totalEmbeddings"] == 0
    m1 = create_memory(api, owner, wid, "First note", "alpha")
    m2 = create_memory(api, owner, wid, "Second note", "beta")
    s = ws_stats(api, owner, wid)
    assert s["totalMemories"] == 2 and s["totalEmbeddings"] == 2
    acts = [a for a in activities(api, owner, wid) if a["type"] == "memory_created"]
    assert [(a["message"], a["metadata"]) for a in acts] == [
        ("Memory 'Second note' created", {"memoryId": m2["id"], "memoryTitle": "Second note"}),
        ("Memory 'First note' created", {"memoryId": m1["id"], "memoryTitle": "First note"}),
    ]
    # updates, re-embeds and deletes log nothing (§7.4); the counters follow
    update_memory(api, owner, m1["id"], {"content": "changed"})
    reembed(api, owner, m1["id"])
    delete_memory(api, owner, m2["id"])
    assert len([a for a in activities(api, owner, wid) if a["type"] == "memory_created"]) == 2
    s = ws_stats(api, owner, wid)
    assert s["totalMemories"] == 1 and s["totalEmbeddings"] == 1
    delete_memory(api, owner, m1["id"])
    s = ws_stats(api, owner, wid)
    assert s["totalMemories"] == 0 and s["totalEmbeddings"] == 0


@pytest.mark.parametrize("title", ["é" * 255, "\U0001F600" * 100, "\u6f22" * 200],
                         ids=["latin1x255", "emojix100", "cjkx200"])
def test_long_non_ascii_title_activity(api, users, title):
    owner = users[0]
    wid = workspace(api, owner)
    r = create_memory_r(api, owner, wid, title, "body")
    m = check_memory(ok_data(r, 201), wid=wid, title=title)
    acts = [a for a in activities(api, owner, wid) if a["type"] == "memory_created"]
    assert [(a["message"], a["metadata"]) for a in acts] == [
        ("Memory '%s' created" % title, {"memoryId": m["id"], "memoryTitle": title})]


# ------------------------------------------------------------------ get / update / delete

def test_unknown_memory_404(api, users):
    owner = users[0]
    mid = "memory-000000000000"
    assert_error(api.get("/memories/" + mid, token=owner.token), 404, MEM_NOT_FOUND)
    assert_error(api.put("/memories/" + mid, {"title": "x"}, token=owner.token), 404,
                 MEM_NOT_FOUND)
    # lookup comes before validation
    assert_error(api.put("/memories/" + mid, {"title": ""}, token=owner.token), 404,
                 MEM_NOT_FOUND)
    assert_error(api.delete("/memories/" + mid, token=owner.token), 404, MEM_NOT_FOUND)
    assert_error(api.post("/memories/%s/re-embed" % mid, token=owner.token), 404, MEM_NOT_FOUND)
    assert_error(api.get("/memories/not-a-memory", token=owner.token), 404, MEM_NOT_FOUND)


def test_update_version_on_every_put(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    m = create_memory(api, owner, wid, "Versioned", "one two three", tags=["a"],
                      metadata={"k": "v"})
    prev = m
    for i in range(3):
        time.sleep(0.002)
        u = update_memory(api, owner, m["id"], {})
        assert u["version"] == prev["version"] + 1 == 2 + i
        # nothing else changes but updatedAt
        for k in ("id", "workspaceId", "title", "content", "snippet", "tags", "embedding",
                  "metadata", "createdAt"):
            assert u[k] == m[k], k
        assert parse_ts(u["updatedAt"]) > parse_ts(prev["updatedAt"])
        prev = u
    assert get_memory(api, owner, m["id"]) == prev


def test_update_fields(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    m = create_memory(api, owner, wid, "Original title", "short content", tags=["x"],
                      metadata={"keep": 1})
    long_content = "Long " + "word " * 60
    u = update_memory(api, owner, m["id"], {"content": "  " + long_content + "  "})
    assert u["version"] == 2 and u["content"] == long_content.strip()
    assert u["snippet"] == snippet_of(long_content.strip()) and u["snippet"].endswith("...")
    assert u["title"] == "Original title" and u["tags"] == ["x"]
    assert user_metadata(u) == {"keep": 1}
    assert u["embedding"] != m["embedding"]
    u2 = update_memory(api, owner, m["id"], {"title": " New title "})
    assert u2["version"] == 3 and u2["title"] == "New title"
    assert u2["snippet"] == u["snippet"] and u2["content"] == u["content"]
    assert u2["embedding"] != u["embedding"]
    u3 = update_memory(api, owner, m["id"], {"tags": [" p ", "q"], "metadata": {"new": [1]}})
    assert u3["version"] == 4 and u3["tags"] == ["p", "q"]
    assert user_metadata(u3) == {"new": [1]}
    assert u3["metadata"]["embeddingModel"] == EMBEDDING_MODEL
    assert u3["embedding"] == u2["embedding"]
    u4 = update_memory(api, owner, m["id"], {"tags": []})
    assert u4["version"] == 5 and u4["tags"] == []
    # D12: server-owned fields in the body are ignored
    u5 = update_memory(api, owner, m["id"], {"id": "memory-000000000000", "version": 99,
                                              "workspaceId": workspace(api, owner),
                                              "createdAt": "2001-01-01T00:00:00Z",
                                              "snippet": "forged", "embedding": [0] * 384})
    assert u5["id"] == m["id"] and u5["version"] == 6 and u5["workspaceId"] == wid
    assert u5["createdAt"] == m["createdAt"] and u5["snippet"] == u4["snippet"]
    assert u5["embedding"] == u4["embedding"]
    assert get_memory(api, owner, m["id"]) == u5


def test_update_vector_matches_fresh_memory(api, users):
    """The vector is recomputed from the new title/content: it equals the vector
    of a memory created with that text (the embedder is deterministic)."""
    owner = users[0]
    wid = workspace(api, owner)
    m = create_memory(api, owner, wid, "Gardening", "tomatoes need sun")
    ref = create_memory(api, owner, wid, "Astronomy", "jupiter has moons")
    u = update_memory(api, owner, m["id"], {"title": "Astronomy", "content": "jupiter has moons"})
    assert u["embedding"] == ref["embedding"]
    u = update_memory(api, owner, m["id"], {"content": "tomatoes need sun"})
    ref2 = create_memory(api, owner, wid, "Astronomy", "tomatoes need sun")
    assert u["embedding"] == ref2["embedding"]
    # the same text sent again (no change) keeps the vector
    u2 = update_memory(api, owner, m["id"], {"title": "Astronomy"})
    assert u2["embedding"] == u["embedding"] and u2["version"] == u["version"] + 1


BAD_UPDATE = [
    ({"title": ""}, {"title": [BLANK]}),
    ({"title": "   "}, {"title": [BLANK]}),
    ({"title": None}, {"title": [NULL]}),
    ({"title": "x" * 256}, {"title": [MAX_TITLE]}),
    ({"content": ""}, {"content": [BLANK]}),
    ({"content": None}, {"content": [NULL]}),
    ({"content": {"a": 1}}, {"content": [NOT_STRING]}),
    ({"tags": "a"}, {"tags": ['Expected a list of items but got type "str".']}),
    ({"tags": ["a", ""]}, {"tags": {"1": [BLANK]}}),
    ({"tags": [1.5, None]}, {"tags": {"1": [NULL]}}),
    ({"metadata": None}, {"metadata": [NULL]}),
    ({"metadata": [1]}, {"metadata": ['Expected a dictionary of items but got type "list".']}),
    ({"title": "fine", "content": "fine", "tags": [""]}, {"tags": {"0": [BLANK]}}),
]


@pytest.mark.parametrize("body,errors", BAD_UPDATE)
def test_update_validation(api, users, team_ws, body, errors):
    owner = users[0]
    m = create_memory(api, owner, team_ws, "Stable", "unchanged", tags=["t"])
    r = api.put("/memories/" + m["id"], body, token=owner.token)
    assert error_of(r, 400) == errors
    # nothing stored, not even the version
    assert get_memory(api, owner, m["id"]) == m


def test_update_malformed_body(api, users, team_ws):
    owner = users[0]
    m = create_memory(api, owner, team_ws, "Stable", "unchanged")
    r = api.put("/memories/" + m["id"], token=owner.token, data=b'{"title": "\xff"}',
                headers={"Content-Type": "application/json"})
    assert error_of(r, 400).startswith("JSON parse error - ")
    assert get_memory(api, owner, m["id"]) == m


def test_reembed(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    m = create_memory(api, owner, wid, "Embed me", "vector space models", tags=["v"],
                      metadata={"m": 1})
    time.sleep(0.002)
    e = reembed(api, owner, m["id"])
    assert e["version"] == 2
    assert parse_ts(e["updatedAt"]) > parse_ts(m["updatedAt"])
    assert e["createdAt"] == m["createdAt"]
    for k in ("title", "content", "snippet", "tags", "metadata", "embedding"):
        assert e[k] == m[k], k
    e2 = reembed(api, owner, m["id"])
    assert e2["version"] == 3 and e2["embedding"] == m["embedding"]
    assert get_memory(api, owner, m["id"]) == e2
    # a body is ignored
    r = api.post("/memories/%s/re-embed" % m["id"], {"embedding": [1] * 384, "version": 1},
                 token=owner.token)
    e3 = check_memory(ok_data(r))
    assert e3["version"] == 4 and e3["embedding"] == m["embedding"]


def test_delete(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    keep = create_memory(api, owner, wid, "Keep", "stays")
    gone = create_memory(api, owner, wid, "Gone", "goes")
    delete_memory(api, owner, gone["id"])
    assert_error(api.get("/memories/" + gone["id"], token=owner.token), 404, MEM_NOT_FOUND)
    assert_error(api.delete("/memories/" + gone["id"], token=owner.token), 404, MEM_NOT_FOUND)
    assert_error(api.put("/memories/" + gone["id"], {}, token=owner.token), 404, MEM_NOT_FOUND)
    assert [m["id"] for m in list_memories(api, owner, wid)[0]] == [keep["id"]]


def test_delete_removes_injection_links(api, users, db):
    owner = users[0]
    wid = workspace(api, owner)
    m1 = create_memory(api, owner, wid, "Injected one", "first")
    m2 = create_memory(api, owner, wid, "Injected two", "second")
    c1 = create_conversation(api, owner, wid)
    c2 = create_conversation(api, owner, wid)
    for c in (c1, c2):
        inject(api, owner, c["id"], m1["id"])
        inject(api, owner, c["id"], m2["id"])
    assert injected(api, owner, c1["id"]) == [m1["id"], m2["id"]]
    delete_memory(api, owner, m1["id"])
    assert injected(api, owner, c1["id"]) == [m2["id"]]
    assert injected(api, owner, c2["id"]) == [m2["id"]]
    d = ok_data(api.get("/mcp/listMemories", token=owner.token,
                        params={"conversation_id": c1["id"]}))
    assert [m["id"] for m in d["memories"]] == [m2["id"]] and d["total"] == 1
    assert db.scalar("SELECT COUNT(*) FROM conversation_memories WHERE memory_id = %s"
                     % db.lit(m1["id"])) == 0
    assert db.scalar("SELECT COUNT(*) FROM memory_tags WHERE memory_id = %s"
                     % db.lit(m1["id"])) == 0
    # re-injecting the deleted memory is refused
    assert_error(api.post("/conversations/%s/inject-memory" % c1["id"], {"memoryId": m1["id"]},
                          token=owner.token), 404, MEM_NOT_FOUND)


def test_workspace_delete_removes_memories(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    mems = [create_memory(api, owner, wid, "W%d" % i, "cascade %d" % i) for i in range(3)]
    ca.delete_workspace(api, owner, wid)
    for m in mems:
        assert_error(api.get("/memories/" + m["id"], token=owner.token), 404, MEM_NOT_FOUND)
    assert_error(api.get(mem_path(wid), token=owner.token), 404, WS_NOT_FOUND)
    assert_error(create_memory_r(api, owner, wid), 404, WS_NOT_FOUND)


def test_wrong_method(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    m = create_memory(api, owner, wid)
    assert_error(api.patch("/memories/" + m["id"], {}, token=owner.token), 405,
                 'Method "PATCH" not allowed.')
    assert_error(api.get("/memories/%s/re-embed" % m["id"], token=owner.token), 405,
                 'Method "GET" not allowed.')
    assert_error(api.delete(mem_path(wid), token=owner.token), 405,
                 'Method "DELETE" not allowed.')


# ------------------------------------------------------------------ access

def test_access_rules(api, users, team_ws):
    owner, researcher, observer, outsider = users
    m = create_memory(api, owner, team_ws, "Shared", "team memory")
    mid = m["id"]
    # every member reads
    for u in (owner, researcher, observer):
        assert get_memory(api, u, mid)["id"] == mid
    # a non-member gets 403 on everything (membership before validation)
    for r in (api.get(mem_path(team_ws), token=outsider.token),
              api.post(mem_path(team_ws), {"title": "x", "content": "y"}, token=outsider.token),
              api.post(mem_path(team_ws), {}, token=outsider.token),
              api.get("/memories/" + mid, token=outsider.token),
              api.put("/memories/" + mid, {"title": "hijack"}, token=outsider.token),
              api.put("/memories/" + mid, {"title": ""}, token=outsider.token),
              api.delete("/memories/" + mid, token=outsider.token),
              api.post("/memories/%s/re-embed" % mid, token=outsider.token)):
        assert_error(r, 403, ACCESS_DENIED)
    # the observer reads but never writes
    before = memory_count(api, owner, team_ws)
    for r in (api.post(mem_path(team_ws), {"title": "x", "content": "y"}, token=observer.token),
              api.post(mem_path(team_ws), {}, token=observer.token),
              api.put("/memories/" + mid, {"title": "observer"}, token=observer.token),
              api.put("/memories/" + mid, {}, token=observer.token),
              api.delete("/memories/" + mid, token=observer.token),
              api.post("/memories/%s/re-embed" % mid, token=observer.token)):
        assert_error(r, 403, READ_ONLY)
    assert memory_count(api, owner, team_ws) == before
    assert get_memory(api, owner, mid) == m
    # a researcher writes
    r_mem = create_memory(api, researcher, team_ws, "By researcher", "hello")
    u = update_memory(api, researcher, mid, {"content": "edited by researcher"})
    assert u["version"] == 2
    assert reembed(api, researcher, mid)["version"] == 3
    delete_memory(api, researcher, r_mem["id"])
    # unknown workspace → 404 (before membership)
    for r in (api.get(mem_path("workspace-000000000000"), token=outsider.token),
              api.post(mem_path("workspace-000000000000"), {"title": "x", "content": "y"},
                       token=outsider.token)):
        assert_error(r, 404, WS_NOT_FOUND)
    # every member lists
    for u in (owner, researcher, observer):
        assert mid in [x["id"] for x in list_memories(api, u, team_ws)[0]]


def test_authentication_required(api, users, team_ws):
    owner = users[0]
    m = create_memory(api, owner, team_ws, "Auth", "needed")
    for method, path in (("GET", mem_path(team_ws)), ("POST", mem_path(team_ws)),
                         ("GET", "/memories/" + m["id"]), ("PUT", "/memories/" + m["id"]),
                         ("DELETE", "/memories/" + m["id"]),
                         ("POST", "/memories/%s/re-embed" % m["id"]),
                         ("POST", "/memories/search")):
        r = api.request(method, path, json_body={"title": "x", "content": "y", "query": "q"})
        assert_error(r, 401, "Authentication credentials were not provided.")
    assert get_memory(api, owner, m["id"]) == m


def test_removed_member_loses_access(api, users):
    owner, researcher = users[0], users[1]
    wid = workspace(api, owner)
    add_member(api, owner, wid, researcher, "researcher")
    m = create_memory(api, researcher, wid, "Mine", "until I leave")
    ok_data(api.delete("/workspaces/%s/team/%s" % (wid, researcher.id), token=owner.token))
    assert_error(api.get("/memories/" + m["id"], token=researcher.token), 403, ACCESS_DENIED)
    assert_error(api.get(mem_path(wid), token=researcher.token), 403, ACCESS_DENIED)
    # the memory stays in the workspace
    assert get_memory(api, owner, m["id"])["id"] == m["id"]


# ------------------------------------------------------------------ list: order, search, paging

def test_list_orders(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    titles = ["delta", "alpha", "charlie", "echo", "bravo"]
    mems = []
    for t in titles:
        mems.append(create_memory(api, owner, wid, t, "content of " + t))
        time.sleep(0.002)
    created_desc = [m["id"] for m in reversed(mems)]
    ids = lambda ms: [m["id"] for m in ms]  # noqa: E731
    assert ids(list_memories(api, owner, wid)[0]) == created_desc
    assert ids(list_memories(api, owner, wid, sortBy="recent")[0]) == created_desc
    # an update moves a memory to the front of "recent" but not of createdAt order
    update_memory(api, owner, mems[1]["id"], {"tags": ["touched"]})
    time.sleep(0.002)
    reembed(api, owner, mems[3]["id"])
    recent = [mems[3]["id"], mems[1]["id"]] + [i for i in created_desc
                                               if i not in (mems[1]["id"], mems[3]["id"])]
    assert ids(list_memories(api, owner, wid)[0]) == recent
    assert ids(list_memories(api, owner, wid, sortBy="recent")[0]) == recent
    by_title = [m["id"] for m in sorted(mems, key=lambda m: m["title"])]
    assert ids(list_memories(api, owner, wid, sortBy="title")[0]) == by_title
    for other in ("created", "relevance", "TITLE", "", "whatever"):
        assert ids(list_memories(api, owner, wid, sortBy=other)[0]) == created_desc, other


def test_list_title_order_code_points(api, users):
    """title ascending compares code points (uppercase before lowercase, ASCII
    before accented letters), ties by id."""
    owner = users[0]
    wid = workspace(api, owner)
    titles = ["beta", "Beta", "alpha", "Zulu", "éclair", "_under", "9lives", "beta"]
    mems = [create_memory(api, owner, wid, t, "x") for t in titles]
    want = [m["id"] for m in sorted(mems, key=lambda m: (m["title"], m["id"]))]
    assert [m["id"] for m in list_memories(api, owner, wid, sortBy="title")[0]] == want


def test_list_search(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    a = create_memory(api, owner, wid, "Rocket Science", "propulsion basics")
    b = create_memory(api, owner, wid, "Cooking", "how to bake a ROCKET-shaped cake")
    c = create_memory(api, owner, wid, "Gardening", "soil and water", tags=["rocket"])
    d = create_memory(api, owner, wid, "100% sure_thing", "back\\slash and 50_50")
    e = create_memory(api, owner, wid, "Ünïcödé Straße", "日本語のテキスト")

    def found(s, **kw):
        return {m["id"] for m in list_memories(api, owner, wid, search=s, **kw)[0]}

    # case-insensitive (ASCII) substring of title or content; tags are not searched
    assert found("rocket") == {a["id"], b["id"]}
    assert found("ROCKET") == {a["id"], b["id"]}
    assert found("rOcKeT-sHaPeD") == {b["id"]}
    assert found("science") == {a["id"]}
    assert found("soil and") == {c["id"]}
    assert found("nothing like this") == set()
    # LIKE wildcards are literal
    assert found("%") == {d["id"]}
    assert found("0% s") == {d["id"]}
    assert found("_") == {d["id"]}
    assert found("c_e") == set()
    assert found("k\\s") == {d["id"]}
    assert found("\\") == {d["id"]}
    assert found("50_50") == {d["id"]}
    # exact-case non-ASCII substrings match on every engine
    assert found("Straße") == {e["id"]}
    assert found("nïcödé Str") == {e["id"]}
    assert found("本語のテ") == {e["id"]}
    # empty search = everything
    assert found("") == {a["id"], b["id"], c["id"], d["id"], e["id"]}
    # with a sort and paging: total is the full match count
    mems, total = list_memories(api, owner, wid, search="o", sortBy="title", limit=2, offset=1)
    every = sorted([m for m in (a, b, c, d, e) if "o" in (m["title"] + " " + m["content"]).lower()],
                   key=lambda m: (m["title"], m["id"]))
    assert total == len(every)
    assert [m["id"] for m in mems] == [m["id"] for m in every[1:3]]


def test_list_relevance(api, users):
    """sortBy=relevance orders the substring matches by cosine similarity to the
    search text: the same order /memories/search gives them."""
    owner = users[0]
    wid = workspace(api, owner)
    texts = [("Solar panels", "solar energy from photovoltaic panels on the roof"),
             ("Wind", "wind turbines generate energy offshore"),
             ("Energy policy", "energy prices and solar subsidies"),
             ("Cats", "cats sleep most of the day"),
             ("Batteries", "storing solar energy in home batteries overnight"),
             ("Energy drinks", "caffeine energy drinks are not solar powered at all")]
    mems = [create_memory(api, owner, wid, t, c) for t, c in texts]
    query = "energy"
    matches = {m["id"] for m in mems if query in m["title"].lower() or query in m["content"]}
    ranked = [i for i in search_ids(api, owner, query, wid) if i in matches]
    assert len(ranked) == len(matches) >= 3
    got, total = list_memories(api, owner, wid, search=query, sortBy="relevance")
    assert [m["id"] for m in got] == ranked and total == len(ranked)
    # paging keeps that order; total stays the match count
    for limit, offset in ((1, 0), (2, 1), (10, 2), (1, len(ranked) - 1), (5, len(ranked))):
        page, total = list_memories(api, owner, wid, search=query, sortBy="relevance",
                                    limit=limit, offset=offset)
        assert [m["id"] for m in page] == ranked[offset:offset + limit], (limit, offset)
        assert total == len(ranked)
    # without a search text, relevance is just "anything else": createdAt desc
    assert [m["id"] for m in list_memories(api, owner, wid, sortBy="relevance")[0]] == \
        [m["id"] for m in reversed(mems)]


def test_list_relevance_ties_and_memories_without_vectors(api, users, db):
    """Equal scores are in the order /memories/search gives them (oldest
    first; the list gave them newest first); matches that have no vector
    (their embedding failed) come after every scored one, in that order too."""
    owner = users[0]
    wid = workspace(api, owner)
    same = [create_memory(api, owner, wid, "Twin", "identical energy text") for _ in range(3)]
    other = create_memory(api, owner, wid, "Other", "energy of another kind entirely")
    t = ca.now_us() - 10_000_000
    bare = []
    for i in range(2):
        mid, sql = db.memory_sql(wid, embedded=False, title="No vector %d" % i,
                                 content="energy without a vector", ts=t + i)
        db.execute(sql)
        bare.append(mid)
    ranked = search_ids(api, owner, "identical energy text", wid)
    assert set(ranked) == {m["id"] for m in same + [other]}, ranked
    assert ranked[:3] == [m["id"] for m in same]          # the twins tie, oldest first

    def listing(search):
        # not list_memories: its check wants a vector on every memory
        d = ok_data(api.get("/workspaces/%s/memories" % wid, token=owner.token,
                            params={"search": search, "sortBy": "relevance"}))
        return [m["id"] for m in d["memories"]], d["total"]

    assert listing("identical energy text") == ([m["id"] for m in same], 3)
    ids, total = listing("energy")
    assert total == 6 and len(ids) == 6
    assert ids[-2:] == bare
    assert ids[:4] == [i for i in search_ids(api, owner, "energy", wid) if i in ids[:4]]


def test_list_paging(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    mems = []
    for i in range(7):
        mems.append(create_memory(api, owner, wid, "Page %d" % i, "paged content %d" % i))
        time.sleep(0.002)
    full = [m["id"] for m in reversed(mems)]
    for sort in ("recent", "title", "other"):
        want = full if sort != "title" else [m["id"] for m in
                                             sorted(mems, key=lambda m: m["title"])]
        for limit, offset in ((1, 0), (3, 0), (3, 3), (3, 6), (5, 7), (1000, 0), (2, 100)):
            page, total = list_memories(api, owner, wid, sortBy=sort, limit=limit, offset=offset)
            assert [m["id"] for m in page] == want[offset:offset + limit], (sort, limit, offset)
            assert total == 7
        page, total = list_memories(api, owner, wid, sortBy=sort, offset=2)
        assert [m["id"] for m in page] == want[2:] and total == 7


@pytest.mark.parametrize("params,errors", [
    ({"limit": "0"}, {"limit": ["Ensure this value is greater than or equal to 1."]}),
    ({"limit": "1001"}, {"limit": ["Ensure this value is less than or equal to 1000."]}),
    ({"limit": "x"}, {"limit": [NOT_INT]}),
    ({"limit": ""}, {"limit": [NOT_INT]}),
    ({"offset": "-1"}, {"offset": ["Ensure this value is greater than or equal to 0."]}),
    ({"offset": "1.5"}, {"offset": [NOT_INT]}),
    ({"limit": "0", "offset": "-1"},
     {"limit": ["Ensure this value is greater than or equal to 1."],
      "offset": ["Ensure this value is greater than or equal to 0."]}),
])
def test_list_paging_validation(api, users, team_ws, params, errors):
    owner = users[0]
    r = api.get(mem_path(team_ws), token=owner.token, params=params)
    assert error_of(r, 400) == errors
