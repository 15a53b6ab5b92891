"""Fixtures for the cluster suite (scripts/run-cluster.sh starts PostgreSQL,
three nodes and nginx, and exports where they are)."""
import os
import sys
import types

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "api"))

import chimera_api as ca  # noqa: E402


def _target(url):
    port = int(url.rsplit(":", 1)[1])
    return types.SimpleNamespace(base=url, port=port)


@pytest.fixture(scope="session")
def cluster():
    if not os.environ.get("CHIMERA_CLUSTER_URL"):
        pytest.skip("run through scripts/run-cluster.sh")
    nodes = os.environ["CHIMERA_CLUSTER_NODES"].split(",")
    logs = os.environ["CHIMERA_CLUSTER_LOGS"].split(",")
    return types.SimpleNamespace(
        proxy=_target(os.environ["CHIMERA_CLUSTER_URL"]),
        nodes=[_target(u) for u in nodes],
        logs=logs)


@pytest.fixture
def via_proxy(cluster):
    """Requests through nginx, from a fresh loopback address of their own."""
    return ca.Api(cluster.proxy, source=ca.random_loopback())


@pytest.fixture
def direct(cluster):
    """One Api per node, straight to it (from 127.0.0.1)."""
    return [ca.Api(n) for n in cluster.nodes]


@pytest.fixture(scope="session", autouse=True)
def _close():
    yield
    ca.close_databases()
