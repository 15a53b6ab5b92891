"""Team and invitations (API.md §5.3, §5.4, D6): list, invite, role, status,
remove, the invitee's inbox, accept/decline, re-invitation, races."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from chimera_api import (
    User, accept, add_member, assert_error, check_invitation, check_member, create_workspace,
    envelope, error_of, invite, ok_data, parse_ts, team,
)

READ_ONLY = "Observers have read-only access"
ACCESS_DENIED = "Access denied"
MEMBER_NOT_FOUND = "Team member not found"
INV_NOT_FOUND = "Invitation not found"


@pytest.fixture
def crew(api, pool):
    """A fresh workspace: owner, admin, researcher, observer (pool users) and
    an outsider."""
    owner, admin, researcher, observer, outsider = pool(5)
    w = create_workspace(api, owner, "Crew")
    add_member(api, owner, w["id"], admin, "admin")
    add_member(api, owner, w["id"], researcher, "researcher")
    add_member(api, owner, w["id"], observer, "observer")
    return dict(w=w, wid=w["id"], owner=owner, admin=admin, researcher=researcher,
                observer=observer, outsider=outsider)


def tpath(wid, *rest):
    return "/workspaces/%s/team%s" % (wid, "".join("/" + r for r in rest))


def activity_count(api, user, wid):
    return ok_data(api.get("/workspaces/%s/activity?limit=100" % wid, token=user.token))["total"]


# ------------------------------------------------------------------ list

def test_team_list(api, crew):
    c = crew
    got = ok_data(api.get(tpath(c["wid"]), token=c["observer"].token))
    assert set(got) == {"members", "total"} and got["total"] == 4
    rows = [check_member(m, c["wid"]) for m in got["members"]]
    assert [(m["userId"], m["role"], m["status"]) for m in rows] == [
        (c["owner"].id, "admin", "online"), (c["admin"].id, "admin", "online"),
        (c["researcher"].id, "researcher", "online"), (c["observer"].id, "observer", "online")]
    for m, who in zip(rows, ("owner", "admin", "researcher", "observer")):
        u = c[who]
        assert m["user"] == {"id": u.id, "name": u.name, "email": u.email}
    assert rows == ok_data(api.get("/workspaces/" + c["wid"], token=c["owner"].token))["members"]
    assert_error(api.get(tpath(c["wid"]), token=c["outsider"].token), 403, ACCESS_DENIED)


# ------------------------------------------------------------------ invite

def test_invite_success_shape(api, crew, pool):
    c = crew
    invitee = pool(6)[5]
    before = activity_count(api, c["owner"], c["wid"])
    r = api.post(tpath(c["wid"], "invite"), {"email": invitee.email}, token=c["researcher"].token)
    d = ok_data(r, 201)
    assert set(d) - {"role"} == {"id", "workspaceId", "workspaceName", "inviteeEmail", "status",
                                 "createdAt", "message"}
    assert d["workspaceId"] == c["wid"] and d["workspaceName"] == "Crew"
    assert d["inviteeEmail"] == invitee.email and d["status"] == "pending"
    assert d["message"] == "Invitation sent successfully"
    assert d.get("role", "researcher") == "researcher"
    parse_ts(d["createdAt"])
    # no member yet, no activity
    assert invitee.id not in [m["userId"] for m in team(api, c["owner"], c["wid"])]
    assert activity_count(api, c["owner"], c["wid"]) == before
    inbox = ok_data(api.get("/invitations", token=invitee.token))["invitations"]
    mine = [i for i in inbox if i["id"] == d["id"]]
    assert len(mine) == 1
    i = check_invitation(mine[0])
    assert i == {**i, "workspaceId": c["wid"], "workspaceName": "Crew",
                 "inviterName": c["researcher"].name, "inviterEmail": c["researcher"].email,
                 "status": "pending", "createdAt": d["createdAt"]}
    ok_data(api.post("/invitations/%s/decline" % d["id"], token=invitee.token))


def test_invite_errors_in_order(api, crew, pool):
    c = crew
    invitee = pool(7)[6]
    path = tpath(c["wid"], "invite")
    tok = c["admin"].token
    for body in ({}, {"email": ""}, {"email": None}, {"role": "admin"},
                 {"email": "", "role": "boss"}):
        assert_error(api.post(path, body, token=tok), 400, "Email is required")
    assert_error(api.post(path, {"email": "nobody-%s@example.com" % uuid.uuid4().hex},
                          token=tok), 404, "User not found with this email")
    # exact match only
    assert_error(api.post(path, {"email": invitee.email.upper()}, token=tok), 404,
                 "User not found with this email")
    assert_error(api.post(path, {"email": " " + invitee.email}, token=tok), 404,
                 "User not found with this email")
    assert_error(api.post(path, {"email": c["admin"].email}, token=tok), 400,
                 "Cannot invite yourself")
    assert_error(api.post(path, {"email": c["owner"].email}, token=c["owner"].token), 400,
                 "Cannot invite yourself")
    for who in ("owner", "researcher", "observer"):
        assert_error(api.post(path, {"email": c[who].email}, token=tok), 400,
                     "User is already a member of this workspace")
    invite(api, c["researcher"], c["wid"], invitee)
    for inviter in ("admin", "owner", "researcher"):
        assert_error(api.post(path, {"email": invitee.email}, token=c[inviter].token), 400,
                     "Invitation already sent to this user")
    # an invalid role: a field error (after the email checks)
    for role in ("boss", "Admin", "owner"):
        assert error_of(api.post(path, {"email": c["outsider"].email, "role": role}, token=tok),
                        400) == {"role": ['"%s" is not a valid choice.' % role]}
    assert c["wid"] not in [i["workspaceId"] for i in ok_data(
        api.get("/invitations", token=c["outsider"].token))["invitations"]]


def test_invite_permissions(api, crew):
    c = crew
    path = tpath(c["wid"], "invite")
    body = {"email": c["outsider"].email}
    # checked before the body
    assert_error(api.post(path, {}, token=c["observer"].token), 403, READ_ONLY)
    assert_error(api.post(path, body, token=c["observer"].token), 403, READ_ONLY)
    assert_error(api.post(path, body, token=c["outsider"].token), 403, ACCESS_DENIED)
    assert_error(api.post(tpath("workspace-000000000000", "invite"), body,
                          token=c["owner"].token), 404, "Workspace not found")
    assert c["wid"] not in [i["workspaceId"] for i in ok_data(
        api.get("/invitations", token=c["outsider"].token))["invitations"]]


@pytest.mark.parametrize("role", [None, "admin", "researcher", "observer"])
def test_accept_grants_invited_role(api, pool, role):
    owner, _, _, _, _, _, _, invitee = pool(8)
    w = create_workspace(api, owner)
    inv = invite(api, owner, w["id"], invitee, role)
    expected = role or "researcher"
    assert inv.get("role", expected) == expected
    listed = [i for i in ok_data(api.get("/invitations", token=invitee.token))["invitations"]
              if i["id"] == inv["id"]]
    assert listed and listed[0].get("role", expected) == expected
    got = accept(api, invitee, inv["id"])
    assert {k: got[k] for k in ("message", "workspaceId", "workspaceName")} == {
        "message": "Invitation accepted", "workspaceId": w["id"], "workspaceName": w["name"]}
    assert set(got) - {"role"} == {"message", "workspaceId", "workspaceName"}
    rows = [m for m in team(api, owner, w["id"]) if m["userId"] == invitee.id]
    assert len(rows) == 1
    assert rows[0]["role"] == expected and rows[0]["status"] == "online"
    # the invitation is gone from the inbox and cannot be accepted again
    assert inv["id"] not in [i["id"] for i in ok_data(
        api.get("/invitations", token=invitee.token))["invitations"]]
    assert_error(api.post("/invitations/%s/accept" % inv["id"], token=invitee.token), 404,
                 INV_NOT_FOUND)
    assert_error(api.post("/invitations/%s/decline" % inv["id"], token=invitee.token), 404,
                 INV_NOT_FOUND)
    assert len(team(api, owner, w["id"])) == 2


# ------------------------------------------------------------------ role

def test_role_change(api, crew):
    c = crew
    wid = c["wid"]
    before = activity_count(api, c["owner"], wid)
    got = ok_data(api.put(tpath(wid, c["researcher"].id, "role"), {"role": "observer"},
                          token=c["admin"].token))
    check_member(got, wid)
    assert got["userId"] == c["researcher"].id and got["role"] == "observer"
    assert {m["userId"]: m["role"] for m in team(api, c["owner"], wid)}[c["researcher"].id] == \
        "observer"
    # an admin may change another admin's role and its own
    got = ok_data(api.put(tpath(wid, c["observer"].id, "role"), {"role": "admin"},
                          token=c["owner"].token))
    assert got["role"] == "admin"
    got = ok_data(api.put(tpath(wid, c["observer"].id, "role"), {"role": "researcher"},
                          token=c["admin"].token))
    assert got["role"] == "researcher"
    got = ok_data(api.put(tpath(wid, c["admin"].id, "role"), {"role": "researcher"},
                          token=c["admin"].token))
    assert got["role"] == "researcher"
    # ...after which it may not
    assert_error(api.put(tpath(wid, c["admin"].id, "role"), {"role": "admin"},
                         token=c["admin"].token), 403, "Only admins can update roles")
    assert activity_count(api, c["owner"], wid) == before


def test_role_change_errors_in_order(api, crew):
    c = crew
    wid = c["wid"]
    ghost = str(uuid.uuid4())
    # 403 before the body
    assert_error(api.put(tpath(wid, c["observer"].id, "role"), {"role": "boss"},
                         token=c["researcher"].token), 403, "Only admins can update roles")
    assert_error(api.put(tpath(wid, ghost, "role"), {}, token=c["researcher"].token), 403,
                 "Only admins can update roles")
    assert_error(api.put(tpath(wid, c["researcher"].id, "role"), {"role": "admin"},
                         token=c["observer"].token), 403, READ_ONLY)
    assert_error(api.put(tpath(wid, c["researcher"].id, "role"), {"role": "admin"},
                         token=c["outsider"].token), 403, ACCESS_DENIED)
    # the body before the target
    assert error_of(api.put(tpath(wid, ghost, "role"), {"role": "boss"},
                            token=c["admin"].token), 400) == {
        "role": ['"boss" is not a valid choice.']}
    assert error_of(api.put(tpath(wid, ghost, "role"), {}, token=c["admin"].token), 400) == {
        "role": ["This field is required."]}
    assert error_of(api.put(tpath(wid, c["owner"].id, "role"), {"role": None},
                            token=c["admin"].token), 400) == {
        "role": ["This field may not be null."]}
    # unknown, non-UUID, or not a member
    for target in (ghost, "not-a-uuid", ghost.upper(), c["outsider"].id, "%20"):
        assert_error(api.put(tpath(wid, target, "role"), {"role": "observer"},
                             token=c["admin"].token), 404, MEMBER_NOT_FOUND)
    for who in ("admin", "owner"):
        assert_error(api.put(tpath(wid, c["owner"].id, "role"), {"role": "researcher"},
                             token=c[who].token), 400, "Cannot change owner role")
    assert {m["userId"]: m["role"] for m in team(api, c["owner"], wid)} == {
        c["owner"].id: "admin", c["admin"].id: "admin", c["researcher"].id: "researcher",
        c["observer"].id: "observer"}


# ------------------------------------------------------------------ status

def test_status_own_row(api, crew):
    c = crew
    wid = c["wid"]
    for who, status in (("observer", "away"), ("researcher", "offline"), ("owner", "away"),
                        ("admin", "online"), ("observer", "offline")):
        got = ok_data(api.put(tpath(wid, c[who].id, "status"), {"status": status},
                              token=c[who].token))
        check_member(got, wid)
        assert got["userId"] == c[who].id and got["status"] == status
    assert {m["userId"]: m["status"] for m in team(api, c["owner"], wid)} == {
        c["owner"].id: "away", c["admin"].id: "online", c["researcher"].id: "offline",
        c["observer"].id: "offline"}


def test_status_errors_in_order(api, crew):
    c = crew
    wid = c["wid"]
    ghost = str(uuid.uuid4())
    assert_error(api.put(tpath(wid, c["outsider"].id, "status"), {"status": "away"},
                         token=c["outsider"].token), 403, ACCESS_DENIED)
    assert_error(api.put(tpath(wid, c["owner"].id, "status"), {"status": "busy"},
                         token=c["outsider"].token), 403, ACCESS_DENIED)
    # body (someone else's row, unknown row: the body comes first)
    for target in (c["admin"].id, ghost, c["researcher"].id):
        assert error_of(api.put(tpath(wid, target, "status"), {"status": "busy"},
                                token=c["researcher"].token), 400) == {
            "status": ['"busy" is not a valid choice.']}
        assert error_of(api.put(tpath(wid, target, "status"), {},
                                token=c["researcher"].token), 400) == {
            "status": ["This field is required."]}
    for target in (ghost, "not-a-uuid", c["outsider"].id):
        assert_error(api.put(tpath(wid, target, "status"), {"status": "away"},
                             token=c["owner"].token), 404, MEMBER_NOT_FOUND)
    for who, target in (("owner", "admin"), ("admin", "observer"), ("observer", "owner"),
                        ("researcher", "admin")):
        assert_error(api.put(tpath(wid, c[target].id, "status"), {"status": "away"},
                             token=c[who].token), 403, "Can only update your own status")
    assert {m["status"] for m in team(api, c["owner"], wid)} == {"online"}


# ------------------------------------------------------------------ remove

def test_remove_member(api, crew, db):
    c = crew
    wid = c["wid"]
    r = ok_data(api.delete(tpath(wid, c["researcher"].id), token=c["admin"].token))
    assert r == {"message": "Team member removed successfully"}
    assert c["researcher"].id not in [m["userId"] for m in team(api, c["owner"], wid)]
    assert_error(api.get("/workspaces/" + wid, token=c["researcher"].token), 403, ACCESS_DENIED)
    assert wid not in [w["id"] for w in ok_data(api.get("/workspaces",
                                                        token=c["researcher"].token))["workspaces"]]
    # the invitation rows of that user for this workspace are gone too
    assert db.scalar("SELECT COUNT(*) FROM invitations WHERE workspace_id = %s AND invitee_id = %s"
                     % (db.lit(wid), db.lit(c["researcher"].id))) == 0
    assert_error(api.delete(tpath(wid, c["researcher"].id), token=c["admin"].token), 404,
                 MEMBER_NOT_FOUND)
    # the owner removes an admin
    ok_data(api.delete(tpath(wid, c["admin"].id), token=c["owner"].token))
    assert [m["userId"] for m in team(api, c["owner"], wid)] == [c["owner"].id, c["observer"].id]


def test_remove_errors_in_order(api, crew):
    c = crew
    wid = c["wid"]
    ghost = str(uuid.uuid4())
    assert_error(api.delete(tpath(wid, c["admin"].id), token=c["researcher"].token), 403,
                 "Only workspace owner or admin can remove members")
    assert_error(api.delete(tpath(wid, ghost), token=c["researcher"].token), 403,
                 "Only workspace owner or admin can remove members")
    assert_error(api.delete(tpath(wid, c["owner"].id), token=c["researcher"].token), 403,
                 "Only workspace owner or admin can remove members")
    assert_error(api.delete(tpath(wid, c["researcher"].id), token=c["observer"].token), 403,
                 READ_ONLY)
    assert_error(api.delete(tpath(wid, c["researcher"].id), token=c["outsider"].token), 403,
                 ACCESS_DENIED)
    assert_error(api.delete(tpath(wid, c["outsider"].id), token=c["outsider"].token), 403,
                 ACCESS_DENIED)
    for target in (ghost, "not-a-uuid", c["outsider"].id, ghost.upper()):
        assert_error(api.delete(tpath(wid, target), token=c["admin"].token), 404,
                     MEMBER_NOT_FOUND)
    for who in ("owner", "admin"):
        assert_error(api.delete(tpath(wid, c["owner"].id), token=c[who].token), 400,
                     "Cannot remove workspace owner")
    assert len(team(api, c["owner"], wid)) == 4


@pytest.mark.parametrize("who", ["admin", "researcher", "observer"])
def test_any_member_may_leave(api, crew, who):
    """D6: every member but the owner may remove itself, observers included."""
    c = crew
    r = ok_data(api.delete(tpath(c["wid"], c[who].id), token=c[who].token))
    assert r == {"message": "Team member removed successfully"}
    assert c[who].id not in [m["userId"] for m in team(api, c["owner"], c["wid"])]
    assert_error(api.get(tpath(c["wid"]), token=c[who].token), 403, ACCESS_DENIED)


def test_reinvite_after_removal_and_decline(api, crew):
    c = crew
    wid = c["wid"]
    ok_data(api.delete(tpath(wid, c["researcher"].id), token=c["owner"].token))
    inv = invite(api, c["admin"], wid, c["researcher"], "observer")
    accept(api, c["researcher"], inv["id"])
    rows = {m["userId"]: m["role"] for m in team(api, c["owner"], wid)}
    assert rows[c["researcher"].id] == "observer"
    # leave, get invited, decline, get invited again, accept
    ok_data(api.delete(tpath(wid, c["researcher"].id), token=c["researcher"].token))
    inv = invite(api, c["owner"], wid, c["researcher"])
    assert ok_data(api.post("/invitations/%s/decline" % inv["id"],
                            token=c["researcher"].token)) == {"message": "Invitation declined"}
    assert c["researcher"].id not in [m["userId"] for m in team(api, c["owner"], wid)]
    inv2 = invite(api, c["owner"], wid, c["researcher"], "admin")
    accept(api, c["researcher"], inv2["id"])
    assert {m["userId"]: m["role"] for m in team(api, c["owner"], wid)}[c["researcher"].id] == \
        "admin"
    assert len(team(api, c["owner"], wid)) == 4


# ------------------------------------------------------------------ the inbox

def test_inbox_newest_first_and_only_own(api, pool):
    owners = pool(3)
    u, other = User(api), User(api)
    assert ok_data(api.get("/invitations", token=u.token)) == {"invitations": [], "total": 0}
    sent = []
    for i, o in enumerate(owners):
        w = create_workspace(api, o, "Inbox %d" % i)
        sent.append((invite(api, o, w["id"], u), w, o))
    invite(api, owners[0], sent[0][1]["id"], other)
    got = ok_data(api.get("/invitations", token=u.token))
    assert got["total"] == 3
    assert [i["id"] for i in got["invitations"]] == [s[0]["id"] for s in reversed(sent)]
    stamps = [parse_ts(i["createdAt"]) for i in got["invitations"]]
    assert stamps == sorted(stamps, reverse=True)
    for item, (inv, w, o) in zip(got["invitations"], reversed(sent)):
        check_invitation(item)
        assert (item["workspaceId"], item["workspaceName"], item["inviterName"],
                item["inviterEmail"], item["createdAt"]) == (w["id"], w["name"], o.name, o.email,
                                                              inv["createdAt"])
    # the inviter does not see what it sent
    for o in owners:
        assert all(i["id"] not in {s[0]["id"] for s in sent}
                   for i in ok_data(api.get("/invitations", token=o.token))["invitations"])
    assert len(ok_data(api.get("/invitations", token=other.token))["invitations"]) == 1
    # accepted and declined ones leave the inbox
    accept(api, u, sent[0][0]["id"])
    ok_data(api.post("/invitations/%s/decline" % sent[1][0]["id"], token=u.token))
    got = ok_data(api.get("/invitations", token=u.token))
    assert [i["id"] for i in got["invitations"]] == [sent[2][0]["id"]] and got["total"] == 1
    # a deleted workspace takes its invitations with it
    ok_data(api.delete("/workspaces/" + sent[2][1]["id"], token=sent[2][2].token))
    assert ok_data(api.get("/invitations", token=u.token)) == {"invitations": [], "total": 0}
    assert_error(api.post("/invitations/%s/accept" % sent[2][0]["id"], token=u.token), 404,
                 INV_NOT_FOUND)


def test_accept_decline_only_by_invitee(api, pool):
    owner, invitee, member, stranger = pool(4)
    w = create_workspace(api, owner)
    add_member(api, owner, w["id"], member)
    inv = invite(api, member, w["id"], invitee)
    for who in (owner, member, stranger):
        for action in ("accept", "decline"):
            assert_error(api.post("/invitations/%s/%s" % (inv["id"], action), token=who.token),
                         404, INV_NOT_FOUND)
    for bad in ("inv-000000000000", "nope", inv["id"].upper()):
        for action in ("accept", "decline"):
            assert_error(api.post("/invitations/%s/%s" % (bad, action), token=invitee.token),
                         404, INV_NOT_FOUND)
    assert len(team(api, owner, w["id"])) == 2
    assert [i["id"] for i in ok_data(api.get("/invitations", token=invitee.token))["invitations"]
            if i["workspaceId"] == w["id"]] == [inv["id"]]
    accept(api, invitee, inv["id"])
    assert len(team(api, owner, w["id"])) == 3


# ------------------------------------------------------------------ races

N = 8


def together(fns):
    """Runs the callables at the same moment from as many threads."""
    barrier = threading.Barrier(len(fns))

    def go(fn):
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(max_workers=len(fns)) as ex:
        return list(ex.map(go, fns))


def member_rows(db, wid, uid):
    return db.scalar("SELECT COUNT(*) FROM team_members WHERE workspace_id = %s AND user_id = %s"
                     % (db.lit(wid), db.lit(uid)))


def test_concurrent_accepts_make_one_member(api, pool, db):
    owner, invitee = pool(2)
    for _ in range(3):
        w = create_workspace(api, owner)
        inv = invite(api, owner, w["id"], invitee, "observer")
        results = together([lambda: api.post("/invitations/%s/accept" % inv["id"],
                                             token=invitee.token)] * N)
        codes = sorted(r.status_code for r in results)
        assert set(codes) <= {200, 404} and 200 in codes, codes
        for r in results:
            body = envelope(r)
            if r.status_code == 404:
                assert body["error"] == INV_NOT_FOUND
        assert member_rows(db, w["id"], invitee.id) == 1
        rows = [m for m in team(api, owner, w["id"]) if m["userId"] == invitee.id]
        assert len(rows) == 1 and rows[0]["role"] == "observer"


def test_concurrent_invites_make_one_invitation(api, pool, db):
    owner, admin, researcher, invitee = pool(4)
    w = create_workspace(api, owner)
    add_member(api, owner, w["id"], admin, "admin")
    add_member(api, owner, w["id"], researcher)
    inviters = [owner, admin, researcher] * 3
    results = together([
        (lambda t: lambda: api.post(tpath(w["id"], "invite"), {"email": invitee.email},
                                    token=t))(u.token) for u in inviters])
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [400] * (len(inviters) - 1), codes
    for r in results:
        if r.status_code == 400:
            assert error_of(r, 400) == "Invitation already sent to this user"
    assert db.scalar("SELECT COUNT(*) FROM invitations WHERE workspace_id = %s AND invitee_id = %s"
                     % (db.lit(w["id"]), db.lit(invitee.id))) == 1
    inv = [i for i in ok_data(api.get("/invitations", token=invitee.token))["invitations"]
           if i["workspaceId"] == w["id"]]
    assert len(inv) == 1
    accept(api, invitee, inv[0]["id"])
    assert member_rows(db, w["id"], invitee.id) == 1


def test_concurrent_accept_and_decline(api, pool, db):
    owner, invitee = pool(2)
    for _ in range(3):
        w = create_workspace(api, owner)
        inv = invite(api, owner, w["id"], invitee)
        fns = [lambda: api.post("/invitations/%s/accept" % inv["id"], token=invitee.token),
               lambda: api.post("/invitations/%s/decline" % inv["id"], token=invitee.token)] * 4
        results = together(fns)
        for r in results:
            assert r.status_code in (200, 404), (r.status_code, r.text)
            envelope(r)
        accepted = any(r.status_code == 200 for r in results[0::2])
        rows = member_rows(db, w["id"], invitee.id)
        assert rows <= 1
        if accepted:
            assert rows == 1
        pending = [i for i in ok_data(api.get("/invitations", token=invitee.token))["invitations"]
                   if i["workspaceId"] == w["id"]]
        assert pending == []


def test_concurrent_remove_and_role_change(api, pool, db):
    owner, admin, target = pool(3)
    w = create_workspace(api, owner)
    add_member(api, owner, w["id"], admin, "admin")
    add_member(api, owner, w["id"], target)
    fns = [lambda: api.delete(tpath(w["id"], target.id), token=owner.token),
           lambda: api.put(tpath(w["id"], target.id, "role"), {"role": "observer"},
                           token=admin.token)] * 4
    results = together(fns)
    for r in results:
        assert r.status_code in (200, 404), (r.status_code, r.text)
        envelope(r)
    assert any(r.status_code == 200 for r in results[0::2])
    assert member_rows(db, w["id"], target.id) == 0
