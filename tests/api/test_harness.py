"""The harness's own guard: Server.stop() fails the test when a server logged a
sanitizer report or did not exit 0 after SIGTERM (so every test that starts
a server, and the session server, doubles as a sanitizer probe)."""
import os
import stat

import pytest

import chimera_api as ca
from chimera_api import Server, health_ok, Api

STUB = r'''#!/usr/bin/python3
# A stand-in for chimerad: answers every GET with 200 and exits 3 on SIGTERM.
import http.server, os, signal
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true, "data": {}, "error": null}')
    def log_message(self, *a):
        pass
signal.signal(signal.SIGTERM, lambda *a: os._exit(3))
http.server.HTTPServer(("127.0.0.1", int(os.environ["CHIMERA_PORT"])), H).serve_forever()
'''


def forget(srv):
    """Keeps a deliberately broken server out of the end-of-session scans."""
    if srv in ca.ALL_SERVERS:
        ca.ALL_SERVERS.remove(srv)


@pytest.mark.parametrize("line", [
    "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1",
    "src/x.c:10:5: runtime error: signed integer overflow",
    "==1==ERROR: LeakSanitizer: detected memory leaks",
])
def test_stop_reports_sanitizer_lines(line):
    srv = Server(name="guard").start()
    try:
        assert health_ok(Api(srv))
        with open(srv.log_path, "a") as f:
            f.write(line + "\n")
        with pytest.raises(AssertionError) as e:
            srv.stop()
        assert line.split(": ")[1] in str(e.value)
    finally:
        forget(srv)


def test_clean_server_passes_the_guard():
    srv = Server(name="guard-clean").start()
    srv.stop()                      # raises if anything is wrong
    assert srv.proc.returncode == 0


def test_stop_reports_nonzero_exit(monkeypatch, tmp_path):
    stub = tmp_path / "chimerad-stub"
    stub.write_text(STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(ca, "BIN", str(stub))
    srv = Server(name="guard-exit").start()
    try:
        with pytest.raises(AssertionError) as e:
            srv.stop()
        assert "exited with status 3 after SIGTERM" in str(e.value)
    finally:
        forget(srv)
        assert os.path.exists(srv.log_path)
