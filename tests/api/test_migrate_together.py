"""Nodes of one deployment started at the same moment on an empty database
all come up: one applies the migrations, the others wait for it (PostgreSQL
advisory lock; SQLite's write lock) and then find the schema current."""
import os
import subprocess
import uuid

import pytest

import chimera_api as ca
from chimera_api import Server

NODES = 8


def empty_database_url(tmp_server_dir):
    """A database nobody has migrated: a new PostgreSQL database beside the
    suite's, or a new SQLite file."""
    url = os.environ.get("CHIMERA_TEST_DATABASE_URL", "")
    if url in ("", "sqlite"):
        return "sqlite:///" + os.path.join(tmp_server_dir, "together.db"), None
    name = "chimera_mig_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", url, "-X", "-q", "-c", "CREATE DATABASE " + name], check=True,
                   timeout=30)
    return url.rsplit("/", 1)[0] + "/" + name, name


def drop_database(name):
    url = os.environ["CHIMERA_TEST_DATABASE_URL"]
    subprocess.run(["psql", url, "-X", "-q", "-c", "DROP DATABASE IF EXISTS " + name],
                   check=False, timeout=30)


@pytest.mark.parametrize("round_", range(4))
def test_nodes_started_together_on_empty_database_all_serve(round_):
    scratch = Server(name="together")
    url, pg_name = empty_database_url(scratch.dir)
    servers = [Server({"DATABASE_URL": url}, name="node%d" % i) for i in range(NODES)]
    try:
        for s in servers:           # back to back, as replicas of one deployment
            s.spawn()
        for s in servers:
            s.wait_started()
        # every node serves, and a write on one is read on another
        token = ca.register(ca.Api(servers[0]))[0]
        for s in servers:
            r = ca.Api(s).get("/workspaces", token=token)
            assert r.status_code == 200, r.text
        db = ca.Database(url)
        versions = db.query("SELECT version FROM schema_version ORDER BY version")
        nums = [int(v[0]) for v in versions]
        assert nums == sorted(set(nums)) and nums, nums     # each migration recorded once
    finally:
        for s in servers:
            s.stop()
        ca.close_databases()
        if pg_name:
            drop_database(pg_name)
