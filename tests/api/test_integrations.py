"""Integrations and the model catalogue (API.md §3.5, §4, §5.7 endpoints
47-53, §6.1, §6.5, §12, §0 D7 and D9): create runs the live connection test
against the fake provider, keys are Fernet-encrypted at rest (decrypted here
with the server's ENCRYPTION_KEY), masked in every answer and never found in
a response, the server log or the export; another user's integration is
404; the catalogue lists one model per connected integration plus the echo
model in development mode only."""
import base64
import json
import time

import pytest

import chimera_api as ca
from chat_helpers import (  # noqa: F401  (chat, fake: fixtures)
    CATALOGUE, INT_ID_RE, MODEL_KEYS, PROVIDERS, assert_no_key, chat, check_integration,
    create_integration, display_name, fake, fernet_decrypt, fernet_parts, mask, new_key,
    python_title, stored_key, ts_within,
)
from chimera_api import Api, assert_error, error_of, ok_data

NOT_FOUND = "Integration not found"


@pytest.fixture(scope="module")
def api(chat):
    return chat.api


def integrations(api, user):
    d = ok_data(api.get("/integrations", token=user.token))
    assert set(d) == {"integrations", "total"}, d
    assert d["total"] == len(d["integrations"])
    for i in d["integrations"]:
        check_integration(i)
    return d["integrations"]


def models(api, user):
    d = ok_data(api.get("/models/available", token=user.token))
    assert set(d) == {"models", "total"} and d["total"] == len(d["models"]), d
    return d["models"]


def assert_stored_encrypted(chat, iid, key):
    token = stored_key(chat.db, iid)
    assert token != key and key not in token
    fernet_parts(token)
    plain = fernet_decrypt(token, chat.fernet_key)
    if plain is not None:
        assert plain == key.strip().encode("utf-8")
    return token


# ------------------------------------------------------------------ create and the live test (§6.5)

# provider → (method, path, query key or None, auth header)
TEST_CALL = {
    "openai": ("GET", "/v1/models"),
    "anthropic": ("POST", "/v1/messages"),
    "google": ("GET", "/v1beta/models"),
    "deepseek": ("GET", "/models"),
    "groq": ("GET", "/openai/v1/models"),
}


def check_test_call(call, provider, key):
    method, path = TEST_CALL[provider]
    assert (call["method"], call["path"]) == (method, path), call
    h = {k.lower(): v for k, v in call["headers"].items()}
    if provider == "google":
        assert call["query"] == {"key": key}, call
        assert "authorization" not in h and "x-api-key" not in h, h
    elif provider == "anthropic":
        assert h.get("x-api-key") == key, h
        assert h.get("anthropic-version") == "2023-06-01", h
        assert "authorization" not in h, h
        assert call["query"] == {}
        body = call["body"]
        assert body["model"] == "claude-3-haiku-20240307", body
        assert body["max_tokens"] == 1, body
        assert body["messages"] == [{"role": "user", "content": "test"}], body
    else:
        assert h.get("authorization") == "Bearer " + key, h
        assert call["query"] == {}
        assert "x-api-key" not in h


@pytest.mark.parametrize("provider", PROVIDERS)
def test_create_connected(chat, api, fake, provider):
    u = chat.user()
    key = new_key("sk-%s-" % provider)
    t0 = time.time()
    i = create_integration(api, u, provider, key)
    t1 = time.time()
    assert INT_ID_RE.match(i["id"])
    assert i["provider"] == provider and i["userId"] == u.id
    assert i["status"] == "connected" and i["errorMessage"] is None
    assert i["modelId"] is None and i["modelName"] is None
    assert i["apiKey"] == key[:3] + "..." + key[-3:]
    ts_within(i["lastTested"], t0, t1)
    ts_within(i["createdAt"], t0, t1)
    calls = fake.requests()
    assert len(calls) == 1, calls
    check_test_call(calls[0], provider, key)
    assert_stored_encrypted(chat, i["id"], key)
    assert integrations(api, u) == [i]
    assert ok_data(api.get("/integrations/" + i["id"], token=u.token)) == i


# (fake mode, status override) → errorMessage per provider (§6.5)
FAILURES = [
    ("unauthorized", None, {p: "Invalid API key" for p in PROVIDERS}),
    ("error500", None, {p: "API returned status 500" for p in PROVIDERS}),
    ("ratelimit", None, {p: "API returned status 429" for p in PROVIDERS}),
    ("error500", 403, {p: "API returned status 403" for p in PROVIDERS}),
    ("error500", 402, {p: None if p == "deepseek" else "API returned status 402"
                       for p in PROVIDERS}),
    ("drop", None, {p: "Connection error - unable to reach API" for p in PROVIDERS}),
    # only the status counts: a 200 with a body that is not JSON is a success
    ("malformed", None, {p: None for p in PROVIDERS}),
]


@pytest.mark.parametrize("mode,status,expected", FAILURES,
                         ids=["%s-%s" % (m, s) for m, s, _ in FAILURES])
def test_create_runs_live_test(chat, api, fake, mode, status, expected):
    fake.config(mode, status=status)
    for provider in PROVIDERS:
        u = chat.user()
        key = new_key()
        t0 = time.time()
        i = create_integration(api, u, provider, key)      # 201 even when the test fails
        t1 = time.time()
        want = expected[provider]
        if want is None:
            assert (i["status"], i["errorMessage"]) == ("connected", None), (provider, i)
        else:
            assert (i["status"], i["errorMessage"]) == ("error", want), (provider, i)
        ts_within(i["lastTested"], t0, t1)
        assert_stored_encrypted(chat, i["id"], key)


def test_google_invalid_key_is_400(chat, api, fake):
    # Google answers 400 for a bad key (the fake does too): "Invalid API key"
    fake.config("unauthorized")
    u = chat.user()
    i = create_integration(api, u, "google")
    assert (i["status"], i["errorMessage"]) == ("error", "Invalid API key")
    fake.config("error500", status=401)
    u = chat.user()
    i = create_integration(api, u, "google")
    assert (i["status"], i["errorMessage"]) == ("error", "API returned status 401")


def test_google_key_is_url_encoded(chat, api, fake):
    u = chat.user()
    key = "gk-&key=evil #frag?x=1%20+/" + new_key("")
    i = create_integration(api, u, "google", key)
    assert i["status"] == "connected"
    call = fake.requests()[-1]
    assert call["path"] == "/v1beta/models" and call["query"] == {"key": key}, call


def test_create_with_model_fields_and_trimmed_key(chat, api, fake):
    u = chat.user()
    core = new_key()
    i = create_integration(api, u, "groq", "  " + core + "\t ", modelId="llama-3.1-8b-instant",
                           modelName="Llama Fast")
    assert i["apiKey"] == mask(core)
    assert (i["modelId"], i["modelName"]) == ("llama-3.1-8b-instant", "Llama Fast")
    check_test_call(fake.requests()[-1], "groq", core)
    assert_stored_encrypted(chat, i["id"], core)
    u2 = chat.user()
    i2 = create_integration(api, u2, "openai", modelId=None, modelName="")
    assert i2["modelId"] is None and i2["modelName"] in (None, "")


REQUIRED = "This field is required."


@pytest.mark.parametrize("body,errors", [
    ({}, {"provider": [REQUIRED], "apiKey": [REQUIRED]}),
    ({"provider": "openai"}, {"apiKey": [REQUIRED]}),
    ({"apiKey": "k" * 20}, {"provider": [REQUIRED]}),
    ({"provider": "mistral", "apiKey": "k" * 20}, {"provider": ['"mistral" is not a valid choice.']}),
    ({"provider": "OpenAI", "apiKey": "k" * 20}, {"provider": ['"OpenAI" is not a valid choice.']}),
    ({"provider": "echo", "apiKey": "k" * 20}, {"provider": ['"echo" is not a valid choice.']}),
    ({"provider": "openai", "apiKey": "k" * 9},
     {"apiKey": ["Ensure this field has at least 10 characters."]}),
    ({"provider": "openai", "apiKey": "  " + "k" * 9 + "  "},
     {"apiKey": ["Ensure this field has at least 10 characters."]}),
    ({"provider": "openai", "apiKey": "k" * 501},
     {"apiKey": ["Ensure this field has no more than 500 characters."]}),
    ({"provider": "openai", "apiKey": ""}, {"apiKey": ["This field may not be blank."]}),
    ({"provider": "openai", "apiKey": None}, {"apiKey": ["This field may not be null."]}),
    ({"provider": "openai", "apiKey": "k" * 20, "modelId": "m" * 101},
     {"modelId": ["Ensure this field has no more than 100 characters."]}),
    ({"provider": "openai", "apiKey": "k" * 20, "modelName": "m" * 101},
     {"modelName": ["Ensure this field has no more than 100 characters."]}),
])
def test_create_validation(chat, api, fake, body, errors):
    u = chat.user()
    assert error_of(api.post("/integrations", body, token=u.token), 400) == errors
    assert integrations(api, u) == []
    assert fake.requests() == [], "no live test for an invalid body"


def test_key_length_limits_are_inclusive(chat, api, fake):
    u = chat.user()
    for provider, key in (("openai", "k" * 10), ("groq", "g" * 500)):
        i = create_integration(api, u, provider, key)
        assert i["apiKey"] == key[:3] + "..." + key[-3:]


def test_duplicate_provider(chat, api, fake):
    u = chat.user()
    first = create_integration(api, u, "anthropic")
    fake.reset()
    r = api.post("/integrations", {"provider": "anthropic", "apiKey": new_key()}, token=u.token)
    assert_error(r, 400, "Integration already exists for this provider")
    assert fake.requests() == [], "the duplicate is refused before any live test"
    assert integrations(api, u) == [first]
    # another provider, and the same provider for another user, are fine
    create_integration(api, u, "openai")
    create_integration(api, chat.user(), "anthropic")
    assert [i["provider"] for i in integrations(api, u)] == ["anthropic", "openai"]


# ------------------------------------------------------------------ list / get / update / delete

def test_list_is_own_rows_in_creation_order(chat, api, fake):
    a, b = chat.user(), chat.user()
    order = ["groq", "openai", "google", "deepseek", "anthropic"]
    made = [create_integration(api, a, p) for p in order]
    other = create_integration(api, b, "openai")
    got = integrations(api, a)
    assert got == made
    assert [i["provider"] for i in got] == order
    assert integrations(api, b) == [other]


def test_other_users_integration_is_404(chat, api, fake):
    a, b = chat.user(), chat.user()
    i = create_integration(api, a, "openai")
    fake.reset()
    for method, suffix, body in (("GET", "", None), ("PUT", "", {"modelName": "x"}),
                                 ("PUT", "", {"apiKey": new_key()}), ("DELETE", "", None),
                                 ("POST", "/test", None)):
        for iid in (i["id"], "int-000000000000"):
            r = api.request(method, "/integrations/" + iid + suffix,
                            json_body=body if body is not None else {}, token=b.token)
            assert_error(r, 404, NOT_FOUND)
    assert fake.requests() == []
    assert integrations(api, a) == [i]
    assert ok_data(api.get("/integrations/" + i["id"], token=a.token)) == i
    # no token
    assert error_of(api.get("/integrations"), 401) == "Authentication credentials were not provided."


def test_update_model_fields_only_runs_no_test(chat, api, fake):
    u = chat.user()
    key = new_key()
    i = create_integration(api, u, "openai", key)
    fake.reset()
    got = check_integration(ok_data(api.put("/integrations/" + i["id"],
                                            {"modelId": "gpt-4-turbo", "modelName": "Turbo"},
                                            token=u.token)), key)
    assert (got["modelId"], got["modelName"]) == ("gpt-4-turbo", "Turbo")
    assert got["lastTested"] == i["lastTested"] and got["status"] == "connected"
    assert fake.requests() == []
    assert_stored_encrypted(chat, i["id"], key)
    # an empty body changes nothing
    same = ok_data(api.put("/integrations/" + i["id"], {}, token=u.token))
    assert same == got


def test_update_key_reruns_test_and_reencrypts(chat, api, fake):
    u = chat.user()
    old = new_key("sk-old-")
    i = create_integration(api, u, "deepseek", old)
    old_token = stored_key(chat.db, i["id"])
    new = new_key("sk-new-")
    fake.reset()
    fake.config("unauthorized")
    t0 = time.time()
    got = check_integration(ok_data(api.put("/integrations/" + i["id"], {"apiKey": new},
                                            token=u.token)), new)
    t1 = time.time()
    assert (got["status"], got["errorMessage"]) == ("error", "Invalid API key")
    ts_within(got["lastTested"], t0, t1)
    check_test_call(fake.requests()[-1], "deepseek", new)
    assert stored_key(chat.db, i["id"]) != old_token
    assert_stored_encrypted(chat, i["id"], new)
    fake.config("ok")
    got = ok_data(api.put("/integrations/" + i["id"], {"apiKey": new + "x"}, token=u.token))
    assert (got["status"], got["errorMessage"]) == ("connected", None)
    assert got["apiKey"] == mask(new + "x")
    # the length rule applies on update too (API.md §5.7 50: "C should apply 10-500")
    for bad, msg in (("short", "Ensure this field has at least 10 characters."),
                     ("k" * 501, "Ensure this field has no more than 500 characters.")):
        assert error_of(api.put("/integrations/" + i["id"], {"apiKey": bad}, token=u.token),
                        400) == {"apiKey": [msg]}
    assert ok_data(api.get("/integrations/" + i["id"], token=u.token)) == got


def test_delete(chat, api, fake):
    u = chat.user()
    i = create_integration(api, u, "google")
    other = create_integration(api, u, "openai")
    d = ok_data(api.delete("/integrations/" + i["id"], token=u.token))
    assert d == {"message": "Integration deleted successfully"}
    assert_error(api.get("/integrations/" + i["id"], token=u.token), 404, NOT_FOUND)
    assert_error(api.delete("/integrations/" + i["id"], token=u.token), 404, NOT_FOUND)
    assert integrations(api, u) == [other]
    assert chat.db.scalar("SELECT COUNT(*) FROM integrations WHERE id = %s"
                          % chat.db.lit(i["id"])) == 0
    # the provider can be connected again
    again = create_integration(api, u, "google")
    assert again["id"] != i["id"]


# ------------------------------------------------------------------ test endpoint

def test_test_endpoint(chat, api, fake):
    u = chat.user()
    key = new_key()
    i = create_integration(api, u, "anthropic", key)
    for mode, success, message in (("unauthorized", False, "Invalid API key"),
                                   ("error500", False, "API returned status 500"),
                                   ("ok", True, "Connection test successful"),
                                   ("drop", False, "Connection error - unable to reach API"),
                                   ("ok", True, "Connection test successful")):
        fake.reset()
        fake.config(mode)
        t0 = time.time()
        d = ok_data(api.post("/integrations/%s/test" % i["id"], token=u.token))
        t1 = time.time()
        assert set(d) == {"integration", "message", "success"}, d
        assert d["success"] is success and d["message"] == message, d
        got = check_integration(d["integration"], key)
        assert got["status"] == ("connected" if success else "error")
        assert got["errorMessage"] == (None if success else message)
        ts_within(got["lastTested"], t0, t1)
        check_test_call(fake.requests()[-1], "anthropic", key)
        assert ok_data(api.get("/integrations/" + i["id"], token=u.token)) == got
    assert_stored_encrypted(chat, i["id"], key)


def test_undecryptable_key(chat, api, fake):
    u = chat.user()
    i = create_integration(api, u, "openai")
    # a well-formed Fernet token made with another key
    raw = bytes([0x80]) + int(time.time()).to_bytes(8, "big") + bytes(16 + 16 + 32)
    foreign = base64.urlsafe_b64encode(raw).decode()
    chat.db.execute("UPDATE integrations SET api_key = %s WHERE id = %s"
                    % (chat.db.lit(foreign), chat.db.lit(i["id"])))
    got = ok_data(api.get("/integrations/" + i["id"], token=u.token))
    assert got["apiKey"] == "***"
    fake.reset()
    t0 = time.time()
    assert_error(api.post("/integrations/%s/test" % i["id"], token=u.token), 400,
                 "Failed to decrypt API key")
    assert fake.requests() == []
    got = check_integration(ok_data(api.get("/integrations/" + i["id"], token=u.token)))
    assert (got["status"], got["errorMessage"], got["apiKey"]) == (
        "error", "Failed to decrypt API key", "***")
    ts_within(got["lastTested"], t0, time.time())
    assert models(api, u) == [m for m in models(api, u) if m["provider"] == "echo"]


# ------------------------------------------------------------------ catalogue (§6.1, D7)

def check_model(m, provider, name, display):
    assert set(m) == MODEL_KEYS, m
    _, region, pos = CATALOGUE[provider]
    assert m["id"] == "model-" + name and m["name"] == name, m
    assert m["provider"] == provider and m["status"] == "connected", m
    assert m["displayName"] == display, m
    assert m["brainRegion"] == region, m
    assert set(m["position"]) == {"x", "y", "z"}, m
    for axis, want in zip("xyz", pos):
        assert abs(m["position"][axis] - want) < 1e-6, (axis, m["position"], pos)


def test_display_name_reference():
    assert display_name("gpt-4o") == "Gpt 4O"
    assert display_name("llama-3.3-70b-versatile") == "Llama 3.3 70B Versatile"
    assert python_title("claude 3.5 sonnet") == "Claude 3.5 Sonnet"
    assert display_name("mixtral-8x7b-32768") == "Mixtral 8X7B 32768"
    for s in ("gpt-4o", "o1-mini", "a_b", "x's", "gemma2-9b-it"):
        assert python_title(s.replace("-", " ")) == s.replace("-", " ").title()


def test_available_models(chat, api, fake):
    u = chat.user()
    assert [m["id"] for m in models(api, u)] == ["model-echo"]
    order = ["anthropic", "groq", "openai", "deepseek", "google"]
    for p in order:
        create_integration(api, u, p)
    got = models(api, u)
    echo = [m for m in got if m["provider"] == "echo"]
    real = [m for m in got if m["provider"] != "echo"]
    assert len(echo) == 1
    check_model(echo[0], "echo", "echo", "Echo (offline)")
    assert [m["provider"] for m in real] == order
    for m in real:
        name = CATALOGUE[m["provider"]][0]
        check_model(m, m["provider"], name, display_name(name))
    assert {m["displayName"] for m in real} == {"Gpt 4O", "Claude 3.5 Sonnet", "Gemini 2.0 Flash",
                                                "Deepseek Chat", "Llama 3.3 70B Versatile"}
    # another user sees none of them
    assert [m["id"] for m in models(api, chat.user())] == ["model-echo"]


def test_available_models_custom_names_and_errors(chat, api, fake):
    u = chat.user()
    create_integration(api, u, "groq", modelId="mixtral-8x7b-32768")
    create_integration(api, u, "openai", modelId="gpt-4-turbo", modelName="My GPT")
    create_integration(api, u, "deepseek", modelId="", modelName="")
    fake.config("unauthorized")
    create_integration(api, u, "anthropic")           # status error: not listed
    fake.config("ok")
    real = [m for m in models(api, u) if m["provider"] != "echo"]
    assert len(real) == 3, real
    check_model(real[0], "groq", "mixtral-8x7b-32768", "Mixtral 8X7B 32768")
    check_model(real[1], "openai", "gpt-4-turbo", "My GPT")
    check_model(real[2], "deepseek", "deepseek-chat", "Deepseek Chat")
    # a failed re-test removes a model; a successful one brings it back
    gid = [i for i in integrations(api, u) if i["provider"] == "groq"][0]["id"]
    fake.config("unauthorized")
    ok_data(api.post("/integrations/%s/test" % gid, token=u.token))
    assert "groq" not in [m["provider"] for m in models(api, u)]
    fake.config("ok")
    ok_data(api.post("/integrations/%s/test" % gid, token=u.token))
    assert [m["provider"] for m in models(api, u) if m["provider"] != "echo"] == [
        "groq", "openai", "deepseek"]


@pytest.mark.parametrize("echo_env,listed", [({}, False), ({"CHIMERA_ECHO_MODEL": "1"}, True)])
def test_production_mode_lists_echo_only_on_request(chat, fake, echo_env, listed):
    s = chat.start_server(name="prod", DEBUG="false", **echo_env)
    try:
        api = Api(s)
        u = ca.User(api)
        create_integration(api, u, "openai")
        ids = [m["id"] for m in models(api, u)]
        assert sorted(ids) == sorted(["model-gpt-4o"] + (["model-echo"] if listed else [])), ids
        # an unknown model id still routes to echo (§6.2), listed or not
        wid = ca.create_workspace(api, u)["id"]
        c = ok_data(api.post("/workspaces/%s/conversations" % wid, {"modelId": "model-echo"},
                             token=u.token), 201)
        d = ok_data(api.post("/conversations/%s/messages" % c["id"], {"content": "hi"},
                             token=u.token), 201)
        assert d["assistantMessage"]["metadata"]["provider"] == "echo"
    finally:
        s.stop()


# ------------------------------------------------------------------ the key never leaves (§12)

def test_key_never_in_responses_log_or_export(chat, api, fake):
    u = chat.user()
    keys = {p: new_key("sk-secret-%s-" % p) for p in PROVIDERS}
    texts = []
    for p, k in keys.items():
        r = api.post("/integrations", {"provider": p, "apiKey": k}, token=u.token)
        texts.append(r.text)
        check_integration(ok_data(r, 201), k)
    ids = {i["provider"]: i["id"] for i in integrations(api, u)}
    for p, iid in ids.items():
        texts.append(api.get("/integrations", token=u.token).text)
        texts.append(api.get("/integrations/" + iid, token=u.token).text)
        texts.append(api.post("/integrations/%s/test" % iid, token=u.token).text)
        texts.append(api.put("/integrations/" + iid, {"modelName": "N"}, token=u.token).text)
    texts.append(api.get("/models/available", token=u.token).text)
    # chat through every provider, and a failing one
    wid = ca.create_workspace(api, u)["id"]
    from chat_helpers import MODEL_FOR
    for p in PROVIDERS:
        c = ok_data(api.post("/workspaces/%s/conversations" % wid, {"modelId": MODEL_FOR[p][0]},
                             token=u.token), 201)
        texts.append(api.post("/conversations/%s/messages" % c["id"], {"content": "hi"},
                              token=u.token).text)
        fake.config("unauthorized")
        texts.append(api.post("/conversations/%s/messages" % c["id"], {"content": "hi"},
                              token=u.token).text)
        fake.config("ok")
    # a key replaced by update
    upd = new_key("sk-updated-")
    texts.append(api.put("/integrations/" + ids["openai"], {"apiKey": upd}, token=u.token).text)
    r = api.get("/export", token=u.token)
    assert r.status_code == 200, r.text[:500]
    texts.append(r.text)
    doc = r.json()
    assert len(doc["integrations"]) == 5
    for i in doc["integrations"]:
        assert set(i) == {"id", "provider", "status", "lastTested", "createdAt"}, i
    log = chat.server.read_log()
    for k in list(keys.values()) + [upd]:
        for t in texts:
            assert k not in t and json.dumps(k)[1:-1] not in t
        assert k not in log, "plain key in the server log"
        assert k[3:-3] not in log
    # nor any encrypted form
    for iid in ids.values():
        token = stored_key(chat.db, iid)
        assert all(token not in t for t in texts)
        assert token not in log


def test_keys_encrypted_with_fresh_iv(chat, api, fake):
    a, b = chat.user(), chat.user()
    key = new_key()
    ia = create_integration(api, a, "openai", key)
    ib = create_integration(api, b, "openai", key)
    ta, tb = stored_key(chat.db, ia["id"]), stored_key(chat.db, ib["id"])
    assert ta != tb, "same key, same ciphertext: the IV is not random"
    assert fernet_parts(ta)[2] != fernet_parts(tb)[2]
    for t in (ta, tb):
        plain = fernet_decrypt(t, chat.fernet_key)
        assert plain is None or plain == key.encode()
    assert_no_key(ia, key)


def test_mask_counts_characters_not_bytes(chat, api, fake):
    for key in ("ab€cdefghijk", "abcdefghij€xy", "ééééééééééééé", "aaaaaaaaaaaé"):
        u = chat.user()
        r = api.post("/integrations", {"provider": "openai", "apiKey": key}, token=u.token)
        d = ok_data(r, 201)
        assert d.get("apiKey") == mask(key), (key, d)
        assert [i.get("apiKey") for i in ok_data(api.get("/integrations", token=u.token))[
            "integrations"]] == [mask(key)]


def test_key_with_line_break_is_not_a_500(chat, api, fake):
    u = chat.user()
    r = api.post("/integrations", {"provider": "openai", "apiKey": "sk-abc\r\nX-Injected: 1"},
                 token=u.token)
    assert r.status_code in (201, 400), (r.status_code, r.text)
    for call in fake.requests():
        assert "X-Injected" not in call["headers"]
