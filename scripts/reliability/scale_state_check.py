#!/usr/bin/env python3
"""Cross-process state checks for two `fanfare serve` processes A and B.

1. OAuth state: an admin sign-in starts on A and its callback lands on B; the
   session issued by B works on A; logging out on B revokes it on A.
2. Fan CSRF + rate limit: a fan loads the contest page on A and submits entries
   alternately to A and B; the CSRF token from A is accepted by B, and the per-IP
   entry limit (set to LIMIT on both) is counted across both processes.

Prints one line per check; exit 1 when any fails. Python standard library only.
"""

import http.client
import json
import re
import sys
import urllib.parse


class Browser:
    """Cookies by name, shared across hosts (like a browser on one hostname)."""

    def __init__(self):
        self.cookies = {}

    def req(self, base, method, path, form=None, headers=None):
        u = urllib.parse.urlsplit(base)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in v or value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def path_of(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def main():
    a, b, slug, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    failures = 0

    def check(name, ok, detail=""):
        nonlocal failures
        print(f"{'PASS' if ok else 'FAIL'}  {name}{(': ' + detail) if detail else ''}")
        failures += 0 if ok else 1

    # 1. Admin OAuth across processes.
    br = Browser()
    st, h, _ = br.req(a, "GET", "/auth/facebook/login")
    dialog = urllib.parse.urlsplit(h.get("location", ""))
    q = dict(urllib.parse.parse_qsl(dialog.query))
    st, h, _ = br.req(b, "POST", "/sandbox/dialog/oauth/decide", form=[
        ("client_id", q.get("client_id", "")), ("redirect_uri", q.get("redirect_uri", "")),
        ("state", q.get("state", "")), ("scope", q.get("scope", "")),
        ("user_id", "100000000000001"), ("grant", "email"), ("action", "allow")])
    callback = h.get("location", "")
    st, h, body = br.req(b, "GET", path_of(callback))
    token = br.cookies.get("fanfare_admin")
    check("OAuth started on A completes on B (state in Postgres)",
          st == 302 and h.get("location") == "/dashboard" and bool(token), f"{st} {h.get('location')}")
    st, _, body = Browser().req(a, "GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    check("session issued by B is accepted by A", st == 200, str(st))
    st, _, _ = Browser().req(b, "POST", "/auth/logout", headers={"Authorization": f"Bearer {token}"})
    st2, _, _ = Browser().req(a, "GET", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    check("logout on B revokes the session on A", st in (200, 303) and st2 == 401, f"logout {st}, then A {st2}")

    # 2. Fan CSRF token and the per-IP entry limit across processes.
    fan = Browser()
    st, _, html = fan.req(a, "GET", f"/c/{slug}")
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    csrf = m.group(1) if m else ""
    statuses = []
    for i in range(limit + 1):
        base = a if i % 2 == 0 else b
        st, _, body = fan.req(base, "POST", f"/c/{slug}/enter", form=[
            ("csrf_token", csrf), ("email", f"scale{i}@fan.example"), ("text", f"idea {i}"),
            ("accept_rules", "on")], headers={"Accept": "application/json"})
        statuses.append(st)
    expected = [201] * limit + [429]
    check("CSRF token from A accepted by B", statuses[1] == 201, str(statuses))
    check(f"entry limit {limit}/IP counted across A and B", statuses == expected,
          f"got {statuses}, expected {expected}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
