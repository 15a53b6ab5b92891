"""Property-based tests (Hypothesis) for seed-design "Correctness Properties"
5, 6, 7, 8, 9, 10, 24 and 28: workspaces, teams, invitations, stats, export
and workspace access control.

Users are registered once per property (module fixtures) and reused by
every example; each example works in workspaces it creates and deletes them
at the end, so lists stay short. Content that has no endpoint yet
(conversations, messages, memories, integrations) is written into the
database directly (chimera_api.Database)."""
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chimera_api import (
    User, accept, add_member, assert_error, check_member, check_stats, check_workspace,
    create_workspace, invite, now_us, ok_data, team,
)
from test_authz_matrix import FILES, ROUTES, fill, fingerprint, seed_resources, values_of
from test_properties_auth import TEXT_CHARS, names, padded
from test_settings_export import check_export_doc, get_export

PROPERTY = settings(max_examples=int(os.environ.get("CHIMERA_PROPERTY_EXAMPLES", "100")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

ROLES = ["admin", "researcher", "observer"]
ACCESS_DENIED = "Access denied"
READ_ONLY = "Observers have read-only access"


def users_fixture(n):
    @pytest.fixture(scope="module")
    def fixture(api):
        return [User(api, name="Prop %d" % i) for i in range(n)]
    return fixture


def cleanup(api, owned):
    """Deletes the example's workspaces (owner, workspace) still alive."""
    for owner, wid in owned:
        r = api.delete("/workspaces/" + wid, token=owner.token)
        assert r.status_code in (200, 404), (r.status_code, r.text)


# ------------------------------------------------------------------ property 5

p5_users = users_fixture(4)

U4 = st.integers(0, 3)
W8 = st.integers(0, 7)
ops5 = st.lists(st.one_of(
    st.tuples(st.just("create"), U4),
    st.tuples(st.just("join"), W8, U4, st.sampled_from(ROLES)),
    st.tuples(st.just("invite"), W8, U4),
    st.tuples(st.just("decline"), W8, U4),
    st.tuples(st.just("remove"), W8, U4),
    st.tuples(st.just("leave"), W8, U4),
    st.tuples(st.just("delete"), W8),
), min_size=1, max_size=12)


class TeamModel:
    """What the server should hold for one workspace."""

    def __init__(self, w, owner):
        self.id = w["id"]
        self.owner = owner
        self.members = [owner]          # join order
        self.roles = {owner.id: "admin"}
        self.pending = {}               # user id -> (invitation id, role)
        self.alive = True

    def is_member(self, u):
        return u.id in self.roles


def apply_op(api, ws, users, op):
    """Runs one operation through the API when it is valid in the model."""
    kind = op[0]
    if kind == "create":
        owner = users[op[1]]
        ws.append(TeamModel(create_workspace(api, owner), owner))
        return
    if not ws:
        return
    m = ws[op[1] % len(ws)]
    if not m.alive:
        return
    if kind == "delete":
        ok_data(api.delete("/workspaces/" + m.id, token=m.owner.token))
        m.alive = False
        return
    u = users[op[2]]
    if u.id == m.owner.id:
        return
    if kind == "join" and not m.is_member(u):
        if u.id in m.pending:               # accepting grants the invitation's role
            inv, role = m.pending.pop(u.id)
            accept(api, u, inv)
        else:
            role = op[3]
            add_member(api, m.owner, m.id, u, role)
        m.members.append(u)
        m.roles[u.id] = role
    elif kind == "invite" and not m.is_member(u) and u.id not in m.pending:
        m.pending[u.id] = (invite(api, m.owner, m.id, u)["id"], "researcher")
    elif kind == "decline" and not m.is_member(u):
        inv = m.pending.pop(u.id, (None,))[0] or invite(api, m.owner, m.id, u)["id"]
        ok_data(api.post("/invitations/%s/decline" % inv, token=u.token))
    elif kind in ("remove", "leave") and m.is_member(u):
        actor = m.owner if kind == "remove" else u
        ok_data(api.delete("/workspaces/%s/team/%s" % (m.id, u.id), token=actor.token))
        m.members = [x for x in m.members if x.id != u.id]
        del m.roles[u.id]


@PROPERTY
@given(ops=ops5)
def test_property_05_workspace_list_filtered_by_access(api, p5_users, ops):
    """Property 5: For any user, the workspace list should only contain
    workspaces where the user is either the owner or a team member, and
    should not include workspaces where the user has no access."""
    users = p5_users
    ws = []
    try:
        for op in ops:
            apply_op(api, ws, users, op)
        mine = {m.id for m in ws}
        for u in users:
            got = ok_data(api.get("/workspaces", token=u.token))
            ids = [w["id"] for w in got["workspaces"]]
            assert len(ids) == len(set(ids)) == got["total"]
            for w in got["workspaces"]:
                check_workspace(w)
                assert w["ownerId"] == u.id or u.id in [x["userId"] for x in w["members"]], w
            expected = {m.id for m in ws if m.alive and m.is_member(u)}
            assert set(ids) & mine == expected
            for m in ws:
                if m.id in expected:
                    continue
                r = api.get("/workspaces/" + m.id, token=u.token)
                if m.alive:
                    assert_error(r, 403, ACCESS_DENIED)
                else:
                    assert_error(r, 404, "Workspace not found")
    finally:
        cleanup(api, [(m.owner, m.id) for m in ws if m.alive])


# ------------------------------------------------------------------ property 6

p6_users = users_fixture(3)
descriptions = st.one_of(st.none(), padded(st.text(TEXT_CHARS, max_size=300)))


@PROPERTY
@given(name=names, description=descriptions, creator=st.integers(0, 2))
def test_property_06_creation_assigns_ownership(api, p6_users, name, description, creator):
    """Property 6: For any valid workspace creation request, the creating user
    should be set as the owner and automatically added as a team member with
    admin role."""
    u = p6_users[creator]
    others = [x for x in p6_users if x is not u]
    body = {"name": name}
    if description is not None:
        body["description"] = description
    w = check_workspace(ok_data(api.post("/workspaces", body, token=u.token), 201))
    try:
        assert w["ownerId"] == u.id
        assert w["name"] == name.strip()
        assert w["description"] == (description or "").strip()
        assert [(m["userId"], m["role"], m["status"]) for m in w["members"]] == [
            (u.id, "admin", "online")]
        assert w["members"][0]["user"] == {"id": u.id, "name": u.name, "email": u.email}
        assert ok_data(api.get("/workspaces/" + w["id"], token=u.token)) == w
        assert team(api, u, w["id"]) == w["members"]
        listed = ok_data(api.get("/workspaces", token=u.token))["workspaces"]
        assert listed[0] == w                       # the newest updatedAt comes first
        acts = ok_data(api.get("/workspaces/%s/activity" % w["id"], token=u.token))["activities"]
        assert [(a["type"], a["message"]) for a in acts] == [
            ("team_member_added", "Team member %s added as admin" % u.name)]
        for o in others:
            assert_error(api.get("/workspaces/" + w["id"], token=o.token), 403, ACCESS_DENIED)
    finally:
        ok_data(api.delete("/workspaces/" + w["id"], token=u.token))


# ------------------------------------------------------------------ property 7

p7_users = users_fixture(2)
small = st.integers(0, 6)


@PROPERTY
@given(active=st.integers(0, 12), completed=small, archived=small, recent=st.integers(0, 40),
       old=small, embedded=st.integers(0, 60), plain=st.integers(0, 40),
       reader=st.sampled_from(["owner", "observer"]))
def test_property_07_stats_accuracy(api, db, p7_users, active, completed, archived, recent, old,
                                    embedded, plain, reader):
    """Property 7: For any workspace, the stats should accurately reflect the
    count of memories, embeddings (memories with non-null embedding),
    conversations, and the calculated system load should be between 0 and
    100. (Service load §7.2 = min(100, 10·active + messages of the last
    hour); embedded §7.1 = min(100, memories + 5·conversations).)"""
    owner, observer = p7_users
    w = create_workspace(api, owner)
    try:
        if reader == "observer":
            add_member(api, owner, w["id"], observer, "observer")
        who = owner if reader == "owner" else observer
        sql, convs = [], []
        now = now_us()
        for status in ["active"] * active + ["completed"] * completed + ["archived"] * archived:
            cid, s = db.conversation_sql(w["id"], status=status, ts=now - 60_000_000)
            convs.append(cid)
            sql.append(s)
        if (recent or old) and not convs:
            cid, s = db.conversation_sql(w["id"], status="archived", ts=now - 60_000_000)
            convs.append(cid)
            sql.append(s)
        for i in range(recent + old):
            ts = now - 1_000_000 - i if i < recent else now - 3 * 3600 * 1_000_000 - i
            sql.append(db.message_sql(w["id"], convs[i % len(convs)], ts=ts)[1])
        for i in range(embedded + plain):
            sql.append(db.memory_sql(w["id"], embedded=i < embedded, ts=now - 90_000_000)[1])
        if sql:
            db.execute(";\n".join(sql))
        memories, conversations = embedded + plain, len(convs)
        expect = {"totalMemories": memories, "totalEmbeddings": embedded,
                  "totalConversations": conversations}
        service = min(100, 10 * active + recent)
        s = check_stats(ok_data(api.get("/workspaces/%s/stats" % w["id"], token=who.token)))
        assert {k: s[k] for k in expect} == expect and s["systemLoad"] == service, s
        d = ok_data(api.get("/workspaces/%s/dashboard" % w["id"], token=who.token))
        assert d["stats"] == s
        e = check_stats(ok_data(api.get("/workspaces/" + w["id"], token=who.token))["stats"])
        assert {k: e[k] for k in expect} == expect, e
        assert e["systemLoad"] == min(100, memories + 5 * conversations), e
        assert ok_data(api.get("/workspaces/%s/neural-load" % w["id"],
                               token=who.token))["currentLoad"] == service
    finally:
        ok_data(api.delete("/workspaces/" + w["id"], token=owner.token))


# ------------------------------------------------------------------ property 8

p8_users = users_fixture(7)
U6 = st.integers(1, 6)
ops8 = st.lists(st.one_of(
    st.tuples(st.just("join"), st.just(0), U6, st.sampled_from(ROLES)),
    st.tuples(st.just("invite"), st.just(0), U6),
    st.tuples(st.just("decline"), st.just(0), U6),
    st.tuples(st.just("remove"), st.just(0), U6),
    st.tuples(st.just("leave"), st.just(0), U6),
), max_size=16)


@PROPERTY
@given(ops=ops8, page=st.integers(1, 8))
def test_property_08_team_list_complete(api, p8_users, ops, page):
    """Property 8: For any workspace, the team member list should include all
    users who have been added to the workspace, with no duplicates and no
    missing members."""
    owner = p8_users[0]
    m = TeamModel(create_workspace(api, owner), owner)
    try:
        for op in ops:
            apply_op(api, [m], p8_users, op)
        got = ok_data(api.get("/workspaces/%s/team" % m.id, token=owner.token))
        rows = [check_member(x, m.id) for x in got["members"]]
        ids = [x["userId"] for x in rows]
        assert len(ids) == len(set(ids)) == got["total"]
        assert ids == [u.id for u in m.members]             # join order
        assert {x["userId"]: x["role"] for x in rows} == m.roles
        assert len({x["id"] for x in rows}) == len(rows)
        assert ok_data(api.get("/workspaces/" + m.id, token=owner.token))["members"] == rows
        pages = []
        for offset in range(0, len(rows) + page, page):
            p = ok_data(api.get("/workspaces/%s/team?limit=%d&offset=%d" % (m.id, page, offset),
                                token=owner.token))
            assert p["total"] == len(rows)
            pages += p["members"]
        assert pages == rows
        inbox_ids = {u.id for u in p8_users
                     for i in ok_data(api.get("/invitations", token=u.token))["invitations"]
                     if i["workspaceId"] == m.id}
        assert inbox_ids == set(m.pending)
    finally:
        cleanup(api, [(owner, m.id)])


# ------------------------------------------------------------------ property 9

p9_users = users_fixture(5)


@PROPERTY
@given(inviter_role=st.sampled_from(["owner", "admin", "researcher"]),
       role=st.sampled_from([None, "admin", "researcher", "observer"]),
       invitee=st.integers(2, 4), extra=st.lists(st.sampled_from(ROLES), max_size=2),
       status=st.sampled_from(["online", "away", "offline"]))
def test_property_09_invitation_creates_member(api, p9_users, inviter_role, role, invitee, extra,
                                               status):
    """Property 9: For any valid user invitation to a workspace, a team member
    record should be created with the specified role, and the member count
    should increase by one. (D6: the role travels with the invitation and is
    granted on acceptance; the member appears when the invitee accepts.)"""
    owner, second = p9_users[0], p9_users[1]
    target = p9_users[invitee]
    w = create_workspace(api, owner)
    try:
        inviter = owner
        if inviter_role != "owner":
            add_member(api, owner, w["id"], second, inviter_role)
            inviter = second
        for r, u in zip(extra, [x for x in p9_users[2:] if x is not target]):
            add_member(api, owner, w["id"], u, r)
        before = team(api, owner, w["id"])
        inv = invite(api, inviter, w["id"], target, role)
        assert team(api, owner, w["id"]) == before          # pending: no member yet
        got = accept(api, target, inv["id"])
        assert got["workspaceId"] == w["id"] and got["message"] == "Invitation accepted"
        after = team(api, owner, w["id"])
        assert len(after) == len(before) + 1
        assert after[:-1] == before
        new = check_member(after[-1], w["id"])
        assert new["userId"] == target.id
        assert new["role"] == (role or "researcher") and new["status"] == "online"
        assert ok_data(api.get("/workspaces/" + w["id"], token=target.token))["id"] == w["id"]
        # the new member may set its own status, whatever its role
        got = ok_data(api.put("/workspaces/%s/team/%s/status" % (w["id"], target.id),
                              {"status": status}, token=target.token))
        assert got["status"] == status and got["role"] == new["role"]
    finally:
        cleanup(api, [(owner, w["id"])])


# ------------------------------------------------------------------ property 10

p10_users = users_fixture(5)
team_roles = st.lists(st.sampled_from(ROLES), min_size=0, max_size=3)


@PROPERTY
@given(roles=team_roles, caller=st.integers(0, 4), via_role=st.sampled_from(ROLES))
def test_property_10_owner_cannot_be_removed(api, p10_users, roles, caller, via_role):
    """Property 10: For any workspace, attempting to remove the workspace owner
    from the team should fail, regardless of who attempts the removal.
    (API.md §5.3 orders the checks: those who may remove members — owner,
    admins — get 400 `Cannot remove workspace owner`; researchers get 403,
    observers the D6 read-only 403, non-members 403 `Access denied`.)"""
    owner = p10_users[0]
    w = create_workspace(api, owner)
    try:
        members = {owner.id: "owner"}
        for r, u in zip(roles, p10_users[1:]):
            add_member(api, owner, w["id"], u, r)
            members[u.id] = r
        who = p10_users[caller]
        kind = members.get(who.id, "nonmember")
        path = "/workspaces/%s/team/%s" % (w["id"], owner.id)
        r = api.delete(path, token=who.token)
        rr = api.put(path + "/role", {"role": via_role}, token=who.token)
        if kind in ("owner", "admin"):
            assert_error(r, 400, "Cannot remove workspace owner")
            assert_error(rr, 400, "Cannot change owner role")
        elif kind == "researcher":
            assert_error(r, 403, "Only workspace owner or admin can remove members")
            assert_error(rr, 403, "Only admins can update roles")
        elif kind == "observer":
            assert_error(r, 403, READ_ONLY)
            assert_error(rr, 403, READ_ONLY)
        else:
            assert_error(r, 403, ACCESS_DENIED)
            assert_error(rr, 403, ACCESS_DENIED)
        rows = team(api, owner, w["id"])
        assert rows[0]["userId"] == owner.id and rows[0]["role"] == "admin"
        assert len(rows) == len(members)
        assert ok_data(api.get("/workspaces/" + w["id"], token=owner.token))["ownerId"] == owner.id
    finally:
        cleanup(api, [(owner, w["id"])])


# ------------------------------------------------------------------ property 24

p24_users = users_fixture(4)
PROVIDERS = ["openai", "anthropic", "google", "deepseek", "groq"]


@st.composite
def export_scenarios(draw):
    n_owned = draw(st.integers(0, 3))
    n_member = draw(st.integers(0, 2))
    n_pending = draw(st.integers(0, 1))
    n_hidden = draw(st.integers(0, 1))
    content = st.tuples(st.lists(st.integers(0, 3), max_size=2), st.integers(0, 3))
    return dict(
        owned=[draw(content) for _ in range(n_owned)],
        member=[(draw(st.integers(1, 3)), draw(st.sampled_from(ROLES)), draw(content))
                for _ in range(n_member)],
        pending=[draw(st.integers(1, 3)) for _ in range(n_pending)],
        hidden=[(draw(st.integers(1, 3)), draw(content)) for _ in range(n_hidden)],
        integrations=draw(st.lists(st.sampled_from(PROVIDERS), unique=True, max_size=3)),
        period=draw(st.sampled_from(["7-days", "30-days", "90-days", "indefinite-84",
                                     "indefinite-forever"])),
        auto_store=draw(st.booleans()),
    )


def put_content(db, wid, content, now):
    """content = ([messages per conversation], memories): written directly;
    returns ({conversation id: [message ids, oldest first]}, [memory ids])."""
    convs, n_mem = content
    sql, out, mems = [], {}, []
    for i, n_msg in enumerate(convs):
        cid, s = db.conversation_sql(wid, ts=now - 1_000_000 * (i + 1), title="C%d" % i)
        sql.append(s)
        out[cid] = []
        for j in range(n_msg):
            mid, s = db.message_sql(wid, cid, ts=now - 500_000 + j, content="M%d" % j)
            out[cid].append(mid)
            sql.append(s)
    for i in range(n_mem):
        mid, s = db.memory_sql(wid, embedded=i % 2 == 0, ts=now - 2_000_000 - i,
                               tags=["p24"] if i else [])
        mems.append(mid)
        sql.append(s)
    if sql:
        db.execute(";\n".join(sql))
    return out, mems


@PROPERTY
@given(sc=export_scenarios())
def test_property_24_export_complete(api, db, p24_users, sc):
    """Property 24: For any user data export request, the generated JSON should
    include all workspaces, conversations, messages, memories, and settings
    owned by or accessible to the user (and nothing of anyone else's, and no
    key material)."""
    x, others = p24_users[0], p24_users[1:]
    created = []
    now = now_us()
    try:
        expected, content = {}, {}
        for c in sc["owned"]:
            w = create_workspace(api, x)
            created.append((x, w["id"]))
            expected[w["id"]] = w
            content[w["id"]] = put_content(db, w["id"], c, now)
        for owner_i, role, c in sc["member"]:
            o = others[owner_i - 1]
            w = create_workspace(api, o)
            created.append((o, w["id"]))
            add_member(api, o, w["id"], x, role)
            expected[w["id"]] = w
            content[w["id"]] = put_content(db, w["id"], c, now)
        for owner_i in sc["pending"]:
            o = others[owner_i - 1]
            w = create_workspace(api, o)
            created.append((o, w["id"]))
            invite(api, o, w["id"], x)
        hidden_ids = set()
        for owner_i, c in sc["hidden"]:
            o = others[owner_i - 1]
            w = create_workspace(api, o)
            created.append((o, w["id"]))
            hidden_ids.add(w["id"])
            put_content(db, w["id"], c, now)
        ints = {}
        if sc["integrations"]:
            rows = [db.integration_sql(x.id, p) for p in sc["integrations"]]
            db.execute(";\n".join(s for _, s in rows))
            ints = {iid: p for (iid, _), p in zip(rows, sc["integrations"])}
        ok_data(api.put("/settings/memory-retention",
                        {"autoStore": sc["auto_store"], "retentionPeriod": sc["period"]},
                        token=x.token))

        doc, text = get_export(api, x)
        assert doc["settings"]["memoryRetention"] == {"autoStore": sc["auto_store"],
                                                      "retentionPeriod": sc["period"]}
        got = check_export_doc(api, x, doc, expected)
        assert not hidden_ids & set(got)
        for wid, (convs, mems) in content.items():
            assert {c["id"]: [m["id"] for m in c["messages"]]
                    for c in got[wid]["conversations"]} == convs
            assert sorted(m["id"] for m in got[wid]["memories"]) == sorted(mems)
        assert {i["id"]: i["provider"] for i in doc["integrations"]} == ints
    finally:
        cleanup(api, created)
        db.execute("DELETE FROM integrations WHERE user_id = %s" % db.lit(x.id))


# ------------------------------------------------------------------ property 28

p28_users = users_fixture(6)
NONMEMBER_KINDS = ["stranger", "removed", "left", "declined", "pending", "member_elsewhere",
                   "owner_elsewhere", "deleted_account"]


@PROPERTY
@given(route=st.sampled_from(sorted(ROUTES)), kind=st.sampled_from(NONMEMBER_KINDS),
       team_roles=st.lists(st.sampled_from(ROLES), max_size=2), was_role=st.sampled_from(ROLES))
def test_property_28_workspace_access_control(api, p28_users, route, kind, team_roles,
                                              was_role):
    """Property 28: For any workspace resource access, if the user is not the
    owner or a team member, the system should return 403 Forbidden — whatever
    the route, and whatever the user's history with the workspace (removed,
    left, declined, still invited, member or owner of the owner's other
    workspaces). A deleted account gets 401 `User not found`."""
    owner, target, outsider, m1, m2, spare = p28_users
    w = create_workspace(api, owner)
    other = create_workspace(api, owner)
    created = [(owner, w["id"]), (owner, other["id"])]
    try:
        add_member(api, owner, w["id"], target, "researcher")
        for r, u in zip(team_roles, (m1, m2)):
            add_member(api, owner, w["id"], u, r)
        who = outsider
        if kind == "removed":
            add_member(api, owner, w["id"], who, was_role)
            ok_data(api.delete("/workspaces/%s/team/%s" % (w["id"], who.id), token=owner.token))
        elif kind == "left":
            add_member(api, owner, w["id"], who, was_role)
            ok_data(api.delete("/workspaces/%s/team/%s" % (w["id"], who.id), token=who.token))
        elif kind == "declined":
            inv = invite(api, owner, w["id"], who, was_role)
            ok_data(api.post("/invitations/%s/decline" % inv["id"], token=who.token))
        elif kind == "pending":
            invite(api, owner, w["id"], who, was_role)
        elif kind == "member_elsewhere":
            add_member(api, owner, other["id"], who, was_role)
        elif kind == "owner_elsewhere":
            created.append((who, create_workspace(api, who)["id"]))
        elif kind == "deleted_account":
            who = User(api)
            add_member(api, owner, w["id"], who, was_role)
            ok_data(api.delete("/account", token=who.token))
        method, pattern = route
        spec = ROUTES[route]
        res = None
        values = {"{wid}": w["id"]}
        if pattern.count("{") > pattern.count("{wid}") + pattern.count("{userId}"):
            res = seed_resources(api, owner, w["id"])
            values = values_of(res)
        before = fingerprint(api, owner, w["id"], target, res)
        path = fill(pattern, values, who.id if spec.target == "self" else target.id)
        assert "{" not in path, path
        body = spec.body({"invitee": spare, "res": res}) if callable(spec.body) else spec.body
        if body is None:
            r = api.request(method, path, token=who.token)
        elif FILES in body:
            r = api.request(method, path, files=body[FILES], token=who.token)
        else:
            r = api.request(method, path, json_body=body, token=who.token)
        if kind == "deleted_account":
            assert_error(r, 401, "User not found")
        else:
            assert_error(r, 403, ACCESS_DENIED)
        assert fingerprint(api, owner, w["id"], target, res) == before
    finally:
        cleanup(api, created)
