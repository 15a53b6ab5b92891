"""Property-based tests (Hypothesis) for seed-design "Correctness Properties"
11, 12, 13, 14, 15 (conversations, messages, pins, memory injection), 21,
22, 23 (integration keys and connection tests) and 31 (the AI context
includes the injected memories), against a chimerad wired to the fake
provider (chat_helpers.ChatEnv).

Texts are arbitrary Unicode (no surrogates, no NUL), padded with Python
whitespace where the server trims (DRF CharField semantics: expected value
= Python str.strip()). API keys are printable ASCII of 10..500 characters
(padding included; a key that is shorter than 10 once trimmed must be
refused). Users and workspaces are made once per property; each example
cleans up what it made, so lists stay short."""
import collections
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_helpers import (  # noqa: F401  (chat: module fixture)
    MODEL_FOR, PROVIDERS, assert_no_key, chat, check_integration, check_message,
    create_conversation, create_memory, echo_reply, fernet_decrypt, fernet_parts,
    get_conversation, inject, list_conversations, mask, pin, send, send_ok, stored_key,
    system_text, toggle, ts_within, workspace,
)
from chimera_api import assert_error, error_of, ok_data, ts_us

PROPERTY = settings(max_examples=int(os.environ.get("CHIMERA_PROPERTY_EXAMPLES", "100")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

# ------------------------------------------------------------------ strategies

PY_WS = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
TEXT_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
padding = st.text(alphabet=st.sampled_from(PY_WS), max_size=3)


def padded(core):
    return st.builds(lambda a, c, b: a + c + b, padding, core, padding)


def core_text(max_size):
    return st.text(TEXT_CHARS, min_size=1, max_size=max_size).filter(lambda s: s.strip() != "")


titles = padded(core_text(255))
model_ids = padded(core_text(50))
contents = padded(core_text(200))
# long memory contents around the 4000-character cut, built by repetition
long_contents = st.builds(lambda core, n: (core * (n // len(core) + 1))[:n],
                          core_text(30), st.integers(3990, 4010)).filter(lambda s: s.strip() != "")
memory_contents = st.one_of(core_text(300), long_contents)
PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
api_keys = st.text(PRINTABLE, min_size=10, max_size=500)
STATUSES = ["active", "completed", "archived"]


@pytest.fixture(scope="module")
def api(chat):
    return chat.api


@pytest.fixture(scope="module")
def member(chat):
    u = chat.user("Prop chat")
    u.wid = workspace(chat.api, u)
    return u


# ------------------------------------------------------------------ property 11

@PROPERTY
@given(specs=st.lists(st.tuples(st.integers(0, 3), st.booleans(), st.sampled_from(STATUSES)),
                      max_size=4))
def test_p11_conversation_list_completeness(api, member, specs):
    """Feature: backend-frontend-integration, Property 11: Conversation List Completeness"""
    wid = workspace(api, member)
    expected = {}
    for n, ai, status in specs:
        c = create_conversation(api, member, wid, "model-echo")
        for i in range(n):
            send_ok(api, member, c["id"], "m%d" % i, ai=ai)
        if status != "active":
            ok_data(api.put("/conversations/" + c["id"], {"status": status}, token=member.token))
        expected[c["id"]] = (n * (2 if ai else 1), status)
    items = list_conversations(api, member, wid)
    assert {i["id"]: (i["messageCount"], i["status"]) for i in items} == expected
    assert all(i["workspaceId"] == wid for i in items)
    stamps = [ts_us(i["updatedAt"]) for i in items]
    assert stamps == sorted(stamps, reverse=True)
    ok_data(api.delete("/workspaces/" + wid, token=member.token))


# ------------------------------------------------------------------ property 12

@PROPERTY
@given(title=st.none() | titles, model_id=model_ids)
def test_p12_creation_initialises(api, member, title, model_id):
    """Feature: backend-frontend-integration, Property 12: Conversation Creation Initializes Correctly"""
    body = {"modelId": model_id}
    if title is not None:
        body["title"] = title
    c = ok_data(api.post("/workspaces/%s/conversations" % member.wid, body, token=member.token),
                201)
    assert c["messages"] == [] and c["injectedMemories"] == []
    assert c["status"] == "active"
    assert c["modelId"] == model_id.strip()
    assert c["title"] == (title.strip() if title is not None else "New Conversation")
    assert c["workspaceId"] == member.wid and c["createdAt"] == c["updatedAt"]
    assert get_conversation(api, member, c["id"]) == c
    ok_data(api.delete("/conversations/" + c["id"], token=member.token))


# ------------------------------------------------------------------ property 13

@PROPERTY
@given(msgs=st.lists(st.tuples(contents, st.booleans()), min_size=1, max_size=4))
def test_p13_sending_appends_and_bumps(api, member, msgs):
    """Feature: backend-frontend-integration, Property 13: Message Sending Appends to Conversation"""
    c = create_conversation(api, member, member.wid, "model-echo")
    have = []
    prev = ts_us(c["updatedAt"])
    for text, ai in msgs:
        d = ok_data(send(api, member, c["id"], text, ai=ai), 201)
        u = check_message(d["userMessage"], c["id"])
        assert u["role"] == "user" and u["content"] == text.strip() and not u["isPinned"]
        new = [u]
        if ai:
            a = check_message(d["assistantMessage"], c["id"])
            assert a["content"] == echo_reply(text.strip())
            assert a["metadata"]["tokens"] == len(text.strip().split())
            new.append(a)
        else:
            assert "assistantMessage" not in d
        got = get_conversation(api, member, c["id"])
        assert got["messages"] == have + new
        assert ts_us(got["updatedAt"]) > prev
        assert ts_us(got["updatedAt"]) >= ts_us(new[-1]["timestamp"])
        prev = ts_us(got["updatedAt"])
        have += new
    ok_data(api.delete("/conversations/" + c["id"], token=member.token))


# ------------------------------------------------------------------ property 14

@PROPERTY
@given(n=st.integers(1, 3),
       ops=st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=8))
def test_p14_pin_toggle(api, member, n, ops):
    """Feature: backend-frontend-integration, Property 14: Message Pin Toggle"""
    c = create_conversation(api, member, member.wid, "model-echo")
    ids = [send_ok(api, member, c["id"], "pin %d" % i, ai=False)["userMessage"]["id"]
           for i in range(n)]
    model = {i: False for i in ids}
    prev = ts_us(get_conversation(api, member, c["id"])["updatedAt"])
    for idx, value in ops:
        mid = ids[idx % n]
        m = pin(api, member, c["id"], mid, value)
        model[mid] = value
        assert m["isPinned"] is value
        got = get_conversation(api, member, c["id"])
        assert {x["id"]: x["isPinned"] for x in got["messages"]} == model
        assert ts_us(got["updatedAt"]) > prev
        prev = ts_us(got["updatedAt"])
    ok_data(api.delete("/conversations/" + c["id"], token=member.token))


# ------------------------------------------------------------------ property 15

@pytest.fixture(scope="module")
def memory_pool(chat, member):
    """Four memories of the member's workspace and one of another workspace."""
    api = chat.api
    mine = [create_memory(api, member, member.wid, "Pool %d" % i, "pool content %d" % i)["id"]
            for i in range(4)]
    other_ws = workspace(api, member)
    foreign = create_memory(api, member, other_ws, "Foreign", "elsewhere")["id"]
    return mine + [foreign]


@PROPERTY
@given(ops=st.lists(st.tuples(st.sampled_from(["inject", "remove", "toggle"]), st.integers(0, 4)),
                    min_size=1, max_size=12))
def test_p15_injection_without_duplicates(api, member, memory_pool, ops):
    """Feature: backend-frontend-integration, Property 15: Memory Injection Adds to Array"""
    c = create_conversation(api, member, member.wid, "model-echo")
    cid = c["id"]
    model = collections.OrderedDict()
    for op, idx in ops:
        mid = memory_pool[idx]
        foreign = idx == 4
        if op == "inject":
            r = api.post("/conversations/%s/inject-memory" % cid, {"memoryId": mid},
                         token=member.token)
            if foreign:
                assert_error(r, 404, "Memory not found")
            else:
                assert ok_data(r) == {"message": "Memory injected successfully"}
                model.setdefault(mid, True)
        elif op == "remove":
            r = api.delete("/conversations/%s/inject-memory/%s" % (cid, mid), token=member.token)
            if mid in model:
                assert ok_data(r) == {"message": "Memory removed successfully"}
                del model[mid]
            else:
                assert_error(r, 404, "Memory injection not found")
        else:
            if mid in model:
                assert toggle(api, member, cid, mid)["isActive"] is (not model[mid])
                model[mid] = not model[mid]
            else:
                assert_error(api.put("/conversations/%s/inject-memory/%s/toggle" % (cid, mid),
                                     token=member.token), 404, "Memory injection not found")
        got = get_conversation(api, member, cid)
        assert got["injectedMemories"] == [{"id": k, "isActive": v} for k, v in model.items()]
        assert got["updatedAt"] == c["updatedAt"]
    ok_data(api.delete("/conversations/" + cid, token=member.token))


# ------------------------------------------------------------------ properties 21 and 22

@pytest.fixture(scope="module")
def key_owner(chat):
    return chat.user("Key owner")


def check_masked_everywhere(api, user, i, key):
    check_integration(i, key)
    d = ok_data(api.get("/integrations", token=user.token))
    assert [x["apiKey"] for x in d["integrations"]] == [mask(key.strip())]
    assert_no_key(d, key)
    g = ok_data(api.get("/integrations/" + i["id"], token=user.token))
    check_integration(g, key)


@PROPERTY
@given(provider=st.sampled_from(PROVIDERS), key=api_keys, key2=api_keys)
def test_p21_masking_never_leaks_the_key(chat, api, key_owner, provider, key, key2):
    """Feature: backend-frontend-integration, Property 21: Integration API Key Masking"""
    r = api.post("/integrations", {"provider": provider, "apiKey": key}, token=key_owner.token)
    if len(key.strip()) < 10:
        assert error_of(r, 400) == {"apiKey": ["Ensure this field has at least 10 characters."]}
        return
    i = ok_data(r, 201)
    try:
        check_masked_everywhere(api, key_owner, i, key)
        # the fake saw the plain key: the server sent it, not its mask
        call = chat.fake.requests()[-1]
        sent = call["query"].get("key") or call["headers"].get("x-api-key") or \
            call["headers"].get("Authorization", "")[len("Bearer "):]
        assert sent == key.strip()
        # test endpoint
        d = ok_data(api.post("/integrations/%s/test" % i["id"], token=key_owner.token))
        check_integration(d["integration"], key)
        assert_no_key(d, key)
        # update with another key
        r = api.put("/integrations/" + i["id"], {"apiKey": key2}, token=key_owner.token)
        if len(key2.strip()) < 10:
            error_of(r, 400)
        else:
            u = ok_data(r)
            check_integration(u, key2)
            assert_no_key(u, key)
            check_masked_everywhere(api, key_owner, u, key2)
    finally:
        ok_data(api.delete("/integrations/" + i["id"], token=key_owner.token))


@PROPERTY
@given(provider=st.sampled_from(PROVIDERS), key=api_keys,
       mode=st.sampled_from(["ok", "unauthorized"]))
def test_p22_creation_encrypts_the_key(chat, api, key_owner, provider, key, mode):
    """Feature: backend-frontend-integration, Property 22: Integration Creation Encrypts Key"""
    if len(key.strip()) < 10:
        key = key.strip() + "0123456789"
    chat.fake.config(mode)
    try:
        t0 = time.time()
        i = ok_data(api.post("/integrations", {"provider": provider, "apiKey": key},
                             token=key_owner.token), 201)
        t1 = time.time()
    finally:
        chat.fake.config("ok")
    try:
        check_integration(i, key)
        assert i["status"] == ("connected" if mode == "ok" else "error")
        assert i["errorMessage"] == (None if mode == "ok" else "Invalid API key")
        ts_within(i["lastTested"], t0, t1)
        token = stored_key(chat.db, i["id"])
        assert token != key and key.strip() not in token
        fernet_parts(token)
        plain = fernet_decrypt(token, chat.fernet_key)
        assert plain is None or plain == key.strip().encode()
    finally:
        ok_data(api.delete("/integrations/" + i["id"], token=key_owner.token))


# ------------------------------------------------------------------ property 23

@pytest.fixture(scope="module")
def tested(chat):
    chat.fake.reset()
    u = chat.user("Tested")
    u.ints = {p: check_integration(ok_data(chat.api.post(
        "/integrations", {"provider": p, "apiKey": "sk-tested-%s-0123456789" % p},
        token=u.token), 201)) for p in PROVIDERS}
    return u


@PROPERTY
@given(steps=st.lists(st.tuples(st.sampled_from(PROVIDERS), st.sampled_from(["ok", "unauthorized"])),
                      min_size=1, max_size=4))
def test_p23_test_updates_status_and_last_tested(chat, api, tested, steps):
    """Feature: backend-frontend-integration, Property 23: Integration Test Updates Status"""
    for provider, mode in steps:
        i = tested.ints[provider]
        chat.fake.config(mode)
        try:
            t0 = time.time()
            d = ok_data(api.post("/integrations/%s/test" % i["id"], token=tested.token))
            t1 = time.time()
        finally:
            chat.fake.config("ok")
        ok = mode == "ok"
        assert d["success"] is ok
        assert d["message"] == ("Connection test successful" if ok else "Invalid API key")
        got = check_integration(d["integration"])
        assert got["status"] == ("connected" if ok else "error")
        assert got["errorMessage"] == (None if ok else "Invalid API key")
        ts_within(got["lastTested"], t0, t1)
        assert ts_us(got["lastTested"]) >= ts_us(i["lastTested"])
        assert ok_data(api.get("/integrations/" + i["id"], token=tested.token)) == got
        listed = [m["provider"] for m in ok_data(api.get("/models/available",
                                                         token=tested.token))["models"]]
        assert (provider in listed) is ok
        tested.ints[provider] = got


# ------------------------------------------------------------------ property 31

@pytest.fixture(scope="module")
def chatter(chat):
    chat.fake.reset()
    u = chat.user("Chatter")
    u.keys = {}
    for p in PROVIDERS:
        u.keys[p] = "sk-chatter-%s-0123456789" % p
        ok_data(chat.api.post("/integrations", {"provider": p, "apiKey": u.keys[p]},
                              token=u.token), 201)
    u.wid = workspace(chat.api, u)
    return u


def system_of(provider, call):
    body = call["body"]
    if provider == "anthropic":
        return body["system"]
    if provider == "google":
        return body["systemInstruction"]["parts"][0]["text"]
    assert body["messages"][0]["role"] == "system"
    return body["messages"][0]["content"]


@PROPERTY
@given(provider=st.sampled_from(PROVIDERS),
       mems=st.lists(st.tuples(padded(core_text(255)), memory_contents, st.booleans()),
                     max_size=5),
       order=st.randoms(use_true_random=False), question=contents)
def test_p31_context_includes_injected_memories(chat, api, chatter, provider, mems, order,
                                                question):
    """Feature: backend-frontend-integration, Property 31: AI Context Includes Injected Memories"""
    c = create_conversation(api, chatter, chatter.wid, MODEL_FOR[provider][0])
    made = [(create_memory(api, chatter, chatter.wid, t, body), active)
            for t, body, active in mems]
    order.shuffle(made)
    for m, active in made:
        inject(api, chatter, c["id"], m["id"])
    for m, active in made:
        if not active:
            toggle(api, chatter, c["id"], m["id"])
    chat.fake.reset()
    send_ok(api, chatter, c["id"], question)
    calls = chat.fake.chat_calls()
    assert len(calls) == 1, calls
    want = system_text([(m["title"], m["content"]) for m, active in made if active])
    assert system_of(provider, calls[0]) == want
    # the new message is the last turn, once
    body = calls[0]["body"]
    if provider == "google":
        turns = [p["parts"][0]["text"] for p in body["contents"]]
    else:
        turns = [m["content"] for m in body["messages"] if m["role"] != "system"]
    assert turns == [question.strip()]
    ok_data(api.delete("/conversations/" + c["id"], token=chatter.token))
    for m, _ in made:
        ok_data(api.delete("/memories/" + m["id"], token=chatter.token))
