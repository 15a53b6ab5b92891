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
    s.stop()
    # reported as an error at teardown: sanitizer output, crash, hung shutdown
    problems = s.problems()
    assert not problems, "\n\n".join(problems)


@pytest.fixture(scope="session")
def api(server):
    return Api(server)


@pytest.fixture(scope="session", autouse=True)
def _cleanup_tmp():
    yield
    for s in ca.ALL_SERVERS:
        s.stop()
    if ca._BASE_TMP and not os.environ.get("CHIMERA_KEEP_TMP"):
        shutil.rmtree(ca._BASE_TMP, ignore_errors=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "session_end: run after every other test")


def pytest_collection_modifyitems(session, config, items):
    """Tests marked session_end (the whole-log scans) run last."""
    first = [i for i in items if i.get_closest_marker("session_end") is None]
    last = [i for i in items if i.get_closest_marker("session_end") is not None]
    items[:] = first + last


