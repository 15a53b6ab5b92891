"""The contract describes itself (issue 13): GET /api/openapi.json is a
valid OpenAPI 3.1 document (checked against the OAS 3.1 meta-schemas kept in
tests/api/openapi-3.1, and every schema in it against JSON Schema 2020-12),
/api/schema still answers it inside the envelope, the response checker that
every test goes through (openapi_check.py) really rejects drift, request
validation enforces what the request shapes declare, and docs/API.md is the
document rendered by scripts/api-doc.py."""
import copy
import importlib.util
import json
import os
import re

import jsonschema
import pytest
import requests

import openapi_check
from chimera_api import REPO, User, create_workspace, ok_data

META = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openapi-3.1")
SCHEMA_BASE = "https://spec.openapis.org/oas/3.1/schema-base/2021-04-15"


@pytest.fixture(scope="module")
def doc(api):
    r = api.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def meta_validator():
    store = {}
    for name in os.listdir(META):
        if name.endswith(".json"):
            with open(os.path.join(META, name)) as f:
                s = json.load(f)
            store[s["$id"]] = s
    base = store[SCHEMA_BASE]
    return jsonschema.Draft202012Validator(
        base, resolver=jsonschema.RefResolver.from_schema(base, store=store))


def schemas_in(node, where="#"):
    """Every JSON Schema the document holds (components and inline)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "schema" and isinstance(v, dict):
                yield where + "/schema", v
            elif isinstance(v, (dict, list)):
                yield from schemas_in(v, where + "/" + str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from schemas_in(v, "%s/%d" % (where, i))


def test_openapi_json_is_raw_and_valid_openapi_3_1(doc):
    assert "ok" not in doc and doc["openapi"].startswith("3.1.")
    errors = list(meta_validator().iter_errors(doc))
    assert not errors, [(list(e.absolute_path), e.message[:300]) for e in errors[:5]]
    found = list(schemas_in(doc["paths"])) + [
        ("#/components/schemas/" + n, s) for n, s in doc["components"]["schemas"].items()]
    assert len(found) > 300
    for where, s in found:
        try:
            jsonschema.Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            pytest.fail("%s: %s" % (where, e.message))


def test_meta_schema_rejects_a_broken_document(doc):
    bad = copy.deepcopy(doc)
    del bad["info"]
    assert list(meta_validator().iter_errors(bad))
    bad = copy.deepcopy(doc)
    bad["paths"]["/api/health"]["get"]["responses"] = []
    assert list(meta_validator().iter_errors(bad))


def test_document_names_security_tags_and_operations(doc):
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert doc["servers"] and doc["tags"]
    tag_names = {t["name"] for t in doc["tags"]}
    ids = set()
    ops = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            ops += 1
            assert op["operationId"] not in ids
            ids.add(op["operationId"])
            assert set(op["tags"]) <= tag_names
            assert "500" in op["responses"]
    assert ops >= 72 and len(doc["paths"]) >= 59
    for name in doc["components"]["schemas"]:
        assert re.match(r"^[a-zA-Z0-9._-]+$", name), name
    # the multipart upload and the raw export are described as what they are
    upload = doc["paths"]["/api/workspaces/{wid}/memories/import-file"]["post"]["requestBody"]
    assert list(upload["content"]) == ["multipart/form-data"]
    export = doc["paths"]["/api/export"]["get"]["responses"]["200"]
    assert export["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ExportFile"}
    assert "Content-Disposition" in export["headers"]
    send = doc["paths"]["/api/conversations/{cid}/messages"]["post"]["responses"]
    assert list(send["201"]["content"]) == ["application/json"]
    assert list(send["200"]["content"]) == ["text/event-stream"]   # Accept: text/event-stream


def test_schema_keeps_the_envelope(api, doc):
    assert ok_data(api.get("/schema")) == doc


def fake_response(status, body, ctype="application/json", headers=None):
    r = requests.Response()
    r.status_code = status
    r._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    r.headers.update(headers or {})
    r.headers["Content-Type"] = ctype
    return r


def test_checker_rejects_drift(api):
    user = User(api)
    r = api.get("/auth/profile", token=user.token)
    good = r.json()
    cache = {k: r.headers[k] for k in ("ETag", "Cache-Control")}
    c = openapi_check.contract(api.base)
    c.check("GET", "/api/auth/profile", fake_response(200, good, headers=cache))

    def rejected(status, body, path="/api/auth/profile", method="GET", headers=cache, **kw):
        with pytest.raises(AssertionError):
            c.check(method, path, fake_response(status, body, headers=headers, **kw))

    extra = copy.deepcopy(good)
    extra["data"]["nickname"] = "x"
    rejected(200, extra)                                    # an undeclared field
    wrong = copy.deepcopy(good)
    wrong["data"]["createdAt"] = 5
    rejected(200, wrong)                                    # a wrong type
    missing = copy.deepcopy(good)
    del missing["data"]["email"]
    rejected(200, missing)                                  # a missing field
    zoneless = copy.deepcopy(good)
    zoneless["data"]["createdAt"] = "2026-12-05T06:18:00"
    rejected(200, zoneless)                                 # a timestamp without a zone
    rejected(418, good)                                     # an undeclared status
    rejected(200, {"ok": True, "data": good["data"]})        # no error key
    rejected(200, good, ctype="text/html")                  # an undeclared media type
    rejected(404, {"ok": False, "data": None, "error": 5})  # an error that is no message
    rejected(200, good, path="/api/no-such-path")           # unknown paths answer 404
    rejected(200, good, method="PATCH")                     # unknown methods answer 405
    rejected(200, good, headers={"Cache-Control": "private, no-cache"})  # a GET without ETag
    rejected(200, good, headers={"ETag": "W/\"weak\"", "Cache-Control": "private, no-cache"})
    c.check("GET", "/api/auth/profile", fake_response(304, b""))   # conditional GETs
    rejected(304, good)


def too_long(s):
    return "x" * (s["maxLength"] + 1)


def bad_values(schema):
    """(value, why) a field's declaration refuses."""
    if "enum" in schema:
        yield "not-a-choice", "enum"
    if "maxLength" in schema:
        yield too_long(schema), "maxLength"
    if schema.get("type") == "integer" and "maximum" in schema:
        yield schema["maximum"] + 1, "maximum"
    if schema.get("type") == "integer" and "minimum" in schema:
        yield schema["minimum"] - 1, "minimum"


def test_request_validation_enforces_the_declarations(api, doc):
    """Per JSON request shape: {} names every required field, and a value
    outside a field's declared bounds or choices answers 400 (as a field
    error naming it where the route answers field errors)."""
    user = User(api)
    ws = create_workspace(api, user)
    conv = ok_data(api.post("/workspaces/%s/conversations" % ws["id"], {"modelId": "model-echo"},
                            token=user.token), 201)
    mem = ok_data(api.post("/workspaces/%s/memories" % ws["id"],
                           {"title": "T", "content": "C"}, token=user.token), 201)
    msg = ok_data(api.post("/conversations/%s/messages" % conv["id"],
                           {"content": "hi", "getAiResponse": False}, token=user.token), 201)
    ids = {"wid": ws["id"], "cid": conv["id"], "memId": mem["id"],
           "mid": msg["userMessage"]["id"], "userId": user.id}
    schemas = doc["components"]["schemas"]
    checked = 0
    for path, item in doc["paths"].items():
        names = re.findall(r"\{(\w+)\}", path)
        if any(n not in ids for n in names):
            continue        # integrations and invitations of no one here
        url = path[len("/api"):]
        for n in names:
            url = url.replace("{%s}" % n, ids[n])
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            shape = body["schema"]["$ref"].rsplit("/", 1)[1]
            s = schemas[shape]
            required = s.get("required", [])
            if required:
                r = api.request(method.upper(), url, {}, token=user.token)
                assert r.status_code == 400, (method, path, r.status_code, r.text[:300])
                err = r.json()["error"]
                if isinstance(err, dict):
                    assert set(required) <= set(err), (shape, required, err)
                checked += 1
            for field, fs in s["properties"].items():
                for value, why in bad_values(fs):
                    r = api.request(method.upper(), url, {field: value}, token=user.token)
                    assert r.status_code == 400, (method, path, field, why, r.status_code,
                                                  r.text[:300])
                    err = r.json()["error"]
                    if isinstance(err, dict):
                        assert field in err, (shape, field, why, err)
                    checked += 1
    assert checked >= 40, checked


def load_renderer():
    spec = importlib.util.spec_from_file_location(
        "api_doc", os.path.join(REPO, "scripts", "api-doc.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_api_md_is_current(doc):
    with open(os.path.join(REPO, "docs", "API.md")) as f:
        committed = f.read()
    assert committed == load_renderer().render(doc), \
        "docs/API.md is out of date with the declarations: run `make api-doc`"
