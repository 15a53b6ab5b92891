"""POST /workspaces/{wid}/memories/import-url (API.md §8.2, §8.6, D10)
against a loopback HTTP server serving fixture pages. The server under test
may reach 127.0.0.1 only through CHIMERA_IMPORT_ALLOW_ADDRS=127.0.0.1, so a
redirect to 127.0.0.2 shows that every address connected to is checked, not
just the first. Every failure stores nothing."""
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import chimera_api as ca
from chimera_api import Api, Server, User, ok_data

ARTICLE_TEXT = ("Chimera keeps a bank of memories for every team. " * 4).strip()
ARTICLE = ("<html><head><title>  The   Memory\nBank </title><script>var x = 'no';</script>"
           "<style>p {}</style></head><body><nav>Home | About</nav><header>Site</header>"
           "<main><h1>Memories</h1><p>%s</p></main><aside>ads</aside>"
           "<footer>(c) 2026</footer></body></html>" % ARTICLE_TEXT)
LONG_TEXT = " ".join("word%d" % i for i in range(1200))
ENDLESS_CAP_S = 20


class Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype="text/html; charset=utf-8", extra=()):
        data = body if isinstance(body, bytes) else body.encode()
        try:
            self.send_response(status)
            if ctype is not None:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass                                # chimerad gave up first (/slow)

    def do_GET(self):
        self.server.seen.append((self.path, dict(self.headers.items())))
        port = self.server.server_address[1]
        path = self.path
        if path == "/article":
            return self.send(200, ARTICLE)
        if path == "/long":
            return self.send(200, "<html><title>Long</title><body><article>%s</article></body>"
                                  "</html>" % LONG_TEXT)
        if path == "/short":
            return self.send(200, "<html><title>Tiny</title><body><p>tiny page</p></body></html>")
        if path == "/untitled":
            return self.send(200, "<html><body><div>%s</div></body></html>" % ARTICLE_TEXT)
        if path == "/latin1":
            body = ("<html><title>Caf\xe9</title><body><p>%s caf\xe9 cr\xe8me</p></body></html>"
                    % ARTICLE_TEXT).encode("latin-1")
            return self.send(200, body, "text/html; charset=iso-8859-1")
        if path.startswith("/typed/"):          # /typed/<n>: TYPED[n], latin-1
            ctype, _ = TYPED[int(path.rsplit("/", 1)[1])]
            body = ("<html><title>Typ\xe9</title><body><p>%s caf\xe9</p></body></html>"
                    % ARTICLE_TEXT).encode("latin-1")
            return self.send(200, body, ctype)
        if path == "/text":
            return self.send(200, ARTICLE_TEXT, "text/plain")
        if path == "/image":
            return self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
        if path == "/missing":
            return self.send(404, "<h1>no</h1>")
        if path == "/broken":
            return self.send(503, "<h1>down</h1>")
        if path in ("/status/499", "/status/599"):     # no reason phrase of ours
            return self.send(int(path[-3:]), "<h1>odd</h1>")
        if path == "/long-charset":             # a charset name no one has: read as UTF-8
            return self.send(200, "<html><title>Caf\u00e9</title><body><p>%s</p></body></html>"
                                  % ARTICLE_TEXT, "text/html; charset=" + "x" * 80)
        if path == "/redirect":
            return self.send(302, "", extra=[("Location", "/article")])
        if path == "/to-private":
            return self.send(302, "", extra=[("Location", "http://127.0.0.2:%d/article" % port)])
        if path == "/slow":
            time.sleep(4)
            return self.send(200, ARTICLE)
        if path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            end = time.monotonic() + ENDLESS_CAP_S
            try:
                while time.monotonic() < end:
                    self.wfile.write(b"<p>" + b"x" * 65536 + b"</p>")
            except OSError:
                pass
            return
        return self.send(404, "not here")


@pytest.fixture(scope="module")
def site():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    httpd.daemon_threads = True
    httpd.seen = []
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def env(site):
    with Server({"CHIMERA_IMPORT_ALLOW_ADDRS": "127.0.0.1", "CHIMERA_IMPORT_TIMEOUT": "2",
                 "CHIMERA_IMPORT_MAX_BODY": "300000"}, name="import-url") as server:
        api = Api(server)
        user = User(api)
        wid = ca.create_workspace(api, user)["id"]
        yield api, user, wid, "http://127.0.0.1:%d" % site.server_address[1]


def import_r(api, user, wid, body):
    return api.post("/workspaces/%s/memories/import-url" % wid, body, token=user.token)


def count(api, user, wid):
    return ok_data(api.get("/workspaces/%s/memories" % wid, token=user.token))["total"]


def test_imports_the_main_text(env, site):
    api, user, wid, base = env
    d = ok_data(import_r(api, user, wid, {"url": base + "/article"}), 201)
    assert set(d) == {"memory", "source_type", "was_summarized"}
    assert d["source_type"] == "webpage" and d["was_summarized"] is False
    m = d["memory"]
    assert m["title"] == "[Imported] The Memory Bank"
    assert m["content"] == "Memories " + ARTICLE_TEXT
    assert m["tags"] == ["imported", "source:webpage"]
    meta = m["metadata"]
    assert meta["source_url"] == base + "/article" and meta["source_type"] == "webpage"
    assert meta["scrape_mode"] == "basic" and meta["was_summarized"] is False
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", meta["imported_at"])
    assert len(m["embedding"]) == 384 and m["version"] == 1
    got = ok_data(api.get("/memories/" + m["id"], token=user.token))
    assert got["content"] == m["content"]
    acts = ok_data(api.get("/workspaces/%s/activity" % wid, token=user.token))
    assert any(a["type"] == "memory_created" for a in acts["activities"]), acts
    path, headers = site.seen[-1]
    assert path == "/article"
    assert "Chrome/" in headers["User-Agent"] and "Mozilla/5.0" in headers["User-Agent"]


def test_long_pages_are_summarized(env):
    api, user, wid, base = env
    d = ok_data(import_r(api, user, wid, {"url": base + "/long"}), 201)
    assert d["was_summarized"] is True
    content = d["memory"]["content"]
    assert content.startswith(LONG_TEXT[:2000] + "...")
    assert content.endswith("[Content truncated from %d to 2003 characters]" % len(LONG_TEXT))
    d = ok_data(import_r(api, user, wid, {"url": base + "/long", "summarize": False}), 201)
    assert d["was_summarized"] is False and d["memory"]["content"] == LONG_TEXT
    assert d["memory"]["metadata"]["was_summarized"] is False
    d = ok_data(import_r(api, user, wid, {"url": base + "/long", "summarize": True}), 201)
    assert d["was_summarized"] is True and d["memory"]["metadata"]["was_summarized"] is True


def test_redirects_titles_charsets_and_text(env):
    api, user, wid, base = env
    d = ok_data(import_r(api, user, wid, {"url": base + "/redirect"}), 201)
    assert d["memory"]["title"] == "[Imported] The Memory Bank"
    assert d["memory"]["metadata"]["source_url"] == base + "/redirect"
    d = ok_data(import_r(api, user, wid, {"url": base + "/untitled"}), 201)
    assert d["memory"]["title"] == "[Imported] Imported"
    d = ok_data(import_r(api, user, wid, {"url": base + "/latin1"}), 201)
    assert d["memory"]["title"] == "[Imported] Caf\u00e9"
    assert d["memory"]["content"].endswith("caf\u00e9 cr\u00e8me")
    d = ok_data(import_r(api, user, wid, {"url": base + "/text"}), 201)
    assert d["memory"]["content"] == ARTICLE_TEXT


# (Content-Type of a latin-1 page, the title stored or the error): the charset
# parameter quoted or not, in any case; no type at all is read as HTML
TYPED = [
    ('text/html; charset="iso-8859-1"', "[Imported] Typ\u00e9"),
    ("TEXT/HTML;charset=ISO-8859-1", "[Imported] Typ\u00e9"),
    ("application/xhtml+xml; charset=latin1", "[Imported] Typ\u00e9"),
    ("text/html; charset=iso-8859-1; format=x", "[Imported] Typ\u00e9"),
    (None, None),
    ("text/html; charset=", None),
    ("text/htmlx", "Request failed: not an HTML page (text/htmlx)"),
    ("application/json; charset=utf-8",
     "Request failed: not an HTML page (application/json; charset=utf-8)"),
    ("application/vnd.abcde", "Request failed: not an HTML page (application/vnd.abcde)"),
    ("text/plainx", "Request failed: not an HTML page (text/plainx)"),
    ("text/xhtml", "Request failed: not an HTML page (text/xhtml)"),
]


@pytest.mark.parametrize("n", range(len(TYPED)))
def test_content_types_and_charsets(env, n):
    api, user, wid, base = env
    ctype, want = TYPED[n]
    r = import_r(api, user, wid, {"url": "%s/typed/%d" % (base, n), "summarize": False})
    if want is not None and want.startswith("Request failed"):
        ca.assert_error(r, 400, want)
        return
    d = ok_data(r, 201)
    if want is None:
        # no charset: read as UTF-8, the latin-1 byte replaced, the text kept
        assert d["memory"]["title"].startswith("[Imported] Typ"), d["memory"]["title"]
        assert ARTICLE_TEXT in d["memory"]["content"]
    else:
        assert d["memory"]["title"] == want
        assert d["memory"]["content"].endswith("caf\u00e9")


@pytest.mark.parametrize("body,message", [
    ({}, "URL is required"),
    ({"url": ""}, "URL is required"),
    ({"url": None}, "URL is required"),
    ({"url": "ftp://example.com/file"}, "Only HTTP/HTTPS supported"),
    ({"url": "file:///etc/passwd"}, "Only HTTP/HTTPS supported"),
    ({"url": "javascript:alert(1)"}, "Only HTTP/HTTPS supported"),
    ({"url": "http://example.com/a b"}, "Only HTTP/HTTPS supported"),
    ({"url": "http://example.com/a\nb"}, "Only HTTP/HTTPS supported"),
    ({"url": "http://example.com/" + "a" * 4078}, "Only HTTP/HTTPS supported"),
    ({"url": "https://example.com", "mode": "advanced"},
     "Advanced scraping not available. Playwright not installed. Use Basic mode or upgrade "
     "server."),
])
def test_bad_requests(env, body, message):
    api, user, wid, _ = env
    before = count(api, user, wid)
    ca.assert_error(import_r(api, user, wid, body), 400, message)
    assert count(api, user, wid) == before


def test_fetch_failures_store_nothing(env):
    api, user, wid, base = env
    before = count(api, user, wid)
    cases = [
        ("/short", "No meaningful content found. Try Advanced mode for JS-heavy sites."),
        ("/image", "Request failed: not an HTML page (image/png)"),
        ("/missing", ("Request failed: 404 Client Error: Not Found for url: %s/missing"
                      % base)[:96]),
        ("/broken", ("Request failed: 503 Server Error: Service Unavailable for url: %s/broken"
                     % base)[:96]),
        ("/status/499", ("Request failed: 499 Client Error:  for url: %s/status/499" % base)[:96]),
        ("/status/599", ("Request failed: 599 Server Error:  for url: %s/status/599" % base)[:96]),
        ("/slow", "Request timed out"),
        ("/endless", "Request failed: the page is larger than the import limit"),
        ("/to-private", ("Request failed: address 127.0.0.2 is not public (private, loopback, "
                         "link-local or multicast)")[:96]),
    ]
    for path, message in cases:
        t0 = time.monotonic()
        ca.assert_error(import_r(api, user, wid, {"url": base + path}), 400, message)
        # only against a hang: 15x the 2 s import timeout (the messages tell a
        # working timeout and cap from a late answer)
        assert time.monotonic() - t0 < 30, path
    assert count(api, user, wid) == before


def test_closed_port(env):
    api, user, wid, _ = env
    port = ca.free_port()
    r = import_r(api, user, wid, {"url": "http://127.0.0.1:%d/x" % port})
    err = ca.error_of(r, 400)
    assert err.startswith("Request failed: ") and len(err) <= len("Request failed: ") + 80


def test_observers_and_strangers(env):
    api, user, wid, base = env
    observer, stranger = User(api), User(api)
    ca.add_member(api, user, wid, observer, role="observer")
    ca.assert_error(import_r(api, observer, wid, {"url": base + "/article"}), 403,
                    "Observers have read-only access")
    ca.assert_error(import_r(api, stranger, wid, {"url": base + "/article"}), 403,
                    "Access denied")


def test_private_addresses_are_refused_by_default(site):
    """Without an allow-list every loopback, private and link-local target is
    refused before a connection is made."""
    with Server({"CHIMERA_IMPORT_TIMEOUT": "2"}, name="import-strict") as server:
        api = Api(server)
        user = User(api)
        wid = ca.create_workspace(api, user)["id"]
        port = site.server_address[1]
        seen = len(site.seen)
        for host in ("127.0.0.1", "localhost", "[::1]", "10.0.0.1", "169.254.169.254",
                     "192.168.0.1", "0.0.0.0"):
            r = import_r(api, user, wid, {"url": "http://%s:%d/article" % (host, port)})
            err = ca.error_of(r, 400)
            assert err.startswith("Request failed: address ") and "is not public" in err, err
        assert len(site.seen) == seen        # nothing reached the site
        assert count(api, user, wid) == 0


def test_odd_charset_mode_and_scheme(env):
    api, user, wid, base = env
    # a charset parameter too long to be a name is ignored: the page is UTF-8
    d = ok_data(import_r(api, user, wid, {"url": base + "/long-charset", "mode": "basic"}), 201)
    assert d["memory"]["title"] == "[Imported] Caf\u00e9"
    assert d["memory"]["content"] == ARTICLE_TEXT
    # HTTPS (any case) to a plain-HTTP port: a transport failure, nothing stored
    before = count(api, user, wid)
    err = ca.error_of(import_r(api, user, wid, {"url": base.replace("http", "HTTPS", 1) + "/article"}),
                      400)
    assert err.startswith("Request failed: ") and len(err) <= len("Request failed: ") + 80, err
    assert count(api, user, wid) == before


def test_body_that_is_not_json(env):
    api, user, wid, _ = env
    r = api.post("/workspaces/%s/memories/import-url" % wid, data=b"{url: nope",
                 headers={"Content-Type": "application/json"}, token=user.token)
    assert ca.error_of(r, 400).startswith("JSON parse error - ")


def test_operator_may_allow_private_addresses(site):
    """CHIMERA_IMPORT_ALLOW_PRIVATE=1 lifts the public-only rule (no allow-list
    needed): a loopback page is imported."""
    with Server({"CHIMERA_IMPORT_TIMEOUT": "2", "CHIMERA_IMPORT_ALLOW_PRIVATE": "1"},
                name="import-private") as server:
        api = Api(server)
        user = User(api)
        wid = ca.create_workspace(api, user)["id"]
        url = "http://127.0.0.1:%d/article" % site.server_address[1]
        d = ok_data(import_r(api, user, wid, {"url": url}), 201)
        assert d["memory"]["title"] == "[Imported] The Memory Bank"
        assert count(api, user, wid) == 1
