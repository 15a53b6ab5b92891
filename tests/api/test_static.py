"""CHIMERA_STATIC_DIR: a built frontend served at / beside the API.

A fake Vite build in a temp folder (index.html, hashed assets, a .gz twin,
a plain svg, a symlink and a symlinked folder pointing outside, a hidden
file, a sparse file past the size limit) served by one server: content
types, the SPA fallback, cache headers, gzip (precompressed and on the fly),
ETag/304, traversal attempts sent byte for byte over a raw socket, /api
kept JSON, 405 for other methods, and start-up refusing bad settings.
"""
import gzip
import os
import subprocess
import uuid

import pytest
import requests

import chimera_api as ca
from chimera_api import Server, envelope, raw_http

SECRET = "OUTSIDE-SECRET-" + uuid.uuid4().hex
HIDDEN = "HIDDEN-" + uuid.uuid4().hex
INDEX = ("<!doctype html><html><head><title>Chimera</title></head><body><div id=root>"
         "CHIMERA-INDEX</div>" + "<!-- padding -->" * 100 + "</body></html>")
JS = "export const chimera = 'app';\n" + "console.log('chimera bundle line');\n" * 200
CSS = "body { color: #333; }\n" * 10
CSS_TWIN = "/* FROM-GZ-TWIN */ body { color: #333; }\n" * 10
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'
FILES = {
    "index.html": INDEX,
    "favicon.ico": b"\x00\x00\x01\x00" + bytes(300),
    "robots.txt": "User-agent: *\n",
    "manifest.json": '{"name": "Chimera"}',
    "assets/index-AbC123xy.js": JS,
    "assets/index-AbC123xy.js.map": '{"version": 3}',
    "assets/app-9f8e7d6c.css": CSS,
    "assets/logo.svg": SVG,
    "assets/photo-B7xq2_Lp.png": b"\x89PNG\r\n\x1a\n" + bytes(3000),
    "assets/pic-0a1b2c3d.jpg": b"\xff\xd8\xff" + bytes(10),
    "assets/anim-Zz9Yy8Xx.gif": b"GIF89a",
    "assets/hero-Qw3Er5Ty.webp": b"RIFF",
    "assets/inter-Ab12Cd34.woff2": b"wOF2" + bytes(2000),
    "assets/inter-Ab12Cd34.woff": b"wOFF",
    "assets/mono-Ab12Cd34.ttf": b"\x00\x01\x00\x00",
    "assets/worker-Xy12Zw34.mjs": "self.onmessage = () => {};",
    "assets/mod-Xy12Zw34.wasm": b"\x00asm\x01\x00\x00\x00",
    "assets/data-Xy12Zw34.bin": b"\x01\x02",
    ".env": HIDDEN,
    "assets/.secret": HIDDEN,
}


@pytest.fixture(scope="module")
def dist():
    root = os.path.join(ca.base_tmp(), "static-" + uuid.uuid4().hex[:8])
    outside = os.path.join(root, "outside")
    folder = os.path.join(root, "dist")
    os.makedirs(outside)
    with open(os.path.join(outside, "secret.txt"), "w") as f:
        f.write(SECRET)
    for name, content in FILES.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
    with open(os.path.join(folder, "assets/app-9f8e7d6c.css.gz"), "wb") as f:
        f.write(gzip.compress(CSS_TWIN.encode()))
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(folder, "leak.txt"))
    os.symlink(outside, os.path.join(folder, "ext"))
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(folder, "assets/leak-Ab12Cd34.js"))
    with open(os.path.join(folder, "huge.js"), "wb") as f:
        f.truncate(65 * 1024 * 1024)            # sparse: past the 64 MiB limit
    return folder


@pytest.fixture(scope="module")
def web(dist):
    srv = Server({"CHIMERA_STATIC_DIR": dist}, name="static").start()
    yield srv
    srv.stop()


def get(srv, path, gz=False, **headers):
    headers["Accept-Encoding"] = "gzip" if gz else "identity"
    return requests.get(srv.base + path, headers=headers, timeout=ca.TIMEOUT)


def raw_get(srv, target, method="GET", extra=""):
    req = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n%s"
           "Connection: close\r\n\r\n" % (method, target, extra))
    return raw_http(srv.port, req.encode("latin-1"))


def ctype(r):
    return r.headers["Content-Type"]


@pytest.mark.parametrize("path,expected", [
    ("/", "text/html; charset=utf-8"),
    ("/index.html", "text/html; charset=utf-8"),
    ("/favicon.ico", "image/x-icon"),
    ("/robots.txt", "text/plain; charset=utf-8"),
    ("/manifest.json", "application/json"),
    ("/assets/index-AbC123xy.js", "text/javascript; charset=utf-8"),
    ("/assets/index-AbC123xy.js.map", "application/json"),
    ("/assets/app-9f8e7d6c.css", "text/css; charset=utf-8"),
    ("/assets/logo.svg", "image/svg+xml"),
    ("/assets/photo-B7xq2_Lp.png", "image/png"),
    ("/assets/pic-0a1b2c3d.jpg", "image/jpeg"),
    ("/assets/anim-Zz9Yy8Xx.gif", "image/gif"),
    ("/assets/hero-Qw3Er5Ty.webp", "image/webp"),
    ("/assets/inter-Ab12Cd34.woff2", "font/woff2"),
    ("/assets/inter-Ab12Cd34.woff", "font/woff"),
    ("/assets/mono-Ab12Cd34.ttf", "font/ttf"),
    ("/assets/worker-Xy12Zw34.mjs", "text/javascript; charset=utf-8"),
    ("/assets/mod-Xy12Zw34.wasm", "application/wasm"),
    ("/assets/data-Xy12Zw34.bin", "application/octet-stream"),
])
def test_content_types_and_bodies(web, path, expected):
    r = get(web, path)
    assert r.status_code == 200, (path, r.status_code, r.text[:200])
    assert ctype(r) == expected
    name = "index.html" if path == "/" else path[1:]
    want = FILES[name]
    assert r.content == (want.encode() if isinstance(want, str) else want)
    assert "Content-Encoding" not in r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/workspaces/abc", "/workspaces/abc/memories", "/login",
                                  "/settings/", "/apix", "/API/health", "/assetsx/y.js"])
def test_client_side_routes_get_index_html(web, path):
    r = get(web, path)
    assert r.status_code == 200
    assert ctype(r) == "text/html; charset=utf-8"
    assert r.text == INDEX
    assert r.headers["Cache-Control"] == "no-cache"


def test_head_has_headers_without_body(web):
    for path in ("/", "/assets/index-AbC123xy.js", "/workspaces/x"):
        status, headers, body = raw_get(web, path, method="HEAD")
        assert status == 200 and body == b""
        assert headers["content-type"].startswith(("text/html", "text/javascript"))
        assert "etag" in headers


def test_missing_assets_and_folders_are_404_not_html(web):
    for path in ("/assets/index-Gone1234.js", "/assets/missing.css", "/assets", "/assets/",
                 "/index.html/x"):
        r = get(web, path)
        envelope(r, 404)


@pytest.mark.parametrize("path,cache", [
    ("/assets/index-AbC123xy.js", "public, max-age=31536000, immutable"),
    ("/assets/app-9f8e7d6c.css", "public, max-age=31536000, immutable"),
    ("/assets/index-AbC123xy.js.map", "public, max-age=31536000, immutable"),
    ("/assets/photo-B7xq2_Lp.png", "public, max-age=31536000, immutable"),
    ("/assets/logo.svg", "no-cache"),
    ("/", "no-cache"),
    ("/index.html", "no-cache"),
    ("/favicon.ico", "no-cache"),
    ("/workspaces/abc", "no-cache"),
])
def test_cache_control(web, path, cache):
    r = get(web, path)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == cache


def test_precompressed_twin_when_gzip_is_accepted(web):
    r = requests.get(web.base + "/assets/app-9f8e7d6c.css", headers={"Accept-Encoding": "gzip"},
                     timeout=ca.TIMEOUT, stream=True)
    assert r.headers["Content-Encoding"] == "gzip"
    assert ctype(r) == "text/css; charset=utf-8"
    assert gzip.decompress(r.raw.read()).decode() == CSS_TWIN
    plain = get(web, "/assets/app-9f8e7d6c.css")
    assert plain.text == CSS and "Content-Encoding" not in plain.headers
    assert plain.headers["ETag"] != r.headers["ETag"]
    assert "Accept-Encoding" in r.headers["Vary"]


def test_gzip_on_the_fly_above_1kib_for_compressible_types(web):
    for path, body in (("/assets/index-AbC123xy.js", JS), ("/", INDEX)):
        r = requests.get(web.base + path, headers={"Accept-Encoding": "gzip"},
                         timeout=ca.TIMEOUT, stream=True)
        raw = r.raw.read()
        assert r.headers["Content-Encoding"] == "gzip", path
        assert len(raw) < len(body)
        assert gzip.decompress(raw).decode() == body
    for path in ("/assets/logo.svg", "/robots.txt",            # under 1 KiB
                 "/assets/photo-B7xq2_Lp.png", "/assets/inter-Ab12Cd34.woff2"):   # compressed already
        r = get(web, path, gz=True)
        assert r.status_code == 200
        assert "Content-Encoding" not in r.headers, path


def test_etag_and_304(web):
    for path, gz in (("/assets/index-AbC123xy.js", False), ("/assets/index-AbC123xy.js", True),
                     ("/", False), ("/assets/app-9f8e7d6c.css", True)):
        r = get(web, path, gz=gz)
        tag = r.headers["ETag"]
        assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
        again = get(web, path, gz=gz, **{"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == tag
        assert again.headers["Cache-Control"] == r.headers["Cache-Control"]
        for inm in ('"other", ' + tag, "W/" + tag, "*"):
            assert get(web, path, gz=gz, **{"If-None-Match": inm}).status_code == 304, inm
        assert get(web, path, gz=gz, **{"If-None-Match": '"nope"'}).status_code == 200
        # a value that is not a list of tags names nothing, even with the right tag in it
        for bad in (tag + " junk", tag + ' "other"', '"other", *'):
            assert get(web, path, gz=gz, **{"If-None-Match": bad}).status_code == 200, bad
    plain = get(web, "/assets/index-AbC123xy.js").headers["ETag"]
    zipped = get(web, "/assets/index-AbC123xy.js", gz=True).headers["ETag"]
    assert plain != zipped
    # the gzip representation's tag does not validate the plain one
    assert get(web, "/assets/index-AbC123xy.js", **{"If-None-Match": zipped}).status_code == 200


def test_etag_changes_with_the_file(web, dist):
    path = os.path.join(dist, "robots.txt")
    before = get(web, "/robots.txt").headers["ETag"]
    with open(path, "w") as f:
        f.write("User-agent: *\nDisallow: /private\n")
    try:
        r = get(web, "/robots.txt", **{"If-None-Match": before})
        assert r.status_code == 200 and "Disallow" in r.text
        assert r.headers["ETag"] != before
    finally:
        with open(path, "w") as f:
            f.write(FILES["robots.txt"])


TRAVERSALS = [
    "/../outside/secret.txt",
    "/../../../../etc/passwd",
    "/assets/../../outside/secret.txt",
    "/assets/../index.html",
    "/./index.html",
    "/%2e%2e/outside/secret.txt",
    "/%2E%2E/%2e%2e/etc/passwd",
    "/assets/%2e%2e/%2e%2e/outside/secret.txt",
    "/..%2foutside%2fsecret.txt",
    "/assets%2f..%2f..%2foutside%2fsecret.txt",
    "/%2foutside/secret.txt",
    "/%2fetc%2fpasswd",
    "//etc/passwd",
    "/..\\outside\\secret.txt",
    "/%5c..%5coutside%5csecret.txt",
    "/assets\\..\\..\\outside\\secret.txt",
    "/leak.txt",
    "/ext/secret.txt",
    "/assets/leak-Ab12Cd34.js",
    "/.env",
    "/assets/.secret",
    "/%2eenv",
    "/assets/%2esecret",
    "/assets/x/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt",
    "/huge.js",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_attempts_are_refused(web, target):
    status, headers, body = raw_get(web, target)
    assert status in (400, 404), (target, status, body[:200])
    assert SECRET.encode() not in body and HIDDEN.encode() not in body
    assert b"root:" not in body
    if status == 404:
        assert headers["content-type"] == "application/json"


@pytest.mark.parametrize("target", ["/%00../outside/secret.txt", "/index.html%00/../../outside/secret.txt",
                                    "/leak.txt%00.html"])
def test_nul_cuts_the_path_and_never_reaches_outside(web, target):
    # libmicrohttpd decodes %00 and the path ends there: what remains is
    # checked like any path, so at worst a file of the folder is served.
    status, _headers, body = raw_get(web, target)
    assert status in (200, 400, 404), (target, status)
    assert SECRET.encode() not in body and HIDDEN.encode() not in body


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/nope", "/api/workspaces/x/nothing",
                                  "/api/health/x"])
def test_api_paths_keep_json(web, path):
    for method in ("GET", "HEAD"):
        status, headers, body = raw_get(web, path, method=method)
        assert status == 404, (path, method, status)
        assert headers["content-type"] == "application/json"
        if method == "GET":
            assert body == b'{"ok":false,"data":null,"error":"Not found"}'
    r = requests.get(web.base + "/api/health", timeout=ca.TIMEOUT)
    envelope(r, 200)
    envelope(requests.delete(web.base + "/api/health", timeout=ca.TIMEOUT), 405)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(web, method):
    for path in ("/", "/index.html", "/workspaces/abc", "/assets/index-AbC123xy.js"):
        r = requests.request(method, web.base + path, data=b"{}", timeout=ca.TIMEOUT)
        assert ca.error_of(r, 405) == 'Method "%s" not allowed.' % method


def test_keep_alive_across_static_and_api(web):
    with requests.Session() as s:
        for path in ("/", "/assets/index-AbC123xy.js", "/api/health", "/workspaces/q", "/"):
            r = s.get(web.base + path, timeout=ca.TIMEOUT)
            assert r.status_code == 200
            assert r.headers.get("Connection", "").lower() != "close", path


def test_request_log_names_static_route(web):
    rid = "static-" + uuid.uuid4().hex[:12]
    get(web, "/workspaces/abc", **{"X-Request-Id": rid})
    recs = web.log_lines_for(rid)
    assert recs and recs[0]["route"] == "static" and recs[0]["status"] == 200


def test_without_the_setting_nothing_changes(api):
    for path in ("/", "/index.html", "/workspaces/abc", "/assets/x.js"):
        r = requests.get(api.base + path, timeout=ca.TIMEOUT)
        assert ca.error_of(r, 404) == "Not found"
    r = requests.post(api.base + "/anything", timeout=ca.TIMEOUT)
    assert ca.error_of(r, 404) == "Not found"


def serve_fails(static_dir):
    env = dict(os.environ)
    env.update(ca.DEFAULT_ENV)
    tmp = os.path.join(ca.base_tmp(), "static-bad-" + uuid.uuid4().hex[:8])
    os.makedirs(tmp)
    env.update({"CHIMERA_STATIC_DIR": static_dir, "CHIMERA_DATA_DIR": tmp,
                "CHIMERA_PORT": str(ca.free_port()),
                "DATABASE_URL": "sqlite:///" + os.path.join(tmp, "x.db")})
    return subprocess.run([ca.BIN, "serve"], env=env, capture_output=True, text=True, timeout=30)


def test_bad_settings_stop_start_up(dist, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "dir-index").mkdir()
    (tmp_path / "dir-index" / "index.html").mkdir()
    cases = [
        (str(tmp_path / "missing"), "No such file or directory"),
        (os.path.join(dist, "robots.txt"), "not a folder"),
        (str(empty), "no readable index.html: No such file or directory"),
        (str(tmp_path / "dir-index"), "index.html is not a regular file"),
    ]
    for folder, reason in cases:
        p = serve_fails(folder)
        assert p.returncode == 1, (folder, p.returncode, p.stderr[-500:])
        assert "CHIMERA_STATIC_DIR %s: " % folder in p.stderr, p.stderr
        assert reason in p.stderr, p.stderr


def test_unreadable_folder_stops_start_up(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads through permission bits")
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "index.html").write_text(INDEX)
    folder.chmod(0)
    try:
        p = serve_fails(str(folder))
        assert p.returncode == 1 and "Permission denied" in p.stderr, p.stderr
    finally:
        folder.chmod(0o700)
