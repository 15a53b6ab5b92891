"""Conditional GETs (RFC 9110 §13): strong ETags and Cache-Control on every
GET of the API, 304 Not Modified with no body (ETag and CORS headers kept)
when If-None-Match names the current tag (also W/ and in lists, or *), a
full 200 for a stale tag and for any malformed header (never an error), no
tag shared between two users, and tags on answers decided from their body
(stats, models). The cross-product with every write is in
test_properties_polling.py."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chimera_api import User, create_workspace, ok_data

ORIGIN = "http://localhost:5173"
EXAMPLES = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def two(api):
    a, b = User(api, name="Cond A"), User(api, name="Cond B")
    wid = create_workspace(api, a)["id"]
    ok_data(api.post("/workspaces/%s/memories" % wid, {"title": "x", "content": "y"},
                     token=a.token), 201)
    return a, b, wid


def paths(wid):
    return ["/workspaces", "/workspaces/%s" % wid, "/workspaces/%s/memories" % wid,
            "/workspaces/%s/conversations" % wid, "/workspaces/%s/team" % wid,
            "/workspaces/%s/activity" % wid, "/workspaces/%s/stats" % wid, "/auth/profile",
            "/settings", "/invitations", "/integrations", "/models/available"]


def test_304_when_the_tag_matches(api, two):
    a, _, wid = two
    for path in paths(wid):
        r = api.get(path, token=a.token, headers={"Origin": ORIGIN})
        assert r.status_code == 200, path
        tag = r.headers["ETag"]
        assert tag.startswith('"') and tag.endswith('"') and len(tag) > 10, (path, tag)
        assert r.headers["Cache-Control"] == "private, no-cache"
        for inm in (tag, "W/" + tag, '"other", ' + tag, "%s ,\t\"x\"" % tag, "*"):
            n = api.get(path, token=a.token, headers={"If-None-Match": inm, "Origin": ORIGIN})
            assert n.status_code == 304, (path, inm, n.status_code)
            assert n.content == b""
            assert n.headers["ETag"] == tag
            assert n.headers["Cache-Control"] == "private, no-cache"
            assert n.headers["Access-Control-Allow-Origin"] == ORIGIN
            assert "Content-Type" not in n.headers


def test_stale_or_malformed_tags_get_the_full_answer(api, two):
    a, _, wid = two
    path = "/workspaces/%s/memories" % wid
    r = api.get(path, token=a.token)
    tag = r.headers["ETag"]
    for inm in ('"stale"', tag[1:-1], tag + " " + tag, "W/ " + tag, "w/" + tag, "garbage",
                "*, " + tag, '"a"b", ' + tag, ""):
        n = api.get(path, token=a.token, headers={"If-None-Match": inm})
        assert n.status_code == 200, (inm, n.status_code)
        assert n.content == r.content and n.headers["ETag"] == tag


def test_a_write_changes_the_tag(api, two):
    a, _, wid = two
    path = "/workspaces/%s/memories" % wid
    tag = api.get(path, token=a.token).headers["ETag"]
    ok_data(api.post(path, {"title": "new", "content": "more"}, token=a.token), 201)
    r = api.get(path, token=a.token, headers={"If-None-Match": tag})
    assert r.status_code == 200 and r.headers["ETag"] != tag
    assert "new" in r.text


def test_two_users_never_share_a_tag(api, two):
    a, b, wid = two
    for path in ["/auth/profile", "/settings", "/invitations", "/integrations", "/workspaces",
                 "/models/available"]:
        ta = api.get(path, token=a.token).headers["ETag"]
        tb = api.get(path, token=b.token)
        assert tb.status_code == 200 and tb.headers["ETag"] != ta, path
        n = api.get(path, token=b.token, headers={"If-None-Match": ta})
        assert n.status_code == 200, path


def test_access_is_checked_before_the_tag(api, two):
    a, b, wid = two
    path = "/workspaces/%s/memories" % wid
    tag = api.get(path, token=a.token).headers["ETag"]
    r = api.get(path, token=b.token, headers={"If-None-Match": tag})
    assert r.status_code == 403 and "ETag" not in r.headers
    r = api.get("/workspaces/workspace-000000000000/memories", token=a.token,
                headers={"If-None-Match": "*"})
    assert r.status_code == 404
    r = api.get(path, headers={"If-None-Match": tag})
    assert r.status_code == 401


def test_writes_and_errors_carry_no_tag(api, two):
    a, _, wid = two
    r = api.post("/workspaces/%s/memories" % wid, {"title": "t", "content": "c"}, token=a.token)
    assert r.status_code == 201 and "ETag" not in r.headers
    r = api.get("/workspaces/%s/memories?limit=zero" % wid, token=a.token)
    assert r.status_code == 400 and "ETag" not in r.headers


def test_query_is_part_of_the_tag(api, two):
    a, _, wid = two
    base = "/workspaces/%s/memories" % wid
    t1 = api.get(base + "?limit=1", token=a.token).headers["ETag"]
    t2 = api.get(base + "?limit=2", token=a.token).headers["ETag"]
    assert t1 != t2
    assert api.get(base + "?limit=2", token=a.token,
                   headers={"If-None-Match": t1}).status_code == 200


@EXAMPLES
@given(inm=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e), max_size=80))
def test_any_if_none_match_is_a_200_or_a_304(api, two, inm):
    a, _, wid = two
    r = api.get("/workspaces/%s/memories" % wid, token=a.token, headers={"If-None-Match": inm})
    assert r.status_code in (200, 304), (inm, r.status_code)
    if r.status_code == 304:
        assert inm.strip() == "*" or r.headers["ETag"] in inm
