#!/usr/bin/env python3
"""Streamed replies (issue 15): GET /api/workspaces measured with wrk while
500 streamed chat replies are in flight (each a text/event-stream answer fed
by a fake provider that sends one word a second), against the same reads
with no stream open. Target: loaded >= 50% of unloaded req/s.

Bounded: each stream's reply is STREAM_WORDS words one second apart, the
stream clients give up at a deadline, wrk runs for the bench duration.

    python3 bench/stream_bench.py build/chimerad    # this section alone
"""
import json
import os
import selectors
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STREAMS = int(os.environ.get("BENCH_STREAMS", "500"))
STREAM_WORDS = 40
WORD_GAP_MS = 1000


class StreamClients:
    """STREAMS raw HTTP/1.1 connections posting one message each with
    Accept: text/event-stream, read in one thread with a selector: counts
    the delta events and the streams that ended with "done"."""

    def __init__(self, port, token, cid, n):
        self.sel = selectors.DefaultSelector()
        self.state = {}
        body = json.dumps({"content": "stream please"}).encode()
        head = ("POST /api/conversations/%s/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Accept: text/event-stream\r\nContent-Length: %d\r\n\r\n"
                % (cid, token, len(body))).encode() + body
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(head)
            s.setblocking(False)
            self.state[s] = {"buf": b"", "deltas": 0, "done": False, "closed": False}
            self.sel.register(s, selectors.EVENT_READ)

    def pump(self, seconds, until=None):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and until()):
            for key, _ in self.sel.select(timeout=0.2):
                s, st = key.fileobj, self.state[key.fileobj]
                try:
                    data = s.recv(65536)
                except BlockingIOError:
                    continue
                if not data:
                    st["closed"] = True
                    self.sel.unregister(s)
                    continue
                st["buf"] += data
                st["deltas"] += data.count(b"event: delta")
                if b"event: done" in st["buf"]:
                    st["done"] = True
                st["buf"] = st["buf"][-64:]

    def count(self, key):
        return sum(1 for st in self.state.values() if st[key])

    def started(self):
        return sum(1 for st in self.state.values() if st["deltas"] > 0)

    def deltas(self):
        return sum(st["deltas"] for st in self.state.values())

    def close(self):
        for s in self.state:
            s.close()
        self.sel.close()


def bench_streams(bench, tmp):
    from client import Client, register
    import http.client
    fake, fport = bench.start_fake()
    port = bench.free_port()
    sub = os.path.join(tmp, "streams")
    os.makedirs(sub, exist_ok=True)
    proc, _ = bench.start_server(sub, port, {
        "CHIMERA_OPENAI_BASE_URL": "http://127.0.0.1:%d/v1" % fport,
        "CHIMERA_MAX_CONNECTIONS": "4096"})
    base = "http://127.0.0.1:%d/api" % port
    rows, notes, clients = [], [], None
    try:
        token, _ = register(port, "Streamer", "streamer@example.com")
        c = Client(port, token)
        wid = c.call("POST", "/workspaces", {"name": "Streams"})["id"]
        c.call("POST", "/integrations", {"provider": "openai", "apiKey": "sk-bench-0123456789"})
        cid = c.call("POST", "/workspaces/%s/conversations" % wid, {"modelId": "model-gpt-4o"})["id"]
        c.close()
        fc = http.client.HTTPConnection("127.0.0.1", fport)
        reply = " ".join("w%d" % i for i in range(STREAM_WORDS))
        fc.request("POST", "/_config", body=json.dumps({"reply": reply,
                                                        "stream_delay_ms": WORD_GAP_MS}),
                   headers={"Content-Type": "application/json"})
        fc.getresponse().read()
        unloaded = bench.wrk(base + "/workspaces", 32, token)
        rows.append(("GET /api/workspaces (no streams)", 32, unloaded, 1.0))
        t0 = time.monotonic()
        clients = StreamClients(port, token, cid, STREAMS)
        clients.pump(30, until=lambda: clients.started() == STREAMS)
        opened = time.monotonic() - t0
        started = clients.started()
        rss_before = bench.rss_kib(proc.pid)
        loaded = bench.wrk(base + "/workspaces", 32, token)
        rows.append(("GET /api/workspaces (%d streams in flight)" % STREAMS, 32, loaded,
                     loaded["rps"] / unloaded["rps"]))
        in_flight = STREAMS - clients.count("done") - clients.count("closed")
        rss_during = bench.rss_kib(proc.pid)
        clients.pump(STREAM_WORDS * WORD_GAP_MS / 1000.0 + 30,
                     until=lambda: clients.count("done") == STREAMS)
        notes.append("%d streams opened (all with a first delta after %.1f s: %d); %d still "
                     "in flight when the loaded wrk run ended; afterwards %d of %d ended with "
                     "`done`, %d delta events in all (%d words each, one a second from the "
                     "fake provider)."
                     % (STREAMS, opened, started, in_flight, clients.count("done"), STREAMS,
                        clients.deltas(), STREAM_WORDS))
        notes.append("RSS %.1f MiB with the streams open (%.1f MiB before the loaded run)."
                     % (rss_during / 1024, rss_before / 1024))
        notes.append("the loaded run shares the 2 cores with the fake provider (Python, one "
                     "thread per stream) and the stream clients.")
    finally:
        if clients:
            clients.close()
        proc.terminate()
        proc.wait(timeout=90)
        fake.terminate()
        fake.wait(timeout=10)
    return ("Streams: reads with streamed replies in flight", rows, notes)


def main():
    sys.path.insert(0, HERE)
    import tempfile
    import bench
    bench.BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else bench.BIN
    tmp = tempfile.mkdtemp(prefix="chimera-bench.")
    bench.report(*bench_streams(bench, tmp))


if __name__ == "__main__":
    main()
