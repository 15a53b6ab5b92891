"""Settings, retention, cleanup-info and the export file (API.md §5.8, §9).
Cleanup and account deletion are also covered row by row in test_cascade."""
import datetime
import json
import re
import time
import uuid

import pytest

from chimera_api import (
    User, add_member, assert_error, create_workspace, error_of, login, now_us, ok_data,
    parse_ts, ts_us, unique_email,
)

PERIODS = {"7-days": 7, "30-days": 30, "90-days": 90, "indefinite-84": 84,
           "indefinite-forever": None}
BAD_PERIOD = ("Invalid retention period. Must be one of: 7-days, 30-days, 90-days, "
              "indefinite-84, indefinite-forever")
DAY_US = 86400 * 1_000_000


def settings_of(api, user):
    return ok_data(api.get("/settings", token=user.token))


# ------------------------------------------------------------------ settings

def test_settings_defaults(api):
    u = User(api)
    assert settings_of(api, u) == {
        "profile": {"name": u.name, "email": u.email},
        "memoryRetention": {"autoStore": True, "retentionPeriod": "indefinite-84"}}


def test_profile_update(api):
    u, other = User(api), User(api)
    new_email = unique_email("moved")
    got = ok_data(api.put("/settings/profile", {"name": "Renamed", "email": new_email},
                          token=u.token))
    assert got == {"profile": {"name": "Renamed", "email": new_email},
                   "memoryRetention": {"autoStore": True, "retentionPeriod": "indefinite-84"}}
    assert settings_of(api, u) == got
    prof = ok_data(api.get("/auth/profile", token=u.token))
    assert (prof["name"], prof["email"]) == ("Renamed", new_email)
    ok_data(login(api, new_email, u.password))
    assert_error(login(api, u.email, u.password), 401, "Invalid credentials")
    # empty values are ignored (the frontend always sends both)
    for body in ({"name": "", "email": ""}, {}, {"name": "", "email": new_email}):
        assert ok_data(api.put("/settings/profile", body, token=u.token)) == got
    # only the name
    got = ok_data(api.put("/settings/profile", {"name": "Only name", "email": ""}, token=u.token))
    assert got["profile"] == {"name": "Only name", "email": new_email}
    # another user's email: refused, nothing applied
    assert_error(api.put("/settings/profile", {"name": "Not applied", "email": other.email},
                         token=u.token), 400, "Email already exists")
    assert settings_of(api, u)["profile"] == {"name": "Only name", "email": new_email}
    assert settings_of(api, other)["profile"]["email"] == other.email


def test_profile_update_rejects_malformed_email(api):
    """API.md §9: a format check with a field error is acceptable."""
    u = User(api)
    assert error_of(api.put("/settings/profile", {"email": "not-an-email"}, token=u.token),
                    400) == {"email": ["Enter a valid email address."]}
    assert settings_of(api, u)["profile"]["email"] == u.email


def test_retention_update(api):
    u = User(api)
    for period in PERIODS:
        got = ok_data(api.put("/settings/memory-retention",
                              {"autoStore": True, "retentionPeriod": period}, token=u.token))
        assert got["memoryRetention"] == {"autoStore": True, "retentionPeriod": period}
        assert settings_of(api, u) == got
    got = ok_data(api.put("/settings/memory-retention", {"autoStore": False}, token=u.token))
    assert got["memoryRetention"] == {"autoStore": False, "retentionPeriod": "indefinite-forever"}
    # empty period and null autoStore change nothing
    for body in ({"retentionPeriod": ""}, {"autoStore": None}, {}, {"retentionPeriod": None}):
        got = ok_data(api.put("/settings/memory-retention", body, token=u.token))
        assert got["memoryRetention"] == {"autoStore": False,
                                          "retentionPeriod": "indefinite-forever"}, body
    assert got["profile"] == {"name": u.name, "email": u.email}


@pytest.mark.parametrize("period", ["1-day", "7-DAYS", "7-days ", "indefinite", "forever", 7,
                                    ["7-days"]])
def test_retention_invalid_period(api, pool, period):
    (u,) = pool(1)
    before = settings_of(api, u)
    assert_error(api.put("/settings/memory-retention",
                         {"autoStore": True, "retentionPeriod": period}, token=u.token),
                 400, BAD_PERIOD)
    assert settings_of(api, u) == before


def test_retention_auto_store_must_be_boolean(api, pool):
    (u,) = pool(1)
    before = settings_of(api, u)
    assert error_of(api.put("/settings/memory-retention", {"autoStore": "maybe"}, token=u.token),
                    400) == {"autoStore": ["Must be a valid boolean."]}
    assert settings_of(api, u) == before


# ------------------------------------------------------------------ cleanup-info

CLEANUP_KEYS = {"cleanup_date", "days_remaining", "hours_remaining", "minutes_remaining",
                "total_seconds_remaining", "is_indefinite", "retention_period"}


def cleanup_info(api, user):
    info = ok_data(api.get("/settings/cleanup-info", token=user.token))
    assert set(info) == CLEANUP_KEYS, info
    return info


def check_countdown(info, joined_us, days, period):
    """cleanup_date = the first joined + k·period (k >= 1) after now; the
    remaining fields split cleanup_date − now."""
    now = now_us()
    assert info["is_indefinite"] is False and info["retention_period"] == period
    step = days * DAY_US
    k = max(1, (now - joined_us) // step + 1)
    expected = joined_us + k * step
    when = ts_us(info["cleanup_date"])
    assert abs(when - expected) <= 1, (info, expected)
    total = info["total_seconds_remaining"]
    for key in ("days_remaining", "hours_remaining", "minutes_remaining",
                "total_seconds_remaining"):
        assert isinstance(info[key], int) and not isinstance(info[key], bool), info
    assert abs(total - (when - now) / 1e6) < 10, (info, now)
    assert info["days_remaining"] == total // 86400
    assert info["hours_remaining"] == total % 86400 // 3600 and 0 <= info["hours_remaining"] <= 23
    assert info["minutes_remaining"] == total % 3600 // 60 and 0 <= info["minutes_remaining"] <= 59


def test_cleanup_info_every_period(api):
    u = User(api)
    joined = ts_us(ok_data(api.get("/auth/profile", token=u.token))["createdAt"])
    info = cleanup_info(api, u)                 # the default, indefinite-84: 84 days
    check_countdown(info, joined, 84, "indefinite-84")
    assert info["days_remaining"] == 83
    for period, days in PERIODS.items():
        ok_data(api.put("/settings/memory-retention", {"retentionPeriod": period}, token=u.token))
        info = cleanup_info(api, u)
        if days is None:
            assert info == {"cleanup_date": None, "days_remaining": None, "hours_remaining": None,
                            "minutes_remaining": None, "total_seconds_remaining": None,
                            "is_indefinite": True, "retention_period": period}
        else:
            check_countdown(info, joined, days, period)
            assert info["days_remaining"] == days - 1


@pytest.mark.parametrize("period,age_days,remaining_days", [
    ("7-days", 100, 4), ("30-days", 100, 19), ("90-days", 100, 79), ("indefinite-84", 100, 67),
    ("7-days", 6.5, 0), ("30-days", 30.25, 29),
])
def test_cleanup_info_later_cycles(api, db, period, age_days, remaining_days):
    """The cycle restarts every period after date_joined (moved into the past
    in the database); e.g. joined 100 days ago with 7-days: the next cleanup
    is at day 105, 5 days minus a moment away, so 4 whole days remain."""
    u = User(api)
    joined = now_us() - int(age_days * DAY_US)
    db.execute("UPDATE users SET date_joined = %d WHERE id = %s" % (joined, db.lit(u.id)))
    assert ts_us(ok_data(api.get("/auth/profile", token=u.token))["createdAt"]) == joined
    ok_data(api.put("/settings/memory-retention", {"retentionPeriod": period}, token=u.token))
    info = cleanup_info(api, u)
    check_countdown(info, joined, PERIODS[period], period)
    assert info["days_remaining"] == remaining_days


# ------------------------------------------------------------------ export

DISPOSITION_RE = re.compile(r'^attachment; filename="chimera_data_export_(\d{8}_\d{6})\.json"$')
FORBIDDEN_KEYS = {"apikey", "api_key", "password", "token"}


def all_keys(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from all_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from all_keys(v)


def get_export(api, user):
    """The raw export: checks the transport format; returns (document, text)."""
    t0 = time.time()
    r = api.get("/export", token=user.token)
    t1 = time.time()
    assert r.status_code == 200, (r.status_code, r.text[:500])
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    m = DISPOSITION_RE.match(r.headers.get("Content-Disposition", ""))
    assert m, r.headers.get("Content-Disposition")
    stamp = datetime.datetime.strptime(m.group(1), "%Y%m%d_%H%M%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert int(t0) - 1 <= stamp <= t1 + 1, (m.group(1), t0)
    text = r.content.decode("utf-8")
    doc = json.loads(text)
    assert isinstance(doc, dict) and "ok" not in doc and "error" not in doc
    assert list(doc) == ["user", "settings", "workspaces", "integrations"], list(doc)
    # 2-space indentation, exactly as json.dumps(indent=2) lays it out
    if text.isascii():
        assert text.rstrip("\n") == json.dumps(doc, indent=2), text[:2000]
    else:
        for line in text.splitlines():
            indent = len(line) - len(line.lstrip(" "))
            assert indent % 2 == 0, line
    bad = [k for k in all_keys(doc) if k.lower() in FORBIDDEN_KEYS]
    assert not bad, bad
    assert "$argon2" not in text
    return doc, text


EXPORT_WS_KEYS = {"id", "name", "description", "ownerId", "isOwner", "createdAt", "updatedAt",
                  "conversations", "memories"}
EXPORT_CONV_KEYS = {"id", "title", "modelId", "status", "createdAt", "updatedAt", "messages"}
EXPORT_MSG_KEYS = {"id", "role", "content", "isPinned", "timestamp", "metadata"}
EXPORT_MEM_KEYS = {"id", "title", "content", "snippet", "tags", "metadata", "version",
                   "createdAt", "updatedAt"}
EXPORT_INT_KEYS = {"id", "provider", "status", "lastTested", "createdAt"}


def check_export_doc(api, user, doc, expected_ws):
    """expected_ws: {workspace id: workspace object as the API gives it}."""
    prof = ok_data(api.get("/auth/profile", token=user.token))
    assert set(doc["user"]) == {"id", "name", "email", "createdAt"}
    assert (doc["user"]["id"], doc["user"]["name"], doc["user"]["email"]) == (
        prof["id"], prof["name"], prof["email"])
    assert ts_us(doc["user"]["createdAt"]) == ts_us(prof["createdAt"])
    assert doc["settings"] == settings_of(api, user)
    got = {w["id"]: w for w in doc["workspaces"]}
    assert len(got) == len(doc["workspaces"]), "duplicated workspace"
    assert set(got) == set(expected_ws)
    for wid, w in got.items():
        assert set(w) == EXPORT_WS_KEYS, w
        e = expected_ws[wid]
        assert (w["name"], w["description"], w["ownerId"]) == (e["name"], e["description"],
                                                                e["ownerId"])
        assert w["isOwner"] is (e["ownerId"] == user.id)
        assert ts_us(w["createdAt"]) == ts_us(e["createdAt"])
        assert ts_us(w["updatedAt"]) == ts_us(e["updatedAt"])
        for c in w["conversations"]:
            assert set(c) == EXPORT_CONV_KEYS, c
            for m in c["messages"]:
                assert set(m) == EXPORT_MSG_KEYS, m
            stamps = [ts_us(m["timestamp"]) for m in c["messages"]]
            assert stamps == sorted(stamps), "messages oldest first"
        stamps = [ts_us(c["updatedAt"]) for c in w["conversations"]]
        assert stamps == sorted(stamps, reverse=True), "conversations updatedAt desc"
        for m in w["memories"]:
            assert set(m) == EXPORT_MEM_KEYS, m
        stamps = [ts_us(m["createdAt"]) for m in w["memories"]]
        assert stamps == sorted(stamps, reverse=True), "memories createdAt desc"
    for i in doc["integrations"]:
        assert set(i) == EXPORT_INT_KEYS, i
    return got


def test_export_empty(api):
    u = User(api)
    doc, text = get_export(api, u)
    check_export_doc(api, u, doc, {})
    assert doc["workspaces"] == [] and doc["integrations"] == []


def test_export_owned_and_member_of(api, db):
    u, other, third = User(api), User(api), User(api)
    mine = create_workspace(api, u, "Mine", "My description")
    theirs = create_workspace(api, other, "Theirs")
    hidden = create_workspace(api, other, "Hidden")
    pending = create_workspace(api, third, "Only invited")
    add_member(api, other, theirs["id"], u, "observer")
    add_member(api, u, mine["id"], other)
    from chimera_api import invite
    invite(api, third, pending["id"], u)
    # content the API cannot create yet: conversations, messages, memories, integrations
    t = now_us() - 600 * 1_000_000
    sql = []
    c_old, s = db.conversation_sql(mine["id"], title="Older", ts=t)
    sql.append(s)
    c_new, s = db.conversation_sql(mine["id"], title="Newer", status="completed", ts=t + 5_000_000)
    sql.append(s)
    for i in range(3):
        sql.append(db.message_sql(mine["id"], c_old, ts=t + 1_000_000 * (3 - i),
                                  content="msg %d" % i, role="user" if i % 2 else "assistant",
                                  pinned=i == 1, metadata='{"n": %d}' % i)[1])
    m1, s = db.memory_sql(mine["id"], title="First", content="alpha", tags=["a", "b"], ts=t)
    sql.append(s)
    m2, s = db.memory_sql(theirs["id"], title="Second", content="beta", ts=t + 1)
    sql.append(s)
    m3, s = db.memory_sql(mine["id"], title="Third", content="gamma", ts=t + 2_000_000)
    sql.append(s)
    i1, s = db.integration_sql(u.id, "anthropic")
    sql.append(s)
    i_other, s = db.integration_sql(other.id, "openai")
    sql.append(s)
    db.execute(";\n".join(sql))
    key_value = db.query("SELECT api_key FROM integrations WHERE id = %s" % db.lit(i1))[0][0]

    doc, text = get_export(api, u)
    assert key_value not in text
    expected = {w["id"]: ok_data(api.get("/workspaces/" + w["id"], token=u.token))
                for w in (mine, theirs)}
    got = check_export_doc(api, u, doc, expected)
    assert got[mine["id"]]["isOwner"] is True and got[theirs["id"]]["isOwner"] is False
    assert hidden["id"] not in got and pending["id"] not in got
    convs = got[mine["id"]]["conversations"]
    assert [c["id"] for c in convs] == [c_new, c_old]
    assert (convs[0]["title"], convs[0]["status"], convs[0]["modelId"]) == (
        "Newer", "completed", "model-echo")
    assert convs[0]["messages"] == []
    msgs = convs[1]["messages"]
    assert [m["content"] for m in msgs] == ["msg 2", "msg 1", "msg 0"]
    assert [m["isPinned"] for m in msgs] == [False, True, False]
    assert [m["metadata"] for m in msgs] == [{"n": 2}, {"n": 1}, {"n": 0}]
    assert [m["role"] for m in msgs] == ["assistant", "user", "assistant"]
    mems = got[mine["id"]]["memories"]
    assert [m["id"] for m in mems] == [m3, m1]
    assert mems[1]["tags"] == ["a", "b"] and mems[1]["content"] == "alpha"
    assert mems[1]["version"] == 1 and mems[1]["snippet"] == "alpha"
    assert [m["id"] for m in got[theirs["id"]]["memories"]] == [m2]
    assert doc["integrations"] == [{"id": i1, "provider": "anthropic", "status": "disconnected",
                                    "lastTested": None,
                                    "createdAt": doc["integrations"][0]["createdAt"]}]
    parse_ts(doc["integrations"][0]["createdAt"])
    assert i_other not in text


def test_export_tolerates_odd_stored_json(api, db):
    """Rows written by older versions or by hand: a metadata or tags column
    that is not JSON, or JSON of another type than declared (metadata an
    object, tags an array), is exported as its empty default, never as a
    failed export or a document off its schema. A tested integration
    carries its lastTested time."""
    u = User(api)
    w = create_workspace(api, u, "Odd rows")
    t = now_us() - 60 * 1_000_000
    sql = []
    cid, s = db.conversation_sql(w["id"], ts=t)
    sql.append(s)
    metas = ["not json", "{\"tokens\": 5}", "[1, 2]", "{truncated"]
    for i, meta in enumerate(metas):
        sql.append(db.message_sql(w["id"], cid, ts=t + i, content="m%d" % i, metadata=meta)[1])
    mid, s = db.memory_sql(w["id"], title="Broken tags", ts=t)
    sql.append(s)
    mid2, s = db.memory_sql(w["id"], title="Tags of another type", ts=t + 1)
    sql.append(s)
    tested, s = db.integration_sql(u.id, "openai", ts=t)
    sql.append(s)
    untested, s = db.integration_sql(u.id, "google", ts=t + 1)
    sql.append(s)
    sql.append("UPDATE memories SET tags = 'tag-a, tag-b', metadata = '{\"k\": ' WHERE id = %s"
               % db.lit(mid))
    sql.append("UPDATE memories SET tags = '\"one\"', metadata = '[\"k\"]' WHERE id = %s"
               % db.lit(mid2))
    sql.append("UPDATE integrations SET status = 'connected', last_tested = %d WHERE id = %s"
               % (t + 30 * 1_000_000, db.lit(tested)))
    db.execute(";\n".join(sql))

    doc, _ = get_export(api, u)
    [ws] = doc["workspaces"]
    [conv] = ws["conversations"]
    assert [m["content"] for m in conv["messages"]] == ["m0", "m1", "m2", "m3"]
    assert [m["metadata"] for m in conv["messages"]] == [{}, {"tokens": 5}, {}, {}]
    mems = {m["id"]: m for m in ws["memories"]}
    assert set(mems) == {mid, mid2}
    assert mems[mid]["tags"] == [] and mems[mid]["metadata"] == {}
    assert mems[mid2]["tags"] == [] and mems[mid2]["metadata"] == {}
    ints = {i["id"]: i for i in doc["integrations"]}
    assert set(ints) == {tested, untested}
    assert ints[untested]["lastTested"] is None
    assert ints[tested]["status"] == "connected"
    assert ts_us(ints[tested]["lastTested"]) == t + 30 * 1_000_000
    assert ints[tested]["lastTested"].endswith("+00:00")


def test_export_needs_a_token(api):
    r = api.get("/export")
    assert_error(r, 401, "Authentication credentials were not provided.")


def test_export_unicode_names(api):
    u = User(api, name="Zoë ✓ \U0001F600")
    create_workspace(api, u, "Ünïcode \"quoted\" \\ back/slash", "line\nbreak\ttab")
    doc, text = get_export(api, u)
    assert doc["user"]["name"] == "Zoë ✓ \U0001F600"
    assert doc["workspaces"][0]["name"] == "Ünïcode \"quoted\" \\ back/slash"
    assert doc["workspaces"][0]["description"] == "line\nbreak\ttab"


# ------------------------------------------------------------------ account deletion

def test_delete_account(api):
    x, y = User(api), User(api)
    owned = create_workspace(api, x)
    add_member(api, x, owned["id"], y)
    theirs = create_workspace(api, y)
    add_member(api, y, theirs["id"], x, "admin")
    assert ok_data(api.delete("/account", token=x.token)) == {
        "message": "Account successfully deleted"}
    assert_error(api.get("/auth/profile", token=x.token), 401, "User not found")
    assert_error(api.post("/auth/logout", token=x.token), 401, "User not found")
    assert_error(api.get("/workspaces/" + owned["id"], token=y.token), 404, "Workspace not found")
    assert [m["userId"] for m in ok_data(api.get("/workspaces/%s/team" % theirs["id"],
                                                 token=y.token))["members"]] == [y.id]
    assert [w["id"] for w in ok_data(api.get("/workspaces", token=y.token))["workspaces"]] == [
        theirs["id"]]
    assert uuid.UUID(x.id)


# ------------------------------------------------------------------ a large, streamed export

@pytest.fixture(scope="module")
def big_exporter(api, db):
    """A user with 20 workspaces, each with 3 conversations of 10 long
    messages and 4 memories: a ~1.5 MB export."""
    u = User(api)
    ws = [create_workspace(api, u, "Big %d" % i) for i in range(20)]
    sql, n_msgs = [], 0
    for w in ws:
        for c in range(3):
            cid, s = db.conversation_sql(w["id"], title="Conv %d" % c)
            sql.append(s)
            for m in range(10):
                sql.append(db.message_sql(w["id"], cid, content=("m%d-" % m) * 600,
                                          ts=now_us() - 1000 * m)[1])
                n_msgs += 1
        for m in range(4):
            sql.append(db.memory_sql(w["id"], content="é✓" * 1500)[1])
    db.execute(";\n".join(sql))
    return u, ws, n_msgs


def test_export_large_is_complete(api, big_exporter):
    u, ws, n_msgs = big_exporter
    doc, text = get_export(api, u)
    assert len(text) > 1_000_000
    assert {w["id"] for w in doc["workspaces"]} == {w["id"] for w in ws}
    assert sum(len(c["messages"]) for w in doc["workspaces"] for c in w["conversations"]) == n_msgs
    assert all(len(w["memories"]) == 4 for w in doc["workspaces"])
    assert all(m["content"] == "é✓" * 1500 for w in doc["workspaces"] for m in w["memories"])
    # the same bytes without compression
    r = api.get("/export", token=u.token, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.headers.get("Content-Encoding") in (None, "identity")
    assert json.loads(r.content) == doc


def test_export_is_gzipped_when_accepted(api, big_exporter):
    """D11: responses larger than 1 KiB are gzip-compressed when the client
    accepts it — the export file (megabytes) included."""
    u, _, _ = big_exporter
    r = api.get("/export", token=u.token, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") == "gzip", r.headers
    assert "workspaces" in json.loads(r.content)


def test_export_while_workspaces_are_deleted(api, pool):
    """Deleting workspaces while an export streams leaves a valid document."""
    import threading
    import requests
    u = User(api)
    ws = [create_workspace(api, u, "Going %d" % i) for i in range(30)]
    r = requests.get(api.url("/export"), headers={"Authorization": "Bearer " + u.token},
                     stream=True, timeout=15)
    assert r.status_code == 200

    def delete_all():
        for w in ws[3:]:
            ok_data(api.delete("/workspaces/" + w["id"], token=u.token))
    t = threading.Thread(target=delete_all)
    t.start()
    body = b"".join(r.iter_content(512))
    t.join()
    doc = json.loads(body)
    assert {w["id"] for w in doc["workspaces"]} <= {w["id"] for w in ws}
    assert {w["id"] for w in ws[:3]} <= {w["id"] for w in doc["workspaces"]}
