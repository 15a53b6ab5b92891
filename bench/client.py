"""A small keep-alive JSON client for seeding benchmark data through the
API (stdlib only). Several of these in threads seed tens of thousands of
rows in seconds."""
import http.client
import json


class Client:
    def __init__(self, port, token=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.token = token

    def call(self, method, path, body=None):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = json.dumps(body) if body is not None else None
        try:
            self.conn.request(method, "/api" + path, body=data, headers=headers)
            resp = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # the server closes keep-alive connections idle past its timeout
            self.conn.close()
            self.conn.request(method, "/api" + path, body=data, headers=headers)
            resp = self.conn.getresponse()
        raw = resp.read()
        doc = json.loads(raw) if raw else None
        if resp.status >= 300:
            raise RuntimeError("%s %s -> %d %s" % (method, path, resp.status, raw[:200]))
        return doc["data"] if isinstance(doc, dict) and "data" in doc else doc

    def close(self):
        self.conn.close()


def register(port, name, email, password="benchmark-pw"):
    c = Client(port)
    d = c.call("POST", "/auth/register", {"name": name, "email": email, "password": password})
    c.close()
    return d["token"], d["user"]["id"]
