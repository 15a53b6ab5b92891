"""The `remote` embedder (CHIMERA_EMBEDDER=remote): an OpenAI-compatible
/v1/embeddings endpoint, here tests/fakes/fake_llm.py. Checks the exact
requests it receives (URL, headers, body, batching), that vectors are
normalised and tagged with the embedder, that a failure stores the memory
with a null vector and metadata.embeddingError which re-embed clears, that
searches embed the query remotely, and that a slow embedding service holds
no worker thread (the server runs one)."""
import hashlib
import math
import threading
import time

import subprocess

import pytest
import requests

import chimera_api as ca
from chat_helpers import FakeLLM
from chimera_api import Api, Server, User, ok_data

DIM = 16
MODEL = "fake-embed"
KEY = "sk-embed-test-123"


def fake_vector(text, dim=DIM):
    """The fake's vector for a text, normalised as chimerad stores it."""
    vec = [0.0] * dim
    for word in text.lower().split():
        vec[hashlib.sha256(word.encode()).digest()[0] % dim] += 1.0
    n = math.sqrt(sum(x * x for x in vec))
    return [x / n for x in vec] if n else vec


def embed_calls(fake):
    return [c for c in fake.requests() if c["path"].endswith("/embeddings")]


@pytest.fixture(scope="module")
def env():
    fake = FakeLLM()
    server = None
    try:
        server = Server({"CHIMERA_EMBEDDER": "remote",
                         "CHIMERA_EMBED_URL": fake.base + "/v1",
                         "CHIMERA_EMBED_MODEL": MODEL,
                         "CHIMERA_EMBED_DIMENSIONS": str(DIM),
                         "CHIMERA_EMBED_API_KEY": KEY,
                         "CHIMERA_EMBED_BATCH": "2",
                         "CHIMERA_EMBED_TIMEOUT": "2",
                         "CHIMERA_THREADS": "1"}, name="remote-emb").start()
        api = Api(server)
        user = User(api)
        wid = ca.create_workspace(api, user)["id"]
        yield fake, api, user, wid
    finally:
        if server:
            server.stop()
        fake.stop()


@pytest.fixture
def fake(env):
    env[0].reset()
    yield env[0]
    env[0].reset()


def create(api, user, wid, title, content, expect=201):
    return ok_data(api.post("/workspaces/%s/memories" % wid, {"title": title, "content": content},
                            token=user.token), expect)


def check_vector(m, text):
    assert m["embedding"] is not None, m
    assert len(m["embedding"]) == DIM
    want = fake_vector(text)
    assert all(abs(a - b) < 1e-4 for a, b in zip(m["embedding"], want)), (m["embedding"], want)
    assert m["metadata"]["embeddingModel"] == "remote:%s/%d" % (MODEL, DIM)
    assert "embeddingError" not in m["metadata"]


def test_create_sends_the_exact_request(env, fake):
    _, api, user, wid = env
    m = create(api, user, wid, "Deploy notes", "blue green deploys on fridays")
    check_vector(m, "Deploy notes\nblue green deploys on fridays")
    calls = embed_calls(fake)
    assert len(calls) == 1, calls
    c = calls[0]
    assert c["method"] == "POST" and c["path"] == "/v1/embeddings"
    assert c["headers"]["Authorization"] == "Bearer " + KEY
    assert c["headers"]["Content-Type"] == "application/json"
    assert c["body"] == {"model": MODEL, "input": ["Deploy notes\nblue green deploys on fridays"],
                         "encoding_format": "float", "dimensions": DIM}


def test_update_embeds_only_when_the_text_changes(env, fake):
    _, api, user, wid = env
    m = create(api, user, wid, "Alpha", "first text")
    fake.reset()
    u = ok_data(api.put("/memories/" + m["id"], {"tags": ["x"]}, token=user.token))
    assert embed_calls(fake) == [] and u["embedding"] == m["embedding"]
    u = ok_data(api.put("/memories/" + m["id"], {"content": "second text"}, token=user.token))
    check_vector(u, "Alpha\nsecond text")
    assert [c["body"]["input"] for c in embed_calls(fake)] == [["Alpha\nsecond text"]]


def test_failure_keeps_the_memory_and_reembed_retries(env, fake):
    _, api, user, wid = env
    fake.config(mode="error500")
    m = create(api, user, wid, "Gamma", "kept despite the failure")
    assert m["embedding"] is None
    assert m["metadata"]["embeddingError"] == "embedding service answered 500: boom"
    assert "embeddingModel" not in m["metadata"]
    got = ok_data(api.get("/memories/" + m["id"], token=user.token))
    assert got["content"] == "kept despite the failure" and got["embedding"] is None
    status = ok_data(api.get("/mcp/index/status", token=user.token))
    assert status["dimension"] == DIM
    fake.config(mode="ok")
    r = ok_data(api.post("/memories/%s/re-embed" % m["id"], token=user.token))
    check_vector(r, "Gamma\nkept despite the failure")
    assert r["version"] == m["version"] + 1


@pytest.mark.parametrize("mode,delay,error", [
    ("short_vectors", 0, "embedding service returned 15 numbers, expected 16"),
    ("missing_vectors", 0, "embedding service returned 0 vectors for 1 texts"),
    ("malformed", 0, "embedding service returned 0 vectors for 1 texts"),
    ("unauthorized", 0, "embedding service answered 401: Incorrect API key provided"),
    ("ok", 3000, "embedding service timed out"),
])
def test_bad_answers_become_embedding_errors(env, fake, mode, delay, error):
    _, api, user, wid = env
    fake.config(mode=mode, delay_ms=delay)
    m = create(api, user, wid, "Delta", "one two three")
    assert m["embedding"] is None and m["metadata"]["embeddingError"] == error, m["metadata"]


def test_long_error_text_is_stored_whole_characters(env, fake):
    """The service's error text is cut to 120 bytes before it is stored in
    the memory's metadata: never inside a character (the cut made the
    stored metadata invalid UTF-8)."""
    _, api, user, wid = env
    fake.config(mode="raw", status=500, body="b" + "é" * 100)
    m = create(api, user, wid, "Zeta", "cut error")
    assert m["embedding"] is None
    want = "embedding service answered 500: b" + "é" * 59
    assert m["metadata"]["embeddingError"] == want, m["metadata"]
    got = ok_data(api.get("/memories/" + m["id"], token=user.token))
    assert got["metadata"]["embeddingError"] == want


def test_unreachable_service(env, fake):
    _, api, user, wid = env
    fake.config(mode="drop")
    m = create(api, user, wid, "Epsilon", "dropped connection")
    assert m["embedding"] is None
    assert m["metadata"]["embeddingError"].startswith("embedding service unreachable: ")


def test_search_embeds_the_query_remotely(env, fake):
    _, api, user, _ = env
    wid = ca.create_workspace(api, user)["id"]
    a = create(api, user, wid, "Cats", "cats purr and sleep")
    create(api, user, wid, "Rockets", "rockets burn fuel")
    fake.reset()
    d = ok_data(api.post("/memories/search", {"query": "cats purr", "workspaceId": wid,
                                              "top_k": 2}, token=user.token))
    assert d["results"][0]["id"] == a["id"]
    assert d["embedder"] == "remote:" + MODEL
    want = sum(x * y for x, y in zip(fake_vector("cats purr"), fake_vector("Cats\ncats purr and sleep")))
    assert abs(d["results"][0]["score"] - want) < 1e-4
    assert [c["body"]["input"] for c in embed_calls(fake)] == [["cats purr"]]
    fake.config(mode="error500")
    ca.assert_error(api.post("/memories/search", {"query": "cats", "workspaceId": wid},
                             token=user.token), 502,
                    "Search failed: could not embed the query: embedding service answered 500: boom")


def test_relevance_list_embeds_the_search_text(env, fake):
    _, api, user, _ = env
    wid = ca.create_workspace(api, user)["id"]
    create(api, user, wid, "Tea", "green tea leaves")
    b = create(api, user, wid, "Tea party", "tea tea party cups")
    fake.reset()
    d = ok_data(api.get("/workspaces/%s/memories" % wid, token=user.token,
                        params={"search": "tea party", "sortBy": "relevance"}))
    assert d["memories"][0]["id"] == b["id"]
    assert [c["body"]["input"] for c in embed_calls(fake)] == [["tea party"]]


def test_relevance_list_without_vectors_is_in_creation_order(env, fake):
    """Memories stored while the service failed have no vector, and a search
    text the service cannot embed scores nothing: they are still listed (all
    that match the search), after the scored ones, oldest first."""
    _, api, user, _ = env
    wid = ca.create_workspace(api, user)["id"]
    fake.config(mode="error500")
    old = create(api, user, wid, "Heron one", "heron wading")
    new = create(api, user, wid, "Heron two", "heron fishing")
    assert old["embedding"] is None and new["embedding"] is None
    fake.config(mode="ok")
    scored = create(api, user, wid, "Heron three", "heron nesting heron")

    def listing(search):
        d = ok_data(api.get("/workspaces/%s/memories" % wid, token=user.token,
                            params={"search": search, "sortBy": "relevance"}))
        return [m["id"] for m in d["memories"]]

    assert listing("heron") == [scored["id"], old["id"], new["id"]]
    fake.config(mode="error500")        # the search text has no vector either
    assert listing("Heron") == [old["id"], new["id"], scored["id"]]


def test_batch_remember_sends_batches_in_order(env, fake):
    _, api, user, wid = env
    items = [{"text": "item number %d" % i, "title": "T%d" % i} for i in range(5)]
    d = ok_data(api.post("/mcp/batch-remember", {"memories": items, "workspace_id": wid},
                         token=user.token), 201)
    assert d["created"] == 5
    inputs = [c["body"]["input"] for c in embed_calls(fake)]
    assert inputs == [["T0\nitem number 0", "T1\nitem number 1"],
                      ["T2\nitem number 2", "T3\nitem number 3"], ["T4\nitem number 4"]]
    for item, made in zip(items, d["memories"]):
        m = ok_data(api.get("/memories/" + made["id"], token=user.token))
        check_vector(m, "%s\n%s" % (item["title"], item["text"]))


def test_close_embeds_the_summary_memory(env, fake):
    _, api, user, wid = env
    c = ok_data(api.post("/workspaces/%s/conversations" % wid,
                         {"title": "Chat", "modelId": "model-echo"}, token=user.token), 201)
    ok_data(api.post("/conversations/%s/messages" % c["id"], {"content": "hello there"},
                     token=user.token), 201)
    fake.reset()
    d = ok_data(api.post("/conversations/%s/close" % c["id"], token=user.token))
    m = ok_data(api.get("/memories/" + d["memory"]["id"], token=user.token))
    check_vector(m, "Chat\n" + m["content"])
    assert len(embed_calls(fake)) == 1


def test_a_slow_embedding_service_holds_no_worker(env, fake):
    """One worker thread: while a create waits on the embedding service (5 s,
    far longer than five health checks take even on a slow build), health
    checks are still answered. Proven by order, not by a stopwatch: every
    check is answered while the create is still waiting."""
    fake.config(mode="ok", delay_ms=5000)
    with Server({"CHIMERA_EMBEDDER": "remote", "CHIMERA_EMBED_URL": fake.base + "/v1",
                 "CHIMERA_EMBED_MODEL": MODEL, "CHIMERA_EMBED_DIMENSIONS": str(DIM),
                 "CHIMERA_EMBED_API_KEY": KEY, "CHIMERA_EMBED_TIMEOUT": "60",
                 "CHIMERA_THREADS": "1"}, name="slow-emb") as server:
        api = Api(server)
        user = User(api)
        wid = ca.create_workspace(api, user)["id"]
        out = {}

        def slow_create():
            out["m"] = create(api, user, wid, "Slow", "slow embedding")

        t = threading.Thread(target=slow_create)
        t.start()
        deadline = time.monotonic() + 30        # only against a hang
        while not embed_calls(fake) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert embed_calls(fake), "the create never reached the embedding service"
        for _ in range(5):
            assert requests.get(server.base + "/api/health", timeout=30).status_code == 200
        assert t.is_alive(), "health waited for the embedding call"
        t.join(60)
    check_vector(out["m"], "Slow\nslow embedding")


@pytest.mark.parametrize("env_extra,message", [
    ({"CHIMERA_EMBED_URL": ""}, "CHIMERA_EMBED_URL must be an http:// or https:// URL"),
    ({"CHIMERA_EMBED_URL": "ftp://x/v1"}, "CHIMERA_EMBED_URL must be an http:// or https:// URL"),
    ({"CHIMERA_EMBED_MODEL": "my-model"}, 'the vector length of model "my-model" is not known'),
    ({"CHIMERA_EMBEDDER": "word2vec"}, 'CHIMERA_EMBEDDER must be hash, remote or minilm'),
    ({"CHIMERA_EMBED_MODEL": "m" * 88},
     "CHIMERA_EMBED_MODEL must name the model (at most 87 characters)"),
    ({"CHIMERA_EMBED_API_KEY": "sk-\x01bad"},
     "CHIMERA_EMBED_API_KEY contains characters a header cannot carry"),
    # a known model's name with more after it is another model
    ({"CHIMERA_EMBED_MODEL": "nomic-embed-text-v2"},
     'the vector length of model "nomic-embed-text-v2" is not known'),
])
def test_bad_settings_stop_the_start(tmp_path, env_extra, message):
    import os
    import subprocess
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    env.update({"CHIMERA_EMBEDDER": "remote", "CHIMERA_EMBED_URL": "http://127.0.0.1:9/v1",
                "CHIMERA_EMBED_MODEL": "custom", "CHIMERA_EMBED_DIMENSIONS": "8",
                "CHIMERA_DATA_DIR": str(tmp_path), "CHIMERA_PORT": str(ca.free_port()),
                "DATABASE_URL": "sqlite:///" + str(tmp_path / "x.db")})
    if "is not known" in message:       # a model without a length of its own
        env.pop("CHIMERA_EMBED_DIMENSIONS")
    env.update(env_extra)
    p = subprocess.run([ca.BIN, "serve"], env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert message in p.stderr, p.stderr


def embed_env(fake, **extra):
    """The environment of `chimerad embed` with the remote embedder on the fake."""
    import os
    import tempfile
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    env.update({"CHIMERA_EMBEDDER": "remote", "CHIMERA_EMBED_URL": fake.base + "/v1/",
                "CHIMERA_EMBED_MODEL": MODEL, "CHIMERA_EMBED_DIMENSIONS": str(DIM),
                "CHIMERA_EMBED_BATCH": "2", "CHIMERA_EMBED_TIMEOUT": "2",
                "CHIMERA_DATA_DIR": tempfile.mkdtemp(prefix="embed-cli-", dir=ca.base_tmp())})
    env.pop("CHIMERA_EMBED_API_KEY", None)
    env.update(extra)
    return env


def run_embed(fake, texts, **extra):
    """`chimerad embed` (the blocking path of the remote embedder) against the fake."""
    return subprocess.run([ca.BIN, "embed"] + texts, env=embed_env(fake, **extra),
                          capture_output=True, text=True, timeout=30)


def test_embed_command_uses_the_service_in_batches(env, fake):
    texts = ["alpha beta", "gamma", "delta delta epsilon"]
    p = run_embed(fake, texts)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().split("\n")
    assert len(lines) == 3
    import json
    for line, text in zip(lines, texts):
        vec = json.loads(line)
        assert all(abs(a - b) < 1e-6 for a, b in zip(vec, fake_vector(text)))
    calls = embed_calls(fake)
    assert [c["body"]["input"] for c in calls] == [texts[:2], texts[2:]]
    assert all("Authorization" not in c["headers"] for c in calls)   # no key: none sent


@pytest.mark.parametrize("mode,delay,message", [
    ("error500", 0, "embedding service answered 500: boom"),
    ("short_vectors", 0, "embedding service returned 15 numbers, expected 16"),
    ("ok", 3000, "embedding service timed out"),
    ("drop", 0, "embedding service unreachable: "),
])
def test_embed_command_reports_failures(env, fake, mode, delay, message):
    fake.config(mode=mode, delay_ms=delay)
    p = run_embed(fake, ["some text"])
    assert p.returncode == 1
    assert "chimerad: embedding failed: " + message in p.stderr, p.stderr


def vec_json(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


ROW = vec_json([1] * DIM)
RAW_ANSWERS = [
    # (status, body) of the service -> the reason `chimerad embed` prints
    (500, '{"error": "overloaded"}', "embedding service answered 500: overloaded"),
    (503, "Service Unavailable", "embedding service answered 503: Service Unavailable"),
    (502, "", "embedding service answered 502"),
    (401, '{"error": {"message": "bad key", "type": "auth"}}',
     "embedding service answered 401: bad key"),
    # a long message is cut to 120 bytes, on a character boundary
    (429, '{"error": {"message": "a%s"}}' % ("é" * 100),
     "embedding service answered 429: a" + "é" * 59),
    (500, "b" + "é" * 100, "embedding service answered 500: b" + "é" * 59),
    (200, "[]", "embedding service returned 0 vectors for 1 texts"),
    (200, '{"data": {}}', "embedding service returned 0 vectors for 1 texts"),
    (200, '{"data": [%s, %s]}' % ('{"embedding": %s}' % ROW, '{"embedding": %s}' % ROW),
     "embedding service returned 2 vectors for 1 texts"),
    (200, '{"data": [{"index": 1, "embedding": %s}]}' % ROW,
     "embedding service returned a bad or repeated index"),
    (200, '{"data": [{"index": "0", "embedding": %s}]}' % ROW,
     "embedding service returned a bad or repeated index"),
    (200, '{"data": [{"index": 0, "embedding": "%s"}]}' % ROW,
     "embedding service returned 0 numbers, expected 16"),
    (200, '{"data": [{"index": 0, "embedding": %s}]}' % vec_json([1] * (DIM - 1) + ['"x"']),
     "embedding service returned a value that is not a number"),
    (200, '{"data": [{"index": 0, "embedding": %s}]}' % vec_json([1] * (DIM - 1) + [1e31]),
     "embedding service returned a value that is not a number"),
]


@pytest.mark.parametrize("status,body,message", RAW_ANSWERS)
def test_embed_command_reports_answers_that_are_no_vectors(env, fake, status, body, message):
    fake.config(mode="raw", status=status, body=body)
    p = subprocess.run([ca.BIN, "embed", "some text"], env=embed_env(fake), capture_output=True,
                       timeout=30)
    assert p.returncode == 1
    assert p.stdout == b""
    err = p.stderr.decode("utf-8")          # valid UTF-8 whatever the service sent
    assert err == "chimerad: embedding failed: %s\n" % message, err


def test_embed_command_two_texts_with_one_index_twice(env, fake):
    fake.config(mode="raw", body='{"data": [%s, %s]}' % (
        '{"index": 0, "embedding": %s}' % ROW, '{"index": 0, "embedding": %s}' % ROW))
    p = subprocess.run([ca.BIN, "embed", "one", "two"], env=embed_env(fake), capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1
    assert "embedding service returned a bad or repeated index" in p.stderr, p.stderr


def test_embed_command_rows_without_index_in_order_and_zero_vector(env, fake):
    """Without "index" the rows are in input order; a zero vector stays zero
    (nothing to normalise), the others have length 1."""
    zero, twos = vec_json([0] * DIM), vec_json([2] * DIM)
    fake.config(mode="raw", body='{"data": [{"embedding": %s}, {"embedding": %s}]}' % (zero, twos))
    p = subprocess.run([ca.BIN, "embed", "one", "two"], env=embed_env(fake), capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    import json
    first, second = [json.loads(line) for line in p.stdout.splitlines()]
    assert first == [0] * DIM
    assert all(abs(v - 0.25) < 1e-6 for v in second), second


@pytest.mark.parametrize("model,dim", [("nomic-embed-text:latest", 768), ("all-minilm", 384),
                                       ("mxbai-embed-large:335m", 1024)])
def test_embed_command_knows_the_length_of_known_models(env, fake, model, dim):
    """Without CHIMERA_EMBED_DIMENSIONS a known model (an Ollama tag after
    ":" included) has its own length, and no "dimensions" is sent."""
    fake.config(mode="ok", dim=dim)
    env_ = embed_env(fake, CHIMERA_EMBED_MODEL=model)
    env_.pop("CHIMERA_EMBED_DIMENSIONS")
    p = subprocess.run([ca.BIN, "embed", "known length"], env=env_, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    import json
    vec = json.loads(p.stdout)
    assert len(vec) == dim
    assert abs(sum(v * v for v in vec) - 1) < 1e-4
    (call,) = embed_calls(fake)
    assert call["body"] == {"model": model, "input": ["known length"],
                            "encoding_format": "float"}, call["body"]
    # a service that answers another length is refused
    fake.config(mode="ok", dim=dim // 2)
    p = subprocess.run([ca.BIN, "embed", "known length"], env=env_, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 1
    assert ("embedding failed: embedding service returned %d numbers, expected %d"
            % (dim // 2, dim)) in p.stderr, p.stderr


def test_reply_past_the_cap_is_too_large(env, fake):
    """An answer longer than CHIMERA_OUTBOUND_MAX_BODY is cut off: the memory
    is kept without a vector, the reason being the size (not an unreachable
    service)."""
    fake.config(mode="endless")
    with Server({"CHIMERA_EMBEDDER": "remote", "CHIMERA_EMBED_URL": fake.base + "/v1",
                 "CHIMERA_EMBED_MODEL": MODEL, "CHIMERA_EMBED_DIMENSIONS": str(DIM),
                 "CHIMERA_EMBED_TIMEOUT": "20", "CHIMERA_OUTBOUND_MAX_BODY": "200000"},
                name="capped-emb") as server:
        api = Api(server)
        user = User(api)
        wid = ca.create_workspace(api, user)["id"]
        m = create(api, user, wid, "Big", "an answer too long")
        assert m["embedding"] is None
        assert m["metadata"]["embeddingError"] == "embedding service reply too large", m


def test_embed_command_https_url_is_accepted(env, fake):
    """https:// is a valid root; nothing listens with TLS on the fake's port,
    so the call fails as unreachable, not as a bad setting."""
    p = run_embed(fake, ["some text"], CHIMERA_EMBED_URL=fake.base.replace("http://", "https://"))
    assert p.returncode == 1
    assert "chimerad: embedding failed: embedding service unreachable: " in p.stderr, p.stderr
    assert embed_calls(fake) == []
