"""Races on the auth endpoints: the rules hold under concurrent requests
(rotation revokes exactly once, emails stay unique) and nothing answers 500."""
import threading
from concurrent.futures import ThreadPoolExecutor

from chimera_api import envelope, error_of, new_password, note_tokens, ok_data, register, unique_email

N = 8


def run_together(fn, n=N):
    """Calls fn(i) for i in range(n) from n threads released at the same moment."""
    barrier = threading.Barrier(n)

    def go(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as ex:
        return list(ex.map(go, range(n)))


def test_concurrent_refresh_rotates_once(api):
    """D4: the refresh token is revoked by the first use; a replay race must not
    mint several token pairs from one refresh token."""
    _, refresh, user = register(api)
    results = run_together(lambda i: api.post("/auth/refresh", {"refresh": refresh}))
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [401] * (N - 1), codes
    for r in results:
        body = envelope(r)
        if r.status_code == 401:
            assert body["error"] == "Invalid or expired refresh token"
        else:
            note_tokens(body["data"])
            assert ok_data(api.get("/auth/profile", token=body["data"]["token"]))["id"] == user["id"]


def test_concurrent_register_same_email(api):
    email = unique_email("race")
    results = run_together(lambda i: api.post("/auth/register", {
        "name": "racer %d" % i, "email": email, "password": new_password()}))
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [400] * (N - 1), codes
    for r in results:
        if r.status_code == 400:
            assert error_of(r, 400) == {"email": ["Email already exists"]}
        else:
            note_tokens(envelope(r, 201)["data"])


def test_concurrent_profile_update_same_email(api):
    tokens = [register(api)[0] for _ in range(N)]
    target = unique_email("race-upd")
    results = run_together(lambda i: api.put("/auth/profile/update", {"email": target},
                                             token=tokens[i]))
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [400] * (N - 1), codes
    for r in results:
        if r.status_code == 400:
            assert error_of(r, 400) == "Email already exists"
    owners = [ok_data(api.get("/auth/profile", token=t))["email"] for t in tokens]
    assert owners.count(target) == 1


def test_concurrent_logout_and_use(api):
    token, refresh, _ = register(api)
    results = run_together(lambda i: api.post("/auth/logout", {"refresh": refresh}, token=token)
                           if i == 0 else api.get("/auth/profile", token=token))
    for r in results:
        assert r.status_code in (200, 401), (r.status_code, r.text)
        envelope(r)
    assert api.get("/auth/profile", token=token).status_code == 401
