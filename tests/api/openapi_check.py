"""Checks every answer the suite receives against the server's own OpenAPI
document (GET /api/openapi.json, built from src/api/schemas.def and
operations.def): the status must be declared for the operation, the
Content-Type must be one the operation declares for that status, the JSON
body must validate against the declared schema (unknown fields, wrong types,
missing fields fail), declared headers must be present when required and
well-formed when present. Paths that match no route must answer the declared
404, known paths with another method the declared 405.

chimera_api.Api calls check() for every response; VALIDATED counts them
(reported at the end of the run by conftest.py)."""
import json
import re
import threading

import jsonschema
import requests

VALIDATED = {"responses": 0}
SEEN = set()            # (METHOD, pattern) of the operations answers were checked for
_LOCK = threading.Lock()
_DOC = {}

# Formats the suite insists on (jsonschema alone does not check date-time
# without an optional package): API.md §1.6, §1.7.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time")
def _is_date_time(v):
    return not isinstance(v, str) or bool(_DATE_TIME.match(v))


@FORMATS.checks("uuid")
def _is_uuid(v):
    return not isinstance(v, str) or bool(_UUID.match(v))


@FORMATS.checks("email")
def _is_email(v):
    return not isinstance(v, str) or ("@" in v and " " not in v)


class Contract:
    """The document of one server binary, ready to check answers."""

    def __init__(self, doc):
        self.doc = doc
        self.resolver = jsonschema.RefResolver.from_schema(doc)
        routes = []
        for pattern, item in doc["paths"].items():
            rx = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(pattern)) + "$")
            routes.append((pattern.count("{"), pattern, rx, item))
        # a literal twin wins over a parameterised one (…/search before …/{memId})
        self.routes = sorted(routes, key=lambda r: r[0])

    def deref(self, obj):
        while isinstance(obj, dict) and "$ref" in obj:
            _, obj = self.resolver.resolve(obj["$ref"])
        return obj

    def find(self, path):
        for _, pattern, rx, item in self.routes:
            if rx.match(path):
                return pattern, item
        return None, None

    def validate(self, schema, value, where):
        v = jsonschema.Draft202012Validator(schema, resolver=self.resolver,
                                            format_checker=FORMATS)
        errors = sorted(v.iter_errors(value), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            raise AssertionError("%s: %s at %s (%d schema errors)\nbody: %s"
                                 % (where, e.message[:400], "/".join(map(str, e.absolute_path)),
                                    len(errors), json.dumps(value)[:1500]))

    def response_for(self, method, path, status):
        """(where, response object) the answer must satisfy."""
        pattern, item = self.find(path)
        if item is None:
            return "%s %s (no route)" % (method, path), self.deref(self.doc["x-unmatched"]["path"]), 404
        op = item.get(method.lower())
        if op is None:
            return ("%s %s (no such method)" % (method, pattern),
                    self.deref(self.doc["x-unmatched"]["method"]), 405)
        where = "%s %s -> %d" % (method, pattern, status)
        resp = op["responses"].get(str(status))
        if resp is None:
            raise AssertionError("%s: status %d is not declared (declared: %s)"
                                 % (where, status, ", ".join(sorted(op["responses"]))))
        return where, self.deref(resp), status

    def check(self, method, path, r, body_read=True):
        where, resp, want = self.response_for(method, path, r.status_code)
        pattern, item = self.find(path)
        if item is not None and method.lower() in item:
            with _LOCK:
                SEEN.add((method, pattern))
        if r.status_code != want:
            raise AssertionError("%s: answered %d, the document says %d"
                                 % (where, r.status_code, want))
        for name, h in (resp.get("headers") or {}).items():
            h = self.deref(h)
            value = r.headers.get(name)
            if value is None:
                assert not h.get("required"), "%s: header %s missing" % (where, name)
                continue
            schema = h.get("schema", {})
            if schema.get("type") == "integer":
                assert value.isdigit(), "%s: header %s=%r" % (where, name, value)
            else:
                self.validate(schema, value, "%s header %s" % (where, name))
        content = resp.get("content")
        if not content:
            assert not r.content, "%s: a body where none is declared: %r" % (where, r.content[:200])
            return
        ctype = (r.headers.get("Content-Type") or "").split(";")[0].strip()
        assert ctype in content, ("%s: Content-Type %r not declared (%s)"
                                  % (where, ctype, ", ".join(content)))
        if not body_read or ctype == "text/event-stream" or method == "HEAD":
            return
        schema = content[ctype].get("schema", {})
        if ctype == "application/json":
            try:
                body = r.json()
            except ValueError:
                raise AssertionError("%s: body is not JSON: %r" % (where, r.text[:300]))
        else:
            body = r.text
        self.validate(schema, body, where)


def operations():
    """Every (METHOD, pattern) of the document (none before it was fetched)."""
    c = _DOC.get("c")
    return {(m.upper(), p) for p, item in c.doc["paths"].items() for m in item} if c else set()


def contract(base):
    """The Contract of the server at base (fetched once per binary)."""
    with _LOCK:
        if "c" not in _DOC:
            r = requests.get(base + "/api/openapi.json", timeout=15)
            assert r.status_code == 200, (r.status_code, r.text[:300])
            _DOC["c"] = Contract(r.json())
        return _DOC["c"]


def check(base, method, url_path, r, body_read=True):
    """Validates r (the answer to method url_path, a path under /api with an
    optional query) against the document; counts it."""
    path = url_path.split("?", 1)[0]
    if len(path) > 5 and path.endswith("/"):
        path = path[:-1]        # the router forgives one trailing slash (API.md §1.1)
    method = method.upper()
    if not path.startswith("/api/") or method == "OPTIONS":
        return
    contract(base).check(method, path, r, body_read)
    with _LOCK:
        VALIDATED["responses"] += 1
