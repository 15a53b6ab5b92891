"""GET /api/metrics: the Prometheus text format (0.0.4), counted by route
pattern (never the raw path), method and status; latency histograms; the
database, the vector index, outbound calls, the embedder, the process, and
the bytes each bounded pool holds (answer cache, keyword indexes, SQLite's
heap, malloc's arenas).
Open to loopback; from elsewhere (the client a trusted proxy forwards) only
with CHIMERA_METRICS_TOKEN: 404 without a token set, 401 for a wrong one."""
import re

import pytest

import chimera_api as ca

from chat_helpers import chat, create_integration, create_conversation, fake, new_key, send_ok  # noqa: F401
from chimera_api import Api, Server, User, assert_error, create_workspace, ok_data

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def parse(text):
    """{(name, frozenset(labels)): value}, checking the exposition format:
    every sample's family has HELP and TYPE lines before it."""
    samples, typed = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram"), line
            typed[name] = kind
            continue
        m = SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        name, labels = m.group(1), frozenset(LABEL.findall(m.group(3) or ""))
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in typed or base in typed, "sample before its TYPE: %r" % line
        key = (name, labels)
        assert key not in samples, "duplicate sample %r" % line
        samples[key] = float(m.group(4))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(api, **kw):
    r = api.get("/metrics", **kw)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == CONTENT_TYPE
    return parse(r.text)


@pytest.fixture(scope="module")
def node():
    s = Server(name="metrics").start()
    yield Api(s)
    s.stop()


def test_counts_by_route_pattern_method_and_status(node):
    user = User(node)
    wid = create_workspace(node, user)["id"]
    before = scrape(node)
    for _ in range(3):
        ok_data(node.get("/workspaces/%s" % wid, token=user.token))
    node.get("/workspaces/%s" % "workspace-000000000000", token=user.token)
    node.get("/no/such/path")
    node.delete("/health")
    after = scrape(node)
    pat = "/api/workspaces/{wid}"
    assert value(after, "chimera_http_requests_total", route=pat, method="GET", status="200") \
        - value(before, "chimera_http_requests_total", route=pat, method="GET", status="200") == 3
    assert value(after, "chimera_http_requests_total", route=pat, method="GET", status="404") \
        - value(before, "chimera_http_requests_total", route=pat, method="GET", status="404") == 1
    assert value(after, "chimera_http_requests_total", route="none", method="", status="404") \
        - value(before, "chimera_http_requests_total", route="none", method="", status="404") == 1
    # no raw path ever becomes a label
    assert not any(wid in str(k) for k in after)


def test_histograms_are_cumulative_and_match_counts(node):
    for _ in range(5):
        node.get("/health")
    s = scrape(node)
    name = "chimera_http_request_duration_seconds"
    labels = {"route": "/api/health", "method": "GET"}
    buckets = sorted(((float(dict(k[1])["le"]), v) for k, v in s.items()
                      if k[0] == name + "_bucket" and dict(k[1]).get("route") == "/api/health"
                      and dict(k[1])["le"] != "+Inf"))
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and len(counts) == 14
    total = value(s, name + "_bucket", le="+Inf", **labels)
    assert total == value(s, name + "_count", **labels) >= 5
    assert counts[-1] <= total
    assert value(s, name + "_sum", **labels) > 0


def test_database_index_embedder_and_process_figures(node):
    user = User(node)
    wid = create_workspace(node, user)["id"]
    before = scrape(node)
    for i in range(4):
        ok_data(node.post("/workspaces/%s/memories" % wid,
                          {"title": "Note %d" % i, "content": "metrics content %d" % i},
                          token=user.token), 201)
    ok_data(node.post("/memories/search", {"query": "metrics", "workspaceId": wid},
                      token=user.token))
    after = scrape(node)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("chimera_db_statements_total") > 4
    assert grew("chimera_db_transactions_total", outcome="commit") >= 4
    assert grew("chimera_embedder_calls_total") == 5      # 4 creates + 1 query
    assert grew("chimera_embedder_texts_total") == 5
    assert value(after, "chimera_embedder_errors_total") == 0
    assert value(after, "chimera_index_workspaces") >= 1
    assert value(after, "chimera_index_bytes") > 0
    assert value(after, "chimera_process_resident_memory_bytes") > 1 << 20
    assert value(after, "chimera_process_open_fds") > 3
    assert value(after, "chimera_uptime_seconds") > 0
    assert value(after, "chimera_http_requests_in_flight") >= 1
    assert value(after, "chimera_http_connections") >= 1
    assert [k for k in after if k[0] == "chimera_build_info"]


def glibc_malloc():
    """False for a server built with AddressSanitizer, whose allocator
    replaces glibc's (the binary carries the sanitizer's runtime)."""
    with open(ca.BIN, "rb") as f:
        return b"__asan_init" not in f.read()


def engine_of(samples):
    return next(dict(k[1])["engine"] for k in samples if k[0] == "chimera_build_info")


def test_bounded_pools_are_measured(node):
    user = User(node)
    wid = create_workspace(node, user)["id"]
    for i in range(6):
        ok_data(node.post("/workspaces/%s/memories" % wid,
                          {"title": "Pelican %d" % i, "content": "pools and pelicans %d " % i * 20},
                          token=user.token), 201)
    before = scrape(node)
    listing = node.get("/workspaces/%s/memories" % wid, token=user.token)
    assert listing.status_code == 200
    ok_data(node.post("/memories/search", {"query": "pelican", "workspaceId": wid,
                                           "mode": "keyword"}, token=user.token))
    after = scrape(node)

    def grew(name):
        return value(after, name) - value(before, name)

    # the listing's answer is kept under its ETag, at least its own size
    assert grew("chimera_body_cache_entries") >= 1
    assert grew("chimera_body_cache_bytes") >= len(listing.content)
    assert value(after, "chimera_body_cache_budget_bytes") == 64 << 20
    # the keyword search built this workspace's index
    assert grew("chimera_keyword_index_workspaces") == 1
    assert grew("chimera_keyword_index_bytes") > 0
    assert value(after, "chimera_keyword_index_budget_bytes") == 512 << 20
    # every pool is malloc'd: the allocator has handed out at least their sum
    pools = sum(value(after, n) for n in ("chimera_body_cache_bytes", "chimera_index_bytes",
                                          "chimera_keyword_index_bytes"))
    if glibc_malloc():
        assert value(after, "chimera_malloc_in_use_bytes") > pools
        assert ("chimera_malloc_free_bytes", frozenset()) in after
    else:   # AddressSanitizer's allocator: glibc's figures would be zeros
        assert ("chimera_malloc_in_use_bytes", frozenset()) not in after
        assert ("chimera_malloc_free_bytes", frozenset()) not in after
    heap = value(after, "chimera_db_sqlite_heap_bytes")
    if engine_of(after) == "sqlite":    # page caches of the open connections
        assert heap > 100 << 10
    assert value(after, "chimera_db_sqlite_heap_peak_bytes") >= heap


def test_answer_cache_off_holds_nothing():
    s = Server({"CHIMERA_BODY_CACHE": "0"}, name="metrics-nocache").start()
    try:
        api = Api(s)
        user = User(api)
        wid = create_workspace(api, user)["id"]
        for _ in range(2):
            assert api.get("/workspaces/%s" % wid, token=user.token).status_code == 200
        after = scrape(api)
        assert value(after, "chimera_body_cache_entries") == 0
        assert value(after, "chimera_body_cache_bytes") == 0
        assert value(after, "chimera_body_cache_budget_bytes") == 0
    finally:
        s.stop()


def test_outbound_calls_by_provider_and_outcome(chat, fake):  # noqa: F811
    api = chat.api
    user = User(api)
    wid = create_workspace(api, user)["id"]
    create_integration(api, user, "openai", key=new_key())
    conv = create_conversation(api, user, wid, model_id="model-gpt-4o")
    before = scrape(api)
    send_ok(api, user, conv["id"], "hello")
    fake.config(mode="error500")
    api.post("/conversations/%s/messages" % conv["id"], {"content": "again"}, token=user.token)
    after = scrape(api)

    def grew(**labels):
        return value(after, "chimera_outbound_requests_total", **labels) - \
            value(before, "chimera_outbound_requests_total", **labels)

    assert grew(target="openai", outcome="ok") == 1
    assert grew(target="openai", outcome="http_error") == 1
    assert value(after, "chimera_outbound_in_flight") == 0
