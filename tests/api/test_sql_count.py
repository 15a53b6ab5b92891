"""N+1 guard: with CHIMERA_LOG_DEBUG=1 every request-log line carries "sql",
the number of statements the request ran. Lists must run a number of
statements that does not grow with the number of items."""
import uuid

import pytest

from chimera_api import Api, Server, User, add_member, create_workspace, invite, ok_data


@pytest.fixture(scope="module")
def dapi():
    srv = Server({"CHIMERA_LOG_DEBUG": "1"}, name="sqlcount").start()
    yield Api(srv)
    srv.stop()


def sql_count(api, user, path):
    """Statements one request ran. A query argument no handler reads makes
    its ETag new, so the answer is built, not sent from the answer cache."""
    rid = "n1-" + uuid.uuid4().hex
    path += ("&" if "?" in path else "?") + "built=" + rid
    r = api.get(path, token=user.token, headers={"X-Request-Id": rid})
    ok_data(r)
    recs = api.server.log_lines_for(rid)
    assert len(recs) == 1, recs
    assert isinstance(recs[0].get("sql"), int), recs[0]
    return recs[0]["sql"]


def test_workspace_list_statements_do_not_grow(dapi):
    small, big = User(dapi), User(dapi)
    helpers = [User(dapi) for _ in range(3)]
    w = create_workspace(dapi, small)
    for h in helpers:
        add_member(dapi, small, w["id"], h)
    for i in range(15):
        w = create_workspace(dapi, big, "Big %d" % i)
        for h in helpers[: 1 + i % 3]:
            add_member(dapi, big, w["id"], h)
    # member-of workspaces count too: helpers[0] is in all 16
    assert [ok_data(dapi.get("/workspaces", token=h.token))["total"] for h in helpers] == [
        16, 11, 6]
    one = sql_count(dapi, small, "/workspaces")
    many = sql_count(dapi, big, "/workspaces")
    assert ok_data(dapi.get("/workspaces", token=big.token))["total"] == 15
    assert one == many, "GET /workspaces: %d statements for 1 workspace, %d for 15" % (one, many)
    assert sql_count(dapi, helpers[0], "/workspaces") == one
    # a page may cost a count statement more, but not one per item
    assert sql_count(dapi, big, "/workspaces?limit=10&offset=3") == \
        sql_count(dapi, small, "/workspaces?limit=10")


def test_team_and_inbox_statements_do_not_grow(dapi):
    owner = User(dapi)
    users = [User(dapi) for _ in range(10)]
    small, big = create_workspace(dapi, owner), create_workspace(dapi, owner)
    add_member(dapi, owner, small["id"], users[0])
    for u in users:
        add_member(dapi, owner, big["id"], u)
    assert sql_count(dapi, owner, "/workspaces/%s/team" % small["id"]) == \
        sql_count(dapi, owner, "/workspaces/%s/team" % big["id"])
    assert sql_count(dapi, owner, "/workspaces/%s" % small["id"]) == \
        sql_count(dapi, owner, "/workspaces/%s" % big["id"])
    # an inbox of 1 and one of 10
    few, lots = User(dapi), User(dapi)
    for i in range(10):
        w = create_workspace(dapi, users[i])
        invite(dapi, users[i], w["id"], lots)
        if i == 0:
            invite(dapi, users[i], w["id"], few)
    assert sql_count(dapi, few, "/invitations") == sql_count(dapi, lots, "/invitations")
