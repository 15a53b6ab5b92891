"""Conversations (API.md §3.6, §3.9, §4, §5.5 endpoints 25-29 and 33-37, §8.5,
§0 D6): create, list, get, update, delete (cascade), memory injection
(inject / toggle / remove), close with its summary memory, reopen, and who
may do what (unknown id → 404, non-member → 403 "Access denied", observer →
403 "Observers have read-only access" on every write but may read).

Messages (send, pin, delete) are in test_messages.py; providers in
test_chat_providers.py. Runs against its own chimerad wired to the fake
provider (chat_helpers.ChatEnv), so echo and real providers both work."""
import time
import uuid

import pytest

import chimera_api as ca
from chat_helpers import (  # noqa: F401  (chat: module fixture)
    ACCESS_DENIED, CONV_NOT_FOUND, READ_ONLY, chat, check_conversation,
    create_conversation, create_memory, get_conversation, inject, list_conversations, send_ok,
    snippet, summary_content, summary_tags, toggle, workspace,
)
from chimera_api import add_member, assert_error, error_of, ok_data, parse_ts, ts_us


@pytest.fixture(scope="module")
def api(chat):
    return chat.api


@pytest.fixture(scope="module")
def users(chat):
    """owner, researcher, observer, outsider (registered once for the module)."""
    return [chat.user("Owner"), chat.user("Researcher"), chat.user("Observer"),
            chat.user("Outsider")]


@pytest.fixture(scope="module")
def ws(api, users):
    owner, researcher, observer, _ = users
    wid = workspace(api, owner)
    add_member(api, owner, wid, researcher, "researcher")
    add_member(api, owner, wid, observer, "observer")
    return wid


def stats(api, user, wid):
    return ok_data(api.get("/workspaces/" + wid, token=user.token))["stats"]


def activities(api, user, wid):
    return ok_data(api.get("/workspaces/%s/activity?limit=1000" % wid,
                           token=user.token))["activities"]


# ------------------------------------------------------------------ create

def test_create_defaults(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    before = stats(api, owner, wid)["totalConversations"]
    t0 = time.time()
    c = check_conversation(create_conversation(api, owner, wid, "model-gpt-4o"))
    t1 = time.time()
    assert c["title"] == "New Conversation"
    assert c["modelId"] == "model-gpt-4o"
    assert c["workspaceId"] == wid
    assert c["messages"] == [] and c["injectedMemories"] == []
    assert c["status"] == "active"
    assert c["createdAt"] == c["updatedAt"]
    assert t0 - 2 <= parse_ts(c["createdAt"]).timestamp() <= t1 + 2
    assert get_conversation(api, owner, c["id"]) == c
    assert stats(api, owner, wid)["totalConversations"] == before + 1
    # Activity conversation_created (§7.4)
    acts = [a for a in activities(api, owner, wid) if a["type"] == "conversation_created"]
    assert len(acts) == 1, acts
    assert acts[0]["message"] == "Conversation 'New Conversation' started"
    assert acts[0]["metadata"] == {"conversationId": c["id"], "conversationTitle": "New Conversation",
                                   "modelId": "model-gpt-4o"}


def test_create_title_trimmed_and_any_model_id(api, users, ws):
    owner = users[0]
    c = create_conversation(api, owner, ws, "  whatever-model  ", title="  My chat \t")
    assert c["title"] == "My chat" and c["modelId"] == "whatever-model", c
    # limits are in code points (this title is 255 code points, 375 bytes)
    title = "ü" * 120 + "a" * 135
    c = create_conversation(api, owner, ws, "é" * 50, title=title)
    assert c["modelId"] == "é" * 50 and c["title"] == title
    assert get_conversation(api, owner, c["id"]) == c


def test_activity_texts_keep_long_unicode_titles(api, users):
    owner = users[0]
    wid = workspace(api, owner)
    title = "a" + "ü" * 254
    c = create_conversation(api, owner, wid, "model-echo", title=title)
    assert c["title"] == title
    d = send_ok(api, owner, c["id"], "hi", ai=False)
    acts = activities(api, owner, wid)
    created = [a for a in acts if a["type"] == "conversation_created"]
    assert [a["message"] for a in created] == ["Conversation '%s' started" % title]
    sent = [a for a in acts if a["type"] == "message_sent"]
    assert [a["message"] for a in sent] == ["Message sent in '%s': hi" % title]
    assert sent[0]["metadata"]["messageId"] == d["userMessage"]["id"]


def test_create_ignores_server_owned_fields(api, users, ws):
    owner, _, _, outsider = users
    other_ws = workspace(api, outsider)
    body = {"modelId": "model-echo", "id": "conv-000000000000", "workspaceId": other_ws,
            "status": "archived", "createdAt": "2001-01-01T00:00:00Z", "messages": [{"x": 1}],
            "injectedMemories": [{"id": "memory-000000000000", "isActive": True}]}
    c = check_conversation(ok_data(api.post("/workspaces/%s/conversations" % ws, body,
                                            token=owner.token), 201))
    assert c["id"] != "conv-000000000000" and c["workspaceId"] == ws
    assert c["status"] == "active" and c["messages"] == [] and c["injectedMemories"] == []
    assert parse_ts(c["createdAt"]).year > 2001


REQUIRED = "This field is required."
BLANK = "This field may not be blank."
NULL = "This field may not be null."


@pytest.mark.parametrize("body,errors", [
    ({}, {"modelId": [REQUIRED]}),
    ({"title": "x"}, {"modelId": [REQUIRED]}),
    ({"modelId": ""}, {"modelId": [BLANK]}),
    ({"modelId": " \t\n"}, {"modelId": [BLANK]}),
    ({"modelId": None}, {"modelId": [NULL]}),
    ({"modelId": "m" * 51}, {"modelId": ["Ensure this field has no more than 50 characters."]}),
    ({"modelId": "m", "title": ""}, {"title": [BLANK]}),
    ({"modelId": "m", "title": "   "}, {"title": [BLANK]}),
    ({"modelId": "m", "title": None}, {"title": [NULL]}),
    ({"modelId": "m", "title": "t" * 256},
     {"title": ["Ensure this field has no more than 255 characters."]}),
    ({"modelId": "", "title": ""}, {"modelId": [BLANK], "title": [BLANK]}),
])
def test_create_validation(api, users, ws, body, errors):
    owner = users[0]
    before = len(list_conversations(api, owner, ws))
    r = api.post("/workspaces/%s/conversations" % ws, body, token=owner.token)
    assert error_of(r, 400) == errors
    assert len(list_conversations(api, owner, ws)) == before


def test_create_non_object_and_malformed_body(api, users, ws):
    owner = users[0]
    for raw in (b"[1, 2]", b'"text"', b"42"):
        r = api.post("/workspaces/%s/conversations" % ws, data=raw, token=owner.token,
                     headers={"Content-Type": "application/json"})
        error_of(r, 400)
    r = api.post("/workspaces/%s/conversations" % ws, data=b'{"modelId": ', token=owner.token,
                 headers={"Content-Type": "application/json"})
    err = error_of(r, 400)
    assert isinstance(err, str) and err.startswith("JSON parse error - "), err


def test_create_in_unknown_and_foreign_workspace(api, users, ws):
    owner, _, observer, outsider = users
    assert_error(api.post("/workspaces/workspace-000000000000/conversations", {"modelId": "m"},
                          token=owner.token), 404, "Workspace not found")
    assert_error(api.get("/workspaces/workspace-000000000000/conversations", token=owner.token),
                 404, "Workspace not found")
    assert_error(api.post("/workspaces/%s/conversations" % ws, {"modelId": "m"},
                          token=outsider.token), 403, ACCESS_DENIED)
    assert_error(api.get("/workspaces/%s/conversations" % ws, token=outsider.token),
                 403, ACCESS_DENIED)
    # observer: read-only, checked before the body (D6)
    assert_error(api.post("/workspaces/%s/conversations" % ws, {"modelId": "m"},
                          token=observer.token), 403, READ_ONLY)
    assert_error(api.post("/workspaces/%s/conversations" % ws, {}, token=observer.token),
                 403, READ_ONLY)
    # no token at all
    r = api.post("/workspaces/%s/conversations" % ws, {"modelId": "m"})
    assert error_of(r, 401) == "Authentication credentials were not provided."


# ------------------------------------------------------------------ list and get

def test_list_items_counts_and_order(api, users):
    owner, researcher = users[0], users[1]
    wid = workspace(api, owner)
    add_member(api, owner, wid, researcher)
    a = create_conversation(api, owner, wid, title="A")
    b = create_conversation(api, researcher, wid, title="B")
    c = create_conversation(api, owner, wid, title="C")
    send_ok(api, owner, a["id"], "one")                         # 2 messages (echo)
    send_ok(api, researcher, b["id"], "two", ai=False)          # 1 message
    mem = create_memory(api, owner, wid, "M", "memory body")
    inject(api, owner, c["id"], mem["id"])
    items = list_conversations(api, researcher, wid)
    assert [i["id"] for i in items] == [b["id"], a["id"], c["id"]], items
    by_id = {i["id"]: i for i in items}
    assert by_id[a["id"]]["messageCount"] == 2
    assert by_id[b["id"]]["messageCount"] == 1
    assert by_id[c["id"]]["messageCount"] == 0
    assert by_id[c["id"]]["injectedMemories"] == [{"id": mem["id"], "isActive": True}]
    for item in items:
        full = get_conversation(api, owner, item["id"])
        for k in ("workspaceId", "title", "modelId", "status", "createdAt", "updatedAt"):
            assert item[k] == full[k], (k, item, full)
        assert item["messageCount"] == len(full["messages"])
        assert item["injectedMemories"] == full["injectedMemories"]
        assert item["lastUpdated"] == full["updatedAt"]
    stamps = [ts_us(i["updatedAt"]) for i in items]
    assert stamps == sorted(stamps, reverse=True)
    # another workspace lists none of them
    other = workspace(api, owner)
    assert list_conversations(api, owner, other) == []


def test_get_messages_oldest_first(api, users, ws):
    owner, researcher = users[0], users[1]
    c = create_conversation(api, owner, ws)
    sent = []
    for i in range(4):
        who = owner if i % 2 == 0 else researcher
        d = send_ok(api, who, c["id"], "message %d" % i, ai=(i % 2 == 0))
        sent.append(d["userMessage"])
        if "assistantMessage" in d:
            sent.append(d["assistantMessage"])
    got = get_conversation(api, researcher, c["id"])
    assert got["messages"] == sent
    assert [m["role"] for m in got["messages"]] == ["user", "assistant", "user", "user",
                                                    "assistant", "user"]


@pytest.mark.parametrize("who", [0, 3], ids=["member", "outsider"])
def test_unknown_conversation_is_404_everywhere(api, users, who):
    owner = users[who]
    cid = "conv-" + uuid.uuid4().hex[:12]
    calls = [("GET", "", None), ("PUT", "", {"title": "x"}), ("DELETE", "", None),
             ("POST", "/messages", {"content": "x"}),
             ("PUT", "/messages/msg-000000000000", {"isPinned": True}),
             ("DELETE", "/messages/msg-000000000000", None),
             ("POST", "/inject-memory", {"memoryId": "memory-000000000000"}),
             ("DELETE", "/inject-memory/memory-000000000000", None),
             ("PUT", "/inject-memory/memory-000000000000/toggle", None),
             ("POST", "/close", None), ("POST", "/reopen", None)]
    for method, suffix, body in calls:
        r = api.request(method, "/conversations/" + cid + suffix,
                        json_body=body if body is not None else {}, token=owner.token)
        assert_error(r, 404, CONV_NOT_FOUND)


# ------------------------------------------------------------------ update

def test_update_title_and_status(api, users, ws):
    owner, researcher = users[0], users[1]
    c = create_conversation(api, owner, ws)
    prev = ts_us(c["updatedAt"])
    for body, title, status in [({"title": "  Renamed  "}, "Renamed", "active"),
                                ({"status": "completed"}, "Renamed", "completed"),
                                ({"status": "archived", "title": "T2"}, "T2", "archived"),
                                ({"status": "active"}, "T2", "active"),
                                ({}, "T2", "active"),
                                ({"title": "é" * 255, "modelId": "ignored"}, "é" * 255, "active")]:
        got = check_conversation(ok_data(api.put("/conversations/" + c["id"], body,
                                                 token=researcher.token)))
        assert (got["title"], got["status"]) == (title, status), (body, got)
        assert got["modelId"] == c["modelId"] and got["createdAt"] == c["createdAt"]
        assert ts_us(got["updatedAt"]) > prev, "PUT bumps updatedAt"
        prev = ts_us(got["updatedAt"])
        assert get_conversation(api, owner, c["id"]) == got


@pytest.mark.parametrize("body,errors", [
    ({"title": ""}, {"title": [BLANK]}),
    ({"title": " \n "}, {"title": [BLANK]}),
    ({"title": None}, {"title": [NULL]}),
    ({"title": "x" * 256}, {"title": ["Ensure this field has no more than 255 characters."]}),
    ({"status": "closed"}, {"status": ['"closed" is not a valid choice.']}),
    ({"status": "Active"}, {"status": ['"Active" is not a valid choice.']}),
    # DRF's ChoiceField says '"" is not a valid choice.'; "may not be blank" is as clear
    ({"status": ""}, [{"status": ['"" is not a valid choice.']}, {"status": [BLANK]}]),
    ({"status": None}, {"status": [NULL]}),
    ({"title": "", "status": "x"}, {"title": [BLANK], "status": ['"x" is not a valid choice.']}),
])
def test_update_validation(api, users, ws, body, errors):
    owner = users[0]
    c = create_conversation(api, owner, ws, title="Keep")
    got = error_of(api.put("/conversations/" + c["id"], body, token=owner.token), 400)
    assert got in (errors if isinstance(errors, list) else [errors]), got
    assert get_conversation(api, owner, c["id"]) == c


# ------------------------------------------------------------------ delete

def test_delete_cascades(chat, api, users):
    owner, researcher = users[0], users[1]
    wid = workspace(api, owner)
    add_member(api, owner, wid, researcher)
    c = create_conversation(api, owner, wid)
    keep = create_conversation(api, owner, wid)
    for i in range(3):
        send_ok(api, owner, c["id"], "m%d" % i)
    send_ok(api, owner, keep["id"], "kept")
    m1 = create_memory(api, owner, wid, "M1", "first")
    m2 = create_memory(api, owner, wid, "M2", "second")
    inject(api, owner, c["id"], m1["id"])
    inject(api, owner, c["id"], m2["id"])
    inject(api, owner, keep["id"], m1["id"])
    db = chat.db
    cid = db.lit(c["id"])
    assert db.scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = %s" % cid) == 6
    assert db.scalar("SELECT COUNT(*) FROM conversation_memories WHERE conversation_id = %s"
                     % cid) == 2
    n_before = stats(api, owner, wid)["totalConversations"]
    d = ok_data(api.delete("/conversations/" + c["id"], token=researcher.token))
    assert d == {"message": "Conversation deleted successfully"}
    assert_error(api.get("/conversations/" + c["id"], token=owner.token), 404, CONV_NOT_FOUND)
    assert_error(api.delete("/conversations/" + c["id"], token=owner.token), 404, CONV_NOT_FOUND)
    assert db.scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = %s" % cid) == 0
    assert db.scalar("SELECT COUNT(*) FROM conversation_memories WHERE conversation_id = %s"
                     % cid) == 0
    assert db.scalar("SELECT COUNT(*) FROM conversations WHERE id = %s" % cid) == 0
    # the memories and the other conversation are untouched
    for m in (m1, m2):
        assert ok_data(api.get("/memories/" + m["id"], token=owner.token))["id"] == m["id"]
    k = get_conversation(api, owner, keep["id"])
    assert len(k["messages"]) == 2 and k["injectedMemories"] == [{"id": m1["id"], "isActive": True}]
    assert [i["id"] for i in list_conversations(api, owner, wid)] == [keep["id"]]
    assert stats(api, owner, wid)["totalConversations"] == n_before - 1
    assert db.orphans() == {}


def test_deleting_workspace_removes_its_conversations(chat, api, users):
    owner = users[0]
    wid = workspace(api, owner)
    c = create_conversation(api, owner, wid)
    send_ok(api, owner, c["id"], "bye")
    ok_data(api.delete("/workspaces/" + wid, token=owner.token))
    assert_error(api.get("/conversations/" + c["id"], token=owner.token), 404, CONV_NOT_FOUND)
    assert chat.db.scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = %s"
                          % chat.db.lit(c["id"])) == 0


# ------------------------------------------------------------------ memory injection

def test_inject_toggle_remove(api, users, ws):
    owner, researcher = users[0], users[1]
    c = create_conversation(api, owner, ws)
    mems = [create_memory(api, owner, ws, "Mem %d" % i, "content %d" % i) for i in range(3)]
    updated = c["updatedAt"]
    # injection order is insertion order; re-injecting is idempotent
    inject(api, researcher, c["id"], mems[2]["id"])
    inject(api, owner, c["id"], mems[0]["id"])
    inject(api, owner, c["id"], mems[2]["id"])
    got = get_conversation(api, owner, c["id"])
    assert got["injectedMemories"] == [{"id": mems[2]["id"], "isActive": True},
                                       {"id": mems[0]["id"], "isActive": True}]
    # toggle flips; re-injecting a paused link keeps it paused
    assert toggle(api, owner, c["id"], mems[2]["id"])["isActive"] is False
    inject(api, owner, c["id"], mems[2]["id"])
    got = get_conversation(api, owner, c["id"])
    assert got["injectedMemories"] == [{"id": mems[2]["id"], "isActive": False},
                                       {"id": mems[0]["id"], "isActive": True}]
    assert toggle(api, researcher, c["id"], mems[2]["id"]) == {
        "memoryId": mems[2]["id"], "isActive": True, "message": "Memory activated"}
    assert toggle(api, researcher, c["id"], mems[0]["id"]) == {
        "memoryId": mems[0]["id"], "isActive": False, "message": "Memory paused"}
    # remove, then re-inject: active again, at the end
    d = ok_data(api.delete("/conversations/%s/inject-memory/%s" % (c["id"], mems[2]["id"]),
                           token=owner.token))
    assert d == {"message": "Memory removed successfully"}
    assert_error(api.delete("/conversations/%s/inject-memory/%s" % (c["id"], mems[2]["id"]),
                            token=owner.token), 404, "Memory injection not found")
    assert_error(api.put("/conversations/%s/inject-memory/%s/toggle" % (c["id"], mems[2]["id"]),
                         token=owner.token), 404, "Memory injection not found")
    inject(api, owner, c["id"], mems[2]["id"])
    inject(api, owner, c["id"], mems[1]["id"])
    got = get_conversation(api, owner, c["id"])
    assert got["injectedMemories"] == [{"id": mems[0]["id"], "isActive": False},
                                       {"id": mems[2]["id"], "isActive": True},
                                       {"id": mems[1]["id"], "isActive": True}]
    # §3.6: inject / toggle / remove do not bump updatedAt
    assert got["updatedAt"] == updated
    # the list shows the same links
    item = [i for i in list_conversations(api, owner, ws) if i["id"] == c["id"]][0]
    assert item["injectedMemories"] == got["injectedMemories"]


def test_inject_errors(api, users, ws):
    owner, _, _, outsider = users
    c = create_conversation(api, owner, ws)
    url = "/conversations/%s/inject-memory" % c["id"]
    for body in ({}, {"memoryId": ""}, {"memoryId": None}, {"other": "memory-000000000000"}):
        assert_error(api.post(url, body, token=owner.token), 400, "memoryId required")
    assert_error(api.post(url, {"memoryId": "memory-000000000000"}, token=owner.token),
                 404, "Memory not found")
    # a memory of another workspace (even one the caller owns) is not found here
    own_other = workspace(api, owner)
    m_own = create_memory(api, owner, own_other, "Elsewhere", "not here")
    assert_error(api.post(url, {"memoryId": m_own["id"]}, token=owner.token), 404, "Memory not found")
    foreign = workspace(api, outsider)
    m_foreign = create_memory(api, outsider, foreign, "Foreign", "secret")
    assert_error(api.post(url, {"memoryId": m_foreign["id"]}, token=owner.token),
                 404, "Memory not found")
    assert get_conversation(api, owner, c["id"])["injectedMemories"] == []
    # a memory of this workspace that is not injected
    m = create_memory(api, owner, ws, "Here", "but not injected")
    assert_error(api.put(url + "/%s/toggle" % m["id"], token=owner.token), 404,
                 "Memory injection not found")
    assert_error(api.delete(url + "/" + m["id"], token=owner.token), 404,
                 "Memory injection not found")


def test_deleting_memory_removes_its_injections(api, users, ws):
    owner = users[0]
    c = create_conversation(api, owner, ws)
    m1 = create_memory(api, owner, ws, "Gone", "soon deleted")
    m2 = create_memory(api, owner, ws, "Stays", "kept")
    inject(api, owner, c["id"], m1["id"])
    inject(api, owner, c["id"], m2["id"])
    ok_data(api.delete("/memories/" + m1["id"], token=owner.token))
    assert get_conversation(api, owner, c["id"])["injectedMemories"] == [
        {"id": m2["id"], "isActive": True}]


# ------------------------------------------------------------------ close and reopen

def test_close_without_messages(chat, api, users, ws):
    owner = users[0]
    c = create_conversation(api, owner, ws, title="Empty")
    count = "SELECT COUNT(*) FROM memories WHERE workspace_id = %s" % chat.db.lit(ws)
    mems_before = chat.db.scalar(count)
    d = ok_data(api.post("/conversations/%s/close" % c["id"], token=owner.token))
    assert set(d) == {"conversation", "memory", "message"}, d
    assert d["message"] == "Conversation closed and summarized successfully"
    assert d["memory"] is None
    conv = check_conversation(d["conversation"])
    assert conv["status"] == "completed"
    assert ts_us(conv["updatedAt"]) > ts_us(c["updatedAt"])
    assert get_conversation(api, owner, c["id"]) == conv
    assert chat.db.scalar(count) == mems_before


def check_summary_memory(api, user, wid, conv, memory_ref):
    msgs = conv["messages"]
    content = summary_content(msgs)
    assert set(memory_ref) == {"id", "title", "snippet"}, memory_ref
    assert memory_ref["title"] == conv["title"]
    assert memory_ref["snippet"] == snippet(content)
    m = ok_data(api.get("/memories/" + memory_ref["id"], token=user.token))
    assert m["workspaceId"] == wid
    assert m["title"] == conv["title"]
    assert m["content"] == content
    assert m["snippet"] == snippet(content)
    assert m["tags"] == summary_tags(content), (m["tags"], content)
    assert m["version"] == 1
    md = m["metadata"]
    for k, v in {"source": "conversation", "conversation_id": conv["id"],
                 "conversation_title": conv["title"], "model_used": conv["modelId"],
                 "message_count": len(msgs), "auto_summarized": True,
                 "conversationId": conv["id"], "modelUsed": conv["modelId"]}.items():
        assert md.get(k) == v, (k, md)
    assert isinstance(md.get("closed_at"), str) and md["closed_at"][:4].isdigit(), md
    return m


def test_close_creates_summary_memory(api, users, ws):
    owner, researcher = users[0], users[1]
    c = create_conversation(api, owner, ws, "model-gpt4o", title="Design review")
    send_ok(api, owner, c["id"], "I prefer Python for the backend API", ai=False)
    send_ok(api, researcher, c["id"], "The team must ship the React interface")
    acts_before = len(activities(api, owner, ws))
    d = ok_data(api.post("/conversations/%s/close" % c["id"], token=researcher.token))
    assert d["message"] == "Conversation closed and summarized successfully"
    conv = check_conversation(d["conversation"])
    assert conv["status"] == "completed" and len(conv["messages"]) == 3
    m = check_summary_memory(api, owner, ws, conv, d["memory"])
    assert m["tags"][:-2] == ["preference", "programming", "design", "backend", "frontend",
                              "team", "important"], m["tags"]
    assert m["content"].startswith("User: I prefer Python for the backend API\n\nUser: The team")
    assert "\n\nAssistant: [Echo Mode] Received: The team must ship" in m["content"]
    # §8.5: no activity for the summary memory
    assert len(activities(api, owner, ws)) == acts_before
    # closing again creates a second memory
    d2 = ok_data(api.post("/conversations/%s/close" % c["id"], token=owner.token))
    assert d2["memory"]["id"] != d["memory"]["id"]
    check_summary_memory(api, owner, ws, check_conversation(d2["conversation"]), d2["memory"])


def test_close_general_tag_and_long_snippet(api, users, ws):
    owner = users[0]
    c = create_conversation(api, owner, ws, title="Chit chat")
    send_ok(api, owner, c["id"], "hello " * 40, ai=False)
    d = ok_data(api.post("/conversations/%s/close" % c["id"], token=owner.token))
    m = check_summary_memory(api, owner, ws, check_conversation(d["conversation"]), d["memory"])
    assert m["tags"] == ["general", "conversation-summary", "auto-generated"]
    assert m["snippet"].endswith("...") and len(m["snippet"]) == 153


def test_reopen_and_send_on_completed(api, users, ws):
    owner = users[0]
    c = create_conversation(api, owner, ws)
    closed = ok_data(api.post("/conversations/%s/close" % c["id"], token=owner.token))["conversation"]
    # sending works on any status and does not change it
    send_ok(api, owner, c["id"], "still talking")
    got = get_conversation(api, owner, c["id"])
    assert got["status"] == "completed" and len(got["messages"]) == 2
    d = ok_data(api.post("/conversations/%s/reopen" % c["id"], token=owner.token))
    assert set(d) == {"conversation", "message"}, d
    assert d["message"] == "Conversation reopened successfully"
    conv = check_conversation(d["conversation"])
    assert conv["status"] == "active"
    assert ts_us(conv["updatedAt"]) > ts_us(closed["updatedAt"])
    assert conv["messages"] == got["messages"]
    # reopening an active conversation is harmless
    assert ok_data(api.post("/conversations/%s/reopen" % c["id"],
                            token=owner.token))["conversation"]["status"] == "active"


# ------------------------------------------------------------------ roles (D6)

def test_outsider_gets_403_everywhere(api, users, ws):
    owner, _, _, outsider = users
    c = create_conversation(api, owner, ws)
    msg = send_ok(api, owner, c["id"], "hi", ai=False)["userMessage"]
    mem = create_memory(api, owner, ws, "M", "c")
    inject(api, owner, c["id"], mem["id"])
    before = get_conversation(api, owner, c["id"])
    cid = c["id"]
    calls = [("GET", "/conversations/" + cid, None),
             ("PUT", "/conversations/" + cid, {"title": "x"}),
             ("DELETE", "/conversations/" + cid, None),
             ("POST", "/conversations/%s/messages" % cid, {"content": "x"}),
             ("PUT", "/conversations/%s/messages/%s" % (cid, msg["id"]), {"isPinned": True}),
             ("DELETE", "/conversations/%s/messages/%s" % (cid, msg["id"]), None),
             ("POST", "/conversations/%s/inject-memory" % cid, {"memoryId": mem["id"]}),
             ("DELETE", "/conversations/%s/inject-memory/%s" % (cid, mem["id"]), None),
             ("PUT", "/conversations/%s/inject-memory/%s/toggle" % (cid, mem["id"]), None),
             ("POST", "/conversations/%s/close" % cid, None),
             ("POST", "/conversations/%s/reopen" % cid, None)]
    for method, path, body in calls:
        r = api.request(method, path, json_body=body if body is not None else {},
                        token=outsider.token)
        assert_error(r, 403, ACCESS_DENIED)
    after = get_conversation(api, owner, cid)
    assert after == before
    assert after["messages"] == [msg] and after["status"] == "active"
    assert after["injectedMemories"] == [{"id": mem["id"], "isActive": True}]


def test_observer_reads_but_never_writes(chat, api, users, ws):
    owner, _, observer, _ = users
    c = create_conversation(api, owner, ws)
    msg = send_ok(api, owner, c["id"], "hi", ai=False)["userMessage"]
    mem = create_memory(api, owner, ws, "M", "c")
    mem2 = create_memory(api, owner, ws, "M2", "c2")
    inject(api, owner, c["id"], mem["id"])
    before = get_conversation(api, owner, c["id"])
    # reads
    assert get_conversation(api, observer, c["id"]) == before
    assert c["id"] in [i["id"] for i in list_conversations(api, observer, ws)]
    cid = c["id"]
    writes = [("PUT", "/conversations/" + cid, {"title": "x"}),
              ("PUT", "/conversations/" + cid, {}),
              ("DELETE", "/conversations/" + cid, None),
              ("POST", "/conversations/%s/messages" % cid, {"content": "x"}),
              ("POST", "/conversations/%s/messages" % cid, {"content": "x", "getAiResponse": False}),
              ("POST", "/conversations/%s/messages" % cid, {}),
              ("PUT", "/conversations/%s/messages/%s" % (cid, msg["id"]), {"isPinned": True}),
              ("DELETE", "/conversations/%s/messages/%s" % (cid, msg["id"]), None),
              ("POST", "/conversations/%s/inject-memory" % cid, {"memoryId": mem2["id"]}),
              ("POST", "/conversations/%s/inject-memory" % cid, {}),
              ("DELETE", "/conversations/%s/inject-memory/%s" % (cid, mem["id"]), None),
              ("PUT", "/conversations/%s/inject-memory/%s/toggle" % (cid, mem["id"]), None),
              ("POST", "/conversations/%s/close" % cid, None),
              ("POST", "/conversations/%s/reopen" % cid, None),
              ("POST", "/workspaces/%s/conversations" % ws, {"modelId": "model-echo"})]
    n_conv = len(list_conversations(api, owner, ws))
    for method, path, body in writes:
        r = api.request(method, path, json_body=body if body is not None else {},
                        token=observer.token)
        assert_error(r, 403, READ_ONLY)
    assert get_conversation(api, owner, cid) == before
    assert len(list_conversations(api, owner, ws)) == n_conv
    # a closed conversation: observer cannot reopen either
    ok_data(api.post("/conversations/%s/close" % cid, token=owner.token))
    assert_error(api.post("/conversations/%s/reopen" % cid, token=observer.token), 403, READ_ONLY)
    assert get_conversation(api, observer, cid)["status"] == "completed"


def test_researcher_may_do_everything_but_only_in_its_workspace(api, users, ws):
    owner, researcher = users[0], users[1]
    c = create_conversation(api, researcher, ws, title="By researcher")
    assert c["workspaceId"] == ws
    send_ok(api, researcher, c["id"], "hello")
    ok_data(api.put("/conversations/" + c["id"], {"title": "Renamed"}, token=researcher.token))
    ok_data(api.post("/conversations/%s/close" % c["id"], token=researcher.token))
    ok_data(api.post("/conversations/%s/reopen" % c["id"], token=researcher.token))
    ok_data(api.delete("/conversations/" + c["id"], token=researcher.token))
    # a workspace the researcher does not belong to
    other = workspace(api, owner)
    c2 = create_conversation(api, owner, other)
    assert_error(api.get("/conversations/" + c2["id"], token=researcher.token), 403, ACCESS_DENIED)


def test_member_removed_loses_access(api, users):
    owner, researcher = users[0], users[1]
    wid = workspace(api, owner)
    add_member(api, owner, wid, researcher)
    c = create_conversation(api, owner, wid)
    assert get_conversation(api, researcher, c["id"])["id"] == c["id"]
    ok_data(api.delete("/workspaces/%s/team/%s" % (wid, researcher.id), token=owner.token))
    assert_error(api.get("/conversations/" + c["id"], token=researcher.token), 403, ACCESS_DENIED)
    assert_error(api.post("/conversations/%s/messages" % c["id"], {"content": "x"},
                          token=researcher.token), 403, ACCESS_DENIED)


def test_legacy_chat_is_gone(api, users):
    r = api.post("/chat", {"message": "hi"}, token=users[0].token)
    err = error_of(r, 410)
    assert isinstance(err, str) and "/conversations/" in err and "messages" in err, err


def test_conversation_ids_are_distinct(api, users, ws):
    owner = users[0]
    ids = {create_conversation(api, owner, ws)["id"] for _ in range(20)}
    assert len(ids) == 20
    for i in ids:
        assert ca.id_re("conv").match(i)
