"""Workspaces (API.md §5.2, §7, D6, D12, D13): list, create, get, update,
delete, stats, dashboard, activity, paging.

Conversations, messages and memories have no endpoints yet: where a test
needs them (stats formulas, dashboard) it writes the rows into the database
directly (chimera_api.Database), keeping the workspace counters as the
server does."""
import time
import uuid

import pytest

from chimera_api import (
    User, add_member, assert_error, check_activity, check_member, check_stats,
    check_workspace, create_workspace, error_of, now_us, ok_data, parse_ts, ts_us,
)

WS_NOT_FOUND = "Workspace not found"
ACCESS_DENIED = "Access denied"


def listing(api, user, query=""):
    return ok_data(api.get("/workspaces" + query, token=user.token))


# ------------------------------------------------------------------ create

def test_create_returns_workspace_with_owner_as_admin(api, pool):
    (u,) = pool(1)
    w = ok_data(api.post("/workspaces", {"name": "  Lab\t", "description": "About"},
                         token=u.token), 201)
    check_workspace(w)
    assert w["name"] == "Lab"
    assert w["description"] == "About"
    assert w["ownerId"] == u.id
    assert len(w["members"]) == 1
    m = w["members"][0]
    assert m["userId"] == u.id and m["role"] == "admin" and m["status"] == "online"
    assert m["user"] == {"id": u.id, "name": u.name, "email": u.email}
    assert w["stats"] == {"totalMemories": 0, "totalEmbeddings": 0, "totalConversations": 0,
                          "systemLoad": 0, "lastActivity": w["updatedAt"]}
    assert w["createdAt"] == w["updatedAt"]
    assert abs(parse_ts(w["createdAt"]).timestamp() - time.time()) < 300
    # GET answers the same object
    assert ok_data(api.get("/workspaces/" + w["id"], token=u.token)) == w
    # one activity: the owner's membership
    acts = ok_data(api.get("/workspaces/%s/activity" % w["id"], token=u.token))
    assert acts["total"] == 1 and len(acts["activities"]) == 1
    a = check_activity(acts["activities"][0])
    assert a["type"] == "team_member_added"
    assert a["message"] == "Team member %s added as admin" % u.name
    assert a["metadata"] == {"teamMemberId": m["id"], "userId": u.id, "role": "admin"}


def test_create_without_description_stores_empty_string(api, pool):
    (u,) = pool(1)
    w = ok_data(api.post("/workspaces", {"name": "No description"}, token=u.token), 201)
    assert w["description"] == ""
    w = ok_data(api.post("/workspaces", {"name": "Blank description", "description": ""},
                         token=u.token), 201)
    assert w["description"] == ""


REQUIRED = "This field is required."
BLANK = "This field may not be blank."
NULL = "This field may not be null."
TOO_LONG = "Ensure this field has no more than 255 characters."


@pytest.mark.parametrize("body,errors", [
    ({}, {"name": [REQUIRED]}),
    ({"description": "x"}, {"name": [REQUIRED]}),
    ({"name": ""}, {"name": [BLANK]}),
    ({"name": " \t\n "}, {"name": [BLANK]}),
    ({"name": None}, {"name": [NULL]}),
    ({"name": "x" * 256}, {"name": [TOO_LONG]}),
    ({"name": "ok", "description": None}, {"description": [NULL]}),
    ({"name": "", "description": None}, {"name": [BLANK], "description": [NULL]}),
])
def test_create_validation(api, pool, body, errors):
    (u,) = pool(1)
    assert error_of(api.post("/workspaces", body, token=u.token), 400) == errors


def test_create_name_limit_is_in_code_points(api, pool):
    (u,) = pool(1)
    w = ok_data(api.post("/workspaces", {"name": "é" * 255}, token=u.token), 201)
    assert w["name"] == "é" * 255
    assert error_of(api.post("/workspaces", {"name": "é" * 256}, token=u.token), 400) == {
        "name": [TOO_LONG]}


def test_create_ignores_server_owned_fields(api, pool):
    """D12: unknown fields are ignored and never set server-owned ones."""
    u, other = pool(2)
    body = {"name": "Mine", "id": "workspace-000000000000", "ownerId": other.id,
            "createdAt": "2000-01-01T00:00:00Z", "updatedAt": "2000-01-01T00:00:00Z",
            "members": [], "stats": {"systemLoad": 99}, "extra": {"nested": [1]}}
    w = check_workspace(ok_data(api.post("/workspaces", body, token=u.token), 201))
    assert w["id"] != "workspace-000000000000"
    assert w["ownerId"] == u.id
    assert parse_ts(w["createdAt"]).year > 2000
    assert w["stats"]["systemLoad"] == 0
    assert [m["userId"] for m in w["members"]] == [u.id]


# ------------------------------------------------------------------ list

def test_list_newest_updated_first_owned_and_member_of(api):
    u, other = User(api), User(api)
    assert listing(api, u) == {"workspaces": [], "total": 0}
    a = create_workspace(api, u, "A")
    b = create_workspace(api, u, "B")
    theirs = create_workspace(api, other, "Theirs")
    c = create_workspace(api, u, "C")
    create_workspace(api, other, "Not mine")
    add_member(api, other, theirs["id"], u)
    got = listing(api, u)
    assert [w["id"] for w in got["workspaces"]] == [c["id"], theirs["id"], b["id"], a["id"]]
    assert got["total"] == 4
    for w in got["workspaces"]:
        check_workspace(w)
    # updating A moves it to the front; membership changes do not touch updatedAt
    ok_data(api.put("/workspaces/" + a["id"], {"name": "A2"}, token=u.token))
    got = listing(api, u)
    assert [w["id"] for w in got["workspaces"]] == [a["id"], c["id"], theirs["id"], b["id"]]
    stamps = [parse_ts(w["updatedAt"]) for w in got["workspaces"]]
    assert stamps == sorted(stamps, reverse=True)
    # the member-of workspace is listed with its full team, the owner's row once
    t = [w for w in got["workspaces"] if w["id"] == theirs["id"]][0]
    assert [m["userId"] for m in t["members"]] == [other.id, u.id]
    assert t["ownerId"] == other.id


def test_members_in_join_order(api, pool):
    owner, *others = pool(5)
    w = create_workspace(api, owner)
    for o in others:
        add_member(api, owner, w["id"], o)
    got = ok_data(api.get("/workspaces/" + w["id"], token=owner.token))
    assert [m["userId"] for m in got["members"]] == [owner.id] + [o.id for o in others]
    joined = [parse_ts(m["joinedAt"]) for m in got["members"]]
    assert joined == sorted(joined)
    assert len({m["id"] for m in got["members"]}) == 5


# ------------------------------------------------------------------ get / update / delete

def test_get_unknown_and_foreign(api, pool):
    owner, stranger = pool(2)
    w = create_workspace(api, owner)
    for wid in ("workspace-000000000000", "nope", uuid.uuid4().hex, w["id"].upper()):
        assert_error(api.get("/workspaces/" + wid, token=owner.token), 404, WS_NOT_FOUND)
    assert_error(api.get("/workspaces/" + w["id"], token=stranger.token), 403, ACCESS_DENIED)


def test_update_by_owner_and_admin(api, pool):
    owner, admin = pool(2)
    w = create_workspace(api, owner, "Before", "Desc")
    add_member(api, owner, w["id"], admin, "admin")
    time.sleep(0.002)
    u1 = ok_data(api.put("/workspaces/" + w["id"], {"name": "After"}, token=owner.token))
    check_workspace(u1)
    assert u1["name"] == "After" and u1["description"] == "Desc"
    assert u1["createdAt"] == w["createdAt"]
    assert parse_ts(u1["updatedAt"]) > parse_ts(w["updatedAt"])
    # only the keys present are applied; the description may become ""
    u2 = ok_data(api.put("/workspaces/" + w["id"], {"description": ""}, token=admin.token))
    assert u2["name"] == "After" and u2["description"] == ""
    u3 = ok_data(api.put("/workspaces/" + w["id"], {"description": "New", "name": "By admin"},
                         token=admin.token))
    assert (u3["name"], u3["description"]) == ("By admin", "New")
    assert u3["ownerId"] == owner.id
    assert ok_data(api.get("/workspaces/" + w["id"], token=owner.token)) == u3


@pytest.mark.parametrize("body,errors", [
    ({"name": ""}, {"name": [BLANK]}),
    ({"name": "   "}, {"name": [BLANK]}),
    ({"name": None}, {"name": [NULL]}),
    ({"name": "x" * 256}, {"name": [TOO_LONG]}),
    ({"name": None, "description": "applied?"}, {"name": [NULL]}),
])
def test_update_validation(api, pool, body, errors):
    (owner,) = pool(1)
    w = create_workspace(api, owner, "Keep", "Keep too")
    assert error_of(api.put("/workspaces/" + w["id"], body, token=owner.token), 400) == errors
    got = ok_data(api.get("/workspaces/" + w["id"], token=owner.token))
    assert (got["name"], got["description"], got["updatedAt"]) == ("Keep", "Keep too",
                                                                   w["updatedAt"])


def test_update_ignores_server_owned_fields(api, pool):
    owner, other = pool(2)
    w = create_workspace(api, owner, "Same")
    got = ok_data(api.put("/workspaces/" + w["id"], {
        "id": "workspace-000000000000", "ownerId": other.id, "createdAt": "2000-01-01T00:00:00Z",
        "members": [], "stats": {"totalMemories": 5}}, token=owner.token))
    assert got["id"] == w["id"] and got["ownerId"] == owner.id
    assert got["createdAt"] == w["createdAt"] and got["name"] == "Same"
    assert got["members"] == w["members"] and got["stats"]["totalMemories"] == 0


def test_delete(api, pool):
    owner, member = pool(2)
    w = create_workspace(api, owner)
    keep = create_workspace(api, owner)
    add_member(api, owner, w["id"], member)
    assert ok_data(api.delete("/workspaces/" + w["id"], token=owner.token)) == {
        "message": "Workspace deleted successfully"}
    for u in (owner, member):
        assert_error(api.get("/workspaces/" + w["id"], token=u.token), 404, WS_NOT_FOUND)
        assert w["id"] not in [x["id"] for x in listing(api, u)["workspaces"]]
    assert_error(api.delete("/workspaces/" + w["id"], token=owner.token), 404, WS_NOT_FOUND)
    assert ok_data(api.get("/workspaces/" + keep["id"], token=owner.token))["id"] == keep["id"]


# ------------------------------------------------------------------ stats

def seed_content(db, wid, active=0, completed=0, archived=0, recent=0, old=0,
                 embedded=0, plain=0, now=None):
    """Writes conversations, messages (recent: now; old: 2 h ago) and memories;
    returns the newest timestamps written {conv, memory, message}."""
    now = now_us() if now is None else now
    sql, convs = [], []
    newest = {"conv": None, "memory": None, "message": None}
    for i, status in enumerate(["active"] * active + ["completed"] * completed +
                               ["archived"] * archived):
        ts = now - 10_000_000 - i
        cid, s = db.conversation_sql(wid, status=status, ts=ts)
        convs.append(cid)
        sql.append(s)
        newest["conv"] = max(newest["conv"] or 0, ts)
    for i in range(recent + old):
        if not convs:
            cid, s = db.conversation_sql(wid, status="completed", ts=now - 20_000_000)
            convs.append(cid)
            sql.append(s)
            newest["conv"] = max(newest["conv"] or 0, now - 20_000_000)
        ts = (now - 5_000_000 - i) if i < recent else (now - 2 * 3600 * 1_000_000 - i)
        _, s = db.message_sql(wid, convs[i % len(convs)], ts=ts)
        sql.append(s)
        newest["message"] = max(newest["message"] or 0, ts)
    for i in range(embedded + plain):
        ts = now - 30_000_000 - i
        _, s = db.memory_sql(wid, embedded=i < embedded, ts=ts)
        sql.append(s)
        newest["memory"] = max(newest["memory"] or 0, ts)
    if sql:
        db.execute(";\n".join(sql))
    return newest


def test_stats_of_new_workspace(api, pool):
    (owner,) = pool(1)
    w = create_workspace(api, owner)
    s = check_stats(ok_data(api.get("/workspaces/%s/stats" % w["id"], token=owner.token)))
    assert s["totalMemories"] == s["totalEmbeddings"] == s["totalConversations"] == 0
    assert s["systemLoad"] == 0
    # lastActivity: the newest of workspace updatedAt and the creation activity
    acts = ok_data(api.get("/workspaces/%s/activity" % w["id"], token=owner.token))["activities"]
    assert ts_us(s["lastActivity"]) == max(ts_us(w["updatedAt"]), ts_us(acts[0]["timestamp"]))


@pytest.mark.parametrize("counts,service_load,embedded_load", [
    (dict(active=2, completed=1, archived=1, recent=5, old=3, embedded=2, plain=1), 25, 23),
    (dict(active=0, completed=2, recent=7, old=4), 7, 10),
    (dict(active=12, recent=3), 100, 60),
    (dict(active=3, recent=75, embedded=90, plain=5), 100, 100),
    (dict(old=9, embedded=1), 0, 6),
])
def test_stats_formulas(api, pool, db, counts, service_load, embedded_load):
    """§7.1 embedded: min(100, memories + 5·conversations); §7.2 service:
    min(100, 10·active conversations + messages of the last hour); D1:
    totalEmbeddings = memories with a stored vector."""
    (owner,) = pool(1)
    w = create_workspace(api, owner)
    newest = seed_content(db, w["id"], **counts)
    memories = counts.get("embedded", 0) + counts.get("plain", 0)
    convs = sum(counts.get(k, 0) for k in ("active", "completed", "archived"))
    if not convs and counts.get("recent", 0) + counts.get("old", 0):
        convs = 1
    expect = {"totalMemories": memories, "totalEmbeddings": counts.get("embedded", 0),
              "totalConversations": convs}
    s = check_stats(ok_data(api.get("/workspaces/%s/stats" % w["id"], token=owner.token)))
    assert {k: s[k] for k in expect} == expect, s
    assert s["systemLoad"] == service_load, s
    act_ts = ts_us(ok_data(api.get("/workspaces/%s/activity" % w["id"],
                                   token=owner.token))["activities"][0]["timestamp"])
    stamps = [ts_us(w["updatedAt"]), act_ts] + [v for v in newest.values() if v]
    assert ts_us(s["lastActivity"]) == max(stamps)
    # the same numbers wherever the service formulas appear
    d = ok_data(api.get("/workspaces/%s/dashboard" % w["id"], token=owner.token))
    assert {k: d["stats"][k] for k in expect} == expect and d["stats"]["systemLoad"] == service_load
    assert ok_data(api.get("/workspaces/%s/neural-load" % w["id"],
                           token=owner.token))["currentLoad"] == service_load
    rec = ok_data(api.post("/workspaces/%s/record-load" % w["id"], token=owner.token))
    assert rec == {"currentLoad": service_load, "message": "Load snapshot recorded"}
    # embedded stats (workspace object): the simple formulas
    e = ok_data(api.get("/workspaces/" + w["id"], token=owner.token))["stats"]
    assert {k: e[k] for k in expect} == expect, e
    assert e["systemLoad"] == embedded_load, e
    embedded_stamps = [ts_us(w["updatedAt"])] + [newest[k] for k in ("conv", "memory") if newest[k]]
    assert ts_us(e["lastActivity"]) == max(embedded_stamps)
    listed = [x for x in listing(api, owner)["workspaces"] if x["id"] == w["id"]][0]
    assert listed["stats"] == e


# ------------------------------------------------------------------ dashboard, activity

def seed_activities(db, wid, n, base=None):
    """n activities one second apart, the newest 1 minute ago; returns their
    ids, newest first."""
    base = (now_us() - 60_000_000) if base is None else base
    ids, sql = [], []
    for i in range(n):
        aid, s = db.activity_sql(wid, base - i * 1_000_000, message="Seeded %d" % i,
                                 metadata='{"i": %d}' % i)
        ids.append(aid)
        sql.append(s)
    db.execute(";\n".join(sql))
    return ids


def test_dashboard(api, pool, db):
    owner, observer = pool(2)
    w = create_workspace(api, owner)
    add_member(api, owner, w["id"], observer, "observer")
    first = ok_data(api.get("/workspaces/%s/activity" % w["id"], token=owner.token))["activities"]
    d = ok_data(api.get("/workspaces/%s/dashboard" % w["id"], token=observer.token))
    assert set(d) == {"stats", "neuralLoad", "recentActivity"}
    check_stats(d["stats"])
    assert len(d["neuralLoad"]) == 24
    assert d["recentActivity"] == first
    # 14 more, older than the creation record: the 10 newest, newest first
    ids = seed_activities(db, w["id"], 14)
    d = ok_data(api.get("/workspaces/%s/dashboard" % w["id"], token=owner.token))
    got = [check_activity(a) for a in d["recentActivity"]]
    assert [a["id"] for a in got] == [first[0]["id"]] + ids[:9]
    stamps = [parse_ts(a["timestamp"]) for a in got]
    assert stamps == sorted(stamps, reverse=True)
    assert got[1]["message"] == "Seeded 0" and got[1]["metadata"] == {"i": 0}
    s = ok_data(api.get("/workspaces/%s/stats" % w["id"], token=owner.token))
    assert d["stats"] == s


@pytest.fixture(scope="module")
def busy_workspace(api, pool, db):
    """A workspace with 121 activities (120 seeded + the creation record)."""
    (owner,) = pool(1)
    w = create_workspace(api, owner)
    creation = ok_data(api.get("/workspaces/%s/activity" % w["id"],
                               token=owner.token))["activities"][0]["id"]
    ids = [creation] + seed_activities(db, w["id"], 120)
    return owner, w, ids


@pytest.mark.parametrize("query,n", [
    ("", 10), ("?limit=5", 5), ("?limit=1", 1), ("?limit=0", 1), ("?limit=-3", 1),
    ("?limit=100", 100), ("?limit=101", 100), ("?limit=1000", 100),
    ("?limit=99999999999999999999", 100), ("?limit=x", 10), ("?limit=2.5", 10),
    ("?limit=", 10), ("?limit=7&other=1", 7),
])
def test_activity_limit(api, busy_workspace, query, n):
    """§5.2 #14: limit default 10, clamped to 1..100, a non-integer → default;
    total = the number returned; newest first."""
    owner, w, ids = busy_workspace
    got = ok_data(api.get("/workspaces/%s/activity%s" % (w["id"], query), token=owner.token))
    assert set(got) == {"activities", "total"}
    assert got["total"] == len(got["activities"]) == n
    assert [a["id"] for a in got["activities"]] == ids[:n]
    for a in got["activities"]:
        check_activity(a)


@pytest.mark.parametrize("query,start,n", [
    ("?offset=5", 5, 10), ("?offset=0&limit=3", 0, 3), ("?offset=-4", 0, 10),
    ("?offset=x", 0, 10), ("?offset=118&limit=10", 118, 3), ("?offset=121", 121, 0),
    ("?offset=99999999999999999999", 121, 0),
])
def test_activity_offset(api, busy_workspace, query, start, n):
    """offset skips the newest; negative or not a number is 0; past the end
    is an empty page."""
    owner, w, ids = busy_workspace
    got = ok_data(api.get("/workspaces/%s/activity%s" % (w["id"], query), token=owner.token))
    assert got["total"] == len(got["activities"]) == n
    assert [a["id"] for a in got["activities"]] == ids[start:start + n]


# ------------------------------------------------------------------ paging (D13)

LIMIT_ERRORS = [
    ("limit=0", {"limit": ["Ensure this value is greater than or equal to 1."]}),
    ("limit=-1", {"limit": ["Ensure this value is greater than or equal to 1."]}),
    ("limit=1001", {"limit": ["Ensure this value is less than or equal to 1000."]}),
    ("limit=x", {"limit": ["A valid integer is required."]}),
    ("limit=1.5", {"limit": ["A valid integer is required."]}),
    ("offset=-1", {"offset": ["Ensure this value is greater than or equal to 0."]}),
    ("offset=x", {"offset": ["A valid integer is required."]}),
]


def check_paging(api, path, token, key, expected_ids):
    """The whole list, then every page size: pages concatenate to the whole
    list, total is always the full count; bad limit/offset → 400 field errors."""
    full = ok_data(api.get(path, token=token))
    assert [x["id"] for x in full[key]] == expected_ids
    assert full["total"] == len(expected_ids)
    n = len(expected_ids)
    for limit in (1, 2, 3, n, n + 1, 1000):
        pages = []
        for offset in range(0, n + limit, limit):
            got = ok_data(api.get("%s?limit=%d&offset=%d" % (path, limit, offset), token=token))
            assert got["total"] == n, (limit, offset, got["total"])
            assert len(got[key]) == max(0, min(limit, n - offset)), (limit, offset)
            pages += got[key]
        assert pages == full[key], limit
    got = ok_data(api.get("%s?offset=%d" % (path, n - 1), token=token))
    assert got[key] == full[key][-1:] and got["total"] == n
    got = ok_data(api.get("%s?offset=%d&limit=5" % (path, n + 10), token=token))
    assert got[key] == [] and got["total"] == n
    for query, errors in LIMIT_ERRORS:
        assert error_of(api.get(path + "?" + query, token=token), 400) == errors, query


def test_paging_workspaces(api):
    u = User(api)
    ids = [create_workspace(api, u, "P%d" % i)["id"] for i in range(5)]
    check_paging(api, "/workspaces", u.token, "workspaces", ids[::-1])


def test_paging_team(api, pool):
    owner, *others = pool(5)
    w = create_workspace(api, owner)
    for o in others:
        add_member(api, owner, w["id"], o)
    members = ok_data(api.get("/workspaces/%s/team" % w["id"], token=owner.token))["members"]
    assert [m["userId"] for m in members] == [owner.id] + [o.id for o in others]
    for m in members:
        check_member(m, w["id"])
    check_paging(api, "/workspaces/%s/team" % w["id"], owner.token, "members",
                 [m["id"] for m in members])


def test_paging_invitations(api, pool):
    from chimera_api import invite
    owners = pool(5)
    u = User(api)
    ids = []
    for o in owners:
        w = create_workspace(api, o)
        ids.append(invite(api, o, w["id"], u)["id"])
    check_paging(api, "/invitations", u.token, "invitations", ids[::-1])
