"""Streamed replies (issue 15, part 1): POST /conversations/{cid}/messages
with Accept: text/event-stream answers 200 text/event-stream with "delta"
events as the provider produces text, then one "done" whose data is the
non-streaming call's data, or "error" with the envelope's error. Checked
against the fake providers' own streaming formats (OpenAI-compatible,
Anthropic, Gemini), with the exact requests they receive; the stored
assistant message equals the pieces joined; a client that goes away
cancels the upstream call (the fake sees the connection close) and what
arrived is stored with metadata.partial; validation errors come before the
stream as JSON envelopes; keep-alive comments fill long silences."""
import json
import os
import signal
import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chimera_api as ca
from chat_helpers import (  # noqa: F401  (fake: fixture)
    MODEL_FOR, PROVIDERS, ChatEnv, check_message, create_conversation, create_integration,
    echo_reply, fake, get_conversation, new_key, send_failure, send_ok, system_text, workspace,
)
from chimera_api import ok_data

KEEPALIVE_MS = 300
LONG_REPLY = " ".join("word%d" % i for i in range(60))


@pytest.fixture(scope="module")
def chat():
    env = ChatEnv(name="chat-stream", CHIMERA_STREAM_KEEPALIVE_MS=KEEPALIVE_MS)
    yield env
    env.close()


@pytest.fixture(scope="module")
def api(chat):
    return chat.api


@pytest.fixture(scope="module")
def keyed(chat):
    chat.fake.reset()
    u = chat.user("Streamer")
    u.keys = {}
    for p in PROVIDERS:
        u.keys[p] = new_key("sk-%s-" % p)
        assert create_integration(chat.api, u, p, u.keys[p])["status"] == "connected"
    u.wid = workspace(chat.api, u)
    u.prop_convs = {}
    return u


# ------------------------------------------------------------------ an SSE client

class Stream:
    """A raw HTTP/1.1 request on a socket, its answer read as server-sent events
    (chunked transfer decoded by hand, so the test sees bytes as they come)."""

    def __init__(self, api, token, cid, body, accept="text/event-stream"):
        data = json.dumps(body).encode()
        self.sock = socket.create_connection(("127.0.0.1", api.port), timeout=20)
        head = ("POST /api/conversations/%s/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Accept: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                % (cid, token, accept, len(data)))
        self.sock.sendall(head.encode() + data)
        self.raw = b""
        self.status, self.headers = self._head()
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self.text = ""          # the decoded body so far

    def _more(self):
        b = self.sock.recv(65536)
        if not b:
            raise EOFError
        self.raw += b

    def _head(self):
        while b"\r\n\r\n" not in self.raw:
            self._more()
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for ln in lines[1:]:
            k, v = ln.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        return int(lines[0].split()[1]), headers

    def _chunk(self):
        """The next chunk's bytes ("" at the last chunk)."""
        if not self.chunked:
            if not self.raw:
                try:
                    self._more()
                except EOFError:
                    return ""
            out, self.raw = self.raw, b""
            return out.decode()
        while b"\r\n" not in self.raw:
            self._more()
        size_line, rest = self.raw.split(b"\r\n", 1)
        n = int(size_line.split(b";")[0], 16)
        while len(rest) < n + 2:
            self._more()
            size_line, rest = self.raw.split(b"\r\n", 1)
        self.raw = rest[n + 2:]
        return rest[:n].decode()

    def frames(self):
        """Yields (kind, value): ("comment", text) or (event name, data text)."""
        while True:
            while "\n\n" not in self.text:
                c = self._chunk()
                if c == "":
                    assert self.text == "", "stream ended inside a frame: %r" % self.text
                    return
                self.text += c
            frame, self.text = self.text.split("\n\n", 1)
            lines = frame.split("\n")
            if all(ln.startswith(":") for ln in lines):
                yield "comment", frame
                continue
            event, data = "message", []
            for ln in lines:
                k, _, v = ln.partition(":")
                v = v[1:] if v.startswith(" ") else v
                if k == "event":
                    event = v
                elif k == "data":
                    data.append(v)
            yield event, "\n".join(data)

    def close(self):
        self.sock.close()


def stream_all(api, user, cid, content, **extra):
    """Sends content streamed; returns (stream, events without comments, comments)."""
    body = {"content": content}
    body.update(extra)
    s = Stream(api, user.token, cid, body)
    events, comments = [], []
    if s.status == 200:
        for kind, value in s.frames():
            (comments if kind == "comment" else events).append((kind, value))
    s.close()
    return s, events, comments


def check_events(events):
    """deltas then exactly one final event; returns (pieces, final name, final data)."""
    assert events, "no events"
    *deltas, (last, data) = events
    for name, d in deltas:
        assert name == "delta", events
        obj = json.loads(d)
        assert set(obj) == {"content"} and isinstance(obj["content"], str), obj
    assert last in ("done", "error"), events
    return [json.loads(d)["content"] for _, d in deltas], last, json.loads(data)


def assistant_messages(api, user, cid):
    return [m for m in get_conversation(api, user, cid)["messages"] if m["role"] == "assistant"]


# ------------------------------------------------------------------ echo

def test_echo_streams_word_by_word_and_done_is_the_json_answer(api, chat):
    u = chat.user()
    wid = workspace(api, u)
    cid = create_conversation(api, u, wid)["id"]
    text = "tell me three things  about\tstreams"
    s, events, _ = stream_all(api, u, cid, text)
    assert s.status == 200, s.status
    assert s.headers["content-type"].startswith("text/event-stream"), s.headers
    assert s.headers.get("cache-control") == "no-cache", s.headers
    pieces, last, done = check_events(events)
    assert last == "done", events
    reply = echo_reply(text)
    assert "".join(pieces) == reply
    assert len(pieces) == len(reply.split()), pieces        # one word each
    assert set(done) == {"userMessage", "assistantMessage"}, done
    check_message(done["userMessage"], cid)
    a = check_message(done["assistantMessage"], cid)
    assert a["content"] == reply and a["role"] == "assistant"
    assert done["userMessage"]["content"] == text
    # the same shape as the JSON answer
    j = send_ok(api, u, cid, text)
    assert set(j["assistantMessage"]["metadata"]) == set(a["metadata"]), (j, a)
    stored = get_conversation(api, u, cid)["messages"]
    assert stored[0] == done["userMessage"] and stored[1] == a


def test_validation_errors_come_before_the_stream_as_json(api, chat):
    u = chat.user()
    wid = workspace(api, u)
    cid = create_conversation(api, u, wid)["id"]
    for body, field in (({"content": "   "}, "content"), ({"content": "x", "role": "nope"}, "role"),
                        ({"content": "x", "getAiResponse": "maybe"}, "getAiResponse")):
        s = Stream(api, u.token, cid, body)
        assert s.status == 400, s.status
        assert s.headers["content-type"].startswith("application/json")
        env = json.loads("".join(iter(s._chunk, "")) if s.chunked else s.raw.decode()
                         or s._chunk())
        s.close()
        assert env["ok"] is False and env["data"] is None and field in env["error"], env
    s = Stream(api, u.token, "conv-000000000000", {"content": "x"})
    assert s.status == 404, s.status
    s.close()
    assert get_conversation(api, u, cid)["messages"] == []


def test_without_an_integration_the_400_comes_before_the_stream(api, chat):
    u = chat.user()
    wid = workspace(api, u)
    cid = create_conversation(api, u, wid, model_id=MODEL_FOR["openai"][0])["id"]
    s = Stream(api, u.token, cid, {"content": "hello"})
    assert s.status == 400, s.status
    assert s.headers["content-type"].startswith("application/json")
    s.close()


def test_get_ai_response_false_answers_json(api, chat):
    u = chat.user()
    wid = workspace(api, u)
    cid = create_conversation(api, u, wid)["id"]
    s = Stream(api, u.token, cid, {"content": "just store", "getAiResponse": False})
    assert s.status == 201 and s.headers["content-type"].startswith("application/json")
    s.close()


# ------------------------------------------------------------------ providers

def expected_stream_call(provider, call, key, upstream, text):
    body = call["body"]
    if provider == "google":
        assert call["path"] == "/v1beta/models/%s:streamGenerateContent" % upstream, call
        assert call["query"] == {"alt": "sse", "key": key}, call["query"]
        assert "stream" not in body, body
        assert body["contents"][-1] == {"role": "user", "parts": [{"text": text}]}, body
        assert body["generationConfig"] == {"temperature": 0.7, "maxOutputTokens": 2000}
    elif provider == "anthropic":
        assert call["path"] == "/v1/messages", call
        assert call["headers"].get("x-api-key") == key
        assert body["stream"] is True and body["model"] == upstream, body
        assert body["max_tokens"] == 2000 and body["temperature"] == 0.7, body
        assert body["messages"][-1] == {"role": "user", "content": text}, body
        assert body["system"] == system_text([]), body
    else:
        path = {"openai": "/v1/chat/completions", "deepseek": "/chat/completions",
                "groq": "/openai/v1/chat/completions"}[provider]
        assert call["path"] == path, call
        assert call["headers"].get("Authorization") == "Bearer " + key
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        assert body["model"] == upstream and body["max_tokens"] == 2000, body
        assert body["messages"][0] == {"role": "system", "content": system_text([])}, body
        assert body["messages"][-1] == {"role": "user", "content": text}, body


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_stream(api, chat, keyed, fake, provider):
    model_id, upstream = MODEL_FOR[provider]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    fake.config(stream_delay_ms=5)
    text = "stream %s please" % provider
    s, events, _ = stream_all(api, keyed, cid, text)
    assert s.status == 200
    pieces, last, done = check_events(events)
    assert last == "done", events
    reply = "fake reply: " + text
    assert "".join(pieces) == reply and len(pieces) == len(reply.split()), pieces
    a = check_message(done["assistantMessage"], cid)
    assert a["content"] == reply
    meta = a["metadata"]
    assert set(meta) == {"tokens", "model_version", "provider", "responseTimeMs"}, meta
    assert meta["provider"] == provider and meta["model_version"] == upstream, meta
    if provider == "google":
        assert meta["tokens"] == 0
    else:                       # usage as the fake reports it, as the JSON call gets it
        assert meta["tokens"] > len(reply.split()), meta
    calls = fake.chat_calls()
    assert len(calls) == 1, calls
    expected_stream_call(provider, calls[0], keyed.keys[provider], upstream, text)
    assert calls[0]["stream"] == {"sent": len(pieces), "total": len(pieces), "hung_up": False}
    stored = assistant_messages(api, keyed, cid)
    assert stored == [a]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
def test_error_before_and_inside_the_stream(api, chat, keyed, fake, provider):
    model_id, _ = MODEL_FOR[provider]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    fake.config(mode="ratelimit")
    s, events, _ = stream_all(api, keyed, cid, "hello")
    assert s.status == 200
    pieces, last, err = check_events(events)
    assert last == "error" and pieces == [], events
    assert isinstance(err, str) and err.startswith("AI response failed: "), err
    assert "rate limit" in err.lower(), err
    fake.config(mode="stream_error")
    s, events, _ = stream_all(api, keyed, cid, "one two three four")
    pieces, last, err = check_events(events)
    assert last == "error" and len(pieces) == 2, events
    assert err == "AI response failed: upstream overloaded", err
    assert assistant_messages(api, keyed, cid) == []        # no assistant message on failure
    users = [m for m in get_conversation(api, keyed, cid)["messages"] if m["role"] == "user"]
    assert len(users) == 2


def test_client_gone_cancels_upstream_and_keeps_the_partial_reply(api, chat, keyed, fake):
    model_id, _ = MODEL_FOR["openai"]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    fake.config(reply=LONG_REPLY, stream_delay_ms=100)
    s = Stream(api, keyed.token, cid, {"content": "long please"})
    assert s.status == 200
    got = []
    for kind, value in s.frames():
        if kind == "delta":
            got.append(json.loads(value)["content"])
        if len(got) == 3:
            break
    s.close()
    deadline = time.time() + 20
    while time.time() < deadline:
        info = fake.chat_calls()[0]["stream"]
        stored = assistant_messages(api, keyed, cid)
        if info["hung_up"] and stored:
            break
        time.sleep(0.1)
    assert info["hung_up"] is True, info                 # the upstream call was cut
    assert info["sent"] < info["total"], info
    assert len(stored) == 1, stored
    a = stored[0]
    assert a["metadata"].get("partial") is True, a
    assert a["metadata"]["provider"] == "openai", a
    text = a["content"]
    assert text.startswith("".join(got)), (text, got)  # what arrived, in order
    assert LONG_REPLY.startswith(text) and len(text) < len(LONG_REPLY), text
    assert len(text.split()) <= info["sent"], (text, info)


def test_keepalive_comments_during_silence(api, chat, keyed, fake):
    model_id, _ = MODEL_FOR["anthropic"]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    fake.config(stream_pause_ms=KEEPALIVE_MS * 5)
    s, events, comments = stream_all(api, keyed, cid, "slow start")
    pieces, last, done = check_events(events)
    assert last == "done" and "".join(pieces) == "fake reply: slow start"
    assert len(comments) >= 2, comments
    assert all(c == ": keep-alive" for _, c in comments), comments
    # a fast reply has none
    fake.config()
    s, events, comments = stream_all(api, keyed, cid, "fast")
    assert comments == [] and check_events(events)[1] == "done"


def test_streams_do_not_block_other_requests(api, chat, keyed, fake):
    """More streams waiting on a silent provider than worker threads: reads
    still answer, then every stream completes."""
    model_id, _ = MODEL_FOR["groq"]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    fake.config(stream_pause_ms=3000)
    streams = [Stream(api, keyed.token, cid, {"content": "wait %d" % i}) for i in range(12)]
    t0 = time.time()
    for _ in range(5):
        ok_data(api.get("/workspaces/" + keyed.wid, token=keyed.token))
    assert time.time() - t0 < 2.5, "reads waited for the streams"   # 10x margin over ~0.25 s
    for i, s in enumerate(streams):
        events = [(k, v) for k, v in s.frames() if k != "comment"]
        s.close()
        pieces, last, _ = check_events(events)
        assert last == "done" and "".join(pieces) == "fake reply: wait %d" % i


def test_google_404_retries_once_with_the_fallback_model(api, chat, keyed, fake):
    cid = create_conversation(api, keyed, keyed.wid, model_id="model-gemini-1.5-pro")["id"]
    fake.config(mode="error500", status=404)
    s, events, _ = stream_all(api, keyed, cid, "anyone there")
    pieces, last, err = check_events(events)
    assert last == "error" and pieces == [] and err.startswith("AI response failed: "), events
    paths = [c["path"] for c in fake.chat_calls()]
    assert paths == ["/v1beta/models/gemini-1.5-pro-latest:streamGenerateContent",
                     "/v1beta/models/gemini-2.0-flash:streamGenerateContent"], paths
    assert assistant_messages(api, keyed, cid) == []


def test_sigterm_lets_a_running_stream_finish(chat, fake):
    s = chat.start_server(name="stream-shutdown")
    a = ca.Api(s)
    u = ca.User(a)
    create_integration(a, u, "openai")
    cid = create_conversation(a, u, workspace(a, u), MODEL_FOR["openai"][0])["id"]
    fake.config(reply="one two three four five six seven eight", stream_delay_ms=150)
    st = Stream(a, u.token, cid, {"content": "finish me"})
    assert st.status == 200
    frames = st.frames()
    assert next(frames)[0] == "delta"
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    s.sent_term = True
    events = [(k, v) for k, v in frames if k != "comment"]
    st.close()
    try:
        rc = s.proc.wait(timeout=15)
    finally:
        s._err.close()
        s._out.close()
    pieces, last, done = check_events(events)
    assert last == "done", events
    assert done["assistantMessage"]["content"] == "one two three four five six seven eight"
    assert rc == 0, s.read_log()[-2000:]
    assert time.monotonic() - t0 < 10
    assert not s.problems()


REPLY_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     min_size=1, max_size=120)


@settings(max_examples=int(os.environ.get("CHIMERA_PROPERTY_EXAMPLES", "100")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(reply=REPLY_TEXT, provider=st.sampled_from(["openai", "anthropic", "google"]))
def test_property_pieces_joined_are_the_reply(api, chat, keyed, reply, provider):
    """Any reply text (controls, quotes, newlines, astral characters) crosses
    the provider's stream format, the decoder and the delta events intact,
    and the stored message is the pieces joined."""
    chat.fake.config(reply=reply)
    cid = keyed.prop_convs.get(provider)
    if cid is None:
        cid = keyed.prop_convs[provider] = create_conversation(
            api, keyed, keyed.wid, model_id=MODEL_FOR[provider][0])["id"]
    s, events, _ = stream_all(api, keyed, cid, "p")
    pieces, last, done = check_events(events)
    assert last == "done", events
    assert "".join(pieces) == reply
    assert done["assistantMessage"]["content"] == reply
    stored = ok_data(api.get("/conversations/" + cid, token=keyed.token))["messages"]
    assert [m for m in stored if m["id"] == done["assistantMessage"]["id"]][0]["content"] == reply


def test_hang_up_during_silence_cancels_at_once(chat, fake):
    """Keep-alive far away (60 s): a client that hangs up while the provider is
    still silent is noticed from its socket: the request ends (its log line is
    written, the provider call is cancelled) before the provider's first word."""
    s = chat.start_server(name="stream-hangup", CHIMERA_STREAM_KEEPALIVE_MS=60000)
    a = ca.Api(s)
    u = ca.User(a)
    create_integration(a, u, "openai")
    cid = create_conversation(a, u, workspace(a, u), MODEL_FOR["openai"][0])["id"]
    fake.config(stream_pause_ms=15000)

    def ended():
        for line in s.read_log().splitlines():
            if '"method":"POST"' in line and "/messages" in line and '"status":200' in line:
                return True
        return False

    st = Stream(a, u.token, cid, {"content": "never mind"})
    assert st.status == 200
    while not fake.chat_calls():
        time.sleep(0.05)
    st.close()
    deadline = time.time() + 12
    while time.time() < deadline and not ended():
        time.sleep(0.1)
    assert ended(), "the stream did not end when its client hung up"
    assert fake.chat_calls()[0]["stream"]["sent"] == 0    # the provider was still silent
    messages = get_conversation(a, u, cid)["messages"]
    assert [m["role"] for m in messages] == ["user"], messages     # nothing had arrived
    s.stop()


# ------------------------------------------------------------------ answers that are no stream

NO_REPLY = "AI response failed: Unexpected provider response: no reply in the stream"
STREAM_GARBAGE = [
    # (status, body) a provider answers a streamed call with, not as events ->
    # the error event, as the same answer to an unstreamed call words it
    ((503, "upstream connect error or disconnect/reset before headers"),
     "AI response failed: upstream connect error or disconnect/reset before headers"),
    ((500, ""), "AI response failed: API returned status 500"),
    ((400, '{"error": "model not found"}'), "AI response failed: model not found"),
    ((500, '{"error": {"message": "upstream said HTTP 429"}}'),
     "AI response failed: upstream said HTTP 429"),
    # a 2xx that holds no event: no reply (it stored an empty one)
    ((200, '{"choices": [{"message": {"content": "not streamed"}}]}'), NO_REPLY),
    ((200, "[]"), NO_REPLY),
    ((200, ""), NO_REPLY),
]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google", "deepseek"])
def test_answer_that_is_no_event_stream(api, chat, keyed, fake, provider):
    model_id, _ = MODEL_FOR[provider]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    for (status, raw), want in STREAM_GARBAGE:
        fake.config("raw", status=status, body=raw)
        s, events, _ = stream_all(api, keyed, cid, "stream %d %s" % (status, raw[:10] or "-"))
        assert s.status == 200
        pieces, last, err = check_events(events)
        assert (pieces, last, err) == ([], "error", want), (status, raw, events)
    assert assistant_messages(api, keyed, cid) == []
    users = [m for m in get_conversation(api, keyed, cid)["messages"] if m["role"] == "user"]
    assert len(users) == len(STREAM_GARBAGE)
    # an empty reply the provider completes properly is a reply
    fake.config(reply="")
    s, events, _ = stream_all(api, keyed, cid, "say nothing")
    pieces, last, done = check_events(events)
    assert last == "done" and "".join(pieces) == "", events
    assert done["assistantMessage"]["content"] == ""


# ------------------------------------------------------------------ streams that break off

@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
def test_provider_connection_lost_mid_stream(api, chat, keyed, fake, provider):
    """The provider's connection breaks inside the body after two words: the
    two deltas, then the error event; no assistant message is stored."""
    model_id, _ = MODEL_FOR[provider]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    fake.config(mode="stream_drop")
    s, events, _ = stream_all(api, keyed, cid, "one two three four")
    assert s.status == 200
    pieces, last, err = check_events(events)
    assert last == "error" and "".join(pieces) == "fake reply: ", events
    assert isinstance(err, str) and err.startswith("AI response failed: "), err
    assert err != "AI response failed: unknown error", err
    assert assistant_messages(api, keyed, cid) == []
    (call,) = fake.chat_calls()
    assert call["stream"]["sent"] == 2, call["stream"]


def test_provider_connection_refused_before_the_stream(api, chat, keyed, fake):
    """The provider closes the connection without answering: the stream
    carries only the error event."""
    model_id, _ = MODEL_FOR["deepseek"]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    fake.config(mode="drop")
    s, events, _ = stream_all(api, keyed, cid, "anyone?")
    assert s.status == 200
    pieces, last, err = check_events(events)
    assert (pieces, last) == ([], "error"), events
    assert err.startswith("AI response failed: ") and err != "AI response failed: unknown error"
    assert assistant_messages(api, keyed, cid) == []


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
def test_stream_without_its_end_events_keeps_the_text(api, chat, keyed, fake, provider):
    """Every word arrives and the body ends properly, but without the
    provider's end events ([DONE], message_stop, a finish reason): the text
    that came is the reply, stored and answered with "done"."""
    model_id, upstream = MODEL_FOR[provider]
    cid = create_conversation(api, keyed, keyed.wid, model_id=model_id)["id"]
    fake.config(mode="stream_no_end")
    text = "no end marker"
    s, events, _ = stream_all(api, keyed, cid, text)
    pieces, last, done = check_events(events)
    reply = "fake reply: " + text
    assert last == "done" and "".join(pieces) == reply, events
    a = check_message(done["assistantMessage"], cid)
    assert a["content"] == reply and "partial" not in a["metadata"], a
    assert a["metadata"]["provider"] == provider
    assert assistant_messages(api, keyed, cid) == [a]


def outbound_ok(api, target):
    """chimera_outbound_requests_total{target=…, outcome="ok"} of this node."""
    r = api.get("/metrics")
    assert r.status_code == 200, r.text
    for line in r.text.splitlines():
        if line.startswith("chimera_outbound_requests_total{") and \
                'target="%s"' % target in line and 'outcome="ok"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_client_gone_after_the_provider_finished_keeps_the_whole_reply(chat, fake):
    """A client that stops reading (the reply is larger than the sockets
    hold) and hangs up after the provider's stream has ended: the whole reply
    is stored once, not marked partial, with the provider's token count."""
    s = chat.start_server(name="stream-unread", CHIMERA_OUTBOUND_MAX_BODY=str(64 << 20))
    a = ca.Api(s)
    u = ca.User(a)
    create_integration(a, u, "openai")
    cid = create_conversation(a, u, workspace(a, u), MODEL_FOR["openai"][0])["id"]
    reply = " ".join("w%d" % i + "x" * 50000 for i in range(200))     # ~10 MB
    fake.config(reply=reply)
    data = json.dumps({"content": "a long one"}).encode()
    before = outbound_ok(a, "openai")      # the integration's key test counted already
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)    # before connect
    sock.settimeout(20)
    sock.connect(("127.0.0.1", a.port))
    sock.sendall(("POST /api/conversations/%s/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                  "Accept: text/event-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                  % (cid, u.token, len(data))).encode() + data)
    assert sock.recv(12).startswith(b"HTTP/1.1 200"), "no stream"
    deadline = time.time() + 120                    # only against a hang
    while outbound_ok(a, "openai") < before + 1:
        assert time.time() < deadline, "the provider's stream did not end"
        time.sleep(0.1)
    time.sleep(0.5)         # the transfer's end reaches the stream
    assert assistant_messages(a, u, cid) == []      # still unsent: nothing stored yet
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()                                    # unread bytes: a reset
    deadline = time.time() + 30
    while not (stored := assistant_messages(a, u, cid)):
        assert time.time() < deadline, "nothing stored after the client went away"
        time.sleep(0.1)
    assert len(stored) == 1
    m = stored[0]
    assert m["content"] == reply
    assert "partial" not in m["metadata"], m["metadata"]
    assert m["metadata"]["provider"] == "openai" and m["metadata"]["tokens"] > 200
    (call,) = fake.chat_calls()
    assert call["stream"]["sent"] == call["stream"]["total"] == 200
    time.sleep(0.5)
    assert len(assistant_messages(a, u, cid)) == 1      # stored once
    s.stop()


def test_shortest_keepalive_period(chat, fake):
    """CHIMERA_STREAM_KEEPALIVE_MS at its lowest (10): comments fill a silence
    of the provider, each frame whole, and the reply still arrives whole."""
    s = chat.start_server(name="stream-keepalive-10", CHIMERA_STREAM_KEEPALIVE_MS=10)
    a = ca.Api(s)
    u = ca.User(a)
    create_integration(a, u, "anthropic")
    cid = create_conversation(a, u, workspace(a, u), MODEL_FOR["anthropic"][0])["id"]
    fake.config(stream_pause_ms=500)
    st, events, comments = stream_all(a, u, cid, "quiet first")
    pieces, last, done = check_events(events)
    assert last == "done" and "".join(pieces) == "fake reply: quiet first", events
    assert len(comments) >= 5, comments
    assert all(c == ": keep-alive" for _, c in comments), comments
    s.stop()
