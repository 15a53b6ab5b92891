"""Cascades (API.md §3, §5.2 #11, §5.3 #21, §9): deleting a workspace, an
account, a member, or cleaning up leaves no orphan rows and touches nothing
else. EVERY table is counted before and after, straight from the database.

A dedicated server, so nothing else writes meanwhile. On SQLite its database
is private: whole-table counts must return exactly to the baseline. On
PostgreSQL the database is shared with every server of the run, so counts
are restricted to the ids the test created (users, workspaces,
conversations, memories) — rows of not-yet-created ids count 0 at the
baseline, so the restricted counts must return to the baseline as well.

Conversations, messages, memories, tags, injections, integrations and old
load snapshots have no endpoints yet: they are written directly, so the
cascades through them are exercised too."""
import pytest

from chimera_api import (
    TABLES, Api, Server, User, accept, add_member, assert_error, create_workspace, invite, login,
    now_us, ok_data, team,
)


@pytest.fixture(scope="module")
def capi():
    srv = Server(name="cascade").start()
    yield Api(srv)
    srv.stop()


@pytest.fixture(scope="module")
def cdb(capi):
    return capi.server.db()


class Scope:
    """The ids a test created, and every table's count restricted to them."""

    def __init__(self, db):
        self.db = db
        self.users, self.workspaces, self.convs, self.memories = set(), set(), set(), set()

    def where(self):
        lit = self.db.in_list
        U, W, C, M = (lit(sorted(x)) for x in (self.users, self.workspaces, self.convs,
                                               self.memories))
        return {
            "users": "id IN %s" % U,
            "tokens": "user_id IN %s" % U,
            "workspaces": "id IN %s OR owner_id IN %s" % (W, U),
            "team_members": "workspace_id IN %s OR user_id IN %s" % (W, U),
            "invitations": "workspace_id IN %s OR inviter_id IN %s OR invitee_id IN %s"
                           % (W, U, U),
            "integrations": "user_id IN %s" % U,
            "conversations": "workspace_id IN %s OR id IN %s" % (W, C),
            "messages": "workspace_id IN %s OR conversation_id IN %s" % (W, C),
            "memories": "workspace_id IN %s OR id IN %s" % (W, M),
            "memory_tags": "memory_id IN %s" % M,
            "conversation_memories": "conversation_id IN %s OR memory_id IN %s" % (C, M),
            "activities": "workspace_id IN %s" % W,
            "load_snapshots": "workspace_id IN %s" % W,
            "memory_tombstones": "workspace_id IN %s" % W,
        }

    def counts(self):
        return self.db.counts(self.where())


def snapshot(scope):
    """(restricted counts, whole-table counts or None on a shared database)."""
    return scope.counts(), (scope.db.counts() if scope.db.sqlite else None)


def assert_back_to(scope, before, what):
    scoped, whole = before
    now_scoped = scope.counts()
    diff = {t: (scoped[t], now_scoped[t]) for t in TABLES if scoped[t] != now_scoped[t]}
    assert not diff, "%s: rows left or lost (before, after): %s" % (what, diff)
    if whole is not None:
        now_whole = scope.db.counts()
        diff = {t: (whole[t], now_whole[t]) for t in TABLES if whole[t] != now_whole[t]}
        assert not diff, "%s: whole-table counts (before, after): %s" % (what, diff)
    assert scope.db.orphans() == {}


def fill(db, scope, wid, n_conv=2, n_msg=3, n_mem=2):
    """Conversations with messages, memories with tags, injections, old
    snapshots and activities in wid (written directly)."""
    sql = []
    for i in range(n_conv):
        cid, s = db.conversation_sql(wid, status="active" if i % 2 == 0 else "completed")
        scope.convs.add(cid)
        sql.append(s)
        for j in range(n_msg):
            sql.append(db.message_sql(wid, cid, content="m%d" % j)[1])
    mids = []
    for i in range(n_mem):
        mid, s = db.memory_sql(wid, embedded=i % 2 == 0, tags=["t%d" % i, "shared"])
        scope.memories.add(mid)
        mids.append(mid)
        sql.append(s)
    db.execute(";\n".join(sql))
    # inject every memory of wid into every conversation of wid
    conv_rows = [r[0] for r in db.query("SELECT id FROM conversations WHERE workspace_id = %s"
                                        % db.lit(wid))]
    inj = [db.injection_sql(cid, mid) for cid in conv_rows for mid in mids]
    old = now_us() - 3600 * 1_000_000
    inj += [db.snapshot_sql(wid, 40, old)[1], db.activity_sql(wid, old)[1]]
    db.execute(";\n".join(inj))


def populated_counts(scope, tables):
    c = scope.counts()
    return {t: c[t] for t in tables}


def test_delete_workspace(capi, cdb):
    s = Scope(cdb)
    owner, member, observer, invitee = (User(capi) for _ in range(4))
    s.users |= {owner.id, member.id, observer.id, invitee.id}
    keep = create_workspace(capi, owner, "Kept")
    s.workspaces.add(keep["id"])
    fill(cdb, s, keep["id"], n_conv=1, n_msg=2, n_mem=1)
    before = snapshot(s)

    w = create_workspace(capi, owner, "Doomed")
    s.workspaces.add(w["id"])
    add_member(capi, owner, w["id"], member, "admin")
    add_member(capi, member, w["id"], observer, "observer")
    invite(capi, member, w["id"], invitee)
    ok_data(capi.post("/workspaces/%s/record-load" % w["id"], token=observer.token))
    fill(cdb, s, w["id"])
    during = populated_counts(s, TABLES)
    for t in ("workspaces", "team_members", "invitations", "conversations", "messages",
              "memories", "memory_tags", "conversation_memories", "activities",
              "load_snapshots"):
        assert during[t] > before[0][t], t      # the test really populated every table

    ok_data(capi.delete("/workspaces/" + w["id"], token=owner.token))
    assert_back_to(s, before, "workspace deletion")
    assert [m["userId"] for m in team(capi, owner, keep["id"])] == [owner.id]
    assert ok_data(capi.get("/invitations", token=invitee.token))["invitations"] == []


def test_delete_account(capi, cdb):
    s = Scope(cdb)
    y, z, v = User(capi), User(capi), User(capi)
    s.users |= {y.id, z.id, v.id}
    w2 = create_workspace(capi, y, "Y's")
    w3 = create_workspace(capi, y, "Y's other")
    s.workspaces |= {w2["id"], w3["id"]}
    add_member(capi, y, w2["id"], z)
    fill(cdb, s, w2["id"], n_conv=1, n_msg=1, n_mem=1)
    before = snapshot(s)

    x = User(capi)
    s.users.add(x.id)
    ok_data(login(capi, x.email, x.password))      # one more refresh token
    add_member(capi, y, w2["id"], x, "admin")       # member elsewhere
    inv_sent = invite(capi, x, w2["id"], v)         # an invitation x sent
    w1 = create_workspace(capi, x, "X's")           # owned, with a team and content
    s.workspaces.add(w1["id"])
    add_member(capi, x, w1["id"], y, "researcher")
    add_member(capi, x, w1["id"], z, "observer")
    invite(capi, x, w1["id"], v)
    fill(cdb, s, w1["id"])
    invite(capi, y, w3["id"], x)                    # an invitation x received
    cdb.execute(";\n".join([cdb.integration_sql(x.id, "openai")[1],
                            cdb.integration_sql(x.id, "groq")[1]]))
    during = populated_counts(s, ("tokens", "integrations"))
    assert during["integrations"] == 2 and during["tokens"] > before[0]["tokens"]

    assert ok_data(capi.delete("/account", token=x.token)) == {
        "message": "Account successfully deleted"}
    assert_error(capi.get("/auth/profile", token=x.token), 401, "User not found")
    assert_error(capi.get("/settings", token=x.token), 401, "User not found")
    assert_error(capi.delete("/account", token=x.token), 401, "User not found")
    assert_error(login(capi, x.email, x.password), 401, "Invalid credentials")
    assert_error(capi.get("/workspaces/" + w1["id"], token=y.token), 404, "Workspace not found")
    assert [m["userId"] for m in team(capi, y, w2["id"])] == [y.id, z.id]
    assert ok_data(capi.get("/invitations", token=v.token))["invitations"] == []
    assert cdb.scalar("SELECT COUNT(*) FROM invitations WHERE id = %s"
                      % cdb.lit(inv_sent["id"])) == 0
    assert_back_to(s, before, "account deletion")
    # the email is free again
    ok_data(capi.post("/auth/register", {"name": "Again", "email": x.email,
                                         "password": x.password}), 201)


def test_cleanup_deletes_owned_workspaces_only(capi, cdb):
    s = Scope(cdb)
    x, y = User(capi), User(capi)
    s.users |= {x.id, y.id}
    theirs = create_workspace(capi, y, "Y's")
    s.workspaces.add(theirs["id"])
    add_member(capi, y, theirs["id"], x, "researcher")
    mine_elsewhere = invite(capi, y, create_workspace(capi, y)["id"], x)
    s.workspaces.add(mine_elsewhere["workspaceId"])
    before = snapshot(s)

    owned = [create_workspace(capi, x, "X %d" % i) for i in range(3)]
    s.workspaces |= {w["id"] for w in owned}
    add_member(capi, x, owned[0]["id"], y)
    invite(capi, x, owned[1]["id"], y)
    fill(cdb, s, owned[0]["id"], n_conv=2, n_msg=3, n_mem=2)
    fill(cdb, s, owned[2]["id"], n_conv=1, n_msg=4, n_mem=5)
    got = ok_data(capi.post("/settings/cleanup", token=x.token))
    assert set(got) == {"workspaces_deleted", "conversations_deleted", "memories_deleted",
                        "messages_deleted", "cleanup_time"}
    assert (got["workspaces_deleted"], got["conversations_deleted"], got["memories_deleted"],
            got["messages_deleted"]) == (3, 3, 7, 10)
    from chimera_api import parse_ts
    parse_ts(got["cleanup_time"])
    assert_back_to(s, before, "cleanup")
    # still a member of Y's workspace, the pending invitation still there
    assert [w["id"] for w in ok_data(capi.get("/workspaces", token=x.token))["workspaces"]] == [
        theirs["id"]]
    assert [i["id"] for i in ok_data(capi.get("/invitations", token=x.token))["invitations"]] \
        == [mine_elsewhere["id"]]
    again = ok_data(capi.post("/settings/cleanup", token=x.token))
    assert (again["workspaces_deleted"], again["conversations_deleted"],
            again["memories_deleted"], again["messages_deleted"]) == (0, 0, 0, 0)
    ok_data(capi.get("/auth/profile", token=x.token))


def test_member_removal_deletes_only_that_membership(capi, cdb):
    s = Scope(cdb)
    owner, m = User(capi), User(capi)
    s.users |= {owner.id, m.id}
    a, b = create_workspace(capi, owner, "A"), create_workspace(capi, owner, "B")
    s.workspaces |= {a["id"], b["id"]}
    before = snapshot(s)
    add_member(capi, owner, a["id"], m)
    pending_b = invite(capi, owner, b["id"], m)
    ok_data(capi.delete("/workspaces/%s/team/%s" % (a["id"], m.id), token=owner.token))
    # the membership of A and its invitation row are gone; B's invitation stays
    assert [i["id"] for i in ok_data(capi.get("/invitations", token=m.token))["invitations"]] == [
        pending_b["id"]]
    ok_data(capi.post("/invitations/%s/decline" % pending_b["id"], token=m.token))
    assert_back_to(s, before, "member removal")
    accept(capi, m, invite(capi, owner, a["id"], m)["id"])
    assert m.id in [x["userId"] for x in team(capi, owner, a["id"])]
