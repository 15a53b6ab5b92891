"""The authorization matrix (API.md §2, §5.2-§5.4, §5.6, D6; seed property
28): every workspace-scoped route of the server's route table (GET
/api/schema: every {wid} route and every route carrying x-min-role, such as
/memories/{memId}) × every kind of caller × the caller's workspace, another
workspace, an unknown id and the caller's own workspace addressed with ids
from another one.

ROUTES below is the expectation written from API.md, with a valid request
body per route. test_matrix_covers_the_route_table fails when the schema
lists a workspace-scoped route that ROUTES lacks (or the other way round),
or when a route's x-min-role disagrees with API.md: adding a route forces
adding it here (and, for a new kind of path parameter, a resource in
RESOURCES)."""
import collections
import re
import uuid

import pytest

from chimera_api import (add_member, assert_error, create_workspace, error_of, hex12, invite,
                         ok_data, team)

NOT_PROVIDED = "Authentication credentials were not provided."
ACCESS_DENIED = "Access denied"
READ_ONLY = "Observers have read-only access"
WS_NOT_FOUND = "Workspace not found"
MEMBER_NOT_FOUND = "Team member not found"
INV_NOT_FOUND = "Invitation not found"

# min_role: x-min-role the schema must give (API.md §2 with D6)
# ok: success status; body: dict, or a callable(ctx) -> dict; target: what
# {userId} names ("target": another member, "self": the caller);
# refused: role -> the 403 message for members below min_role other than
# observers (who always get READ_ONLY on writer/admin/owner routes).
Route = collections.namedtuple("Route", "min_role ok body target refused")
FILES = "__files__"     # a body {FILES: {...}} is sent as multipart/form-data

ROUTES = {
    ("GET", "/api/workspaces/{wid}"): Route("member", 200, None, None, {}),
    ("PUT", "/api/workspaces/{wid}"): Route(
        "admin", 200, {"name": "Renamed by matrix"}, None,
        {"researcher": "Only owner or admin can update workspace"}),
    ("DELETE", "/api/workspaces/{wid}"): Route(
        "owner", 200, None, None,
        {"researcher": "Only owner can delete workspace", "admin": "Only owner can delete workspace"}),
    ("GET", "/api/workspaces/{wid}/stats"): Route("member", 200, None, None, {}),
    ("GET", "/api/workspaces/{wid}/dashboard"): Route("member", 200, None, None, {}),
    ("GET", "/api/workspaces/{wid}/activity"): Route("member", 200, None, None, {}),
    ("GET", "/api/workspaces/{wid}/neural-load"): Route("member", 200, None, None, {}),
    # §2: every member records load (the dashboard does it on opening)
    ("POST", "/api/workspaces/{wid}/record-load"): Route("member", 200, None, None, {}),
    ("GET", "/api/workspaces/{wid}/team"): Route("member", 200, None, None, {}),
    ("POST", "/api/workspaces/{wid}/team/invite"): Route(
        "writer", 201, lambda ctx: {"email": ctx["invitee"].email}, None, {}),
    ("PUT", "/api/workspaces/{wid}/team/{userId}/role"): Route(
        "admin", 200, {"role": "observer"}, "target",
        {"researcher": "Only admins can update roles"}),
    ("PUT", "/api/workspaces/{wid}/team/{userId}/status"): Route(
        "self", 200, {"status": "away"}, "self", {}),
    ("DELETE", "/api/workspaces/{wid}/team/{userId}"): Route(
        "admin", 200, None, "target",
        {"researcher": "Only workspace owner or admin can remove members"}),
    # §5.5 conversations; D6: observers read only
    ("GET", "/api/workspaces/{wid}/conversations"): Route("member", 200, None, None, {}),
    ("POST", "/api/workspaces/{wid}/conversations"): Route(
        "writer", 201, {"title": "Matrix conversation", "modelId": "model-echo"}, None, {}),
    ("GET", "/api/conversations/{cid}"): Route("member", 200, None, None, {}),
    ("PUT", "/api/conversations/{cid}"): Route(
        "writer", 200, {"title": "Renamed conversation"}, None, {}),
    ("DELETE", "/api/conversations/{cid}"): Route("writer", 200, None, None, {}),
    ("POST", "/api/conversations/{cid}/messages"): Route(
        "writer", 201, {"content": "From the matrix", "getAiResponse": False}, None, {}),
    ("PUT", "/api/conversations/{cid}/messages/{mid}"): Route(
        "writer", 200, {"isPinned": True}, None, {}),
    ("DELETE", "/api/conversations/{cid}/messages/{mid}"): Route("writer", 200, None, None, {}),
    ("POST", "/api/conversations/{cid}/inject-memory"): Route(
        "writer", 200, lambda ctx: {"memoryId": ctx["res"]["mem_free"]}, None, {}),
    ("DELETE", "/api/conversations/{cid}/inject-memory/{memId}"): Route(
        "writer", 200, None, None, {}),
    ("PUT", "/api/conversations/{cid}/inject-memory/{memId}/toggle"): Route(
        "writer", 200, None, None, {}),
    ("POST", "/api/conversations/{cid}/close"): Route("writer", 200, None, None, {}),
    ("POST", "/api/conversations/{cid}/reopen"): Route("writer", 200, None, None, {}),
    # §5.6 memories; D6: observers read only
    ("GET", "/api/workspaces/{wid}/memories"): Route("member", 200, None, None, {}),
    ("POST", "/api/workspaces/{wid}/memories"): Route(
        "writer", 201, {"title": "Matrix memory", "content": "Written by the matrix"}, None, {}),
    ("GET", "/api/memories/{memId}"): Route("member", 200, None, None, {}),
    ("PUT", "/api/memories/{memId}"): Route("writer", 200, {"title": "Edited by matrix"}, None, {}),
    ("DELETE", "/api/memories/{memId}"): Route("writer", 200, None, None, {}),
    ("POST", "/api/memories/{memId}/re-embed"): Route("writer", 200, None, None, {}),
    # §8.2/§8.3 imports. The session's server may fetch no loopback address
    # (D10), so an allowed import-url ends in that 400, past the role check.
    ("POST", "/api/workspaces/{wid}/memories/import-url"): Route(
        "writer", 400, {"url": "http://127.0.0.1:9/page"}, None, {}),
    ("POST", "/api/workspaces/{wid}/memories/import-file"): Route(
        "writer", 201, {FILES: {"file": ("matrix.txt", b"Imported by the matrix")}}, None, {}),
}

# The path parameters naming a workspace's resources: the key of the
# resource in seed_resources() and the 404 message for an unknown id.
RESOURCES = {
    "{wid}": ("wid", WS_NOT_FOUND),
    "{cid}": ("conv", "Conversation not found"),
    "{mid}": ("msg", "Message not found"),
    "{memId}": ("mem", "Memory not found"),
}

# A resource of W addressed together with one of W2 (a conversation of W
# with a message or memory of W2): what an allowed caller gets.
FOREIGN = {
    ("PUT", "/api/conversations/{cid}/messages/{mid}"): ("path", "Message not found"),
    ("DELETE", "/api/conversations/{cid}/messages/{mid}"): ("path", "Message not found"),
    ("DELETE", "/api/conversations/{cid}/inject-memory/{memId}"):
        ("path", "Memory injection not found"),
    ("PUT", "/api/conversations/{cid}/inject-memory/{memId}/toggle"):
        ("path", "Memory injection not found"),
    ("POST", "/api/conversations/{cid}/inject-memory"): ("body", "Memory not found"),
}

# Per-user routes addressing an invitation: only its invitee, else 404.
INVITATION_ROUTES = {
    ("POST", "/api/invitations/{invId}/accept"),
    ("POST", "/api/invitations/{invId}/decline"),
}

CALLERS = ["none", "nonmember", "observer", "researcher", "admin", "owner"]


@pytest.fixture(scope="module")
def schema(api):
    return ok_data(api.get("/schema"))


def operations(schema):
    for path, item in schema["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def test_matrix_covers_the_route_table(schema):
    ops = {(m, p): op for m, p, op in operations(schema)}
    scoped = {k for k, op in ops.items() if "{wid}" in k[1] or "x-min-role" in op}
    missing = sorted(scoped - set(ROUTES))
    assert not missing, "routes in /api/schema without an entry in ROUTES: %s" % missing
    gone = sorted(set(ROUTES) - scoped)
    assert not gone, "ROUTES entries the schema no longer lists: %s" % gone
    for method, path in ROUTES:
        params = [p for p in RESOURCES if p in path]
        assert params, "%s %s: no resource parameter known (add it to RESOURCES)" % (method, path)
    for key, spec in ROUTES.items():
        assert ops[key].get("x-min-role") == spec.min_role, (key, ops[key].get("x-min-role"))
        assert ops[key].get("security"), key
    # routes without x-min-role are per-user or public, never workspace-scoped
    for key, op in ops.items():
        if "x-min-role" not in op:
            assert "{wid}" not in key[1], key
        else:
            assert op["x-min-role"] in ("member", "writer", "admin", "owner", "self"), (key, op)
    inv = {k for k in ops if "{invId}" in k[1]}
    assert inv == INVITATION_ROUTES, inv


def expected_own(spec, caller):
    """(status, error message or None) API.md gives caller on its own workspace."""
    if caller == "none":
        return 401, NOT_PROVIDED
    if caller == "nonmember":
        return 403, ACCESS_DENIED
    if spec.min_role in ("member", "self"):
        return spec.ok, None
    if caller == "observer":
        return 403, READ_ONLY
    if caller in spec.refused:
        return 403, spec.refused[caller]
    return spec.ok, None


def seed_resources(api, owner, wid):
    """A conversation with one message and one injected memory, and a memory
    not injected anywhere (ids by RESOURCES key)."""
    mem = make_memory(api, owner, wid)
    mem_free = make_memory(api, owner, wid)
    conv = ok_data(api.post("/workspaces/%s/conversations" % wid,
                            {"title": "Matrix seed", "modelId": "model-echo"},
                            token=owner.token), 201)["id"]
    msg = ok_data(api.post("/conversations/%s/messages" % conv,
                           {"content": "Seed message", "getAiResponse": False},
                           token=owner.token), 201)["userMessage"]["id"]
    ok_data(api.post("/conversations/%s/inject-memory" % conv, {"memoryId": mem},
                     token=owner.token))
    return {"wid": wid, "conv": conv, "msg": msg, "mem": mem, "mem_free": mem_free}


def make_memory(api, user, wid):
    return ok_data(api.post("/workspaces/%s/memories" % wid,
                            {"title": "Matrix seed", "content": "Seed memory"},
                            token=user.token), 201)["id"]


def fingerprint(api, owner, wid, invitee, res=None):
    """What a refused call must not change: the workspace (name, team,
    embedded stats), the invitee's invitations to it and, given seeded
    resources, the conversation list, the seeded conversation and memories."""
    r = api.get("/workspaces/" + wid, token=owner.token)
    if r.status_code == 404:
        return None
    w = ok_data(r)
    inbox = ok_data(api.get("/invitations", token=invitee.token))["invitations"]
    out = [w["name"], w["description"], w["updatedAt"], w["stats"],
           [(m["userId"], m["role"], m["status"]) for m in w["members"]],
           sorted(i["id"] for i in inbox if i["workspaceId"] == wid)]
    if res:
        convs = ok_data(api.get("/workspaces/%s/conversations" % wid,
                                token=owner.token))["conversations"]
        out.append(sorted((c["id"], c["title"], c["status"], c["messageCount"]) for c in convs))
        r = api.get("/conversations/" + res["conv"], token=owner.token)
        if r.status_code != 404:
            c = ok_data(r)
            r = (c["title"], c["status"], c["updatedAt"],
                 [(m["id"], m["isPinned"]) for m in c["messages"]],
                 [(m["id"], m["isActive"]) for m in c["injectedMemories"]])
        out.append(r if isinstance(r, tuple) else None)
        for mid in (res["mem"], res["mem_free"]):
            r = api.get("/memories/" + mid, token=owner.token)
            out.append(None if r.status_code == 404 else
                       (lambda m: (m["title"], m["version"], m["updatedAt"]))(ok_data(r)))
    return out


@pytest.fixture
def make_world(api, pool):
    """Workspace W (owner, admin, researcher, observer, target: a second
    researcher) and W2 of a stranger, with seeded resources if asked; the
    nonmember and the invitee belong to neither."""
    def make(seed=True):
        owner, admin, researcher, observer, target, nonmember, invitee, stranger = pool(8)
        w = create_workspace(api, owner, "Matrix")
        add_member(api, owner, w["id"], admin, "admin")
        add_member(api, owner, w["id"], researcher, "researcher")
        add_member(api, owner, w["id"], observer, "observer")
        add_member(api, owner, w["id"], target, "researcher")
        w2 = create_workspace(api, stranger, "Elsewhere")
        add_member(api, stranger, w2["id"], invitee, "admin")
        return dict(wid=w["id"], w2=w2["id"], owner=owner, admin=admin, researcher=researcher,
                    observer=observer, target=target, nonmember=nonmember, invitee=invitee,
                    stranger=stranger,
                    res=seed_resources(api, owner, w["id"]) if seed else {"wid": w["id"]},
                    res2=seed_resources(api, stranger, w2["id"]) if seed else {"wid": w2["id"]})
    return make


@pytest.fixture
def world(make_world):
    return make_world(seed=False)


def values_of(res):
    return {param: res[key] for param, (key, _) in RESOURCES.items() if key in res}


def unknown_ids():
    return [{"{wid}": "workspace-" + hex12(), "{cid}": "conv-" + hex12(),
             "{mid}": "msg-" + hex12(), "{memId}": "memory-" + hex12()},
            {"{wid}": "no-such-workspace", "{cid}": "no-such-conversation",
             "{mid}": "no-such-message", "{memId}": "no-such-memory"}]


def fill(pattern, values, target_id):
    path = pattern[len("/api"):]
    for param, value in values.items():
        path = path.replace(param, value)
    return path.replace("{userId}", target_id)


def not_found_message(pattern):
    """An unknown id answers the 404 of the first resource in the path."""
    first = min((pattern.index(p), p) for p in RESOURCES if p in pattern)[1]
    return RESOURCES[first][1]


def call(api, method, pattern, spec, ctx, caller, values, target_id):
    path = fill(pattern, values, target_id)
    body = spec.body(ctx) if callable(spec.body) else spec.body
    token = None if caller == "none" else ctx[caller].token
    if body is None:
        return api.request(method, path, token=token)
    if FILES in body:
        return api.request(method, path, files=body[FILES], token=token)
    return api.request(method, path, json_body=body, token=token)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda k: "%s %s" % k)
def test_matrix(api, make_world, route, caller):
    method, pattern = route
    spec = ROUTES[route]
    # conversations and memories (W's own, and W2's for the foreign ids)
    ctx = make_world(seed="conversations" in pattern or "memor" in pattern)
    me = ctx[caller] if caller != "none" else None
    own_id = me.id if me else str(uuid.uuid4())
    target_id = own_id if spec.target == "self" else ctx["target"].id

    def prints():
        seeded = "conv" in ctx["res"]
        return (fingerprint(api, ctx["owner"], ctx["wid"], ctx["invitee"],
                            ctx["res"] if seeded else None),
                fingerprint(api, ctx["stranger"], ctx["w2"], ctx["invitee"],
                            ctx["res2"] if seeded else None))
    before = prints()
    status, message = expected_own(spec, caller)

    # 1. another workspace (its resources), with ids of W: never allowed
    r = call(api, method, pattern, spec, ctx, caller, values_of(ctx["res2"]), target_id)
    if caller == "none":
        assert_error(r, 401, NOT_PROVIDED)
    else:
        assert_error(r, 403, ACCESS_DENIED)

    # 2. ids that do not exist
    for values in unknown_ids():
        r = call(api, method, pattern, spec, ctx, caller, values, target_id)
        if caller == "none":
            assert_error(r, 401, NOT_PROVIDED)
        else:
            assert_error(r, 404, not_found_message(pattern))

    # 3. the caller's own workspace addressed with W's member ids
    if caller != "none" and spec.target is not None:
        w3 = create_workspace(api, me, "Own")
        r = call(api, method, pattern, spec, ctx, caller, {"{wid}": w3["id"]}, ctx["target"].id)
        assert_error(r, 404, MEMBER_NOT_FOUND)
        assert [m["userId"] for m in team(api, me, w3["id"])] == [me.id]
        ok_data(api.delete("/workspaces/" + w3["id"], token=me.token))

    # 3b. a resource of W together with one of W2
    if route in FOREIGN:
        where, foreign_message = FOREIGN[route]
        values = values_of(ctx["res"])
        if where == "path":
            values.update({p: v for p, v in values_of(ctx["res2"]).items() if p != "{cid}"})
            r = call(api, method, pattern, spec, ctx, caller, values, target_id)
        else:
            r = call(api, method, pattern, spec._replace(
                body={"memoryId": ctx["res2"]["mem"]}), ctx, caller, values, target_id)
        if message is not None:
            assert_error(r, status, message)
        else:
            assert_error(r, 404, foreign_message)

    if message is None:         # else the check after step 4 covers steps 1-3
        assert prints() == before

    # 4. the workspace itself
    r = call(api, method, pattern, spec, ctx, caller, values_of(ctx["res"]), target_id)
    if message is not None:
        assert_error(r, status, message)
        assert prints() == before
    elif status >= 400:         # allowed, then refused by what the role check lets through
        error_of(r, status)
        assert prints() == before
    else:
        data = ok_data(r, status)
        check_effect(api, route, ctx, me, data)
        assert prints()[1] == before[1]


def check_effect(api, route, ctx, me, data):
    """What an allowed call did, seen through the API."""
    method, pattern = route
    wid, owner, res = ctx["wid"], ctx["owner"], ctx["res"]
    if route == ("DELETE", "/api/workspaces/{wid}"):
        assert_error(api.get("/workspaces/" + wid, token=owner.token), 404, WS_NOT_FOUND)
        return
    w = ok_data(api.get("/workspaces/" + wid, token=owner.token))
    roles = {m["userId"]: (m["role"], m["status"]) for m in w["members"]}
    assert me is None or me.id in roles or (method == "DELETE" and "{userId}" in pattern)

    def conv():
        return ok_data(api.get("/conversations/" + res["conv"], token=owner.token))

    def memory(mid):
        return ok_data(api.get("/memories/" + mid, token=owner.token))

    if pattern == "/api/workspaces/{wid}/memories/import-file":
        assert memory(data["memory"]["id"])["content"] == "Imported by the matrix"
        assert data["original_filename"] == "matrix.txt"
        assert w["stats"]["totalMemories"] == 3
    elif pattern == "/api/workspaces/{wid}/memories":
        if method == "POST":
            assert memory(data["id"])["title"] == "Matrix memory"
            assert w["stats"]["totalMemories"] == 3
        else:
            assert sorted(m["id"] for m in data["memories"]) == sorted([res["mem"],
                                                                        res["mem_free"]])
    elif pattern.startswith("/api/memories/{memId}"):
        if method == "DELETE":
            assert_error(api.get("/memories/" + res["mem"], token=owner.token), 404,
                         "Memory not found")
            assert res["mem"] not in [m["id"] for m in conv()["injectedMemories"]]
        elif method == "PUT":
            assert memory(res["mem"])["title"] == "Edited by matrix" and data["version"] == 2
        elif method == "POST":
            assert memory(res["mem"])["version"] == 2 and data["version"] == 2
        else:
            assert data["id"] == res["mem"]
    elif pattern == "/api/workspaces/{wid}/conversations":
        listed = ok_data(api.get(pattern[4:].replace("{wid}", wid),
                                 token=owner.token))["conversations"]
        if method == "POST":
            assert data["id"] in [c["id"] for c in listed] and data["title"] == \
                "Matrix conversation"
        else:
            assert [c["id"] for c in data["conversations"]] == [res["conv"]]
    elif pattern.startswith("/api/conversations/{cid}"):
        if route == ("DELETE", "/api/conversations/{cid}"):
            assert_error(api.get("/conversations/" + res["conv"], token=owner.token), 404,
                         "Conversation not found")
            return
        c = conv()
        msgs = {m["id"]: m for m in c["messages"]}
        injected = {m["id"]: m["isActive"] for m in c["injectedMemories"]}
        if pattern.endswith("/messages"):
            assert data["userMessage"]["id"] in msgs and len(msgs) == 2
        elif "{mid}" in pattern:
            if method == "PUT":
                assert msgs[res["msg"]]["isPinned"] is True and data["isPinned"] is True
            else:
                assert res["msg"] not in msgs
        elif pattern.endswith("/inject-memory"):
            assert injected == {res["mem"]: True, res["mem_free"]: True}
        elif pattern.endswith("/toggle"):
            assert injected == {res["mem"]: False} and data["isActive"] is False
        elif "{memId}" in pattern:
            assert injected == {}
        elif pattern.endswith("/close"):
            assert c["status"] == "completed"
        elif pattern.endswith("/reopen"):
            assert c["status"] == "active"
        elif method == "PUT":
            assert c["title"] == "Renamed conversation" == data["title"]
        else:
            assert data["id"] == res["conv"]
    elif route == ("PUT", "/api/workspaces/{wid}"):
        assert w["name"] == "Renamed by matrix" and data["name"] == "Renamed by matrix"
    elif route == ("POST", "/api/workspaces/{wid}/team/invite"):
        inbox = ok_data(api.get("/invitations", token=ctx["invitee"].token))["invitations"]
        assert [i["id"] for i in inbox if i["workspaceId"] == wid] == [data["id"]]
        assert ctx["invitee"].id not in roles
    elif pattern.endswith("/role"):
        assert roles[ctx["target"].id][0] == "observer" and data["role"] == "observer"
    elif pattern.endswith("/status"):
        assert roles[me.id][1] == "away" and data["status"] == "away"
    elif route == ("DELETE", "/api/workspaces/{wid}/team/{userId}"):
        assert ctx["target"].id not in roles
    elif route == ("GET", "/api/workspaces/{wid}"):
        assert data["id"] == wid


# ------------------------------------------------------------------ leaving, owner

@pytest.mark.parametrize("caller", ["observer", "researcher", "admin"])
def test_every_member_may_remove_itself(api, world, caller):
    """D6: leaving is allowed to every member, whatever the min role of the
    route; the owner cannot leave."""
    me = world[caller]
    r = api.delete("/workspaces/%s/team/%s" % (world["wid"], me.id), token=me.token)
    assert ok_data(r) == {"message": "Team member removed successfully"}
    assert me.id not in [m["userId"] for m in team(api, world["owner"], world["wid"])]
    assert_error(api.delete("/workspaces/%s/team/%s" % (world["wid"], world["owner"].id),
                            token=world["owner"].token), 400, "Cannot remove workspace owner")


def test_nonmember_cannot_leave_or_set_status(api, world):
    n = world["nonmember"]
    assert_error(api.delete("/workspaces/%s/team/%s" % (world["wid"], n.id), token=n.token),
                 403, ACCESS_DENIED)
    assert_error(api.put("/workspaces/%s/team/%s/status" % (world["wid"], n.id),
                         {"status": "away"}, token=n.token), 403, ACCESS_DENIED)


# ------------------------------------------------------------------ per-user routes

def test_per_user_routes_need_a_token(api, schema):
    for method, path, op in operations(schema):
        if not op.get("security"):
            continue
        concrete = re.sub(r"\{[^}/]+\}", lambda m: "x-" + hex12(),
                          fill(path, unknown_ids()[0], str(uuid.uuid4())))
        r = api.request(method, concrete, json_body={})
        assert_error(r, 401, NOT_PROVIDED)


@pytest.mark.parametrize("route", sorted(INVITATION_ROUTES), ids=lambda k: "%s %s" % k)
def test_invitation_routes_only_for_the_invitee(api, world, route):
    method, pattern = route
    inv = invite(api, world["admin"], world["wid"], world["nonmember"], "observer")
    path = pattern[len("/api"):].replace("{invId}", inv["id"])
    for who in ("owner", "admin", "researcher", "observer", "target", "invitee", "stranger"):
        assert_error(api.request(method, path, token=world[who].token), 404, INV_NOT_FOUND)
    assert_error(api.request(method, path), 401, NOT_PROVIDED)
    # another workspace's invitation id never reaches this one
    other = invite(api, world["stranger"], world["w2"], world["nonmember"])
    assert_error(api.request(method, pattern[len("/api"):].replace("{invId}", "inv-" + hex12()),
                             token=world["nonmember"].token), 404, INV_NOT_FOUND)
    # still pending for its invitee, who may act on it
    inbox = ok_data(api.get("/invitations", token=world["nonmember"].token))["invitations"]
    assert {inv["id"], other["id"]} <= {i["id"] for i in inbox}
    data = ok_data(api.request(method, path, token=world["nonmember"].token))
    roles = {m["userId"]: m["role"] for m in team(api, world["owner"], world["wid"])}
    if pattern.endswith("/accept"):
        assert data["workspaceId"] == world["wid"]
        assert roles[world["nonmember"].id] == "observer"
        assert world["nonmember"].id not in [m["userId"] for m in
                                              team(api, world["stranger"], world["w2"])]
    else:
        assert data == {"message": "Invitation declined"}
        assert world["nonmember"].id not in roles
    ok_data(api.post("/invitations/%s/decline" % other["id"], token=world["nonmember"].token))
