"""GET /api/metrics from elsewhere than loopback: the client a trusted proxy
forwards needs CHIMERA_METRICS_TOKEN (404 when no token is set, so the
endpoint is never public by accident; 401 for a wrong one)."""
import pytest

from chimera_api import Api, Server, assert_error
from test_metrics import scrape, value

@pytest.fixture(scope="module")
def behind_proxy():
    """A node that trusts 127.0.0.1 as its proxy, with a metrics token."""
    s = Server({"CHIMERA_TRUSTED_PROXIES": "127.0.0.1",
                "CHIMERA_METRICS_TOKEN": "scrape-me-0123456789"}, name="metrics-proxy").start()
    yield Api(s)
    s.stop()


@pytest.fixture(scope="module")
def no_token():
    s = Server({"CHIMERA_TRUSTED_PROXIES": "127.0.0.1"}, name="metrics-closed").start()
    yield Api(s)
    s.stop()


REMOTE = {"X-Forwarded-For": "203.0.113.50"}


def test_remote_client_needs_the_token(behind_proxy):
    api = behind_proxy
    assert_error(api.get("/metrics", headers=REMOTE), 401, "Invalid metrics token")
    assert_error(api.get("/metrics", headers=dict(REMOTE, Authorization="Bearer wrong")), 401,
                 "Invalid metrics token")
    assert_error(api.get("/metrics", headers=dict(
        REMOTE, Authorization="Bearer scrape-me-0123456789x")), 401, "Invalid metrics token")
    s = scrape(api, headers=dict(REMOTE, Authorization="Bearer scrape-me-0123456789"))
    assert value(s, "chimera_uptime_seconds") > 0
    # the scheme is case-insensitive; the token must be the rest, with no space in it
    scrape(api, headers=dict(REMOTE, Authorization="bearer scrape-me-0123456789"))
    assert_error(api.get("/metrics", headers=dict(
        REMOTE, Authorization="Bearer scrape-me-0123456789 x")), 401, "Invalid metrics token")
    # from loopback itself no token is needed
    scrape(api)


def test_without_a_token_metrics_are_loopback_only(no_token):
    assert_error(no_token.get("/metrics", headers=REMOTE), 404, "Not found")
    assert_error(no_token.get("/metrics", headers=dict(REMOTE, Authorization="Bearer x")), 404,
                 "Not found")
    scrape(no_token)
