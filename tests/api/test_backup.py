"""`chimerad backup FILE [--force]`: an online copy of the SQLite database.

On SQLite (the suite's first run): a copy taken while threads write through
the API holds everything written before the backup started, passes
integrity_check, is one WAL-mode file, and a second server starts on it and
serves that data; an existing FILE is refused unless --force, the live
database is never overwritten, and a folder that is missing or cannot hold
files fails with the path and the reason, leaving no file behind. On either
run: a PostgreSQL DATABASE_URL gets the pg_dump explanation, without the
password, and a non-zero exit.
"""
import os
import sqlite3
import stat
import subprocess
import threading
import time
import uuid

import pytest

import chimera_api as ca
from chimera_api import Api, Server, User, create_workspace, ok_data
from memory_helpers import create_memory

ENGINE_URL = os.environ.get("CHIMERA_TEST_DATABASE_URL", "")
ON_SQLITE = ENGINE_URL in ("", "sqlite")
sqlite_only = pytest.mark.skipif(not ON_SQLITE, reason="SQLite copies are tested in the SQLite run")


def run_backup(args, database_url, timeout=120):
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    env["DATABASE_URL"] = database_url
    env["CHIMERA_DATA_DIR"] = os.path.join(ca.base_tmp(), "backup-cli-" + uuid.uuid4().hex[:8])
    return subprocess.run([ca.BIN, "backup"] + args, env=env, capture_output=True, text=True,
                          timeout=timeout)


def leftovers(folder, name):
    """Files in folder that a backup to name may have left (temporaries, -wal)."""
    return sorted(f for f in os.listdir(folder) if f.startswith(name) and f != name)


def check_copy(path):
    """The copy opens, passes integrity_check, is in WAL mode, and is one file."""
    assert not os.path.exists(path + "-wal") and not os.path.exists(path + "-shm")
    with open(path, "rb") as f:
        header = f.read(100)
    assert header.startswith(b"SQLite format 3\x00")
    assert header[18] == 2 and header[19] == 2, "the copy is not in WAL mode"
    con = sqlite3.connect("file:%s?immutable=1" % path, uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return con.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def live():
    if not ON_SQLITE:
        pytest.skip("SQLite copies are tested in the SQLite run")
    srv = Server(name="backup-live").start()
    yield srv
    srv.stop()


class Writers:
    """Threads creating memories and workspaces through the API until stopped;
    every acknowledged id is recorded with the time its answer arrived."""

    def __init__(self, api, user, wid, n=4):
        self.api, self.user, self.wid = api, user, wid
        self.done = []              # (monotonic time acknowledged, kind, id)
        self.errors = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(n)]

    def run(self, i):
        k = 0
        while not self.stop.is_set():
            k += 1
            try:
                if k % 4 == 0:
                    got = ("workspace", create_workspace(self.api, self.user)["id"])
                else:
                    m = create_memory(self.api, self.user, self.wid, title="w%d-%d" % (i, k),
                                      content="written during the backup " + uuid.uuid4().hex)
                    got = ("memory", m["id"])
            except Exception as e:         # reported by the test
                self.errors.append(repr(e))
                return
            with self.lock:
                self.done.append((time.monotonic(), got[0], got[1]))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def before(self, t0):
        with self.lock:
            return [(kind, i) for (t, kind, i) in self.done if t < t0]


def seed_bulk(srv, wid, n=3000):
    """Several MiB of memories written straight into the database, so the
    copy takes many steps and the writers restart it."""
    db = srv.db()
    sql = []
    for _ in range(n):
        _mid, s = db.memory_sql(wid, content="bulk " + uuid.uuid4().hex * 8)
        sql.append(s)
    db.execute(";\n".join(sql))


@sqlite_only
def test_copy_under_write_load_holds_everything_written_before(live, tmp_path):
    api = Api(live)
    user = User(api)
    wid = create_workspace(api, user)["id"]
    seed_bulk(live, wid)
    with Writers(api, user, wid) as w:
        deadline = time.monotonic() + 10
        while len(w.done) < 20 and time.monotonic() < deadline and not w.errors:
            time.sleep(0.05)
        t0 = time.monotonic()
        before = w.before(t0)
        copy = str(tmp_path / "copy.db")
        p = run_backup([copy], live.database_url())
        after = len(w.done)
    assert not w.errors, w.errors
    assert p.returncode == 0, p.stderr
    assert "integrity_check ok" in p.stdout, p.stdout
    assert after > len(before), "no write happened while the backup ran"
    assert len(before) >= 20
    assert leftovers(str(tmp_path), "copy.db") == []
    check_copy(copy)

    # Transactional consistency: every workspace's memory counter matches its rows.
    con = sqlite3.connect("file:%s?immutable=1" % copy, uri=True)
    try:
        torn = con.execute("SELECT id FROM workspaces w WHERE memory_count != "
                           "(SELECT COUNT(*) FROM memories m WHERE m.workspace_id = w.id)").fetchall()
    finally:
        con.close()
    assert torn == []

    # A second server starts on the copy and serves what was written before.
    with Server({"DATABASE_URL": "sqlite:///" + copy}, name="backup-restored") as srv2:
        api2 = Api(srv2)
        spaces = {ws["id"] for ws in ok_data(api2.get("/workspaces", token=user.token))["workspaces"]}
        assert wid in spaces
        for kind, i in before:
            if kind == "workspace":
                assert i in spaces, i
            else:
                assert api2.get("/memories/" + i, token=user.token).status_code == 200, i


@sqlite_only
def test_existing_file_is_refused_and_force_replaces_it(live, tmp_path):
    target = tmp_path / "existing.db"
    target.write_bytes(b"keep me")
    p = run_backup([str(target)], live.database_url())
    assert p.returncode != 0
    assert str(target) in p.stderr and "--force" in p.stderr, p.stderr
    assert target.read_bytes() == b"keep me"
    assert leftovers(str(tmp_path), "existing.db") == []

    p = run_backup([str(target), "--force"], live.database_url())
    assert p.returncode == 0, p.stderr
    assert check_copy(str(target)) >= 1
    assert leftovers(str(tmp_path), "existing.db") == []


@sqlite_only
def test_force_never_overwrites_the_live_database(live):
    path = live.database_url()[len("sqlite://"):]
    size = os.path.getsize(path)
    p = run_backup([path, "--force"], live.database_url())
    assert p.returncode != 0
    assert "live database" in p.stderr, p.stderr
    assert os.path.getsize(path) == size
    assert ca.health_ok(Api(live))


@sqlite_only
def test_force_never_replaces_what_is_not_a_regular_file(live, tmp_path):
    # a named pipe stands for any device: `backup /dev/null --force` run as
    # root replaced the device with a database file
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    p = run_backup([str(fifo), "--force"], live.database_url())
    assert p.returncode != 0
    assert "not a regular file" in p.stderr, p.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert leftovers(tmp_path, "pipe") == []


@sqlite_only
def test_stale_wal_beside_the_target_is_refused(live, tmp_path):
    target = tmp_path / "old.db"
    (tmp_path / "old.db-wal").write_bytes(b"stale")
    p = run_backup([str(target), "--force"], live.database_url())
    assert p.returncode != 0
    assert str(target) + "-wal" in p.stderr, p.stderr
    assert not target.exists()


@sqlite_only
@pytest.mark.parametrize("case", ["missing", "under-a-file"])
def test_folder_that_cannot_hold_files(live, tmp_path, case):
    if case == "missing":
        folder = tmp_path / "does-not-exist"
        reason = "No such file or directory"
    else:
        plain = tmp_path / "a-file"
        plain.write_text("x")
        folder = plain
        reason = "Not a directory"
    target = folder / "copy.db"
    p = run_backup([str(target)], live.database_url())
    assert p.returncode != 0
    assert str(folder) in p.stderr and reason in p.stderr, p.stderr
    assert sorted(os.listdir(tmp_path)) == ([] if case == "missing" else ["a-file"])


@sqlite_only
def test_read_only_folder(live, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes through permission bits; the under-a-file case covers it")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        p = run_backup([str(folder / "copy.db")], live.database_url())
        assert p.returncode != 0
        assert str(folder) in p.stderr and "Permission denied" in p.stderr, p.stderr
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o700)


def test_usage_and_help():
    p = subprocess.run([ca.BIN, "backup", "--help"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and p.stdout.startswith("usage: chimerad backup FILE [--force]")
    assert "integrity_check" in p.stdout and "-wal" in p.stdout
    for args in ([], ["a.db", "b.db"], ["--frobnicate", "a.db"]):
        p = run_backup(args, "sqlite:///" + os.path.join(ca.base_tmp(), "unused.db"))
        assert p.returncode == 2 and "usage: chimerad backup" in p.stderr, (args, p.stderr)
    p = subprocess.run([ca.BIN, "--help"], capture_output=True, text=True, timeout=10)
    assert "backup" in p.stdout


PG_URLS = ["postgres://chimera:s3cret-Pw@db.example:5432/chimera_prod?sslmode=require",
           "postgresql://ops:An0ther%40pw@10.0.0.5/teamdb?password=x-in-query&application_name=a"]


@pytest.mark.parametrize("url", PG_URLS + ([ENGINE_URL] if not ON_SQLITE else []))
def test_postgres_explains_pg_dump(url, tmp_path):
    target = tmp_path / "chimera.dump"
    p = run_backup([str(target)], url)
    assert p.returncode != 0
    assert "pg_dump" in p.stderr and str(target) in p.stderr, p.stderr
    dbname = url.split("/")[-1].split("?")[0]
    assert dbname in p.stderr, p.stderr
    for secret in ("s3cret-Pw", "An0ther%40pw", "x-in-query"):
        assert secret not in p.stderr and secret not in p.stdout
    assert not target.exists()
    assert os.listdir(tmp_path) == []
