"""Messages (API.md §3.7, §5.5 endpoints 30-32, §6.2 routing, §6.4 echo):
send (validation, getAiResponse, the echo reply and its metadata, which
model ids need an integration and the 400 that carries the stored user
message), pin / unpin, delete, and updatedAt bookkeeping.

Real providers are exercised in test_chat_providers.py; this module only
needs them for "the caller's own connected integration" rules."""
import time

import pytest

from chat_helpers import (  # noqa: F401  (chat, fake: fixtures)
    ACCESS_DENIED, CONV_NOT_FOUND, MODEL_FOR, READ_ONLY, chat, check_message, create_conversation,
    create_integration, echo_reply, fake, get_conversation, list_conversations, new_key, pin, send,
    send_failure, send_ok, workspace,
)
from chimera_api import add_member, assert_error, error_of, ok_data, parse_ts, ts_us


@pytest.fixture(scope="module")
def api(chat):
    return chat.api


@pytest.fixture(scope="module")
def owner(chat):
    return chat.user("Msg owner")


@pytest.fixture(scope="module")
def ws(api, owner):
    return workspace(api, owner)


@pytest.fixture
def conv(api, owner, ws):
    return create_conversation(api, owner, ws, "model-echo")


def messages(api, user, cid):
    return get_conversation(api, user, cid)["messages"]


# ------------------------------------------------------------------ echo

def test_send_echo_reply_and_metadata(api, owner, conv):
    cid = conv["id"]
    t0 = time.time()
    d = send_ok(api, owner, cid, "  Hello  there\tworld \n")
    t1 = time.time()
    u, a = d["userMessage"], d["assistantMessage"]
    assert u["role"] == "user" and u["content"] == "Hello  there\tworld"
    assert u["isPinned"] is False and u["metadata"] == {}
    assert a["role"] == "assistant" and a["isPinned"] is False
    assert a["content"] == echo_reply("Hello  there\tworld")
    md = a["metadata"]
    assert set(md) == {"tokens", "model_version", "provider", "responseTimeMs"}, md
    assert md["tokens"] == 3 and md["model_version"] == "echo" and md["provider"] == "echo"
    assert isinstance(md["responseTimeMs"], int) and not isinstance(md["responseTimeMs"], bool)
    assert 0 <= md["responseTimeMs"] < 10000
    assert ts_us(u["timestamp"]) < ts_us(a["timestamp"])
    assert t0 - 2 <= parse_ts(u["timestamp"]).timestamp() <= t1 + 2
    got = get_conversation(api, owner, cid)
    assert got["messages"] == [u, a]
    assert ts_us(got["updatedAt"]) >= ts_us(a["timestamp"]) > ts_us(conv["updatedAt"])


@pytest.mark.parametrize("model_id,name", [
    ("model-echo", "echo"), ("echo", "echo"), ("model-gpt4o", "gpt4o"),
    ("gemini-pro", "gemini-pro"), ("model-llama-3-70b", "llama-3-70b"),
    ("mixtral-8x7b", "mixtral-8x7b"), ("model-model-unknown", "unknown"),
    ("xmodel-y", "xy"), ("MODEL-gpt-4o", "MODEL-gpt-4o"), ("model-ünï", "ünï"),
])
def test_unknown_models_route_to_echo(api, owner, ws, model_id, name):
    c = create_conversation(api, owner, ws, model_id)
    d = send_ok(api, owner, c["id"], "ping pong")
    md = d["assistantMessage"]["metadata"]
    assert (md["provider"], md["model_version"], md["tokens"]) == ("echo", name, 2), md
    assert d["assistantMessage"]["content"] == echo_reply("ping pong")


def test_echo_tokens_count_whitespace_separated_words(api, owner, conv):
    for text, words in [("one", 1), ("a b  c\td\ne", 5), ("ünïcödé wörds ✓", 3),
                        ("x" * 5000, 1)]:
        d = send_ok(api, owner, conv["id"], text)
        assert d["assistantMessage"]["metadata"]["tokens"] == words, text[:20]
        assert d["assistantMessage"]["content"] == echo_reply(text)


def test_get_ai_response_false_stores_only_the_user_message(api, owner, conv):
    cid = conv["id"]
    for value in (False, "false", "False", "0", 0, "no", "off", "f", "n"):
        r = send(api, owner, cid, "quiet %r" % (value,), ai=value)
        d = ok_data(r, 201)
        assert set(d) == {"userMessage"}, (value, d)
    for value in (True, "true", "1", 1, "yes", "on", "t", "y"):
        d = ok_data(send(api, owner, cid, "loud", ai=value), 201)
        assert set(d) == {"userMessage", "assistantMessage"}, (value, d)
    # absent → default true
    d = ok_data(send(api, owner, cid, "default", ai=None), 201)
    assert set(d) == {"userMessage", "assistantMessage"}
    msgs = messages(api, owner, cid)
    assert [m["role"] for m in msgs] == ["user"] * 9 + ["user", "assistant"] * 9


def test_role_is_validated_but_ignored(api, owner, conv):
    for role in ("user", "assistant", "system"):
        d = ok_data(send(api, owner, conv["id"], "as " + role, ai=False, role=role), 201)
        assert d["userMessage"]["role"] == "user"
    assert [m["role"] for m in messages(api, owner, conv["id"])] == ["user"] * 3


BLANK = "This field may not be blank."
NULL = "This field may not be null."


@pytest.mark.parametrize("body,errors", [
    ({}, {"content": ["This field is required."]}),
    ({"getAiResponse": False}, {"content": ["This field is required."]}),
    ({"content": ""}, {"content": [BLANK]}),
    ({"content": " \t\n "}, {"content": [BLANK]}),
    ({"content": None}, {"content": [NULL]}),
    ({"content": "x", "getAiResponse": "maybe"}, {"getAiResponse": ["Must be a valid boolean."]}),
    ({"content": "x", "getAiResponse": 2}, {"getAiResponse": ["Must be a valid boolean."]}),
    ({"content": "x", "getAiResponse": None}, {"getAiResponse": [NULL]}),
    ({"content": "x", "getAiResponse": []}, {"getAiResponse": ["Must be a valid boolean."]}),
    ({"content": "x", "role": "robot"}, {"role": ['"robot" is not a valid choice.']}),
    ({"content": "x", "role": None}, {"role": [NULL]}),
    ({"content": "", "role": "robot"},
     {"content": [BLANK], "role": ['"robot" is not a valid choice.']}),
])
def test_send_validation(api, owner, conv, body, errors):
    r = api.post("/conversations/%s/messages" % conv["id"], body, token=owner.token)
    assert error_of(r, 400) == errors
    got = get_conversation(api, owner, conv["id"])
    assert got["messages"] == [] and got["updatedAt"] == conv["updatedAt"]


def test_send_non_object_or_malformed_body(api, owner, conv):
    for raw in (b"[]", b'"hi"', b"null"):
        r = api.post("/conversations/%s/messages" % conv["id"], data=raw, token=owner.token,
                     headers={"Content-Type": "application/json"})
        error_of(r, 400)
    r = api.post("/conversations/%s/messages" % conv["id"], data=b'{"content": "x"',
                 token=owner.token, headers={"Content-Type": "application/json"})
    err = error_of(r, 400)
    assert err.startswith("JSON parse error - "), err
    assert messages(api, owner, conv["id"]) == []


def test_send_activity(api, owner, ws):
    c = create_conversation(api, owner, ws, title="Chatty")
    long_text = "L" * 60
    d = send_ok(api, owner, c["id"], long_text)
    acts = ok_data(api.get("/workspaces/%s/activity?limit=1000" % ws,
                           token=owner.token))["activities"]
    sent = [a for a in acts if a["type"] == "message_sent"
            and a["metadata"].get("conversationId") == c["id"]]
    assert len(sent) == 2, sent
    by_role = {a["metadata"]["role"]: a for a in sent}
    u, a = d["userMessage"], d["assistantMessage"]
    assert by_role["user"]["metadata"] == {"conversationId": c["id"], "messageId": u["id"],
                                           "role": "user"}
    assert by_role["user"]["message"] == "Message sent in 'Chatty': " + "L" * 50 + "..."
    assert by_role["assistant"]["metadata"] == {"conversationId": c["id"], "messageId": a["id"],
                                                "role": "assistant"}
    assert by_role["assistant"]["message"] == ("Message sent in 'Chatty': "
                                               + a["content"][:50] + "...")


# ------------------------------------------------------------------ providers need the caller's integration

@pytest.mark.parametrize("provider", sorted(MODEL_FOR))
def test_provider_without_integration_is_400_with_user_message(chat, api, fake, provider):
    owner = chat.user()
    wid = workspace(api, owner)
    c = create_conversation(api, owner, wid, MODEL_FOR[provider][0])
    r = send(api, owner, c["id"], "  needs a key  ")
    body = send_failure(r, 400, c["id"])
    assert body["error"] == "No connected integration found for provider: " + provider
    u = body["data"]["userMessage"]
    assert u["content"] == "needs a key" and u["role"] == "user"
    got = get_conversation(api, owner, c["id"])
    assert got["messages"] == [u]
    assert ts_us(got["updatedAt"]) >= ts_us(u["timestamp"])
    assert fake.chat_calls() == []


def test_model_lookup_is_case_insensitive(chat, api, owner, ws):
    for model_id, provider in [("model-GPT-4o", "openai"), ("Claude-3-Opus", "anthropic"),
                               ("model-GEMINI-1.5-PRO", "google"), ("DeepSeek-Coder", "deepseek"),
                               ("model-Gemma2-9B-IT", "groq")]:
        c = create_conversation(api, owner, ws, model_id)
        body = send_failure(send(api, owner, c["id"], "hi"), 400)
        assert body["error"] == "No connected integration found for provider: " + provider


def test_integration_in_error_state_does_not_count(chat, api, fake):
    u = chat.user()
    wid = workspace(api, u)
    fake.config("unauthorized")
    assert create_integration(api, u, "openai")["status"] == "error"
    fake.reset()
    c = create_conversation(api, u, wid, "model-gpt-4o")
    body = send_failure(send(api, u, c["id"], "hi"), 400)
    assert body["error"] == "No connected integration found for provider: openai"
    assert fake.chat_calls() == []


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream"])
def test_key_that_cannot_be_decrypted_is_500_with_user_message(chat, api, fake, accept):
    """A stored key the server cannot decrypt (written under another
    ENCRYPTION_KEY, or damaged): the send fails before any provider call,
    streamed or not, and the user's message is kept."""
    u = chat.user()
    wid = workspace(api, u)
    assert create_integration(api, u, "anthropic")["status"] == "connected"
    chat.db.execute("UPDATE integrations SET api_key = %s WHERE user_id = %s"
                    % (chat.db.lit("gAAAAABnot-a-token-" + "A" * 60), chat.db.lit(u.id)))
    fake.reset()
    c = create_conversation(api, u, wid, "model-claude-3.5-sonnet")
    r = api.post("/conversations/%s/messages" % c["id"],
                 {"content": "locked out", "getAiResponse": True}, token=u.token,
                 headers={"Accept": accept})
    body = send_failure(r, 500, c["id"])
    assert body["error"] == "AI call failed: Failed to decrypt API key"
    assert body["data"]["userMessage"]["content"] == "locked out"
    assert messages(api, u, c["id"]) == [body["data"]["userMessage"]]
    assert fake.chat_calls() == []


def test_reply_uses_the_senders_own_integration(chat, api, fake):
    owner, member = chat.user(), chat.user()
    wid = workspace(api, owner)
    add_member(api, owner, wid, member)
    owner_key = new_key("sk-owner-")
    create_integration(api, owner, "openai", owner_key)
    c = create_conversation(api, owner, wid, "model-gpt-4o")
    fake.reset()
    # the member has no integration: the owner's is not used
    body = send_failure(send(api, member, c["id"], "from member"), 400)
    assert body["error"] == "No connected integration found for provider: openai"
    assert fake.chat_calls() == []
    member_key = new_key("sk-member-")
    create_integration(api, member, "openai", member_key)
    fake.reset()
    d = send_ok(api, member, c["id"], "again")
    calls = fake.chat_calls()
    assert len(calls) == 1
    assert calls[0]["headers"].get("Authorization") == "Bearer " + member_key
    assert d["assistantMessage"]["content"] == "fake reply: again"
    send_ok(api, owner, c["id"], "owner now")
    assert fake.chat_calls()[-1]["headers"].get("Authorization") == "Bearer " + owner_key


# ------------------------------------------------------------------ pin / unpin

def test_pin_unpin(api, owner, ws):
    c = create_conversation(api, owner, ws)
    d = send_ok(api, owner, c["id"], "pin me")
    u, a = d["userMessage"], d["assistantMessage"]
    prev = ts_us(get_conversation(api, owner, c["id"])["updatedAt"])
    for mid, value in [(u["id"], True), (u["id"], True), (a["id"], True), (u["id"], False),
                       (u["id"], False), (a["id"], "false"), (u["id"], 1)]:
        m = pin(api, owner, c["id"], mid, value)
        want = value in (True, 1)
        assert m["id"] == mid and m["isPinned"] is want
        conv = get_conversation(api, owner, c["id"])
        assert [x["isPinned"] for x in conv["messages"] if x["id"] == mid] == [want]
        assert ts_us(conv["updatedAt"]) > prev, "pin/unpin bumps updatedAt"
        prev = ts_us(conv["updatedAt"])
    # content, role, timestamp, metadata untouched
    conv = get_conversation(api, owner, c["id"])
    for before, after in zip([u, a], conv["messages"]):
        assert {k: v for k, v in before.items() if k != "isPinned"} == \
            {k: v for k, v in after.items() if k != "isPinned"}
    # no isPinned: nothing changes (not even updatedAt)
    m = ok_data(api.put("/conversations/%s/messages/%s" % (c["id"], u["id"]), {},
                        token=owner.token))
    assert check_message(m)["isPinned"] is True
    assert get_conversation(api, owner, c["id"]) == conv


def test_pin_validation_and_not_found(api, owner, ws):
    c = create_conversation(api, owner, ws)
    other = create_conversation(api, owner, ws)
    m = send_ok(api, owner, c["id"], "x", ai=False)["userMessage"]
    foreign = send_ok(api, owner, other["id"], "y", ai=False)["userMessage"]
    url = "/conversations/%s/messages/" % c["id"]
    assert error_of(api.put(url + m["id"], {"isPinned": "perhaps"}, token=owner.token), 400) == {
        "isPinned": ["Must be a valid boolean."]}
    assert error_of(api.put(url + m["id"], {"isPinned": None}, token=owner.token), 400) == {
        "isPinned": [NULL]}
    assert_error(api.put(url + "msg-000000000000", {"isPinned": True}, token=owner.token),
                 404, "Message not found")
    # a message of another conversation is not found through this one
    assert_error(api.put(url + foreign["id"], {"isPinned": True}, token=owner.token),
                 404, "Message not found")
    assert messages(api, owner, other["id"])[0]["isPinned"] is False


# ------------------------------------------------------------------ delete

def test_delete_message(api, owner, ws):
    c = create_conversation(api, owner, ws)
    other = create_conversation(api, owner, ws)
    d = send_ok(api, owner, c["id"], "delete my reply")
    foreign = send_ok(api, owner, other["id"], "elsewhere", ai=False)["userMessage"]
    url = "/conversations/%s/messages/" % c["id"]
    prev = ts_us(get_conversation(api, owner, c["id"])["updatedAt"])
    r = api.delete(url + d["assistantMessage"]["id"], token=owner.token)
    assert ok_data(r) == {"message": "Message deleted successfully"}
    conv = get_conversation(api, owner, c["id"])
    assert conv["messages"] == [d["userMessage"]]
    assert ts_us(conv["updatedAt"]) > prev
    assert_error(api.delete(url + d["assistantMessage"]["id"], token=owner.token), 404,
                 "Message not found")
    assert_error(api.put(url + d["assistantMessage"]["id"], {"isPinned": True},
                         token=owner.token), 404, "Message not found")
    assert_error(api.delete(url + foreign["id"], token=owner.token), 404, "Message not found")
    assert_error(api.delete(url + "msg-000000000000", token=owner.token), 404, "Message not found")
    assert messages(api, owner, other["id"]) == [foreign]
    item = [i for i in list_conversations(api, owner, ws) if i["id"] == c["id"]][0]
    assert item["messageCount"] == 1


def test_message_routes_respect_roles(chat, api):
    owner, observer, outsider = chat.user(), chat.user(), chat.user()
    wid = workspace(api, owner)
    add_member(api, owner, wid, observer, "observer")
    c = create_conversation(api, owner, wid)
    m = send_ok(api, owner, c["id"], "hello", ai=False)["userMessage"]
    url = "/conversations/%s/messages" % c["id"]
    for user, msg in ((observer, READ_ONLY), (outsider, ACCESS_DENIED)):
        assert_error(api.post(url, {"content": "x"}, token=user.token), 403, msg)
        assert_error(api.put(url + "/" + m["id"], {"isPinned": True}, token=user.token), 403, msg)
        assert_error(api.delete(url + "/" + m["id"], token=user.token), 403, msg)
    assert messages(api, owner, c["id"]) == [m]
    assert_error(api.post("/conversations/conv-000000000000/messages", {"content": "x"},
                          token=owner.token), 404, CONV_NOT_FOUND)


def test_message_ids_unique_and_order_stable(api, owner, ws):
    c = create_conversation(api, owner, ws)
    sent = []
    for i in range(15):
        d = send_ok(api, owner, c["id"], "n%d" % i, ai=(i % 3 == 0))
        sent += [d["userMessage"]] + ([d["assistantMessage"]] if "assistantMessage" in d else [])
    got = messages(api, owner, c["id"])
    assert got == sent
    assert len({m["id"] for m in got}) == len(got)
