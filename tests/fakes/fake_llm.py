#!/usr/bin/env python3
"""fake_llm.py — fake OpenAI-compatible, Anthropic and Gemini servers in one
process on 127.0.0.1, for the API suite and the benchmarks (stdlib only).

    python3 tests/fakes/fake_llm.py [PORT]     # first stdout line: "PORT <n>"

Point chimerad at it with
    CHIMERA_OPENAI_BASE_URL=http://127.0.0.1:<n>/v1
    CHIMERA_DEEPSEEK_BASE_URL=http://127.0.0.1:<n>
    CHIMERA_GROQ_BASE_URL=http://127.0.0.1:<n>/openai/v1
    CHIMERA_ANTHROPIC_BASE_URL=http://127.0.0.1:<n>/v1
    CHIMERA_GOOGLE_BASE_URL=http://127.0.0.1:<n>

Provider endpoints (every call is recorded):
    POST /v1/chat/completions  /chat/completions  /openai/v1/chat/completions
    GET  /v1/models            /models            /openai/v1/models
    POST /v1/messages                                   (Anthropic)
    POST /v1beta/models/<model>:generateContent         (Gemini)
    POST /v1beta/models/<model>:streamGenerateContent?alt=sse  (Gemini, streamed)
    GET  /v1beta/models                                 (Gemini)
    POST /v1/embeddings        /embeddings                   (OpenAI embeddings)

Control endpoints (not recorded):
    GET  /_requests   recorded calls: [{method, path, query, headers, body}]
    POST /_reset      forget the calls, back to mode "ok"
    POST /_config     {"mode": ..., "delay_ms": int, "reply": "text", "status": int,
                       "dim": int, "body": "text"}

Modes: ok (answer "fake reply: <last user message>", or "reply" if set),
slow (ok after delay_ms; delay_ms also delays every other mode), error500,
ratelimit (429), unauthorized (401; Gemini answers 400 as the real one
does), malformed (200, not JSON), endless (200, bytes until the client hangs
up, at most 60 s), drop (close without answering). "status" overrides the
HTTP status of error500/ratelimit/unauthorized (e.g. 402 for deepseek).
Mode raw answers every provider call with "body" exactly as given (UTF-8,
Content-Type application/json, not streamed) under "status" (default 200):
answers of the wrong shape, error bodies in any format.

Streaming: a chat call asking for it ("stream": true; Gemini's
streamGenerateContent) is answered with server-sent events in each
provider's format, chunked: the reply split into words (each with the space
after it), one event per word, "stream_delay_ms" apart, after a silence of
"stream_pause_ms". OpenAI-style streams end with a usage chunk when
stream_options.include_usage is set, then "data: [DONE]". Mode
stream_error sends two words, then the provider's error event; stream_drop
sends two words, then closes the connection inside the chunked body;
stream_no_end sends every word and ends the body properly but without the
provider's end events (no finish reason, message_stop or [DONE]). The call's
record gains "stream": {"sent": words sent, "total": words, "hung_up":
true when the client closed the connection before the end}.

Embeddings: each input's vector has "dim" numbers (default: the request's
"dimensions", else 8): word counts hashed into buckets (SHA-256 of the
lower-cased word), not normalised, listed in reverse input order with their
"index". Extra modes: short_vectors (one number too few), missing_vectors
(one vector too few).
"""
import hashlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

DEFAULTS = {"mode": "ok", "delay_ms": 0, "reply": None, "status": None, "dim": None,
            "stream_delay_ms": 0, "stream_pause_ms": 0, "body": None}
MAX_RECORDED = 10000
ENDLESS_CAP_S = 60

state = dict(DEFAULTS)
recorded = []
lock = threading.Lock()

OPENAI_CHAT = ("/v1/chat/completions", "/chat/completions", "/openai/v1/chat/completions")
OPENAI_MODELS = ("/v1/models", "/models", "/openai/v1/models")
OPENAI_EMBEDDINGS = ("/v1/embeddings", "/embeddings")


def words(text):
    return len(str(text).split())


def text_of(content):
    """Message content as text: a string, or a list of parts/blocks."""
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def last_user(turns, key="content"):
    for turn in reversed(turns or []):
        if isinstance(turn, dict) and turn.get("role") == "user":
            if key == "parts":
                return text_of(turn.get("parts"))
            return text_of(turn.get(key))
    return ""


def reply_text(user_text, cfg):
    return cfg["reply"] if cfg["reply"] is not None else "fake reply: " + user_text


# ---- provider-shaped answers ----------------------------------------------

def openai_chat(body, cfg):
    msgs = body.get("messages") or []
    text = reply_text(last_user(msgs), cfg)
    prompt = sum(words(text_of(m.get("content"))) for m in msgs if isinstance(m, dict))
    return 200, {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": words(text),
                  "total_tokens": prompt + words(text)},
    }


def anthropic_chat(body, cfg):
    msgs = body.get("messages") or []
    text = reply_text(last_user(msgs), cfg)
    prompt = words(body.get("system", "")) + sum(words(text_of(m.get("content"))) for m in msgs)
    return 200, {
        "id": "msg_fake", "type": "message", "role": "assistant",
        "model": body.get("model", "fake"), "stop_reason": "end_turn",
        "content": [{"type": "text", "text": text}],
        "usage": {"input_tokens": prompt, "output_tokens": words(text)},
    }


def gemini_chat(body, cfg, model):
    text = reply_text(last_user(body.get("contents"), key="parts"), cfg)
    return 200, {
        "candidates": [{"index": 0, "finishReason": "STOP",
                        "content": {"role": "model", "parts": [{"text": text}]}}],
        "usageMetadata": {"candidatesTokenCount": words(text)},
        "modelVersion": model,
    }


def pieces(text):
    """Words, each with the whitespace after it: joined, they are text."""
    out, cur = [], ""
    for ch in text:
        if cur and not ch.isspace() and cur[-1].isspace():
            out.append(cur)
            cur = ""
        cur += ch
    return out + ([cur] if cur else [])


def openai_stream(body, cfg):
    """(events, tail): SSE data objects of a streamed chat completion."""
    status, full = openai_chat(body, cfg)
    model, text = full["model"], full["choices"][0]["message"]["content"]
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": model}
    head = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}}])]
    words_ = [dict(base, choices=[{"index": 0, "delta": {"content": p}}]) for p in pieces(text)]
    tail = [dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])]
    if (body.get("stream_options") or {}).get("include_usage"):
        tail.append(dict(base, choices=[], usage=full["usage"]))
    return ([("message", e) for e in head], [("message", e) for e in words_],
            [("message", e) for e in tail] + [("message", "[DONE]")])


def anthropic_stream(body, cfg):
    status, full = anthropic_chat(body, cfg)
    text = full["content"][0]["text"]
    head = [("message_start", {"type": "message_start", "message": {
                "id": "msg_fake", "type": "message", "role": "assistant", "model": full["model"],
                "content": [], "usage": {"input_tokens": full["usage"]["input_tokens"],
                                         "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
            ("ping", {"type": "ping"})]
    words_ = [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                       "delta": {"type": "text_delta", "text": p}})
              for p in pieces(text)]
    tail = [("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                               "usage": {"output_tokens": full["usage"]["output_tokens"]}}),
            ("message_stop", {"type": "message_stop"})]
    return head, words_, tail


def gemini_stream(body, cfg, model):
    status, full = gemini_chat(body, cfg, model)
    text = full["candidates"][0]["content"]["parts"][0]["text"]
    ps = pieces(text)
    words_ = [("message", {"candidates": [{"index": 0, "content": {
                  "role": "model", "parts": [{"text": p}]}}], "modelVersion": model})
              for p in ps]
    tail = [("message", {"candidates": [{"index": 0, "finishReason": "STOP", "content": {
                 "role": "model", "parts": [{"text": ""}]}}],
             "usageMetadata": full["usageMetadata"], "modelVersion": model})]
    return [], words_, tail


STREAM_ERRORS = {
    "openai": ("message", {"error": {"message": "upstream overloaded", "type": "server_error"}}),
    "anthropic": ("error", {"type": "error", "error": {"type": "overloaded_error",
                                                       "message": "upstream overloaded"}}),
    "gemini": ("message", {"error": {"code": 503, "message": "upstream overloaded"}}),
}


def wants_stream(kind, body, query):
    if kind == "gemini-stream":
        return True
    return kind in ("openai", "anthropic") and body.get("stream") is True


def fake_vector(text, dim):
    vec = [0.0] * dim
    for word in str(text).lower().split():
        vec[hashlib.sha256(word.encode()).digest()[0] % dim] += 1.0
    return vec


def openai_embeddings(body, cfg):
    inputs = body.get("input")
    inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
    dim = cfg["dim"] or body.get("dimensions") or 8
    data = [{"object": "embedding", "index": i, "embedding": fake_vector(t, dim)}
            for i, t in enumerate(inputs)]
    if cfg["mode"] == "short_vectors":
        for d in data:
            d["embedding"] = d["embedding"][:-1]
    if cfg["mode"] == "missing_vectors":
        data = data[:-1]
    return 200, {"object": "list", "data": data[::-1], "model": body.get("model", "fake"),
                 "usage": {"prompt_tokens": sum(len(str(t).split()) for t in inputs),
                           "total_tokens": sum(len(str(t).split()) for t in inputs)}}


def openai_models():
    return 200, {"object": "list", "data": [
        {"id": m, "object": "model"} for m in ("gpt-4o", "deepseek-chat", "llama-3.3-70b-versatile")]}


def gemini_models():
    return 200, {"models": [{"name": "models/gemini-2.0-flash"}, {"name": "models/gemini-1.5-pro"}]}


def error_answer(mode, kind, cfg):
    if mode == "error500":
        status, body = 500, {"error": {"message": "boom"}}
    elif mode == "ratelimit":
        status, body = 429, {"error": {"message": "Rate limit reached"}}
    elif kind.startswith("gemini"):
        status, body = 400, {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                       "message": "API key not valid. Please pass a valid API key."}}
    elif kind == "anthropic":
        status, body = 401, {"type": "error", "error": {"type": "authentication_error",
                                                        "message": "invalid x-api-key"}}
    else:
        status, body = 401, {"error": {"message": "Incorrect API key provided"}}
    return cfg["status"] or status, body


# ---- HTTP ------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # replies are small: no 40 ms delayed-ACK stalls
    server_version = "fake-llm/1"

    def log_message(self, fmt, *args):          # quiet unless -v
        if "-v" in sys.argv:
            super().log_message(fmt, *args)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return raw, json.loads(raw) if raw else None
        except ValueError:
            return raw, None

    def send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urlsplit(self.path)
        raw, body = self.read_body()
        if url.path.startswith("/_"):
            return self.control(method, url.path, body)
        kind, model = route(method, url.path)
        if kind is None:
            return self.send_json(404, {"error": {"message": "no such fake endpoint"}})
        with lock:
            call = {
                "method": method, "path": url.path, "query": dict(parse_qsl(url.query)),
                "headers": dict(self.headers.items()),
                "body": body if body is not None else raw.decode("utf-8", "replace") or None,
            }
            recorded.append(call)
            del recorded[:-MAX_RECORDED]
            cfg = dict(state)
        body = body if isinstance(body, dict) else {}
        if cfg["mode"] in ("ok", "slow", "stream_error", "stream_drop", "stream_no_end") and \
                wants_stream(kind, body, url.query):
            return self.stream(kind, model, body, cfg, call)
        self.answer(kind, model, body, cfg)

    def control(self, method, path, body):
        with lock:
            if method == "GET" and path == "/_requests":
                out = list(recorded)
            elif method == "POST" and path == "/_reset":
                recorded.clear()
                state.clear()
                state.update(DEFAULTS)
                out = {"ok": True}
            elif method == "POST" and path == "/_config" and isinstance(body, dict):
                state.update({k: v for k, v in body.items() if k in DEFAULTS})
                out = dict(state)
            else:
                out = None
        if out is None:
            return self.send_json(404, {"error": {"message": "unknown control call"}})
        self.send_json(200, out)

    def answer(self, kind, model, body, cfg):
        mode = cfg["mode"]
        if cfg["delay_ms"]:
            time.sleep(cfg["delay_ms"] / 1000.0)
        if mode == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "endless":
            return self.endless()
        if mode in ("malformed", "raw"):
            data = (cfg["body"] or "").encode() if mode == "raw" else b"this is not json {"
            self.send_response((cfg["status"] or 200) if mode == "raw" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return self.wfile.write(data)
        if mode in ("error500", "ratelimit", "unauthorized"):
            return self.send_json(*error_answer(mode, kind, cfg))
        if kind == "openai":
            return self.send_json(*openai_chat(body, cfg))
        if kind == "anthropic":
            return self.send_json(*anthropic_chat(body, cfg))
        if kind == "embeddings":
            return self.send_json(*openai_embeddings(body, cfg))
        if kind == "gemini":
            return self.send_json(*gemini_chat(body, cfg, model))
        if kind == "gemini-models":
            return self.send_json(*gemini_models())
        return self.send_json(*openai_models())

    def stream(self, kind, model, body, cfg, call):
        """A streamed chat answer (see the module doc), chunked."""
        if cfg["delay_ms"]:
            time.sleep(cfg["delay_ms"] / 1000.0)
        if kind == "openai":
            head, words_, tail = openai_stream(body, cfg)
        elif kind == "anthropic":
            head, words_, tail = anthropic_stream(body, cfg)
        else:
            head, words_, tail = gemini_stream(body, cfg, model)
        if cfg["mode"] == "stream_error":
            words_, tail = words_[:2], [STREAM_ERRORS["gemini" if kind.startswith("gemini")
                                                      else kind]]
        elif cfg["mode"] == "stream_drop":
            words_, tail = words_[:2], []
        elif cfg["mode"] == "stream_no_end":
            tail = []
        info = {"sent": 0, "total": len(words_), "hung_up": False}
        with lock:
            call["stream"] = info
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()

        def event(name, data):
            text = data if isinstance(data, str) else json.dumps(data)
            frame = ("event: %s\ndata: %s\n\n" % (name, text) if kind == "anthropic"
                     else "data: %s\r\n\r\n" % text).encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(frame), frame))
            self.wfile.flush()

        try:
            for name, data in head:
                event(name, data)
            if cfg["stream_pause_ms"]:
                time.sleep(cfg["stream_pause_ms"] / 1000.0)
            for name, data in words_:
                if cfg["stream_delay_ms"] and info["sent"]:
                    time.sleep(cfg["stream_delay_ms"] / 1000.0)
                event(name, data)
                with lock:
                    info["sent"] += 1
            for name, data in tail:
                event(name, data)
            if cfg["mode"] == "stream_drop":
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            with lock:
                info["hung_up"] = True          # the client closed the connection

    def endless(self):
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b'{"x": "' + b"x" * 65536
        end = time.monotonic() + ENDLESS_CAP_S
        try:
            while time.monotonic() < end:
                self.wfile.write(chunk)
        except OSError:
            pass                                # the client hung up


def route(method, path):
    """(kind, model) for a provider endpoint, (None, None) otherwise."""
    if method == "POST" and path in OPENAI_CHAT:
        return "openai", None
    if method == "POST" and path in OPENAI_EMBEDDINGS:
        return "embeddings", None
    if method == "GET" and path in OPENAI_MODELS:
        return "openai-models", None
    if method == "POST" and path == "/v1/messages":
        return "anthropic", None
    if method == "GET" and path == "/v1beta/models":
        return "gemini-models", None
    prefix, suffix = "/v1beta/models/", ":generateContent"
    if method == "POST" and path.startswith(prefix) and path.endswith(":streamGenerateContent"):
        return "gemini-stream", path[len(prefix):-len(":streamGenerateContent")]
    if method == "POST" and path.startswith(prefix) and path.endswith(suffix):
        return "gemini", path[len(prefix):-len(suffix)]
    return None, None


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    port = int(args[0]) if args else 0
    server = Server(("127.0.0.1", port), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
