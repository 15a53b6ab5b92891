"""Deleted memories leave tombstones so that other nodes' vector indexes drop
them with a delta instead of a full load. A workspace keeps the tombstones
of its last 4,096 generations (writes); older ones are pruned and the
workspace's tombstone_floor says so. An index older than the floor cannot
trust a delta (the tombstones it needs are gone) and must load in full.

A workspace with more than 4,096 writes is made here by moving its
generation counter forward in the database, as that many writes would."""
import pytest

import chimera_api as ca
from chimera_api import Server, ok_data
from memory_helpers import create_memory, delete_memory, index_status, workspace

TOMB_KEEP = 4096


@pytest.fixture(scope="module")
def node_b(server):
    s = Server({"DATABASE_URL": server.database_url()}, name="tombstones-b").start()
    yield ca.Api(s)
    s.stop()


def search_ids(api, user, wid, query):
    d = ok_data(api.post("/memories/search", {"query": query, "workspaceId": wid, "top_k": 50},
                         token=user.token))
    return {r["id"] for r in d["results"]}


def tombstones(db, wid):
    return [r[0] for r in db.query("SELECT memory_id FROM memory_tombstones"
                                   " WHERE workspace_id = %s ORDER BY seq" % db.lit(wid))]


def test_old_tombstones_are_pruned_and_an_older_index_loads_in_full(api, db, node_b):
    user = ca.User(api, name="Tombstone Owner")
    wid = workspace(api, user)
    mems = [create_memory(api, user, wid, "Harbor note %d" % i, "harbor ferry tide %d" % i)
            for i in range(6)]
    ids = {m["id"] for m in mems}
    assert search_ids(api, user, wid, "harbor ferry") == ids      # this node's index loaded
    # (the status report reads every index of the user's workspaces itself:
    # taken here, before the other node's writes)
    before = index_status(api, user)["cache"]
    delete_memory(node_b, user, mems[0]["id"])
    assert tombstones(db, wid) == [mems[0]["id"]]

    # the workspace's history grows past what tombstones are kept for
    gen = int(db.scalar("SELECT generation FROM workspaces WHERE id = %s" % db.lit(wid)))
    db.execute("UPDATE workspaces SET generation = %d WHERE id = %s"
               % (gen + TOMB_KEEP + 10, db.lit(wid)))
    delete_memory(node_b, user, mems[1]["id"])
    # the first tombstone is older than the last 4,096 generations: pruned
    assert tombstones(db, wid) == [mems[1]["id"]]
    row = db.query("SELECT generation, tombstone_floor FROM workspaces WHERE id = %s"
                   % db.lit(wid))[0]
    assert int(row[1]) == int(row[0]) - TOMB_KEEP

    # this node's index predates the floor: a full load, and neither deleted
    # memory comes back (a delta would have missed the pruned tombstone)
    assert search_ids(api, user, wid, "harbor ferry") == ids - {mems[0]["id"], mems[1]["id"]}
    after = index_status(api, user)["cache"]
    assert after["misses"] == before["misses"] + 1, (before, after)
    assert after["deltaLoads"] == before["deltaLoads"], (before, after)

    # a later delete within the kept window is a delta again
    delete_memory(node_b, user, mems[2]["id"])
    assert tombstones(db, wid) == [mems[1]["id"], mems[2]["id"]]
    assert search_ids(api, user, wid, "harbor ferry") == {m["id"] for m in mems[3:]}
    last = index_status(api, user)["cache"]
    assert last["misses"] == after["misses"], (after, last)
    assert last["deltaLoads"] > after["deltaLoads"], (after, last)
