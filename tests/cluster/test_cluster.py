"""Three nodes on one PostgreSQL behind nginx (scripts/run-cluster.sh): what
one node does, every node knows at once — tokens, revocation, roles, the
search index after create, update and delete; the abuse limits are shared
and keyed on the client address nginx forwards, which only nginx (a trusted
proxy) may tell."""
import json
import time
import uuid

import chimera_api as ca
from chimera_api import Api, User, add_member, assert_error, create_workspace, login, ok_data


def search(api, user, wid, query):
    """{memory id: score} of a search."""
    d = ok_data(api.post("/memories/search", {"query": query, "workspaceId": wid, "top_k": 10},
                         token=user.token))
    return {m["id"]: m["score"] for m in d["results"]}


def top(api, user, wid, query):
    res = search(api, user, wid, query)
    return max(res, key=res.get) if res else None


def node_lines(cluster, rid, wait=3.0):
    """The JSON request-log lines of request rid, from every node's log."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for path in cluster.logs:
            with open(path, errors="replace") as f:
                for line in f:
                    if rid in line and line.startswith("{"):
                        rec = json.loads(line)
                        if rec.get("rid") == rid:
                            found.append(rec)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


# ------------------------------------------------------------------ coherence

def test_requests_spread_over_every_node(cluster, via_proxy):
    user = User(via_proxy)
    rids = []
    for _ in range(9):
        rid = "spread-" + uuid.uuid4().hex
        ok_data(via_proxy.get("/auth/profile", token=user.token, headers={"X-Request-Id": rid}))
        rids.append(rid)
    seen = set()
    for rid in rids:
        for path in cluster.logs:
            with open(path, errors="replace") as f:
                if rid in f.read():
                    seen.add(path)
    assert len(seen) == 3, seen


def test_tokens_work_on_every_node_and_refresh_rotates_once(via_proxy, direct):
    user = User(via_proxy)
    for api in direct:
        assert ok_data(api.get("/auth/profile", token=user.token))["id"] == user.id
    fresh = ok_data(direct[0].post("/auth/refresh", {"refresh": user.refresh}))
    # the old refresh token is spent on every node
    for api in direct[1:]:
        assert api.post("/auth/refresh", {"refresh": user.refresh}).status_code == 401
    assert ok_data(direct[2].get("/auth/profile", token=fresh["token"]))["id"] == user.id


def test_logout_revokes_on_every_node(via_proxy, direct):
    user = User(via_proxy)
    ok_data(direct[1].post("/auth/logout", {"refresh": user.refresh}, token=user.token))
    for api in direct:
        assert api.get("/auth/profile", token=user.token).status_code == 401


def test_bodyless_logout_ends_the_session_on_every_node(via_proxy, direct):
    """Logout without a body (as the frontend sends it) on one node ends the login
    session everywhere: its access tokens and every refresh token rotated from it."""
    user = User(via_proxy)
    pairs = [(user.token, user.refresh)]
    for api in direct[:2]:
        d = ok_data(api.post("/auth/refresh", {"refresh": pairs[-1][1]}))
        pairs.append((d["token"], d["refresh"]))
    ok_data(direct[2].post("/auth/logout", data=b"", token=pairs[0][0]))
    for api in direct:
        for access, refresh in pairs:
            assert api.get("/auth/profile", token=access).status_code == 401
            assert api.post("/auth/refresh", {"refresh": refresh}).status_code == 401


def test_role_changes_hold_on_every_node_at_once(via_proxy, direct):
    owner, member = User(via_proxy), User(via_proxy)
    wid = create_workspace(via_proxy, owner)["id"]
    add_member(via_proxy, owner, wid, member, role="observer")
    body = {"title": "From an observer", "content": "should be refused"}
    for api in direct:
        assert_error(api.post("/workspaces/%s/memories" % wid, body, token=member.token), 403,
                     "Observers have read-only access")
    ok_data(direct[0].put("/workspaces/%s/team/%s/role" % (wid, member.id),
                          {"role": "researcher"}, token=owner.token))
    for api in direct:
        ok_data(api.post("/workspaces/%s/memories" % wid, body, token=member.token), 201)
    ok_data(direct[1].delete("/workspaces/%s/team/%s" % (wid, member.id), token=owner.token))
    for api in direct:
        assert api.get("/workspaces/%s/memories" % wid, token=member.token).status_code in (403, 404)


def test_search_index_coherent_after_create_update_delete(via_proxy, direct):
    user = User(via_proxy)
    wid = create_workspace(via_proxy, user)["id"]
    for i in range(12):
        ok_data(via_proxy.post("/workspaces/%s/memories" % wid,
                               {"title": "Filler %d" % i, "content": "garden notes %d" % i},
                               token=user.token), 201)
    for api in direct:              # every node has built its index now
        search(api, user, wid, "garden")
    old, new = "quokka" + uuid.uuid4().hex[:6], "narwhal" + uuid.uuid4().hex[:6]
    m = ok_data(direct[0].post("/workspaces/%s/memories" % wid,
                               {"title": old, "content": old}, token=user.token), 201)
    before = [search(api, user, wid, old) for api in direct]
    for res in before:
        assert max(res, key=res.get) == m["id"], res
    assert all(b == before[0] for b in before)  # exact search: one answer everywhere
    ok_data(direct[1].put("/memories/%s" % m["id"], {"title": new, "content": new},
                          token=user.token))
    for api in direct:
        assert top(api, user, wid, new) == m["id"]
        after = search(api, user, wid, old)
        assert after.get(m["id"], 0.0) < before[0][m["id"]] - 0.2, (after, before[0])
    ok_data(direct[2].delete("/memories/%s" % m["id"], token=user.token))
    for api in direct:
        assert m["id"] not in search(api, user, wid, new)


def test_chat_on_one_node_read_on_the_others(via_proxy, direct):
    user = User(via_proxy)
    wid = create_workspace(via_proxy, user)["id"]
    conv = ok_data(direct[0].post("/workspaces/%s/conversations" % wid,
                                  {"title": "Cluster chat", "modelId": "model-echo"},
                                  token=user.token), 201)
    ok_data(direct[1].post("/conversations/%s/messages" % conv["id"],
                           {"content": "hello from node one", "getAiResponse": True},
                           token=user.token), 201)
    for api in direct:
        msgs = ok_data(api.get("/conversations/%s" % conv["id"], token=user.token))["messages"]
        assert [m["content"] for m in msgs][0] == "hello from node one"
        assert len(msgs) == 2


# ------------------------------------------------------------------ limits, proxies

def test_failed_logins_limit_the_client_not_the_proxy(cluster, via_proxy):
    """Limit 5 per address and per email, spread by nginx over the three
    nodes: the sixth attempt of this client is refused on whichever node it
    lands, while another client behind the same proxy is not."""
    victim = User(via_proxy)
    for i in range(5):
        assert_error(login(via_proxy, victim.email, "wrong-password-%d" % i), 401,
                     "Invalid credentials")
    for _ in range(3):
        assert login(via_proxy, victim.email, "wrong-password").status_code == 429
    other_client = Api(cluster.proxy, source=ca.random_loopback())
    bystander = User(other_client)
    ok_data(login(other_client, bystander.email, bystander.password))


def test_forged_forwarded_for_changes_nothing(cluster, via_proxy):
    """Through nginx the client's own X-Forwarded-For stays to the left of
    the address nginx saw: the nodes use that one, so a client cannot pick
    a fresh identity per attempt."""
    accounts = [User(via_proxy) for _ in range(6)]
    for i, acct in enumerate(accounts[:5]):
        r = via_proxy.post("/auth/login", {"email": acct.email, "password": "wrong"},
                           headers={"X-Forwarded-For": "203.0.113.%d" % (i + 1)})
        assert r.status_code == 401
    r = via_proxy.post("/auth/login", {"email": accounts[5].email, "password": "wrong"},
                       headers={"X-Forwarded-For": "198.51.100.77"})
    assert r.status_code == 429, r.text


def test_nodes_log_the_forwarded_client(cluster, via_proxy, direct):
    rid = "xff-" + uuid.uuid4().hex
    via_proxy.get("/health", headers={"X-Request-Id": rid, "X-Forwarded-For": "192.0.2.9"})
    lines = node_lines(cluster, rid)
    assert len(lines) == 1, lines
    assert lines[0]["client"] == via_proxy.source
    # straight to a node from 127.0.0.1 (which is trusted): its header is
    # believed, the rightmost untrusted address
    rid = "xff-" + uuid.uuid4().hex
    direct[0].get("/health", headers={"X-Request-Id": rid,
                                      "X-Forwarded-For": "192.0.2.10, 198.51.100.3"})
    assert node_lines(cluster, rid)[0]["client"] == "198.51.100.3"
    # from an address that is not trusted, the header is ignored
    untrusted = Api(cluster.nodes[1], source=ca.random_loopback())
    rid = "xff-" + uuid.uuid4().hex
    untrusted.get("/health", headers={"X-Request-Id": rid, "X-Forwarded-For": "192.0.2.11"})
    assert node_lines(cluster, rid)[0]["client"] == untrusted.source
