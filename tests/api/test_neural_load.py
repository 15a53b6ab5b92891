"""Neural load (API.md §5.2 #15/#16, §7.2, §7.3): the 24-point series, the
current service load, record-load and its 24-hour pruning.

Snapshots can only be recorded "now" through the API; older ones are
written into load_snapshots directly, and the series is compared with a
Python reimplementation of §7.3 evaluated at the server's own "now" (the
last point's timestamp)."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chimera_api import add_member, create_workspace, now_us, ok_data, ts_us

FIVE_MIN = 5 * 60 * 1_000_000
MINUTE = 60 * 1_000_000
HOUR = 60 * MINUTE


def reference_series(now, snapshots, current):
    """API.md §7.3: snapshots (ts, value) of the last 120 minutes, oldest
    first; none → every point the current load; else each target takes the
    nearest snapshot strictly closer than 5 minutes (the first wins ties),
    or the previous point's value (the current load for the first)."""
    window = sorted((s for s in snapshots if s[0] >= now - 24 * FIVE_MIN), key=lambda s: s[0])
    if not window:
        return [current] * 24
    out, prev = [], current
    for i in range(24):
        t = now - (23 - i) * FIVE_MIN
        best = None
        for ts, value in window:
            d = abs(ts - t)
            if d < FIVE_MIN and (best is None or d < best[0]):
                best = (d, value)
        prev = best[1] if best else prev
        out.append(prev)
    return out


def check_series(points):
    """24 points, 5 minutes apart, the last one now; returns (now_us, values)."""
    assert isinstance(points, list) and len(points) == 24, points
    for p in points:
        assert set(p) == {"timestamp", "value"}, p
        assert isinstance(p["value"], int) and 0 <= p["value"] <= 100, p
    stamps = [ts_us(p["timestamp"]) for p in points]
    assert all(b - a == FIVE_MIN for a, b in zip(stamps, stamps[1:])), stamps
    assert abs(stamps[-1] - now_us()) < 30 * 1_000_000, stamps[-1]
    return stamps[-1], [p["value"] for p in points]


def neural(api, user, wid):
    d = ok_data(api.get("/workspaces/%s/neural-load" % wid, token=user.token))
    assert set(d) == {"neuralLoad", "currentLoad"}
    now, values = check_series(d["neuralLoad"])
    return now, values, d["currentLoad"]


def set_load(db, wid, active, recent=0):
    """Adds `active` active conversations and `recent` messages of the last
    minute: the service load grows by 10·active + recent (§7.2)."""
    sql, cid = [], None
    for _ in range(active):
        cid, s = db.conversation_sql(wid, status="active")
        sql.append(s)
    if recent and cid is None:
        cid, s = db.conversation_sql(wid, status="completed")
        sql.append(s)
    for i in range(recent):
        sql.append(db.message_sql(wid, cid, ts=now_us() - MINUTE + i)[1])
    if sql:
        db.execute(";\n".join(sql))


def test_series_without_snapshots_is_the_current_load(api, pool, db):
    owner, observer = pool(2)
    w = create_workspace(api, owner)
    add_member(api, owner, w["id"], observer, "observer")
    _, values, current = neural(api, observer, w["id"])
    assert current == 0 and values == [0] * 24     # no conversations: no load
    set_load(db, w["id"], active=3, recent=4)
    _, values, current = neural(api, observer, w["id"])
    assert current == 34 and values == [34] * 24
    d = ok_data(api.get("/workspaces/%s/dashboard" % w["id"], token=owner.token))
    assert check_series(d["neuralLoad"])[1] == [34] * 24
    assert d["stats"]["systemLoad"] == 34


def test_record_load_sets_the_points_near_now(api, pool, db):
    owner, observer = pool(2)
    w = create_workspace(api, owner)
    add_member(api, owner, w["id"], observer, "observer")
    set_load(db, w["id"], active=2, recent=3)
    rec = ok_data(api.post("/workspaces/%s/record-load" % w["id"], token=observer.token))
    assert rec == {"currentLoad": 23, "message": "Load snapshot recorded"}
    assert db.scalar("SELECT COUNT(*) FROM load_snapshots WHERE workspace_id = %s AND value = 23"
                     % db.lit(w["id"])) == 1
    # the load moves on: the snapshot (taken a moment before "now") is
    # strictly within 5 minutes of the last two points; the points before
    # have none and carry the current load forward from the first point
    set_load(db, w["id"], active=1)
    _, values, current = neural(api, owner, w["id"])
    assert current == 33
    assert values == [33] * 22 + [23, 23]
    # a second snapshot: the last point takes it (nearest), the one 5 minutes
    # before still the older one (nearer to now − 5 min)
    rec = ok_data(api.post("/workspaces/%s/record-load" % w["id"], token=owner.token))
    assert rec["currentLoad"] == 33
    _, values, _ = neural(api, owner, w["id"])
    assert values == [33] * 22 + [23, 33]


def test_record_load_caps_at_100(api, pool, db):
    (owner,) = pool(1)
    w = create_workspace(api, owner)
    set_load(db, w["id"], active=9, recent=25)
    assert ok_data(api.post("/workspaces/%s/record-load" % w["id"],
                            token=owner.token))["currentLoad"] == 100
    _, values, current = neural(api, owner, w["id"])
    assert current == 100 and values == [100] * 24


def test_hand_computed_series(api, pool, db):
    """Snapshots 1 h 50 min, 62, 61, 31 and 7 minutes ago, and 3 hours ago
    (outside the 2-hour window); current load 10."""
    (owner,) = pool(1)
    w = create_workspace(api, owner)
    set_load(db, w["id"], active=1)
    now = now_us()
    snaps = [(now - 3 * HOUR, 99), (now - 110 * MINUTE, 40), (now - 62 * MINUTE, 50),
             (now - 61 * MINUTE, 55), (now - 31 * MINUTE, 70), (now - 7 * MINUTE, 80)]
    db.execute(";\n".join(db.snapshot_sql(w["id"], v, ts)[1] for ts, v in snaps))
    server_now, values, current = neural(api, owner, w["id"])
    assert current == 10
    assert server_now - now < 20 * 1_000_000
    assert values == reference_series(server_now, snaps, current)
    # what that means, spelled out (the request follows `now` by well under
    # a minute): points 0..1 (115, 110 min ago) take 40 from 110 min ago;
    # 65 minutes ago → 62 (3 min off), 60 minutes ago → 61; 30/35 → 70;
    # 5/10 → 80, and now carries 80 forward.
    assert values[0] == 40 and values[1] == 40 and values[2] == 40
    assert values[10] == 50 and values[11] == 55
    assert values[17] == 70 and values[16] == 70
    assert values[21] == 80 and values[22] == 80
    assert values[23] == 80


def test_record_load_prunes_day_old_snapshots(api, pool, db):
    (owner,) = pool(1)
    w, other = create_workspace(api, owner), create_workspace(api, owner)
    now = now_us()
    old_id, s1 = db.snapshot_sql(w["id"], 5, now - 25 * HOUR)
    keep_id, s2 = db.snapshot_sql(w["id"], 6, now - 23 * HOUR)
    other_id, s3 = db.snapshot_sql(other["id"], 7, now - 30 * HOUR)
    db.execute(";\n".join([s1, s2, s3]))
    ok_data(api.post("/workspaces/%s/record-load" % w["id"], token=owner.token))
    ids = {r[0] for r in db.query("SELECT id FROM load_snapshots WHERE workspace_id IN (%s, %s)"
                                  % (db.lit(w["id"]), db.lit(other["id"])))}
    assert old_id not in ids
    assert keep_id in ids and other_id in ids      # another workspace's are not touched
    assert len(ids) == 3


snapshot_sets = st.lists(
    st.tuples(st.one_of(st.integers(-135 * 60, 90), st.integers(-135 * 60, 20 * 60)),
              st.integers(0, 100)),
    max_size=14, unique_by=lambda s: s[0])


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(snaps=snapshot_sets, active=st.integers(0, 12), jitter=st.integers(0, 999_999))
def test_series_matches_reference(api, pool, db, snaps, active, jitter):
    """Any snapshot set (seconds relative to now, some outside the window,
    some in the future — inside the window, possibly far from every point)
    and any current load: neural-load and the
    dashboard give exactly the §7.3 series at the server's now."""
    (owner,) = pool(1)
    w = create_workspace(api, owner)
    try:
        set_load(db, w["id"], active=active)
        base = now_us()
        rows = [(base + off * 1_000_000 + jitter, v) for off, v in snaps]
        if rows:
            db.execute(";\n".join(db.snapshot_sql(w["id"], v, ts)[1] for ts, v in rows))
        server_now, values, current = neural(api, owner, w["id"])
        assert current == min(100, 10 * active)
        assert values == reference_series(server_now, rows, current), (server_now, rows)
        d = ok_data(api.get("/workspaces/%s/dashboard" % w["id"], token=owner.token))
        dash_now, dash_values = check_series(d["neuralLoad"])
        assert dash_values == reference_series(dash_now, rows, current)
    finally:
        ok_data(api.delete("/workspaces/" + w["id"], token=owner.token))
