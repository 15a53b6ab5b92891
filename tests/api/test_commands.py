"""The command line: what an operator sees from `chimerad <command>` when the
command, its arguments, the settings or the database are wrong — the exit
status (2 for usage, 1 for a failure, 0 for success), the message on stderr,
and no file left behind by a failed backup. Runs the binary directly; no
server is started, except where `serve` must fail before it listens.

test_backup.py covers the online copy itself and test_hostile_connections.py,
test_index_exact.py and test_static.py single settings."""
import base64
import json
import os
import re
import socket
import sqlite3
import subprocess

import pytest

import chimera_api as ca

ENGINE_URL = os.environ.get("CHIMERA_TEST_DATABASE_URL", "")
ON_SQLITE = ENGINE_URL in ("", "sqlite")
COMMANDS = ["serve", "migrate", "backup", "embed", "openapi", "version", "gen-keys"]
BAD_URL_MESSAGE = "chimerad: DATABASE_URL must be sqlite:///path or postgres://"


def run(args, tmp_path, timeout=60, **env_extra):
    """chimerad ARGS with the suite's settings, a data folder of its own and
    a SQLite database in tmp_path unless DATABASE_URL is given."""
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    env["CHIMERA_DATA_DIR"] = str(tmp_path / "data")
    env["DATABASE_URL"] = "sqlite://" + str(tmp_path / "chimera.db")
    env["CHIMERA_PORT"] = str(ca.free_port())
    for k, v in env_extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([ca.BIN] + args, env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=str(tmp_path))


# ------------------------------------------------------------------ usage

def test_no_command_is_usage_on_stderr(tmp_path):
    p = run([], tmp_path)
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.startswith("usage: chimerad <command>")
    for c in COMMANDS:
        assert "  %s " % c in p.stderr


@pytest.mark.parametrize("arg", ["--help", "-h", "help"])
def test_help_is_usage_on_stdout(tmp_path, arg):
    p = run([arg], tmp_path)
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout.startswith("usage: chimerad <command>")


@pytest.mark.parametrize("cmd", ["frobnicate", "Serve", "--version", "-x", ""])
def test_unknown_command(tmp_path, cmd):
    p = run([cmd], tmp_path)
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr.startswith('chimerad: unknown command "%s"\n\nusage: chimerad' % cmd)
    assert not (tmp_path / "data").exists(), "nothing is touched for an unknown command"


@pytest.mark.parametrize("cmd", COMMANDS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_command_help(tmp_path, cmd, flag):
    # the flag is honoured wherever it is, and nothing runs: serve would listen,
    # migrate would create the database, a bad setting is not even read
    p = run([cmd, "x", flag], tmp_path, CHIMERA_PORT="not-a-port")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("usage: chimerad %s" % cmd)
    assert p.stderr == ""
    assert not (tmp_path / "chimera.db").exists()


def test_version(tmp_path):
    with open(os.path.join(ca.REPO, "VERSION")) as f:
        version = f.read().strip()
    p = run(["version"], tmp_path)
    assert p.returncode == 0
    assert p.stdout == "chimerad %s\n" % version


def test_gen_keys_prints_fresh_usable_keys(tmp_path):
    outs = []
    for _ in range(2):
        p = run(["gen-keys"], tmp_path)
        assert p.returncode == 0 and p.stderr == ""
        lines = p.stdout.splitlines()
        assert [line.split("=", 1)[0] for line in lines] == [
            "SECRET_KEY", "JWT_SECRET_KEY", "ENCRYPTION_KEY"]
        vals = dict(line.split("=", 1) for line in lines)
        assert re.fullmatch(r"[0-9a-f]{64}", vals["SECRET_KEY"])
        assert re.fullmatch(r"[0-9a-f]{64}", vals["JWT_SECRET_KEY"])
        assert vals["SECRET_KEY"] != vals["JWT_SECRET_KEY"]
        assert len(base64.urlsafe_b64decode(vals["ENCRYPTION_KEY"])) == 32
        outs.append(vals)
    assert all(outs[0][k] != outs[1][k] for k in outs[0])
    # a production server accepts them
    p = run(["serve"], tmp_path, DEBUG="false", CHIMERA_EMBEDDER="bogus", **outs[0])
    assert p.returncode == 1
    assert "needs SECRET_KEY" not in p.stderr and "Fernet" not in p.stderr, p.stderr
    assert "cannot create the embedder" in p.stderr, p.stderr   # past the keys


def test_openapi_prints_the_document(tmp_path):
    p = run(["openapi"], tmp_path, DATABASE_URL="nonsense://")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["openapi"].startswith("3.1")
    assert "/api/health" in doc["paths"]


# ------------------------------------------------------------------ settings

BAD_SETTINGS = [
    ("CHIMERA_PORT", "65536", "CHIMERA_PORT must be an integer in 0..65535 (got \"65536\")"),
    ("CHIMERA_THREADS", "0", "CHIMERA_THREADS must be an integer in 1..256"),
    ("CHIMERA_MAX_BODY", "1k", "CHIMERA_MAX_BODY must be an integer in 1024..1073741824"),
    ("JWT_EXPIRATION_HOURS", "-1", "JWT_EXPIRATION_HOURS must be an integer in 1..8760"),
    ("CHIMERA_TRUSTED_PROXIES", "10.0.0.0/99", "CHIMERA_TRUSTED_PROXIES must be"),
]


@pytest.mark.parametrize("cmd", ["serve", "migrate", "backup", "embed"])
@pytest.mark.parametrize("name,value,message", BAD_SETTINGS)
def test_bad_setting_stops_every_command_that_reads_settings(tmp_path, cmd, name, value,
                                                               message):
    args = [cmd] + {"backup": [str(tmp_path / "copy.db")], "embed": ["text"]}.get(cmd, [])
    p = run(args, tmp_path, **{name: value})
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert message in p.stderr, p.stderr
    assert p.stdout == ""
    assert not (tmp_path / "chimera.db").exists()
    assert not (tmp_path / "copy.db").exists()


def test_every_bad_setting_is_reported_at_once(tmp_path):
    p = run(["serve"], tmp_path, CHIMERA_PORT="x", CHIMERA_THREADS="999",
            CHIMERA_CONN_TIMEOUT="0")
    assert p.returncode == 1
    for name in ("CHIMERA_PORT", "CHIMERA_THREADS", "CHIMERA_CONN_TIMEOUT"):
        assert name + " must be an integer" in p.stderr, p.stderr


@pytest.mark.parametrize("debug", ["false", "0", "no", "off", "False"])
def test_production_mode_needs_the_keys(tmp_path, debug):
    for missing in ("SECRET_KEY", "ENCRYPTION_KEY"):
        p = run(["serve"], tmp_path, DEBUG=debug, **{missing: None})
        assert p.returncode == 1
        assert ("production mode (DEBUG=false) needs SECRET_KEY and ENCRYPTION_KEY; "
                "`chimerad gen-keys` prints fresh ones") in p.stderr, p.stderr
    assert not (tmp_path / "data" / "secrets.env").exists(), "nothing generated in production"
    assert not (tmp_path / "chimera.db").exists()


def test_bad_encryption_key(tmp_path):
    for key in ("short", base64.urlsafe_b64encode(os.urandom(31)).decode(), "!" * 44):
        p = run(["serve"], tmp_path, ENCRYPTION_KEY=key)
        assert p.returncode == 1
        assert "ENCRYPTION_KEY is not a Fernet key (32 bytes, urlsafe base64)" in p.stderr
        assert key not in p.stderr, "the key itself is not printed"


def test_development_secrets_file_that_cannot_be_written(tmp_path):
    (tmp_path / "data" / "secrets.env").mkdir(parents=True)
    p = run(["serve"], tmp_path, SECRET_KEY=None, ENCRYPTION_KEY=None, JWT_SECRET_KEY=None)
    assert p.returncode == 1
    assert "chimerad: cannot write %s" % (tmp_path / "data" / "secrets.env") in p.stderr


def test_data_folder_that_cannot_be_made(tmp_path):
    (tmp_path / "file").write_text("")
    p = run(["migrate"], tmp_path, CHIMERA_DATA_DIR=str(tmp_path / "file" / "data"))
    assert p.returncode == 1
    assert "chimerad: cannot create data directory %s" % (tmp_path / "file" / "data") in p.stderr


# ------------------------------------------------------------------ migrate and serve

@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite://", "postgres:/x", "chimera.db",
                                 "SQLITE:///x.db"])
@pytest.mark.parametrize("cmd", ["migrate", "serve", "backup"])
def test_bad_database_url(tmp_path, url, cmd):
    args = [cmd] + ([str(tmp_path / "copy.db")] if cmd == "backup" else [])
    p = run(args, tmp_path, DATABASE_URL=url)
    assert p.returncode == 1
    assert BAD_URL_MESSAGE in p.stderr, p.stderr
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.skipif(not ON_SQLITE, reason="a SQLite file of its own")
def test_migrate_reports_the_schema_version_and_is_idempotent(tmp_path):
    p = run(["migrate"], tmp_path)
    assert p.returncode == 0, p.stderr
    m = re.fullmatch(r"schema version (\d+) \((\d+) migrations? applied\)\n", p.stdout)
    assert m, p.stdout
    version, applied = int(m.group(1)), int(m.group(2))
    assert applied == version >= 1
    con = sqlite3.connect(str(tmp_path / "chimera.db"))
    try:
        assert con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == version
    finally:
        con.close()
    p = run(["migrate"], tmp_path)
    assert p.returncode == 0
    assert p.stdout == "schema version %d (0 migrations applied)\n" % version


@pytest.mark.parametrize("cmd", ["migrate", "serve"])
def test_database_that_cannot_be_opened(tmp_path, cmd):
    cases = [
        tmp_path / "missing-folder" / "chimera.db",     # SQLite does not create folders
        tmp_path,                                       # a folder
    ]
    (tmp_path / "garbage.db").write_bytes(b"this is not a database" * 100)
    cases.append(tmp_path / "garbage.db")
    for path in cases:
        p = run([cmd], tmp_path, DATABASE_URL="sqlite://" + str(path))
        assert p.returncode == 1, (path, p.stderr)
        assert "chimerad: cannot migrate the database" in p.stderr, (path, p.stderr)
        assert "listening" not in p.stderr
    assert (tmp_path / "garbage.db").read_bytes() == b"this is not a database" * 100


def test_serve_unreachable_postgres(tmp_path):
    port = ca.free_port()       # nothing listens there
    p = run(["migrate"], tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:%d/none" % port)
    assert p.returncode == 1
    assert "chimerad: cannot migrate the database" in p.stderr, p.stderr


def test_serve_unknown_embedder(tmp_path):
    p = run(["serve"], tmp_path, CHIMERA_EMBEDDER="bogus")
    assert p.returncode == 1
    assert "chimerad: cannot create the embedder: " in p.stderr and "bogus" in p.stderr, p.stderr
    assert "listening" not in p.stderr


def test_serve_listen_address_that_is_not_an_ip(tmp_path):
    p = run(["serve"], tmp_path, CHIMERA_LISTEN="localhost")
    assert p.returncode == 1
    assert "CHIMERA_LISTEN is not an IP address: localhost" in p.stderr, p.stderr[-800:]
    assert "listening on" not in p.stderr


def test_serve_port_taken(tmp_path):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        p = run(["serve"], tmp_path, CHIMERA_PORT=str(port))
        assert p.returncode == 1
        assert "cannot listen on 127.0.0.1:%d" % port in p.stderr, p.stderr[-800:]
    finally:
        s.close()


# ------------------------------------------------------------------ embed

def test_embed_without_text_is_usage(tmp_path):
    p = run(["embed"], tmp_path)
    assert p.returncode == 2
    assert p.stderr == "usage: chimerad embed TEXT [TEXT…]\n"


def test_embed_prints_one_vector_per_text(tmp_path):
    p = run(["embed", "hello world", "", "hello world"], tmp_path,
            DATABASE_URL="nonsense://")                 # no database is opened
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 3
    vecs = [json.loads(line) for line in lines]
    assert len({len(v) for v in vecs}) == 1 and len(vecs[0]) > 1
    assert vecs[0] == vecs[2] != vecs[1]
    assert not (tmp_path / "chimera.db").exists()


def test_embed_unknown_embedder(tmp_path):
    p = run(["embed", "x"], tmp_path, CHIMERA_EMBEDDER="bogus")
    assert p.returncode == 1
    assert "chimerad: cannot create the embedder: " in p.stderr
    assert p.stdout == ""


# ------------------------------------------------------------------ backup

def migrated(tmp_path):
    p = run(["migrate"], tmp_path)
    assert p.returncode == 0, p.stderr
    return tmp_path / "chimera.db"


sqlite_only = pytest.mark.skipif(not ON_SQLITE, reason="SQLite copies: the SQLite run")


@sqlite_only
def test_backup_relative_file_in_the_working_folder(tmp_path):
    migrated(tmp_path)
    p = run(["backup", "copy.db"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert re.fullmatch(r"copy\.db: \d+ pages in 1 step \(0 restarts\), integrity_check ok\n",
                        p.stdout), p.stdout
    con = sqlite3.connect("file:%s?immutable=1" % (tmp_path / "copy.db"), uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        con.close()
    assert [f for f in os.listdir(tmp_path) if f.startswith("copy.db")] == ["copy.db"]


@sqlite_only
@pytest.mark.parametrize("dest,message", [
    ("folder/", '"%(t)s/folder/" names a folder, not a file'),
    ("folder", "%(t)s/folder is a folder, not a file"),
    ("x" * 5000 + "/copy.db", "the path is too long"),
    ("copy.db" + "x" * 5000, "cannot write"),
])
def test_backup_destination_refused(tmp_path, dest, message):
    migrated(tmp_path)
    (tmp_path / "folder").mkdir()
    before = sorted(os.listdir(tmp_path))
    p = run(["backup", str(tmp_path) + "/" + dest], tmp_path)
    assert p.returncode == 1, p.stderr
    assert p.stderr.startswith("chimerad backup: ")
    assert message % {"t": tmp_path} in p.stderr, p.stderr[:300]
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(tmp_path / "folder") == []


@sqlite_only
def test_backup_of_a_database_that_is_not_there(tmp_path):
    p = run(["backup", str(tmp_path / "copy.db")], tmp_path,
            DATABASE_URL="sqlite://" + str(tmp_path / "nothing.db"))
    assert p.returncode == 1
    assert ("chimerad backup: cannot open the database %s: No such file or directory"
            % (tmp_path / "nothing.db")) in p.stderr, p.stderr
    assert os.listdir(tmp_path) == ["data"], "no copy, no temporary left"


def hold_exclusive_lock(db_file):
    """A connection holding SQLite's exclusive lock on db_file (in WAL mode
    only exclusive locking mode keeps every other connection out)."""
    con = sqlite3.connect(str(db_file), isolation_level=None)
    con.execute("PRAGMA locking_mode=EXCLUSIVE")
    con.execute("BEGIN EXCLUSIVE")
    con.execute("CREATE TABLE held_by_the_test (x)")
    return con


@sqlite_only
def test_backup_gives_up_on_a_database_that_stays_locked(tmp_path):
    db_file = migrated(tmp_path)
    con = hold_exclusive_lock(db_file)
    try:
        p = run(["backup", str(tmp_path / "copy.db")], tmp_path, timeout=300)
        assert p.returncode == 1
        assert p.stderr == "chimerad backup: the database stayed busy: database is locked\n", \
            p.stderr
        assert not [f for f in os.listdir(tmp_path) if f.startswith("copy.db")]
        con.execute("COMMIT")     # the holder's transaction is untouched
    finally:
        con.close()
    check = sqlite3.connect(str(db_file))
    try:
        assert check.execute("SELECT count(*) FROM held_by_the_test").fetchone() == (0,)
    finally:
        check.close()


@sqlite_only
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_backup_interrupted_by_a_signal_leaves_nothing(tmp_path, sig):
    import signal
    import time
    db_file = migrated(tmp_path)
    con = hold_exclusive_lock(db_file)      # keeps the copy waiting
    try:
        env = dict(os.environ)
        env.update(ca.DEFAULT_ENV)
        env["CHIMERA_DATA_DIR"] = str(tmp_path / "data")
        env["DATABASE_URL"] = "sqlite://" + str(db_file)
        proc = subprocess.Popen([ca.BIN, "backup", str(tmp_path / "copy.db")], env=env,
                                cwd=str(tmp_path), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not [f for f in os.listdir(tmp_path) if f.startswith("copy.db.tmp-")]:
            assert proc.poll() is None and time.monotonic() < deadline, "no copy under way"
            time.sleep(0.02)
        proc.send_signal(getattr(signal, sig))
        out, err = proc.communicate(timeout=120)
    finally:
        con.close()
    assert proc.returncode == 1
    assert (out, err) == ("", "chimerad backup: interrupted\n")
    assert not [f for f in os.listdir(tmp_path) if f.startswith("copy.db")]


@sqlite_only
def test_backup_of_a_file_that_is_not_a_database(tmp_path):
    src = tmp_path / "garbage.db"
    src.write_bytes(b"not a database at all " * 500)
    p = run(["backup", str(tmp_path / "copy.db")], tmp_path, DATABASE_URL="sqlite://" + str(src))
    assert p.returncode == 1
    assert p.stderr == "chimerad backup: copy failed: file is not a database\n", p.stderr
    assert sorted(os.listdir(tmp_path)) == ["data", "garbage.db"], "no copy, no temporary left"
    assert src.read_bytes() == b"not a database at all " * 500


# ------------------------------------------------------------------ serve: listening

def serve_until_healthy(tmp_path, host, preexec_fn=None, **env_extra):
    """chimerad serve with these settings, healthy on host (or pytest.fail);
    returns (process, port, stderr path). The caller stops it."""
    import requests
    import time
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    port = ca.free_port()
    env.update({"CHIMERA_DATA_DIR": str(tmp_path / "data"), "CHIMERA_PORT": str(port),
                "DATABASE_URL": "sqlite://" + str(tmp_path / "chimera.db")})
    env.update(env_extra)
    err_path = tmp_path / "stderr.log"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen([ca.BIN, "serve"], env=env, stdout=subprocess.DEVNULL,
                                stderr=err, stdin=subprocess.DEVNULL, preexec_fn=preexec_fn)
    deadline = time.monotonic() + 30          # a hang guard, far above a normal start
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("serve exited %s: %s" % (proc.returncode, err_path.read_text()[-2000:]))
        try:
            if requests.get("http://%s:%d/api/health" % (host, port), timeout=1).status_code == 200:
                return proc, port, err_path
        except requests.RequestException:
            pass
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    pytest.fail("serve never became healthy: %s" % err_path.read_text()[-2000:])


def stop_cleanly(proc):
    import signal
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_serve_on_the_ipv6_loopback(tmp_path):
    proc, port, err_path = serve_until_healthy(tmp_path, "[::1]", CHIMERA_LISTEN="::1")
    try:
        log = err_path.read_text()
        assert "listening on ::1:%d (sqlite, development mode" % port in log, log
        with pytest.raises(OSError):            # not on IPv4
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        stop_cleanly(proc)


def _nofile(soft, hard):
    def set_limit():
        import resource
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return set_limit


def open_files_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise AssertionError("no open-files line")


def test_serve_raises_a_low_open_file_limit(tmp_path):
    """The soft limit below what CHIMERA_MAX_CONNECTIONS needs is raised to
    the hard one, silently when that is enough."""
    proc, port, err_path = serve_until_healthy(tmp_path, "127.0.0.1", _nofile(256, 4096),
                                               CHIMERA_MAX_CONNECTIONS="1000")
    try:
        assert open_files_limit(proc.pid) == 4096
        assert "open-file limit" not in err_path.read_text()
    finally:
        stop_cleanly(proc)


def test_serve_warns_when_the_hard_open_file_limit_is_too_low(tmp_path):
    proc, port, err_path = serve_until_healthy(tmp_path, "127.0.0.1", _nofile(256, 512),
                                               CHIMERA_MAX_CONNECTIONS="100000")
    try:
        log = err_path.read_text()
        assert re.search(r'"level":"warn","msg":"open-file limit 512 is below the \d+ that '
                         r'CHIMERA_MAX_CONNECTIONS needs"', log), log
        assert open_files_limit(proc.pid) == 512
    finally:
        stop_cleanly(proc)
