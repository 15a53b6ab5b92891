"""The `minilm` embedder (CHIMERA_EMBEDDER=minilm, CHIMERA_EMBED_MODEL_DIR): a
local BERT sentence-transformer, here a tiny random one written by
tests/fakes/make_tiny_bert.py. A real chimerad serves memories embedded with
it: the vectors have the model's hidden size, unit norm, the embedder's name
in metadata.embeddingModel, and agree with the generator's numpy reference;
re-embed gives the same vector; search ranks the memory whose text is the
query first. `chimerad embed` prints the same vectors, and a broken model
folder stops start-up with a clear message."""
import json
import math
import os
import subprocess
import sys
import tempfile

import pytest

import chimera_api as ca
from chimera_api import Api, Server, User, ok_data

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
import make_tiny_bert as mtb  # noqa: E402

HIDDEN = 48
NAME = "minilm:tiny-bert"
TAG = "%s/%d" % (NAME, HIDDEN)
GEN_ARGS = ["--hidden", str(HIDDEN), "--heads", "4", "--layers", "2", "--seed", "5",
            "--no-reference"]


@pytest.fixture(scope="module")
def model_dir():
    d = os.path.join(tempfile.mkdtemp(prefix="minilm-", dir=ca.base_tmp()), "tiny-bert")
    subprocess.run([sys.executable, os.path.join(HERE, "..", "fakes", "make_tiny_bert.py"),
                    "--out", d] + GEN_ARGS, check=True)
    return d


@pytest.fixture(scope="module")
def reference(model_dir):
    """text -> the numpy reference vector of the model in model_dir."""
    w, cfg = load_weights(model_dir)
    vocab = open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8").read().split("\n")[:-1]
    tok = mtb.Tokenizer(vocab, lower=True, max_len=min(512, cfg["max_position_embeddings"]))
    return lambda text: list(mtb.forward(w, cfg, tok.encode(text)))


def load_weights(d):
    import numpy as np
    cfg = json.load(open(os.path.join(d, "config.json")))
    raw = open(os.path.join(d, "model.safetensors"), "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    w = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        b, e = t["data_offsets"]
        w[name] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=np.float32).reshape(
            t["shape"]).astype(np.float64)
    return w, cfg


@pytest.fixture(scope="module")
def env(model_dir):
    server = Server({"CHIMERA_EMBEDDER": "minilm", "CHIMERA_EMBED_MODEL_DIR": model_dir},
                    name="minilm").start()
    try:
        api = Api(server)
        user = User(api)
        wid = ca.create_workspace(api, user)["id"]
        yield api, user, wid
    finally:
        server.stop()


def check_vec(vec):
    assert isinstance(vec, list) and len(vec) == HIDDEN, vec
    assert abs(math.sqrt(sum(x * x for x in vec)) - 1.0) < 2e-3, vec
    return vec


def create(api, user, wid, title, content):
    m = ok_data(api.post("/workspaces/%s/memories" % wid, {"title": title, "content": content},
                         token=user.token), 201)
    assert m["metadata"]["embeddingModel"] == TAG, m["metadata"]
    assert m["metadata"]["embedding_model"] == TAG, m["metadata"]
    check_vec(m["embedding"])
    return m


def assert_close(got, want, tol=1e-3):
    """Within the API's 4-decimal rounding of each component."""
    assert len(got) == len(want)
    worst = max(abs(a - b) for a, b in zip(got, want))
    assert worst < tol, worst


TEXTS = [
    ("Groceries", "Buy milk, eggs and bread on the way home."),
    ("Postgres", "Replication lag on the standby database is growing."),
    ("Café", "Crème brûlée at the café near the station — «très bon»."),
    ("東京", "東京 trip in 日本 next spring."),
    ("Empty-ish", "..."),
    ("Long", "word " * 600),
]


def test_memories_vectors_match_reference(env, reference):
    api, user, wid = env
    for title, content in TEXTS:
        m = create(api, user, wid, title, content)
        assert_close(m["embedding"], reference(title + "\n" + content))


def test_reembed_same_vector(env):
    api, user, wid = env
    m = create(api, user, wid, "Re-embed me", "the same text twice")
    again = ok_data(api.post("/memories/%s/re-embed" % m["id"], token=user.token))
    assert again["metadata"]["embeddingModel"] == TAG
    assert_close(again["embedding"], m["embedding"], 1e-6)


def test_search_ranks_exact_text_first(env):
    api, user, wid = env
    ws = ca.create_workspace(api, user)["id"]
    mems = [create(api, user, ws, t, c) for t, c in TEXTS[:4]]
    for m in mems:
        query = m["title"] + "\n" + m["content"]
        d = ok_data(api.post("/memories/search", {"query": query, "workspaceId": ws, "top_k": 4},
                             token=user.token))
        assert d["embedder"] == NAME, d
        assert d["results"][0]["id"] == m["id"], (query, d["results"])
        assert d["results"][0]["score"] > 0.999, d["results"][0]
    st = ok_data(api.get("/mcp/index/status", token=user.token))
    assert st["embedder"] == NAME and st["dimension"] == HIDDEN, st


def run_cli(args, env_extra):
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    env.update(env_extra)
    return subprocess.run([ca.BIN] + args, env=env, capture_output=True, text=True, timeout=60)


def test_cli_embed(model_dir, reference):
    texts = ["hello world", "", "Héllo, WORLD!"]
    r = run_cli(["embed"] + texts, {"CHIMERA_EMBEDDER": "minilm",
                                   "CHIMERA_EMBED_MODEL_DIR": model_dir})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == len(texts)
    for line, text in zip(lines, texts):
        vec = check_vec(json.loads(line))
        assert_close(vec, reference(text), 1e-4)


def test_broken_folder_stops_startup(model_dir, tmp_path):
    bad = tmp_path / "broken"
    bad.mkdir()
    for name in ("config.json", "vocab.txt", "tokenizer_config.json"):
        (bad / name).write_bytes(open(os.path.join(model_dir, name), "rb").read())
    data = tmp_path / "data"
    data.mkdir()
    env = {"CHIMERA_EMBEDDER": "minilm", "CHIMERA_EMBED_MODEL_DIR": str(bad),
           "DATABASE_URL": "sqlite:///" + str(tmp_path / "x.db"), "CHIMERA_DATA_DIR": str(data),
           "CHIMERA_PORT": str(ca.free_port())}
    r = run_cli(["serve"], env)
    assert r.returncode == 1
    assert "model.safetensors" in r.stderr, r.stderr
    r = run_cli(["embed", "x"], {"CHIMERA_EMBEDDER": "minilm"})
    assert r.returncode == 1 and "CHIMERA_EMBED_MODEL_DIR" in r.stderr, r.stderr
