"""Chat through real provider adapters against the fake provider (API.md
§0 D3, §5.5 endpoint 30, §6.2-6.4): the exact request each provider gets
(path, auth headers, model name, system text with injected memories, the 10
messages before the new one, the new message once, temperature 0.7, 2000
max tokens), the reply and its metadata, the status of every failure (401,
429, 500, malformed JSON, connection dropped, endless body over the
outbound cap) with the conversation left consistent, sends that do not
block other requests, and a send that survives SIGTERM."""
import signal
import threading
import time

import pytest
import requests

import chimera_api as ca
from chat_helpers import (  # noqa: F401  (chat, fake: fixtures)
    MODEL_FOR, PROVIDERS, chat, check_conversation, create_conversation, create_integration,
    create_memory, fake, get_conversation, inject, new_key, send, send_failure, send_ok,
    system_text, toggle, workspace,
)
from chimera_api import Api, ok_data, ts_us


@pytest.fixture(scope="module")
def api(chat):
    return chat.api


@pytest.fixture(scope="module")
def keyed(chat):
    """A user with a connected integration for every provider, and a workspace."""
    chat.fake.reset()
    u = chat.user("Keyed")
    keys = {}
    for p in PROVIDERS:
        keys[p] = new_key("sk-%s-" % p)
        assert create_integration(chat.api, u, p, keys[p])["status"] == "connected"
    u.keys = keys
    u.wid = workspace(chat.api, u)
    return u


def words(text):
    return len(str(text).split())


def history_turns(messages, provider):
    """The stored messages as the provider sees them (§6.3)."""
    out = []
    for m in messages:
        if provider == "anthropic":
            if m["role"] != "system":
                out.append({"role": m["role"], "content": m["content"]})
        elif provider == "google":
            out.append({"role": "model" if m["role"] == "assistant" else "user",
                        "parts": [{"text": m["content"]}]})
        else:
            out.append({"role": m["role"], "content": m["content"]})
    return out


def expected_call(provider, upstream, key, system, history, text):
    """(path, query, body) of the chat call."""
    if provider == "google":
        contents = history_turns(history, "google") + [{"role": "user", "parts": [{"text": text}]}]
        return ("/v1beta/models/%s:generateContent" % upstream, {"key": key},
                {"contents": contents, "systemInstruction": {"parts": [{"text": system}]},
                 "generationConfig": {"temperature": 0.7, "maxOutputTokens": 2000}})
    if provider == "anthropic":
        return ("/v1/messages", {},
                {"model": upstream, "system": system, "max_tokens": 2000, "temperature": 0.7,
                 "messages": history_turns(history, "anthropic")
                 + [{"role": "user", "content": text}]})
    path = {"openai": "/v1/chat/completions", "deepseek": "/chat/completions",
            "groq": "/openai/v1/chat/completions"}[provider]
    return (path, {}, {"model": upstream, "temperature": 0.7, "max_tokens": 2000,
                       "messages": [{"role": "system", "content": system}]
                       + history_turns(history, provider) + [{"role": "user", "content": text}]})


def check_headers(call, provider, key):
    h = {k.lower(): v for k, v in call["headers"].items()}
    assert h.get("content-type", "").startswith("application/json"), h
    if provider == "anthropic":
        assert h.get("x-api-key") == key and h.get("anthropic-version") == "2023-06-01", h
        assert "authorization" not in h
    elif provider == "google":
        assert "authorization" not in h and "x-api-key" not in h, h
    else:
        assert h.get("authorization") == "Bearer " + key, h
        assert "x-api-key" not in h


def expected_tokens(provider, call_body, reply, system):
    if provider == "google":
        return 0
    if provider == "anthropic":
        return words(system) + sum(words(m["content"]) for m in call_body["messages"]) + words(reply)
    return sum(words(m["content"]) for m in call_body["messages"]) + words(reply)


def check_consistent(conv, user_texts):
    """Every stored user message once, in order; every assistant reply follows its user
    message (fake replies are "fake reply: <text>", echo "[Echo Mode] Received: <text>...")."""
    check_conversation(conv)
    msgs = conv["messages"]
    assert [m["content"] for m in msgs if m["role"] == "user"] == user_texts, msgs
    assert len({m["id"] for m in msgs}) == len(msgs)
    for i, m in enumerate(msgs):
        if m["role"] == "assistant":
            assert i > 0 and msgs[i - 1]["role"] == "user", msgs
            assert msgs[i - 1]["content"] in m["content"], (msgs[i - 1], m)


# ------------------------------------------------------------------ the exact request

@pytest.mark.parametrize("provider", PROVIDERS)
def test_request_and_reply(chat, api, fake, keyed, provider):
    model_id, upstream = MODEL_FOR[provider]
    c = create_conversation(api, keyed, keyed.wid, model_id, title="With " + provider)
    m1 = create_memory(api, keyed, keyed.wid, "First [memory]", "Alpha content\nline two")
    m2 = create_memory(api, keyed, keyed.wid, "Paused", "must not appear")
    m3 = create_memory(api, keyed, keyed.wid, "Ünïcödé ✓", "Ω" * 4100)
    for m in (m3, m2, m1):
        inject(api, keyed, c["id"], m["id"])
    toggle(api, keyed, c["id"], m2["id"])
    system = system_text([(m3["title"], m3["content"]), (m1["title"], m1["content"])])
    assert system.count("Ω") == 4000
    # 12 messages before the final send: 6 with a reply from the provider itself
    user_texts = []
    for i in range(6):
        text = "turn %d of %s" % (i, provider)
        user_texts.append(text)
        d = send_ok(api, keyed, c["id"], text)
        assert d["assistantMessage"]["content"] == "fake reply: " + text
    before = get_conversation(api, keyed, c["id"])["messages"]
    assert len(before) == 12
    fake.reset()
    text = "  the final question?  "
    t0 = time.time()
    d = send_ok(api, keyed, c["id"], text)
    elapsed_ms = (time.time() - t0) * 1000
    calls = fake.requests()
    assert len(calls) == 1, "exactly one provider call per send: %s" % calls
    call = calls[0]
    path, query, body = expected_call(provider, upstream, keyed.keys[provider], system,
                                      before[-10:], "the final question?")
    assert call["method"] == "POST"
    assert (call["path"], call["query"]) == (path, query)
    check_headers(call, provider, keyed.keys[provider])
    assert call["body"] == body
    a = d["assistantMessage"]
    assert a["content"] == "fake reply: the final question?"
    md = a["metadata"]
    assert set(md) == {"tokens", "model_version", "provider", "responseTimeMs"}, md
    assert md["provider"] == provider
    assert md["model_version"] == upstream
    assert md["tokens"] == expected_tokens(provider, body, a["content"], system), md
    assert isinstance(md["responseTimeMs"], int) and 0 <= md["responseTimeMs"] <= elapsed_ms + 50
    check_consistent(get_conversation(api, keyed, c["id"]), user_texts + ["the final question?"])


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_system_role_history(chat, api, fake, keyed, provider):
    """A stored system-role message (no endpoint creates one: written into the database)
    goes to OpenAI-compatible providers with its role and is left out for Anthropic."""
    c = create_conversation(api, keyed, keyed.wid, MODEL_FOR[provider][0])
    send_ok(api, keyed, c["id"], "before", ai=False)
    _, sql = chat.db.message_sql(keyed.wid, c["id"], role="system", content="stored system note")
    chat.db.execute(sql)
    send_ok(api, keyed, c["id"], "after", ai=False)
    msgs = get_conversation(api, keyed, c["id"])["messages"]
    assert [m["role"] for m in msgs] == ["user", "system", "user"]
    fake.reset()
    send_ok(api, keyed, c["id"], "now")
    body = fake.chat_calls()[0]["body"]
    if provider == "openai":
        assert body["messages"] == [
            {"role": "system", "content": system_text([])},
            {"role": "user", "content": "before"},
            {"role": "system", "content": "stored system note"},
            {"role": "user", "content": "after"}, {"role": "user", "content": "now"}]
    else:
        assert body["system"] == system_text([])
        assert body["messages"] == [{"role": "user", "content": "before"},
                                    {"role": "user", "content": "after"},
                                    {"role": "user", "content": "now"}]


def test_history_is_the_ten_messages_before(chat, api, fake, keyed):
    c = create_conversation(api, keyed, keyed.wid, "model-gpt-4o")
    for i in range(13):
        send_ok(api, keyed, c["id"], "old %d" % i, ai=False)
    fake.reset()
    send_ok(api, keyed, c["id"], "new")
    msgs = fake.chat_calls()[0]["body"]["messages"]
    assert [m["content"] for m in msgs[1:]] == ["old %d" % i for i in range(3, 13)] + ["new"]
    # a fresh conversation: no history at all
    c2 = create_conversation(api, keyed, keyed.wid, "model-gpt-4o")
    fake.reset()
    send_ok(api, keyed, c2["id"], "first")
    assert fake.chat_calls()[0]["body"]["messages"] == [
        {"role": "system", "content": system_text([])}, {"role": "user", "content": "first"}]


# modelId → (provider, upstream model name) (§6.2)
MAPPING = [
    ("model-gpt-4", "openai", "gpt-4"), ("gpt-4-turbo", "openai", "gpt-4-turbo"),
    ("model-gpt-4o", "openai", "gpt-4o"), ("model-gpt-3.5-turbo", "openai", "gpt-3.5-turbo"),
    ("model-claude-3-opus", "anthropic", "claude-3-opus-20240229"),
    ("model-claude-3-sonnet", "anthropic", "claude-3-sonnet-20240229"),
    ("model-claude-3-haiku", "anthropic", "claude-3-haiku-20240307"),
    ("claude-3.5-sonnet", "anthropic", "claude-3-5-sonnet-20241022"),
    ("model-gemini-2.0-flash", "google", "gemini-2.0-flash"),
    ("model-gemini-2.0-flash-exp", "google", "gemini-2.0-flash-exp"),
    ("model-gemini-1.5-flash", "google", "gemini-1.5-flash-latest"),
    ("model-gemini-1.5-pro", "google", "gemini-1.5-pro-latest"),
    ("model-deepseek-chat", "deepseek", "deepseek-chat"),
    ("model-deepseek-coder", "deepseek", "deepseek-coder"),
    ("model-llama-3.3-70b-versatile", "groq", "llama-3.3-70b-versatile"),
    ("model-llama-3.1-8b-instant", "groq", "llama-3.1-8b-instant"),
    ("model-mixtral-8x7b-32768", "groq", "mixtral-8x7b-32768"),
    ("model-gemma2-9b-it", "groq", "gemma2-9b-it"),
]


def test_model_name_mapping(chat, api, fake, keyed):
    for model_id, provider, upstream in MAPPING:
        c = create_conversation(api, keyed, keyed.wid, model_id)
        fake.reset()
        d = send_ok(api, keyed, c["id"], "which model")
        calls = fake.chat_calls()
        assert len(calls) == 1, (model_id, calls)
        call = calls[0]
        if provider == "google":
            assert call["path"] == "/v1beta/models/%s:generateContent" % upstream, (model_id, call)
        else:
            assert call["path"] == expected_call(provider, upstream, "", "", [], "")[0], call
            assert call["body"]["model"] == upstream, (model_id, call["body"])
        check_headers(call, provider, keyed.keys[provider])
        md = d["assistantMessage"]["metadata"]
        assert (md["provider"], md["model_version"]) == (provider, upstream), (model_id, md)


def test_google_404_retries_once_with_default_model(chat, api, fake, keyed):
    c = create_conversation(api, keyed, keyed.wid, "model-gemini-1.5-pro")
    fake.config("error500", status=404)
    r = send(api, keyed, c["id"], "is anyone there")
    send_failure(r, 502, c["id"])
    paths = [x["path"] for x in fake.chat_calls()]
    assert paths == ["/v1beta/models/gemini-1.5-pro-latest:generateContent",
                     "/v1beta/models/gemini-2.0-flash:generateContent"], paths
    check_consistent(get_conversation(api, keyed, c["id"]), ["is anyone there"])


# ------------------------------------------------------------------ failures

def failure_cases(provider):
    unauthorized = {"anthropic": "invalid x-api-key",
                    "google": "API key not valid. Please pass a valid API key."}.get(
        provider, "Incorrect API key provided")
    ratelimit = ("Rate limit exceeded. Try Groq instead (free)." if provider == "google"
                 else "Rate limit reached")
    return [
        (("error500", None), 502, "boom"),
        (("ratelimit", None), 429, ratelimit),
        # the text decides: a rate-limit message under another status is still a 429
        (("ratelimit", 500), 429, None),
        (("unauthorized", None), 502, unauthorized),
        (("error500", 403), 502, "boom"),
        (("malformed", None), 502, None),
        (("drop", None), 502, None),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_failures(chat, api, fake, keyed, provider):
    c = create_conversation(api, keyed, keyed.wid, MODEL_FOR[provider][0])
    texts = []
    for (mode, status), code, error in failure_cases(provider):
        fake.config(mode, status=status)
        text = "%s %s %s" % (provider, mode, status)
        texts.append(text)
        n_before = len(fake.chat_calls())
        t0 = time.time()
        body = send_failure(send(api, keyed, c["id"], text), code, c["id"])
        assert time.time() - t0 < 10
        assert body["error"].startswith("AI response failed: "), body
        if error is not None:
            assert body["error"] == "AI response failed: " + error, (mode, body)
        assert body["data"]["userMessage"]["content"] == text
        # one call; a dropped connection may be retried once on a fresh one (libcurl
        # does so when a reused connection closes before any byte of an answer)
        calls = len(fake.chat_calls()) - n_before
        assert calls == 1 or (mode == "drop" and calls == 2), (mode, calls)
        conv = get_conversation(api, keyed, c["id"])
        check_consistent(conv, texts)
        assert all(m["role"] == "user" for m in conv["messages"]), "no assistant on failure"
        assert conv["messages"][-1] == body["data"]["userMessage"]
    # and it recovers
    fake.config("ok")
    d = send_ok(api, keyed, c["id"], "recovered")
    assert d["assistantMessage"]["content"] == "fake reply: recovered"
    conv = get_conversation(api, keyed, c["id"])
    check_consistent(conv, texts + ["recovered"])
    assert [m["role"] for m in conv["messages"]].count("assistant") == 1


NO_ANSWER = {"anthropic": "Unexpected provider response: no content[0].text",
             "google": "No response generated"}
EMPTY_ANSWER = {"anthropic": '{"content": [{"type": "tool_use", "id": "t"}], "usage": {}}',
                "google": '{"candidates": [{"content": {"parts": []}}]}'}
GOOGLE_RATE = "Rate limit exceeded. Try Groq instead (free)."


def garbage_cases(provider):
    """(status, body) the provider answers -> (our status, the error after
    "AI response failed: ")."""
    no_answer = NO_ANSWER.get(provider,
                              "Unexpected provider response: no choices[0].message.content")
    google = provider == "google"
    long_text = "é" * 300
    envelope = '{"error": {"message": ""}, "detail": "see the logs"}'
    return [
        # 2xx that is no reply
        ((200, "[]"), 502, "Invalid JSON in provider response"),
        ((200, '"a string"'), 502, "Invalid JSON in provider response"),
        ((200, ""), 502, "Invalid JSON in provider response"),
        ((200, "{}"), 502, no_answer),
        ((200, EMPTY_ANSWER.get(provider, '{"choices": [{"message": {"content": null}}]}')),
         502, no_answer),
        # errors in other shapes than the provider's own
        ((503, "upstream connect error or disconnect/reset before headers"), 502,
         "upstream connect error or disconnect/reset before headers"),
        ((500, ""), 502, "API returned status 500"),
        ((400, '{"error": "model not found"}'), 502, "model not found"),
        ((502, envelope), 502, envelope),
        ((500, long_text), 502, "é" * 200),                 # cut at 200 characters
        ((400, '{"error": {"message": "generateContent is not supported"}}'), 502,
         "generateContent is not supported"),
        # rate limits told by the text, whatever the status
        ((500, '{"error": {"message": "upstream said HTTP 429"}}'), 429,
         "upstream said HTTP 429"),
        ((503, '{"error": {"message": "You exceeded your current quota"}}'),
         429 if google else 502, GOOGLE_RATE if google else "You exceeded your current quota"),
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_answers_that_are_no_reply(chat, api, fake, keyed, provider):
    """Each provider kind answering with garbage or an error in a foreign
    format: the send fails with a clear message (502, or 429 for a rate
    limit), the user's message is kept, no assistant message is stored."""
    c = create_conversation(api, keyed, keyed.wid, MODEL_FOR[provider][0])
    texts = []
    for (status, raw), code, error in garbage_cases(provider):
        fake.config("raw", status=status, body=raw)
        text = "%s %d %s" % (provider, status, raw[:20] or "(empty)")
        texts.append(text)
        body = send_failure(send(api, keyed, c["id"], text), code, c["id"])
        assert body["error"] == "AI response failed: " + error, (status, raw, body)
        assert body["data"]["userMessage"]["content"] == text
    conv = get_conversation(api, keyed, c["id"])
    check_consistent(conv, texts)
    assert all(m["role"] == "user" for m in conv["messages"]), "no assistant on failure"


RAW_REPLIES = {
    # (body, tokens): token counts given as reals are counted, a missing model
    # is the requested one
    "anthropic": ('{"content": [{"type": "text", "text": "raw reply"}],'
                  ' "usage": {"input_tokens": 3, "output_tokens": 4.0}}', 7),
    "google": ('{"candidates": [{"content": {"parts": [{"text": "raw reply"}]}}]}', 0),
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_minimal_reply_is_stored(chat, api, fake, keyed, provider):
    c = create_conversation(api, keyed, keyed.wid, MODEL_FOR[provider][0])
    raw, tokens = RAW_REPLIES.get(provider, (
        '{"choices": [{"message": {"content": "raw reply"}}], "usage": {"total_tokens": 12.0}}',
        12))
    fake.config("raw", body=raw)
    d = send_ok(api, keyed, c["id"], "minimal please")
    a = d["assistantMessage"]
    assert a["content"] == "raw reply"
    assert a["metadata"]["tokens"] == tokens, a["metadata"]
    assert a["metadata"]["model_version"] == MODEL_FOR[provider][1], a["metadata"]
    assert a["metadata"]["provider"] == provider


def test_endless_body_is_capped(chat, fake):
    s = chat.start_server(name="capped", CHIMERA_OUTBOUND_MAX_BODY="65536")
    try:
        api = Api(s)
        u = ca.User(api)
        create_integration(api, u, "openai")
        create_integration(api, u, "anthropic")
        wid = workspace(api, u)
        for provider in ("openai", "anthropic"):
            c = create_conversation(api, u, wid, MODEL_FOR[provider][0])
            fake.config("endless")
            t0 = time.time()
            body = send_failure(send(api, u, c["id"], "flood me"), 502, c["id"])
            assert time.time() - t0 < 10, "the cap must stop the read early"
            assert body["error"].startswith("AI response failed: ")
            fake.config("ok")
            check_consistent(get_conversation(api, u, c["id"]), ["flood me"])
            d = send_ok(api, u, c["id"], "small answer")
            assert d["assistantMessage"]["content"] == "fake reply: small answer"
        assert ca.health_ok(api)
    finally:
        fake.config("ok")
        s.stop()


def test_large_reply_within_cap(chat, api, fake, keyed):
    """A long reply (1 MiB, under the default 5 MiB outbound cap) is stored whole."""
    c = create_conversation(api, keyed, keyed.wid, "model-gpt-4o")
    reply = "é" + "x" * (1 << 20) + "✓"
    fake.config("ok", reply=reply)
    d = send_ok(api, keyed, c["id"], "long one please")
    assert d["assistantMessage"]["content"] == reply
    assert get_conversation(api, keyed, c["id"])["messages"][-1]["content"] == reply


def test_failed_send_after_unknown_provider_error_keeps_counts(chat, api, fake, keyed):
    """Several failures in a row leave exactly the user messages; the list count agrees."""
    c = create_conversation(api, keyed, keyed.wid, "model-deepseek-chat")
    fake.config("error500")
    for i in range(5):
        send_failure(send(api, keyed, c["id"], "try %d" % i), 502, c["id"])
    items = ok_data(api.get("/workspaces/%s/conversations" % keyed.wid, token=keyed.token))
    item = [x for x in items["conversations"] if x["id"] == c["id"]][0]
    assert item["messageCount"] == 5
    conv = get_conversation(api, keyed, c["id"])
    assert ts_us(conv["updatedAt"]) >= ts_us(conv["messages"][-1]["timestamp"])


# ------------------------------------------------------------------ concurrency and shutdown

def test_sends_do_not_block_other_requests(chat, api, fake, keyed):
    """50 sends wait on a slow provider at once, and reads are answered meanwhile.
    Proven by order, not by a stopwatch: every provider call arrives, and the
    reads are answered, while no send has had its reply yet (the provider
    holds each call 8 s, far longer than any of this takes on a slow build)."""
    convs = [create_conversation(api, keyed, keyed.wid, "model-gpt-4o") for _ in range(5)]
    fake.config("slow", delay_ms=8000)
    results = [None] * 50

    def worker(i):
        try:
            r = requests.post(api.url("/conversations/%s/messages" % convs[i % 5]["id"]),
                              json={"content": "concurrent %d" % i},
                              headers={"Authorization": "Bearer " + keyed.token}, timeout=60)
            results[i] = (r.status_code, r.json())
        except Exception as e:      # reported below
            results[i] = (None, repr(e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60        # only against a hang
    while len(fake.chat_calls()) < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    in_flight = sum(r is None for r in results)
    for _ in range(5):
        assert api.get("/workspaces", token=keyed.token).status_code == 200
    still_waiting = sum(r is None for r in results)
    for t in threads:
        t.join(60)
    assert in_flight == 50, "only %d of 50 provider calls were in flight at once" % in_flight
    assert still_waiting == 50, "GET /workspaces waited for the sends"
    assert all(r is not None and r[0] == 201 for r in results), [
        r for r in results if r is None or r[0] != 201][:3]
    assert len(fake.chat_calls()) == 50
    for i, conv in enumerate(convs):
        got = get_conversation(api, keyed, conv["id"])
        users = [m for m in got["messages"] if m["role"] == "user"]
        replies = [m for m in got["messages"] if m["role"] == "assistant"]
        assert sorted(m["content"] for m in users) == sorted(
            "concurrent %d" % j for j in range(50) if j % 5 == i)
        assert sorted(m["content"] for m in replies) == sorted(
            "fake reply: " + m["content"] for m in users)
    for status, body in results:
        d = body["data"]
        assert d["assistantMessage"]["content"] == "fake reply: " + d["userMessage"]["content"]


def test_sigterm_lets_a_running_send_finish(chat, fake):
    s = chat.start_server(name="shutdown")
    api = Api(s)
    u = ca.User(api)
    create_integration(api, u, "openai")
    c = create_conversation(api, u, workspace(api, u), "model-gpt-4o")
    out = {}

    def worker():
        try:
            out["r"] = requests.post(api.url("/conversations/%s/messages" % c["id"]),
                                     json={"content": "finish me"},
                                     headers={"Authorization": "Bearer " + u.token}, timeout=30)
        except Exception as e:
            out["e"] = e

    fake.reset()
    fake.config("slow", delay_ms=1000)
    t = threading.Thread(target=worker)
    t0 = time.monotonic()
    t.start()
    # SIGTERM 200 ms after the send started, once the provider call is under way (on a
    # busy machine the request might otherwise still sit in the listen backlog)
    while not fake.chat_calls() and time.monotonic() - t0 < 5:
        time.sleep(0.01)
    assert fake.chat_calls(), "the send never reached the provider"
    time.sleep(max(0.0, 0.2 - (time.monotonic() - t0)))
    s.proc.send_signal(signal.SIGTERM)
    s.sent_term = True                  # Server.problems(): judged as a SIGTERM exit
    t.join(30)
    try:
        rc = s.proc.wait(timeout=15)
    except Exception:
        s.proc.kill()
        s.proc.wait()
        raise
    finally:
        s._err.close()
        s._out.close()
    assert "e" not in out, out.get("e")
    r = out["r"]
    d = ok_data(r, 201)
    assert d["assistantMessage"]["content"] == "fake reply: finish me"
    assert rc == 0, s.read_log()[-2000:]
    problems = s.problems()
    assert not problems, problems
