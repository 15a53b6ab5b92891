"""PostgreSQL connections that the database ends under the server (a
restart, a failover, an administrator's pg_terminate_backend): a request
finds its idle connection ended before its first statement and opens a new
one, so no request fails and nothing stored is lost.
The server's own connections are told apart from everyone else's by the
application_name given in its DATABASE_URL."""
import os
import time
import uuid

import pytest

import chimera_api as ca
from chimera_api import Server, User, create_workspace, envelope, ok_data

URL = os.environ.get("CHIMERA_TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(not URL.startswith("postgres"),
                                reason="PostgreSQL connections: the PostgreSQL run")


def with_app_name(url, name):
    return url + ("&" if "?" in url else "?") + "application_name=" + name


@pytest.fixture
def node():
    name = "chimera_reconnect_" + uuid.uuid4().hex[:8]
    s = Server(env_overrides={"DATABASE_URL": with_app_name(URL, name)}).start()
    s.app_name = name
    yield s
    s.stop()


def terminate(app_name):
    """Ends every connection of the server and waits until their backends
    are gone; returns how many there were."""
    db = ca.Database(URL)
    pids = [r[0] for r in db.query("SELECT pid FROM pg_stat_activity"
                                   " WHERE application_name = '%s'" % app_name)]
    if pids:
        db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                 " WHERE pid IN (%s)" % ",".join(pids))
    deadline = time.monotonic() + 60
    while pids and db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid IN (%s)"
                             % ",".join(pids)):
        assert time.monotonic() < deadline, "the backends did not end"
        time.sleep(0.05)
    return len(pids)


def test_requests_after_the_connections_were_ended_succeed(node):
    """No request fails: each request's connection, idle since its last
    request, is found ended and opened anew before its first statement."""
    api = ca.Api(node)
    user = User(api)
    ws = create_workspace(api, user)
    for i in range(8):                      # every worker has its connection
        ok_data(api.get("/workspaces/%s" % ws["id"], token=user.token))
    killed = terminate(node.app_name)
    assert killed >= 1, "the server holds connections between requests"
    for i in range(20):
        r = api.get("/workspaces/%s" % ws["id"], token=user.token)
        assert ok_data(r)["id"] == ws["id"]
    renamed = ok_data(api.put("/workspaces/%s" % ws["id"], {"name": "After the restart"},
                              token=user.token))
    assert renamed["name"] == "After the restart"
    listed = ok_data(api.get("/workspaces", token=user.token))
    assert [w["name"] for w in listed["workspaces"]] == ["After the restart"]
    log = node.read_log()
    assert "postgres connection lost, resetting" in log
    # nothing ran on an ended connection: not a request, not a background flush
    assert "server closed the connection" not in log, log[-3000:]



def test_connections_ended_under_load_never_crash_the_server(node):
    """Connections ended while requests run on them (no waiting for the
    backends to go): a request whose statement meets the end gets a clean
    5xx envelope, the others succeed, and the server stays up."""
    import concurrent.futures
    api = ca.Api(node)
    user = User(api)
    ws = create_workspace(api, user)
    db = ca.Database(URL)

    def read(_):
        return api.get("/workspaces/%s" % ws["id"], token=user.token)

    statuses = []
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for _round in range(10):
            running = [pool.submit(read, i) for i in range(8)]
            db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE application_name = '%s'" % node.app_name)
            for f in running:
                r = f.result()
                envelope(r)
                statuses.append(r.status_code)
    assert set(statuses) <= {200, 500, 503}, statuses
    assert node.proc.poll() is None, "the server is still running"
    for i in range(10):
        assert ok_data(read(i))["id"] == ws["id"]
