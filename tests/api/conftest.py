"""pytest fixtures for the chimerad black-box API suite (helpers: chimera_api.py)."""
import os
import shutil

import pytest

import chimera_api as ca
from chimera_api import Api, Server, register  # noqa: F401  (register re-exported for convenience)

# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def server():
    s = Server(name="session").start()
    yield s
    # reported as an error at teardown: sanitizer output, crash, hung shutdown,
    # non-zero exit status
    s.stop()


@pytest.fixture(scope="session")
def api(server):
    return Api(server)


@pytest.fixture(scope="session")
def db(server):
    """The session server's database, directly (chimera_api.Database)."""
    return server.db()


@pytest.fixture(scope="session")
def pool(api):
    """Registered users shared by the whole session (registration hashes a
    password; tests that only need distinct identities reuse these)."""
    users = []

    def get(n):
        while len(users) < n:
            users.append(ca.User(api, name="Pool %d" % len(users)))
        return users[:n]
    return get


@pytest.fixture(scope="session", autouse=True)
def _cleanup_tmp():
    yield
    ca.close_databases()
    problems = []
    for s in ca.ALL_SERVERS:
        if s.proc is not None and not s._err.closed:
            s.stop(check=False)
            problems += s.problems()
    if ca._BASE_TMP and not os.environ.get("CHIMERA_KEEP_TMP"):
        shutil.rmtree(ca._BASE_TMP, ignore_errors=True)
    # servers left running by a test: checked here, at the end of the session
    assert not problems, "\n\n".join(problems)


def pytest_configure(config):
    config.addinivalue_line("markers", "session_end: run after every other test")


def pytest_collection_modifyitems(session, config, items):
    """Tests marked session_end (the whole-log scans) run last."""
    first = [i for i in items if i.get_closest_marker("session_end") is None]
    last = [i for i in items if i.get_closest_marker("session_end") is not None]
    items[:] = first + last




def pytest_terminal_summary(terminalreporter):
    """How many answers were checked against the declared schemas."""
    import openapi_check
    engine = os.environ.get("CHIMERA_TEST_DATABASE_URL", "sqlite").split(":", 1)[0] or "sqlite"
    ops = openapi_check.operations()
    terminalreporter.write_line(
        "openapi: %d responses validated against /api/openapi.json (%s), %d of %d operations"
        % (openapi_check.VALIDATED["responses"], engine, len(openapi_check.SEEN & ops), len(ops)))
    unseen = sorted(ops - openapi_check.SEEN)
    if ops and len(unseen) <= 5:
        for method, path in unseen:
            terminalreporter.write_line("openapi: no answer checked for %s %s" % (method, path))
