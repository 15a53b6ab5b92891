"""POST /workspaces/{wid}/memories/import-file (API.md §8.3, §8.6, D10):
multipart uploads of every supported type, the string errors of §8.3, the
10 MiB cap (refused from Content-Length before the body is read, and while
reading a chunked body), and that a refused upload stores nothing."""
import json
import os
import socket

import pytest

import chimera_api as ca
from chimera_api import User, ok_data

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "imports")
TEN_MIB = 10 * 1024 * 1024
UNSUPPORTED = "Unsupported file type. Supported: .pdf, .docx, .txt, .md, .html, .json, .csv"


@pytest.fixture(scope="module")
def ws(api):
    user = User(api)
    return user, ca.create_workspace(api, user)["id"]


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def upload(api, user, wid, name, data, summarize=None, field="file"):
    form = {"summarize": summarize} if summarize is not None else None
    # a hang guard only: 10 MiB takes about a second, minutes in a -O0
    # coverage build on a busy machine
    return api.post("/workspaces/%s/memories/import-file" % wid, token=user.token,
                    files={field: (name, data)}, data=form, timeout=300)


def count(api, user, wid):
    return ok_data(api.get("/workspaces/%s/memories" % wid, token=user.token))["total"]




@pytest.mark.parametrize("name,data,file_type,content", [
    ("notes.txt", b"Line one\n\n\tLine\x00 two  \r\n", "text", "Line one Line two"),
    ("README.MD", "# Title\n\n* caf\u00e9 item".encode(), "markdown", "# Title * caf\u00e9 item"),
    ("latin.txt", "na\u00efve caf\u00e9 text".encode("latin-1"), "text", "na\u00efve caf\u00e9 text"),
    ("legacy.rtf", b"{\\rtf1 Hello rich text}", "rtf", "{\\rtf1 Hello rich text}"),
    ("page.html", b"<html><head><title>T</title><style>x{}</style></head><body><nav>menu</nav>"
                  b"<p>Hello <b>world</b> from html</p><footer>f</footer></body></html>",
     "html", "T Hello world from html"),
    ("data.json", b'{"b": [1, 2], "a": "x"}', "json",
     '{ "b": [ 1, 2 ], "a": "x" }'),
    ("broken.json", b'{"b": [1, 2', "json", '{"b": [1, 2'),
    ("table.csv", b'name,notes\r\n"Smith, J","said ""hi"""\r\nLee,ok\r\n', "csv",
     'name | notes Smith, J | said "hi" Lee | ok'),
])
def test_text_types(api, ws, name, data, file_type, content):
    user, wid = ws
    d = ok_data(upload(api, user, wid, name, data), 201)
    assert set(d) == {"memory", "file_type", "original_filename", "was_summarized"}
    assert d["file_type"] == file_type and d["original_filename"] == name
    assert d["was_summarized"] is False
    m = d["memory"]
    assert m["content"] == content
    assert m["title"] == "[File] " + name.rsplit(".", 1)[0]
    assert m["tags"] == ["imported", "file-upload", "format:" + file_type]
    meta = m["metadata"]
    assert meta["source_type"] == "file" and meta["original_filename"] == name
    assert meta["file_type"] == file_type and meta["file_size"] == len(data)
    assert meta["was_summarized"] is False and "imported_at" in meta
    assert len(m["embedding"]) == 384


# The fixtures come from tests/fixtures/imports/make_fixtures.py. The .docx
# text follows python-docx: body paragraphs (hyperlink runs included,
# content controls and tracked insertions not), then each table row's cells
# (a merged cell repeats, nested tables are left out).
@pytest.mark.parametrize("name,file_type,expected", [
    ("sample.docx", "docx", "Quarterly report Revenue grew 12% see table Link text after break "
                            "Caf\u00e9 na\u00efve <ok> Region | Q1 | Q2 North | 10 | 12 approx "
                            "North | n/a | n/a"),
    ("sample.pdf", "pdf", "Hello from page one Second page text"),
])
def test_documents(api, ws, name, file_type, expected):
    user, wid = ws
    d = ok_data(upload(api, user, wid, name, fixture(name)), 201)
    assert d["file_type"] == file_type
    assert d["memory"]["content"] == expected


def test_summarize(api, ws):
    user, wid = ws
    text = " ".join("w%d" % i for i in range(1000))
    d = ok_data(upload(api, user, wid, "long.txt", text.encode(), summarize="TRUE"), 201)
    assert d["was_summarized"] is True
    assert d["memory"]["content"].startswith(text[:2000] + "...")
    assert d["memory"]["content"].endswith(
        "[Content truncated from %d to 2003 characters]" % len(text))
    d = ok_data(upload(api, user, wid, "long.txt", text.encode(), summarize="yes"), 201)
    assert d["was_summarized"] is False and d["memory"]["content"] == text
    d = ok_data(upload(api, user, wid, "short.txt", b"short enough text", summarize="true"), 201)
    assert d["was_summarized"] is False


def test_long_file_names_are_cut_in_the_title(api, ws):
    """Browsers send the file name as raw UTF-8 inside the quotes."""
    user, wid = ws
    name = "\u00e9" * 150 + ".txt"
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
            name.encode() + b"\"\r\nContent-Type: text/plain\r\n\r\nsome file content\r\n--XyZ--\r\n")
    d = ok_data(api.post("/workspaces/%s/memories/import-file" % wid, token=user.token, data=body,
                         headers={"Content-Type": "multipart/form-data; boundary=XyZ"}), 201)
    assert d["memory"]["title"] == "[File] " + "\u00e9" * 100
    assert d["original_filename"] == name


def test_file_name_in_another_encoding(api, ws):
    """A Latin-1 name: its ill-formed bytes become U+FFFD (as Django's
    multipart parser does), not an "out of memory" 500."""
    user, wid = ws
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"caf\xe9 notes.txt\""
            b"\r\nContent-Type: text/plain\r\n\r\nsome file content\r\n--XyZ--\r\n")
    d = ok_data(api.post("/workspaces/%s/memories/import-file" % wid, token=user.token, data=body,
                         headers={"Content-Type": "multipart/form-data; boundary=XyZ"}), 201)
    assert d["original_filename"] == "caf\ufffd notes.txt"
    assert d["memory"]["title"] == "[File] caf\ufffd notes"
    assert d["memory"]["metadata"]["original_filename"] == "caf\ufffd notes.txt"


def test_second_file_part_of_the_same_name_is_not_appended(api, ws):
    """Only the first file part counts, however the second one is cut into
    pieces while parsed (past the parser's 64 KiB buffer, a part is handed
    over in more than one piece)."""
    user, wid = ws
    second = b"SECOND part text " * 8000
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n"
            b"the first file's own text\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n" +
            second + b"\r\n--XyZ--\r\n")
    d = ok_data(api.post("/workspaces/%s/memories/import-file" % wid, token=user.token, data=body,
                         headers={"Content-Type": "multipart/form-data; boundary=XyZ"}), 201)
    assert d["memory"]["content"] == "the first file's own text"
    assert d["memory"]["metadata"]["file_size"] == len(b"the first file's own text")


def test_part_without_a_name(api, ws):
    """A part whose Content-Disposition is missing has no name: it is
    skipped (the parser hands it over with a NULL name, which once crashed
    the server)."""
    user, wid = ws
    path = "/workspaces/%s/memories/import-file" % wid
    nameless = b"--XyZ\r\nContent-Type: text/plain\r\n\r\nno name here\r\n"
    file_part = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"n.txt\"\r\n"
                 b"\r\nthe file that has a name\r\n")
    headers = {"Content-Type": "multipart/form-data; boundary=XyZ"}
    ca.assert_error(api.post(path, token=user.token, data=nameless + b"--XyZ--\r\n",
                             headers=headers), 400, "No file uploaded")
    d = ok_data(api.post(path, token=user.token, data=nameless + file_part + b"--XyZ--\r\n",
                         headers=headers), 201)
    assert d["memory"]["content"] == "the file that has a name"


@pytest.mark.parametrize("name,data,message", [
    ("virus.exe", b"MZ" + b"\0" * 100, UNSUPPORTED),
    ("noext", b"plain text here", UNSUPPORTED),
    ("old.doc", b"\xd0\xcf\x11\xe0 legacy", "Legacy .doc format is not supported. Please convert to .docx"),
    ("tiny.txt", b"  short \n", "Could not extract meaningful content from the file"),
    ("empty.md", b"", "Could not extract meaningful content from the file"),
    ("bad.pdf", b"%PDF-1.4 this is not really a pdf", None),
    ("bad.docx", b"PK\x03\x04 not a zip at all", None),
    ("truncated.docx", fixture("truncated.docx"), None),
    ("bomb.docx", fixture("bomb.docx"), None),
    ("encrypted.pdf", fixture("encrypted.pdf"), None),
])
def test_errors_are_strings_and_store_nothing(api, ws, name, data, message):
    user, wid = ws
    before = count(api, user, wid)
    err = ca.error_of(upload(api, user, wid, name, data), 400)
    if message is None:
        kind = "PDF" if name.endswith(".pdf") else "DOCX"
        assert err.startswith("Failed to parse %s: " % kind), err
    else:
        assert err == message
    assert count(api, user, wid) == before


def test_no_file(api, ws):
    user, wid = ws
    path = "/workspaces/%s/memories/import-file" % wid
    ca.assert_error(api.post(path, token=user.token, data={"summarize": "true"}), 400,
                    "No file uploaded")
    ca.assert_error(upload(api, user, wid, "a.txt", b"hello world text", field="document"), 400,
                    "No file uploaded")
    ca.assert_error(api.post(path, {"file": "x"}, token=user.token), 400, "No file uploaded")


def test_exactly_ten_mib_is_accepted_and_one_byte_more_is_not(api, ws):
    user, wid = ws
    line = b"0123456789abcdef " * 64 + b"\n"
    data = (line * (TEN_MIB // len(line) + 1))[:TEN_MIB]
    d = ok_data(upload(api, user, wid, "big.txt", data, summarize="true"), 201)
    assert d["memory"]["metadata"]["file_size"] == TEN_MIB and d["was_summarized"] is True
    before = count(api, user, wid)
    ca.assert_error(upload(api, user, wid, "big.txt", data + b"x"), 400,
                    "File too large. Maximum size is 10MB")
    assert count(api, user, wid) == before


def test_oversized_upload_is_refused_before_the_body(api, ws):
    """A Content-Length past the cap is answered at once: the client gets
    its 400 without sending a byte of the body."""
    user, wid = ws
    head = ("POST /api/workspaces/%s/memories/import-file HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer %s\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n"
            % (wid, user.token, 50 * 1024 * 1024)).encode()
    s = socket.create_connection(("127.0.0.1", api.port), timeout=5)
    try:
        s.sendall(head)
        status, _, body = ca.read_response(s, timeout=5)
    finally:
        s.close()
    assert status == 400, (status, body[:200])
    assert json.loads(body)["error"] == "File too large. Maximum size is 10MB"


def test_chunked_oversized_upload(api, ws):
    user, wid = ws
    before = count(api, user, wid)
    boundary = b"XyZ"
    chunk = b"a" * (1024 * 1024)
    head = ("POST /api/workspaces/%s/memories/import-file HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer %s\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            % (wid, user.token)).encode()
    part = (b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"big.txt\"\r\n\r\n")
    s = socket.create_connection(("127.0.0.1", api.port), timeout=10)
    try:
        s.sendall(head + b"%x\r\n" % len(part) + part + b"\r\n")
        for _ in range(12):
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        s.sendall(b"0\r\n\r\n")
        status, _, body = ca.read_response(s, timeout=10)
    finally:
        s.close()
    assert status == 400, (status, body[:200])
    assert json.loads(body)["error"] == "File too large. Maximum size is 10MB"
    assert count(api, user, wid) == before


def test_observers_and_strangers(api, ws):
    user, wid = ws
    observer, stranger = User(api), User(api)
    ca.add_member(api, user, wid, observer, role="observer")
    ca.assert_error(upload(api, observer, wid, "a.txt", b"hello world text"), 403,
                    "Observers have read-only access")
    ca.assert_error(upload(api, stranger, wid, "a.txt", b"hello world text"), 403,
                    "Access denied")
